"""What other apps do when the counter acts, without the counter importing them: they register here at
start-up (their `AppConfig.ready`). The anomaly rules use it (issue 14: counter ↔ anomalies was a cycle).

`after_finish` hooks run once the finish's own atomic block has closed (inside a request's transaction,
if any); a hook handles its own failures, which must never undo the issue (the anomaly rules run under a
savepoint and log). `after_sms_verification` hooks run inside the verifying transaction, as the rule they
carry must see the code just spent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pvz.counter.models import IssueSession

Hook = Callable[[IssueSession], Any]
_after_finish: dict[str, Hook] = {}
_after_sms_verification: dict[str, Hook] = {}


def on_finish(name: str, hook: Hook) -> None:
    """Run `hook(session)` after every finished session (registering one name twice keeps one hook)."""
    _after_finish[name] = hook


def on_sms_verification(name: str, hook: Hook) -> None:
    """Run `hook(session)` when a session is verified by the customer's SMS code."""
    _after_sms_verification[name] = hook


def finished(session: IssueSession) -> None:
    for hook in list(_after_finish.values()):
        hook(session)


def sms_verified(session: IssueSession) -> None:
    for hook in list(_after_sms_verification.values()):
        hook(session)
