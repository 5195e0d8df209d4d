"""Web Push (RFC 8030) with VAPID (RFC 8292) and an aes128gcm-encrypted payload (RFC 8291)."""

from __future__ import annotations

import base64
import os
import urllib.parse
from dataclasses import dataclass

import http_ece
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02

# A day: a message about "today" is worthless later, and the push service keeps it no longer.
TTL_SECONDS = 24 * 60 * 60
TIMEOUT_SECONDS = 10.0


class PushGone(Exception):
    """The push service no longer knows the subscription (404/410): the browser unsubscribed."""


class PushFailed(Exception):
    pass


@dataclass(frozen=True)
class VapidKeys:
    private_key: str  # raw 32-byte scalar, base64url
    public_key: str  # uncompressed P-256 point (65 bytes), base64url: what the browser subscribes with


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def vapid_keys_generate() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKeys(private_key=b64url_encode(private), public_key=b64url_encode(public))


def push_enabled() -> bool:
    return bool(settings.PVZ_VAPID_PRIVATE_KEY and settings.PVZ_VAPID_PUBLIC_KEY)


def push_encrypt(*, payload: bytes, p256dh: str, auth: str) -> bytes:
    """The payload encrypted for one subscription's keys with a fresh sender key and salt."""
    sender = ec.generate_private_key(ec.SECP256R1())
    return bytes(
        http_ece.encrypt(
            payload,
            salt=os.urandom(16),
            private_key=sender,
            dh=b64url_decode(p256dh),
            auth_secret=b64url_decode(auth),
            version="aes128gcm",
        )
    )


def vapid_authorization(*, endpoint: str) -> str:
    """`vapid t=<ES256 JWT for the endpoint's origin>, k=<public key>`."""
    parts = urllib.parse.urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "sub": settings.PVZ_VAPID_SUBJECT}
    vapid = Vapid02.from_raw(settings.PVZ_VAPID_PRIVATE_KEY.encode())
    return str(vapid.sign(claims)["Authorization"])


def push_send(*, endpoint: str, p256dh: str, auth: str, payload: bytes) -> None:
    """Post one encrypted message to the subscription's push service; raises PushGone or PushFailed."""
    body = push_encrypt(payload=payload, p256dh=p256dh, auth=auth)
    response = httpx.post(
        endpoint,
        content=body,
        headers={
            "Authorization": vapid_authorization(endpoint=endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Urgency": "high",
        },
        timeout=TIMEOUT_SECONDS,
    )
    if response.status_code in (404, 410):
        raise PushGone(f"HTTP {response.status_code}")
    if response.status_code >= 300:
        raise PushFailed(f"HTTP {response.status_code}: {response.text[:200]}")
