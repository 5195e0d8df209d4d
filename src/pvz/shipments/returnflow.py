"""The return-flow board («Возвратный поток»): every parcel of a point that is on its way back to a partner,
grouped by partner and by why it is leaving, with how long it has been in the flow.

Rules: `docs/domain.md` § Partner cancellation and the return flow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core import clock
from pvz.network.models import Partner, PickupPoint
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.selectors import _point_of_caller
from pvz.shipments.services import RETURN_ZONE_REASONS
from pvz.shipments.statuses import Status

DEFAULT_OVERDUE_DAYS = 3


class FlowReason(models.TextChoices):
    """Why the parcel is leaving: the status it entered the flow with (order = order on the board)."""

    EXPIRED = "expired", _("Истёк срок хранения")
    REFUSED = "refused", _("Отказ покупателя")
    CANCELLED = "cancelled", _("Отменено партнёром")
    DAMAGED = "damaged", _("Повреждено при приёмке")
    CUSTOMER_RETURN = "customer_return", _("Возврат от покупателя")
    OTHER = "other", _("Другое")


class FlowStage(StrEnum):
    TO_MOVE = "to_move"  # still to be scanned into the return zone
    AWAITING = "awaiting"  # AWAITING_DISPATCH: waits in the return zone for a return carriage
    LOST = "lost"  # not found at an inventory; listed only, claims come later


# The status a parcel enters the flow with → the reason shown on the board.
_ENTRY: dict[Status, FlowReason] = {
    Status.EXPIRED: FlowReason.EXPIRED,
    Status.REFUSED: FlowReason.REFUSED,
    Status.CANCELLED: FlowReason.CANCELLED,
    Status.DAMAGED: FlowReason.DAMAGED,
    Status.RETURNED: FlowReason.CUSTOMER_RETURN,
}
# Statuses whose parcels should be heading to the return zone: the ones its scan accepts.
TO_MOVE: frozenset[Status] = frozenset(RETURN_ZONE_REASONS)
_REASON_ORDER = list(FlowReason)


@dataclass(frozen=True)
class FlowItem:
    shipment: Shipment
    stage: FlowStage
    reason: FlowReason
    # What the entry event says beyond its status: the refusal reason, the partner's cancellation
    # reason, the damage note; "" when there is none.
    reason_detail: str
    entered_at: dt.datetime  # in the point's timezone
    age: dt.timedelta
    overdue: bool

    @property
    def age_days(self) -> int:
        return self.age.days

    @property
    def age_hours(self) -> int:
        return self.age.seconds // 3600


@dataclass(frozen=True)
class FlowGroup:
    partner: Partner
    reason: FlowReason
    items: list[FlowItem] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


@dataclass(frozen=True)
class ReturnFlowBoard:
    point: PickupPoint
    now: dt.datetime
    overdue_after: dt.timedelta
    groups: list[FlowGroup]
    lost: list[FlowItem]

    def _count(self, stage: FlowStage) -> int:
        return sum(1 for group in self.groups for item in group.items if item.stage is stage)

    @property
    def awaiting(self) -> int:
        return self._count(FlowStage.AWAITING)

    @property
    def to_move(self) -> int:
        return self._count(FlowStage.TO_MOVE)

    @property
    def overdue(self) -> int:
        return sum(group.overdue for group in self.groups)


def overdue_threshold() -> dt.timedelta:
    """How long a parcel may be in the flow before the board highlights it (setting, in days)."""
    return dt.timedelta(days=getattr(settings, "PVZ_RETURN_FLOW_OVERDUE_DAYS", DEFAULT_OVERDUE_DAYS))


def _entry_events(shipments: list[Shipment]) -> dict[int, ShipmentEvent]:
    """Per shipment, the latest event of its current visit that put it into the flow (or made it LOST)."""
    visits = {s.pk: s.visit for s in shipments}
    events = ShipmentEvent.objects.filter(
        shipment_id__in=list(visits),
        kind=EventKind.TRANSITION,
        to_status__in=[*_ENTRY, Status.LOST],
    ).order_by("at", "id")
    entry: dict[int, ShipmentEvent] = {}
    for event in events:
        if event.visit == visits[event.shipment_id]:
            entry[event.shipment_id] = event
    return entry


def _reason_of(event: ShipmentEvent | None) -> tuple[FlowReason, str]:
    if event is None or event.to_status not in _ENTRY:
        return FlowReason.OTHER, ""
    reason = _ENTRY[Status(event.to_status)]
    details = event.details or {}
    detail = {
        FlowReason.REFUSED: details.get("refusal", ""),
        FlowReason.CANCELLED: details.get("cancel_reason", ""),
        FlowReason.DAMAGED: details.get("note", ""),
        FlowReason.CUSTOMER_RETURN: details.get("reason", ""),
    }.get(reason, "")
    return reason, str(detail or "")


def return_flow_board(
    *,
    user: User,
    point: PickupPoint,
    now: dt.datetime | None = None,
    overdue_after: dt.timedelta | None = None,
) -> ReturnFlowBoard:
    """The point's return flow: AWAITING_DISPATCH parcels and those still to scan into the return zone
    (EXPIRED, CANCELLED, REFUSED, DAMAGED), grouped by partner and reason, oldest first; a parcel is
    overdue once `now - entered the flow >= overdue_after`. LOST parcels are listed apart."""
    _point_of_caller(user, point)
    now = now or clock.now()
    overdue_after = overdue_threshold() if overdue_after is None else overdue_after
    shipments = list(
        Shipment.objects.filter(point=point, status__in=[*TO_MOVE, Status.AWAITING_DISPATCH, Status.LOST])
        .select_related("partner", "cell", "point")
        .order_by("pk")
    )
    entry = _entry_events(shipments)
    groups: dict[tuple[int, FlowReason], FlowGroup] = {}
    lost: list[FlowItem] = []
    for shipment in shipments:
        event = entry.get(shipment.pk)
        entered = event.at if event is not None else shipment.updated_at
        age = now - entered
        if shipment.status == Status.LOST:
            stage, reason, detail = FlowStage.LOST, FlowReason.OTHER, event.reason if event else ""
        else:
            stage = FlowStage.AWAITING if shipment.status == Status.AWAITING_DISPATCH else FlowStage.TO_MOVE
            reason, detail = _reason_of(event)
        item = FlowItem(
            shipment=shipment,
            stage=stage,
            reason=reason,
            reason_detail=detail,
            entered_at=entered.astimezone(point.tz),
            age=age,
            overdue=stage is not FlowStage.LOST and age >= overdue_after,
        )
        if stage is FlowStage.LOST:
            lost.append(item)
            continue
        key = (shipment.partner_id, reason)
        if key not in groups:
            groups[key] = FlowGroup(partner=shipment.partner, reason=reason)
        groups[key].items.append(item)
    ordered = sorted(
        groups.values(), key=lambda g: (g.partner.name, g.partner.pk, _REASON_ORDER.index(g.reason))
    )
    for group in ordered:
        group.items.sort(key=lambda item: (item.entered_at, item.shipment.pk))
    lost.sort(key=lambda item: (item.entered_at, item.shipment.pk))
    return ReturnFlowBoard(point=point, now=now, overdue_after=overdue_after, groups=ordered, lost=lost)
