"""An SMS gateway for SMS.ru, a common Russian provider, through its HTTP API.

`POST <PVZ_SMSRU_URL>` (default https://sms.ru/sms/send) with `api_id`, `to` (digits of the E.164 number),
`msg`, optional `from` (a sender name registered with the provider) and `json=1`. The answer is JSON: the
request's `status`/`status_code` (100 = accepted) and, per number, its own `status`/`status_code`/`sms_id` or
`status_text`. Anything but an accepted number raises `SmsDeliveryError`, so the caller records a failure
(and a notification is retried); the API key never appears in an error or a log line.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from pvz.core.logging import get_logger

log = get_logger(__name__)

ACCEPTED = 100


class SmsDeliveryError(Exception):
    """The provider did not accept the message (or could not be reached)."""


class SmsRuGateway:
    """Settings are read on every send: the gateway instance is cached for the process (accounts.sms)."""

    def send(self, *, phone: str, text: str) -> None:
        if not settings.PVZ_SMSRU_API_ID:
            raise SmsDeliveryError("PVZ_SMSRU_API_ID is not set")
        number = phone.lstrip("+")
        form = {"api_id": settings.PVZ_SMSRU_API_ID, "to": number, "msg": text, "json": "1"}
        if settings.PVZ_SMS_SENDER:
            form["from"] = settings.PVZ_SMS_SENDER
        try:
            response = httpx.post(settings.PVZ_SMSRU_URL, data=form, timeout=settings.PVZ_SMS_TIMEOUT_SECONDS)
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SmsDeliveryError(f"SMS.ru unreachable or answered badly: {type(exc).__name__}") from None
        if answer.get("status") != "OK" or answer.get("status_code") != ACCEPTED:
            raise SmsDeliveryError(f"SMS.ru refused the request: {answer.get('status_code')}")
        result = (answer.get("sms") or {}).get(number) or {}
        if result.get("status") != "OK" or result.get("status_code") != ACCEPTED:
            code, why = result.get("status_code"), result.get("status_text", "")
            raise SmsDeliveryError(f"SMS.ru refused the number: {code} {why}".strip())
        log.info("sms_sent", provider="sms.ru", sms_id=result.get("sms_id"))
