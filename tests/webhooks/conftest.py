from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pvz.core.clock import FrozenClock
from pvz.webhooks import delivery
from tests.fakes.webhook_receiver import FakeWebhookReceiver, fake_webhook_receiver


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry times exact: the jitter fraction is 0 unless a test sets it."""
    monkeypatch.setattr(delivery, "random_fraction", lambda: 0.0)


@pytest.fixture
def allow_private_urls(settings: Any) -> None:
    """Endpoints on 127.0.0.1 (the fake receiver) pass the SSRF guard, as on a closed network."""
    settings.PVZ_WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def receiver(clock: FrozenClock, allow_private_urls: None) -> Iterator[FakeWebhookReceiver]:
    """A local receiver that checks signatures against the frozen clock; give it the endpoint's secret.
    Its http://127.0.0.1 URL passes the SSRF guard through `allow_private_urls`."""
    with fake_webhook_receiver(now=lambda: clock.now().timestamp()) as fake:
        yield fake
