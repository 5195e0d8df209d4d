"""Reads of return carriages, always scoped to the caller's points."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.core.errors import NotFound
from pvz.core.lookups import at_point, found
from pvz.inbound.models import Carriage, CarriageFlow, CarriageStatus
from pvz.network.models import Partner, PickupPoint
from pvz.outbound.models import Dispatch, DispatchLine, DispatchTote, DispatchToteKind
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status


@dataclass(frozen=True)
class ToteRow:
    dispatch_tote: DispatchTote
    parcels: tuple[Shipment, ...]

    @property
    def sealed(self) -> bool:
        return self.dispatch_tote.sealed_at is not None


@dataclass(frozen=True)
class ReturnProgress:
    # AWAITING_DISPATCH parcels of the carriage's partner at its point, in a tote of this carriage or not.
    eligible: int
    in_totes: int
    totes: tuple[ToteRow, ...]
    empty_totes: tuple[DispatchTote, ...]

    @property
    def unsealed(self) -> int:
        return sum(1 for row in self.totes if not row.sealed)


@dataclass(frozen=True)
class OpenReturnCarriage:
    carriage: Carriage
    in_totes: int
    totes: int


def return_carriages_visible_to(*, user: User) -> QuerySet[Carriage]:
    return Carriage.objects.filter(point__in=points_for_user(user=user), flow=CarriageFlow.RETURN)


def return_carriage_get(*, user: User, carriage_id: int, point: PickupPoint | None = None) -> Carriage:
    """A return carriage of one of the caller's points (of `point` if given); otherwise NOT_FOUND."""
    qs = at_point(return_carriages_visible_to(user=user), point)
    return found(
        qs.select_related("point", "partner", "dispatch").filter(pk=carriage_id), carriage_id=carriage_id
    )


def return_carriages_open(*, point: PickupPoint) -> list[OpenReturnCarriage]:
    """Return carriages of `point` still being assembled, oldest first."""
    rows = (
        Carriage.objects.filter(point=point, flow=CarriageFlow.RETURN)
        .exclude(status=CarriageStatus.CLOSED)
        .select_related("partner")
        .annotate(
            n_lines=Count("dispatch_lines", distinct=True),
            n_totes=Count(
                "dispatch_totes",
                filter=Q(dispatch_totes__kind=DispatchToteKind.RETURNS),
                distinct=True,
            ),
        )
        .order_by("created_at", "id")
    )
    return [OpenReturnCarriage(carriage=c, in_totes=c.n_lines, totes=c.n_totes) for c in rows]


def return_carriages_closed(*, point: PickupPoint, limit: int = 20) -> list[Carriage]:
    """The latest handed-over return carriages of `point`, newest first."""
    return list(
        Carriage.objects.filter(point=point, flow=CarriageFlow.RETURN, status=CarriageStatus.CLOSED)
        .select_related("partner")
        .order_by("-closed_at", "-id")[:limit]
    )


def partners_of_point(*, point: PickupPoint) -> list[Partner]:
    """Partners a return carriage may be made for: those serving the point, and any partner that has a
    parcel waiting for dispatch there."""
    waiting = Shipment.objects.filter(point=point, status=Status.AWAITING_DISPATCH).values("partner_id")
    return list(Partner.objects.filter(Q(points=point) | Q(pk__in=waiting)).distinct().order_by("name"))


def return_progress(*, carriage: Carriage) -> ReturnProgress:
    """What is in the carriage's totes against what waits for dispatch at the point for its partner."""
    totes = list(DispatchTote.objects.filter(carriage=carriage).select_related("tote").order_by("pk"))
    lines = list(
        DispatchLine.objects.filter(carriage=carriage).select_related("shipment").order_by("-added_at", "-pk")
    )
    by_tote: dict[int, list[Shipment]] = {}
    for line in lines:
        by_tote.setdefault(line.tote_id, []).append(line.shipment)
    eligible = Shipment.objects.filter(
        point_id=carriage.point_id, partner_id=carriage.partner_id, status=Status.AWAITING_DISPATCH
    ).count()
    return ReturnProgress(
        eligible=eligible,
        in_totes=len(lines),
        totes=tuple(
            ToteRow(dispatch_tote=t, parcels=tuple(by_tote.get(t.pk, ())))
            for t in totes
            if t.kind == DispatchToteKind.RETURNS
        ),
        empty_totes=tuple(t for t in totes if t.kind == DispatchToteKind.EMPTY),
    )


def dispatch_of(*, carriage: Carriage) -> Dispatch:
    return found(
        Dispatch.objects.filter(carriage=carriage).select_related("handed_over_by"), carriage_id=carriage.pk
    )


def return_carriage_courier_code(*, partner: Partner, carriage_id: int) -> str:
    """The courier's one-time code, for the partner side only (its API shows it as a field of the
    carriage); the point's staff never read it."""
    dispatch = (
        Dispatch.objects.filter(carriage_id=carriage_id, carriage__partner=partner)
        .only("courier_code")
        .first()
    )
    if dispatch is None:
        raise NotFound(details={"carriage_id": carriage_id})
    return dispatch.courier_code
