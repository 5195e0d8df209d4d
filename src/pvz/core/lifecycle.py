"""A lifecycle as data: the statuses an object may move between, and the one place its status changes.

Each app with a status field declares its `Lifecycle` in its `statuses.py`: every allowed (from, to) pair
and nothing else. A use case changes a status only through `Lifecycle.set` (one locked object, saved by the
caller together with the other fields of the change and audited by the use case in the same transaction) or
`Lifecycle.update` (a set of rows in one statement). Both refuse a pair the table does not hold with
INVALID_TRANSITION, before anything is written. `tests/architecture/test_status_setters.py` fails on a status
written any other way in `src/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from django.db import models
from django.utils.functional import Promise

from pvz.core.errors import InvalidTransition

S = TypeVar("S", bound=models.TextChoices)


class Lifecycle(Generic[S]):
    """The transition table of one status field (`field`, "status" unless told) of one kind of object, and
    the refusal a person reads for a pair it does not hold (`message`: each table says it in its own words,
    the shipment's would be wrong anywhere else)."""

    def __init__(
        self,
        name: str,
        statuses: type[S],
        transitions: Mapping[S, Iterable[S]],
        *,
        message: str | Promise,
        field: str = "status",
    ) -> None:
        missing = set(statuses) - set(transitions)
        if missing:
            raise ValueError(f"{name}: no row for {sorted(str(s) for s in missing)} in the transition table")
        self.name = name
        self.statuses = statuses
        self.field = field
        self.message = message
        self.transitions: dict[S, frozenset[S]] = {
            statuses(a): frozenset(statuses(b) for b in targets) for a, targets in transitions.items()
        }

    def allowed(self, from_status: str, to_status: str) -> bool:
        return self.statuses(to_status) in self.transitions[self.statuses(from_status)]

    def next(self, status: str) -> frozenset[S]:
        return self.transitions[self.statuses(status)]

    def all_pairs(self) -> list[tuple[S, S]]:
        return [(a, b) for a in self.statuses for b in self.statuses]

    def check(
        self,
        from_status: str,
        to_status: str,
        *,
        message: str | Promise | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Raise INVALID_TRANSITION unless the table holds (from_status, to_status)."""
        if not self.allowed(from_status, to_status):
            raise InvalidTransition(
                message or self.message,
                details={"from": str(from_status), "to": str(to_status), **(details or {})},
            )

    def set(
        self,
        obj: models.Model,
        to_status: str,
        *,
        message: str | Promise | None = None,
        details: dict[str, Any] | None = None,
    ) -> S:
        """Move the (locked) `obj` to `to_status` in memory after checking the pair; the caller saves it with
        the rest of its change. Returns the status it came from."""
        previous = self.statuses(getattr(obj, self.field))
        self.check(previous, to_status, message=message, details=details)
        setattr(obj, self.field, self.statuses(to_status))
        return previous

    def update(
        self,
        queryset: models.QuerySet[Any],
        *,
        from_statuses: Iterable[str],
        to_status: str,
        **fields: Any,
    ) -> int:
        """Move every row of `queryset` that is in one of `from_statuses` to `to_status` in one statement
        (with `fields` written alongside); every (from, to) pair must be in the table, except a row already
        in `to_status`, which only gets `fields`."""
        sources = [self.statuses(s) for s in from_statuses]
        for source in sources:
            if source != to_status:
                self.check(source, to_status)
        return queryset.filter(**{f"{self.field}__in": sources}).update(
            **{self.field: self.statuses(to_status)}, **fields
        )
