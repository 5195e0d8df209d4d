"""One attempt at sending a message that counts its own attempts (a customer notification, a staff
delivery), with its outcome recorded on the row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pvz.core import clock
from pvz.core.lifecycle import Lifecycle
from pvz.notifications.models import Notification, StaffDelivery

Sendable = TypeVar("Sendable", Notification, StaffDelivery)


def attempt_send(row: Sendable, *, lifecycle: Lifecycle[Any], deliver: Callable[[Sendable], None]) -> bool:
    """Count one attempt at `deliver(row)` and move the locked row to SENT (with the time) or to FAILED
    (with the error); the caller saves it. True when it went."""
    row.attempts += 1
    try:
        deliver(row)
    except Exception as exc:  # any channel failure is recorded, not raised into the worker
        lifecycle.set(row, lifecycle.statuses["FAILED"])
        row.error = f"{type(exc).__name__}: {exc}"[:300]
        return False
    lifecycle.set(row, lifecycle.statuses["SENT"])
    row.sent_at = clock.now()
    row.error = ""
    return True
