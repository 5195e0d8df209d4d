"""One-time codes sent by SMS (staff login, a customer's verification at the counter): how a code is
made, kept (a keyed hash, never the digits) and rate-limited. The models and the rules of who gets a
code stay with each use."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence

from django.conf import settings

CODE_LENGTH = 6
_CODE_SHAPE = re.compile(rf"[0-9]{{{CODE_LENGTH}}}")
_WHITESPACE = re.compile(r"\s+")


def code_new() -> str:
    """A random code of CODE_LENGTH digits, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def code_hash(*scope: object, code: str) -> str:
    """The stored form of `code` for `scope` (e.g. a phone and a purpose). Keyed, so that a leaked table
    cannot be brute-forced: a 6-digit space is tiny without the key."""
    message = ":".join([*(str(part) for part in scope), code]).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def code_matches(stored_hash: str, *scope: object, code: str) -> bool:
    """Whether what was typed is the code behind `stored_hash`: spaces ignored, anything that is not
    CODE_LENGTH digits never matches, compared in constant time."""
    candidate = _WHITESPACE.sub("", code or "")
    if _CODE_SHAPE.fullmatch(candidate) is None:
        return False
    return hmac.compare_digest(stored_hash, code_hash(*scope, code=candidate))


def code_retry_after(
    sent: Sequence[dt.datetime],
    *,
    now: dt.datetime,
    resend_interval: dt.timedelta,
    window: dt.timedelta,
    per_window: int,
) -> int | None:
    """Whole seconds until another code may be sent, or None when one may be sent now, given when the
    codes of the last `window` were sent (oldest first): at most one per `resend_interval` and at most
    `per_window` in any rolling `window`."""
    waits: list[dt.timedelta] = []
    if sent and now - sent[-1] < resend_interval:
        waits.append(sent[-1] + resend_interval - now)
    if len(sent) >= per_window:
        # A new code is allowed once enough of the oldest codes have left the rolling window.
        waits.append(sent[-per_window] + window - now)
    return math.ceil(max(waits).total_seconds()) if waits else None
