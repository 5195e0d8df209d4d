"""Authenticator-app codes (RFC 6238: 30-second steps, 6 digits, SHA-1, what every app speaks) and the
single-use backup codes that stand in for the app."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets

import pyotp

ISSUER = "OpenPVZ"
# A code of the step before or after the current one is accepted too (clock drift, a code typed just as it
# changed): pyotp's valid_window=1.
VALID_WINDOW = 1
BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
_BACKUP_LENGTH = 10
_SEPARATORS = re.compile(r"[\s-]+")


def totp_new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, the RFC's recommended key length


def totp_uri(secret: str, *, account: str) -> str:
    """The otpauth:// URI the enrolment QR carries."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def totp_matching_step(secret: str, code: str, *, at: dt.datetime, after_step: int | None) -> int | None:
    """The time step whose code `code` is, among the steps pyotp.verify(valid_window=1) accepts at `at`,
    or None. Steps up to `after_step` (already used) never match, so a code cannot be replayed."""
    candidate = _SEPARATORS.sub("", code or "")
    if not re.fullmatch(r"[0-9]{6}", candidate):
        return None
    totp = pyotp.TOTP(secret)
    if not totp.verify(candidate, for_time=at, valid_window=VALID_WINDOW):
        return None
    current = totp.timecode(at)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if (after_step is None or step > after_step) and hmac.compare_digest(
            totp.generate_otp(step), candidate
        ):
            return step
    return None


def backup_code_new() -> str:
    """A code like `k7m2p-x9qfa`: about 49 bits, far beyond guessing within the attempt limits."""
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def backup_code_normalize(code: str) -> str:
    """What a typed backup code is compared as: case, spaces and hyphens do not matter."""
    return _SEPARATORS.sub("", code or "").lower()


def looks_like_totp(code: str) -> bool:
    return re.fullmatch(r"[0-9]{6}", _SEPARATORS.sub("", code or "")) is not None
