"""Reads of customer returns, scoped to the caller's points: visits, returns and their photos, the reasons
a partner accepts, and the customer's parcels that may still be returned (with the window's end)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.core.lookups import found
from pvz.network.models import Partner, PickupPoint
from pvz.returns.models import CustomerReturn, ReturnPhoto, ReturnReason, ReturnVisit
from pvz.shipments.models import Customer, EventKind, Shipment, ShipmentEvent
from pvz.shipments.statuses import Status

# The list of returnable parcels also shows those whose window closed at most this long ago, marked closed,
# so the operator can tell the customer why.
CLOSED_SHOWN_FOR = dt.timedelta(days=30)


def return_reasons_for(*, partner: Partner | None) -> list[ReturnReason]:
    """The partner's own active reasons if it has any, else the default list."""
    if partner is not None:
        own = list(ReturnReason.objects.filter(partner=partner, is_active=True))
        if own:
            return own
    return list(ReturnReason.objects.filter(partner__isnull=True, is_active=True))


def issued_at(shipment: Shipment) -> dt.datetime | None:
    """When the parcel was handed to the customer in its current visit: its ISSUED event's instant."""
    return (
        ShipmentEvent.objects.filter(
            shipment=shipment, visit=shipment.visit, kind=EventKind.TRANSITION, to_status=Status.ISSUED
        )
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


def return_window_end(*, issued: dt.datetime, partner: Partner) -> dt.datetime:
    """The last instant a return is accepted: exactly `return_window_days` × 24 h after the issue (not
    the end of a local day); the end itself is still in time."""
    return issued + dt.timedelta(days=partner.return_window_days)


@dataclass(frozen=True)
class Returnable:
    shipment: Shipment
    issued_at: dt.datetime
    until: dt.datetime
    is_open: bool


def returnable_parcels(*, point: PickupPoint, customer: Customer, now: dt.datetime) -> list[Returnable]:
    """The customer's ISSUED parcels of this point, newest issue first, each with the end of its return
    window; those closed within the last 30 days are listed too, marked closed."""
    shipments = list(
        Shipment.objects.filter(point=point, order__customer=customer, status=Status.ISSUED).select_related(
            "partner", "order", "point"
        )
    )
    rows = []
    for shipment in shipments:
        issued = issued_at(shipment)
        if issued is None:
            continue
        until = return_window_end(issued=issued, partner=shipment.partner)
        if now - until > CLOSED_SHOWN_FOR:
            continue
        rows.append(Returnable(shipment=shipment, issued_at=issued, until=until, is_open=now <= until))
    rows.sort(key=lambda row: (row.issued_at, row.shipment.pk), reverse=True)
    return rows


def visit_get(*, user: User, visit_id: int) -> ReturnVisit:
    """A return visit of one of the caller's points; another point's is not found, never forbidden."""
    return found(
        ReturnVisit.objects.filter(point__in=points_for_user(user=user), pk=visit_id).select_related(
            "point", "customer", "opened_by"
        ),
        visit_id=visit_id,
    )


def customer_return_get(*, user: User, return_id: int) -> CustomerReturn:
    return found(
        CustomerReturn.objects.filter(point__in=points_for_user(user=user), pk=return_id)
        .select_related(
            "point",
            "customer",
            "shipment__partner",
            "shipment__order",
            "shipment__cell",
            "reason",
            "accepted_by",
        )
        .prefetch_related("photos"),
        return_id=return_id,
    )


def return_photo_get(*, user: User, photo_id: int) -> ReturnPhoto:
    """A return photo of one of the caller's points; any other is not found."""
    return found(
        ReturnPhoto.objects.filter(
            customer_return__point__in=points_for_user(user=user), pk=photo_id
        ).select_related("customer_return"),
        photo_id=photo_id,
    )
