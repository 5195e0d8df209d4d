"""A local SMTP server (aiosmtpd) on a free port that keeps every message it receives, for tests of Django's
real SMTP e-mail backend."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class FakeSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def fake_smtp() -> Iterator[FakeSmtp]:
    fake = FakeSmtp(port=_free_port())
    controller = Controller(fake, hostname=fake.host, port=fake.port)
    controller.start()
    try:
        yield fake
    finally:
        controller.stop()
