from __future__ import annotations

from collections.abc import Iterator

import pytest

from pvz.core.clock import FrozenClock
from pvz.webhooks import delivery
from tests.fakes.webhook_receiver import FakeWebhookReceiver, fake_webhook_receiver


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry times exact: the jitter fraction is 0 unless a test sets it."""
    monkeypatch.setattr(delivery, "random_fraction", lambda: 0.0)


@pytest.fixture
def receiver(clock: FrozenClock) -> Iterator[FakeWebhookReceiver]:
    """A local receiver that checks signatures against the frozen clock; give it the endpoint's secret."""
    with fake_webhook_receiver(now=lambda: clock.now().timestamp()) as fake:
        yield fake
