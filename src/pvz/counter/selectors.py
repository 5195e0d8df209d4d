"""Reads of issuing at the counter, scoped to the caller's points: sessions, the customer card with its
three tabs, the fetch list, and refusal reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable
from dataclasses import dataclass

from django.db.models import Q

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import point_access
from pvz.core.errors import NotFound, PermissionDenied
from pvz.counter.models import IssueLine, IssueSession, LineState, RefusalReason, SessionStatus
from pvz.network.models import Partner, PickupPoint
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.statuses import Status

# «Завершено» lists this point's finished parcels of the customer changed at most this long ago.
DONE_WINDOW = dt.timedelta(days=30)
DONE_LIMIT = 50
IN_TRANSIT = (Status.EXPECTED, Status.ACCEPTED)
DONE = (
    Status.ISSUED,
    Status.REFUSED,
    Status.RETURNED,
    Status.EXPIRED,
    Status.CANCELLED,
    Status.AWAITING_DISPATCH,
    Status.DISPATCHED,
)


def id_check_needed(shipment: Shipment) -> bool:
    """Flagged by the partner, or declared value at or above the partner's threshold (when it has one)."""
    threshold = shipment.partner.id_check_threshold_kop
    return shipment.id_check_required or (threshold is not None and shipment.declared_value_kop >= threshold)


def split_order_lines(pairs: Iterable[tuple[IssueLine, Shipment]]) -> set[int]:
    """Ids of the lines of every order sold whole (a parcel of it says `partial_refusal_allowed` false)
    that the visit would split: some of its parcels taken and some refused. Only the given pairs count:
    parcels of the order not scanned into the session (or no longer issuable) are left out by the caller."""
    by_order: dict[int, list[tuple[IssueLine, Shipment]]] = {}
    for line, shipment in pairs:
        by_order.setdefault(shipment.order_id, []).append((line, shipment))
    split: set[int] = set()
    for order_lines in by_order.values():
        whole = any(not shipment.partial_refusal_allowed for _, shipment in order_lines)
        refused = {line.state == LineState.REFUSED for line, _ in order_lines}
        if whole and refused == {True, False}:
            split |= {line.pk for line, _ in order_lines}
    return split


def refusal_reasons_for(*, partner: Partner | None) -> list[RefusalReason]:
    """The partner's own active reasons if it has any, else the default list."""
    if partner is not None:
        own = list(RefusalReason.objects.filter(partner=partner, is_active=True))
        if own:
            return own
    return list(RefusalReason.objects.filter(partner__isnull=True, is_active=True))


def session_get(*, user: User, session_id: int, perm: Perm | None = None) -> IssueSession:
    """A session of one of the caller's points; another point's session is not found, never forbidden.
    With `perm`, the caller must also hold it at the session's point (PERMISSION_DENIED without it). Two
    index probes: the session by its id, then the caller's access to its point."""
    session = (
        IssueSession.objects.filter(pk=session_id)
        .select_related("point", "customer", "opened_by", "finished_by")
        .first()
    )
    access = None if session is None else point_access(user=user, point_id=session.point_id)
    if session is None or access is None:
        raise NotFound(details={"session_id": session_id})
    point, perms = access
    if perm is not None and perm not in perms:
        raise PermissionDenied(details={"point": point.pk, "permission": str(perm)})
    return session


def sessions_open(*, point: PickupPoint) -> list[IssueSession]:
    """The point's open sessions, oldest first (one per counter and customer)."""
    return list(
        IssueSession.objects.filter(point=point, status=SessionStatus.OPEN)
        .select_related("customer", "opened_by")
        .order_by("opened_at", "id")
    )


def session_lines(*, session: IssueSession) -> list[IssueLine]:
    return list(
        session.lines.select_related(
            "shipment__partner", "shipment__cell", "shipment__point", "refusal_reason"
        ).order_by("scanned_at", "id")
    )


@dataclass(frozen=True)
class ElsewhereParcel:
    shipment: Shipment
    point_name: str | None  # None: on its way, not at any point yet


@dataclass(frozen=True)
class CustomerCard:
    customer: Customer
    ready: tuple[Shipment, ...]  # «Готово к выдаче»: STORED here, by cell address
    in_transit: tuple[ElsewhereParcel, ...]  # «В пути»: EXPECTED/ACCEPTED anywhere, STORED elsewhere
    done: tuple[Shipment, ...]  # «Завершено»: finished here in the last 30 days, newest first


def customer_card(*, point: PickupPoint, customer: Customer, now: dt.datetime) -> CustomerCard:
    """What the counter shows about a customer. Only parcels at `point` can be issued here; the customer's
    parcels at other points are listed by point name only. One query: the three tabs are cut from it."""
    rows = (
        Shipment.objects.filter(order__customer=customer)
        .filter(
            Q(status__in=(Status.STORED, *IN_TRANSIT))
            | Q(point=point, status__in=DONE, updated_at__gte=now - DONE_WINDOW)
        )
        .select_related("partner", "cell", "point")
        .order_by("-updated_at", "-id")
    )
    ready: list[Shipment] = []
    coming: list[Shipment] = []
    done: list[Shipment] = []
    for shipment in rows:
        if shipment.status == Status.STORED and shipment.point_id == point.pk:
            ready.append(shipment)
        elif shipment.status == Status.STORED or shipment.status in IN_TRANSIT:
            coming.append(shipment)
        elif len(done) < DONE_LIMIT:
            done.append(shipment)  # already newest first
    ready.sort(key=lambda s: (s.cell.address if s.cell else "", s.posting_number))
    coming.sort(key=lambda s: (s.status, s.posting_number))
    return CustomerCard(
        customer=customer,
        ready=tuple(ready),
        in_transit=tuple(
            ElsewhereParcel(shipment=s, point_name=s.point.name if s.status == Status.STORED else None)
            for s in coming
        ),
        done=tuple(done),
    )


@dataclass(frozen=True)
class FetchCell:
    address: str
    shipments: tuple[Shipment, ...]


def fetch_list(*, session: IssueSession) -> list[FetchCell]:
    """Where to fetch the customer's parcels from: STORED here and not yet scanned into the session,
    grouped by cell, sorted by cell address."""
    scanned = session.lines.values("shipment_id")
    rows = (
        Shipment.objects.filter(point_id=session.point_id, order__customer_id=session.customer_id)
        .filter(status=Status.STORED)
        .exclude(pk__in=scanned)
        .select_related("cell", "partner", "point")
        .order_by("cell__address", "posting_number")
    )
    return fetch_cells(rows)


def fetch_cells(ready: Iterable[Shipment], *, scanned: Container[int] = ()) -> list[FetchCell]:
    """`ready` parcels (sorted by cell address) grouped by cell, leaving out the `scanned` shipment ids:
    the fetch list cut from a customer card already loaded, without another query."""
    cells: dict[str, list[Shipment]] = {}
    for shipment in ready:
        if shipment.pk not in scanned:
            cells.setdefault(shipment.cell.address if shipment.cell else "—", []).append(shipment)
    return [FetchCell(address=address, shipments=tuple(items)) for address, items in cells.items()]


def session_line_counts(*, session: IssueSession) -> dict[str, int]:
    """Counts for the session header: taken, inspecting, refused lines."""
    counts = dict.fromkeys(LineState.values, 0)
    for state in session.lines.values_list("state", flat=True):
        counts[state] += 1
    return counts
