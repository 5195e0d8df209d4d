"""Sending SMS: the gateway interface, the development outbox, and the choice of gateway from settings."""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from pvz.accounts.models import SmsMessage
from pvz.core import clock
from pvz.core.logging import get_logger

log = get_logger(__name__)


class SmsGateway(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


class OutboxSmsGateway:
    """Sends nothing: keeps each message in the SMS outbox table and in the server log, so a demo or a
    developer can read login codes without a real operator contract."""

    def send(self, *, phone: str, text: str) -> None:
        SmsMessage.objects.create(phone=phone, text=text, created_at=clock.now())
        log.info("sms_outbox", phone=phone, text=text)


@cache
def _gateway(path: str) -> SmsGateway:
    gateway: SmsGateway = import_string(path)()
    return gateway


def get_sms_gateway() -> SmsGateway:
    # Cached per dotted path rather than once, so a test that overrides the setting gets its own gateway.
    return _gateway(settings.PVZ_SMS_BACKEND)


def sms_outbox_enabled() -> bool:
    """Whether messages land in the outbox, so the web layer may offer the outbox page."""
    return isinstance(get_sms_gateway(), OutboxSmsGateway)


def sms_send(*, phone: str, text: str) -> None:
    """Send through the gateway configured now; call it from `after_commit`, never inside a transaction."""
    get_sms_gateway().send(phone=phone, text=text)
