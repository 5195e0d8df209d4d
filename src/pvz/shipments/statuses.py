"""The shipment lifecycle as data: every allowed (from, to) pair, and nothing else.

This table is the single source of truth; `SHIPMENT` (`pvz.core.lifecycle`) is built from it, and
`shipment_transition` sets a status only through `SHIPMENT.set`, so it refuses any pair not listed here; the
UI asks it which actions to offer.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import InvalidTransition
from pvz.core.lifecycle import Lifecycle


class Status(models.TextChoices):
    EXPECTED = "EXPECTED", _("Ожидается")
    ACCEPTED = "ACCEPTED", _("Принято")
    STORED = "STORED", _("На хранении")
    SHORTAGE = "SHORTAGE", _("Недостача")
    DAMAGED = "DAMAGED", _("Повреждено")
    ISSUED = "ISSUED", _("Выдано")
    RETURNED = "RETURNED", _("Возврат от клиента")
    REFUSED = "REFUSED", _("Отказ")
    EXPIRED = "EXPIRED", _("Срок хранения истёк")
    CANCELLED = "CANCELLED", _("Отменено партнёром")
    AWAITING_DISPATCH = "AWAITING_DISPATCH", _("Ожидает отправки")
    DISPATCHED = "DISPATCHED", _("Передано курьеру")
    LOST = "LOST", _("Утеряно")


S = Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.EXPECTED: frozenset({S.ACCEPTED, S.SHORTAGE}),
    # A shortage that turns up later is accepted then; it is still the same visit.
    S.SHORTAGE: frozenset({S.ACCEPTED}),
    # ACCEPTED → EXPECTED / SHORTAGE compensate an acceptance scan the operator undid before closing the
    # acceptance (reason "undo"): the parcel returns to the status it had before the scan.
    S.ACCEPTED: frozenset({S.STORED, S.DAMAGED, S.LOST, S.EXPECTED, S.SHORTAGE}),
    # STORED → ACCEPTED compensates a placement made by an acceptance scan, before that acceptance closes:
    # the scan is undone, or the parcel turns out damaged (reasons "undo", "damaged_at_acceptance").
    S.STORED: frozenset({S.ISSUED, S.REFUSED, S.EXPIRED, S.CANCELLED, S.LOST, S.ACCEPTED}),
    S.DAMAGED: frozenset({S.AWAITING_DISPATCH}),
    S.ISSUED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset({S.AWAITING_DISPATCH}),
    S.REFUSED: frozenset({S.AWAITING_DISPATCH}),
    S.EXPIRED: frozenset({S.AWAITING_DISPATCH}),
    S.CANCELLED: frozenset({S.AWAITING_DISPATCH}),
    S.AWAITING_DISPATCH: frozenset({S.DISPATCHED, S.LOST}),
    # Announced again by a later manifest: a new visit starts, the old history stays.
    S.DISPATCHED: frozenset({S.EXPECTED}),
    S.LOST: frozenset(),
}

# The refusal keeps InvalidTransition's own message ("…для отправления в его текущем статусе").
SHIPMENT: Lifecycle[Status] = Lifecycle(
    "shipment", Status, TRANSITIONS, message=InvalidTransition.default_message
)

# Where the parcel physically is after entering a status.
NEEDS_CELL: frozenset[Status] = frozenset({S.STORED})
# Statuses in which the parcel is not on our shelves: entering one clears its cell.
OFF_SHELF: frozenset[Status] = frozenset({S.EXPECTED, S.SHORTAGE, S.ISSUED, S.DISPATCHED, S.LOST})
# Entering these starts a new visit of the shipment at a point.
NEW_VISIT: frozenset[tuple[Status, Status]] = frozenset({(S.DISPATCHED, S.EXPECTED)})
# Physically at the point and counted against its capacity.
AT_POINT: frozenset[Status] = frozenset(
    {S.ACCEPTED, S.STORED, S.DAMAGED, S.RETURNED, S.REFUSED, S.EXPIRED, S.CANCELLED, S.AWAITING_DISPATCH}
)


# Pairs that exist only to compensate an acceptance step undone before the acceptance closes; the table
# allows them (so they go through `shipment_transition` and write their event) but they are not actions
# to offer on a shipment card.
COMPENSATING: frozenset[tuple[Status, Status]] = frozenset(
    {(S.ACCEPTED, S.EXPECTED), (S.ACCEPTED, S.SHORTAGE), (S.STORED, S.ACCEPTED)}
)


def allowed_next(status: str) -> frozenset[Status]:
    """What a person may do next with a shipment in `status` (compensating pairs left out)."""
    return frozenset(to for to in SHIPMENT.next(status) if (status, to) not in COMPENSATING)


def is_movable(status: str) -> bool:
    """Whether a parcel in `status` lies in a place at the point that it may be moved out of (an ACCEPTED
    parcel has no place yet: it is placed, not moved)."""
    return status in AT_POINT and status != S.ACCEPTED


def is_allowed(from_status: str, to_status: str) -> bool:
    return SHIPMENT.allowed(from_status, to_status)


def all_pairs() -> list[tuple[Status, Status]]:
    return SHIPMENT.all_pairs()
