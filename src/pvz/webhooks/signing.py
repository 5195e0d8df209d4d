"""Signing and verifying webhook requests per Standard Webhooks (https://www.standardwebhooks.com/).

Headers: `webhook-id` (the event id), `webhook-timestamp` (unix seconds), `webhook-signature`
("v1,<base64 HMAC-SHA256>", several separated by spaces while a secret rotates). The signed message is
`{id}.{timestamp}.{body}` and the key is the base64-decoded secret without its `whsec_` prefix.
`signature_verify` is the reference a partner can copy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
TOLERANCE_SECONDS = 5 * 60


class SignatureInvalid(ValueError):
    """The request is not signed with the secret, or its timestamp is outside the tolerance."""


def secret_generate() -> str:
    """A new endpoint secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature_compute(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one request."""
    message = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    *, secret: str | Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of one request; with several secrets (a rotation's overlap) one signature per
    secret, in the given order, separated by spaces."""
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    signatures = " ".join(
        signature_compute(secret=each, msg_id=msg_id, timestamp=timestamp, body=body) for each in secrets_
    )
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}


def signature_verify(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> None:
    """Raise `SignatureInvalid` unless one v1 signature matches and the timestamp is within
    `tolerance_seconds` of `now` (either side: an old request may be a replay). Header names are
    matched case-insensitively."""
    lowered = {key.lower(): value for key, value in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    raw_timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not msg_id or not raw_timestamp or not signatures:
        raise SignatureInvalid("missing webhook headers")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise SignatureInvalid("bad timestamp") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureInvalid("timestamp outside tolerance")
    expected = signature_compute(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
    for candidate in signatures.split(" "):
        if hmac.compare_digest(candidate.encode(), expected.encode()):
            return
    raise SignatureInvalid("no matching signature")
