"""Placing accepted parcels into cells: the suggestion rule and the one service both placement modes use.

Auto mode (the acceptance scan places the parcel) and manual mode (scan the parcel, then the cell label)
both call `shipment_place`; they differ only in whether a cell is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.core.logging import get_logger
from pvz.network.models import Cell, CellKind, SizeClass
from pvz.notifications.services import notification_shipment_ready
from pvz.shipments.errors import CellFull, InvalidTransition
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import TransitionResult, shipment_transition
from pvz.shipments.statuses import AT_POINT, Status

log = get_logger(__name__)

# A suggestion can go stale between choosing and locking the cell when several operators place at once;
# the cell lock re-checks capacity, and the next suggestion is tried.
SUGGESTION_ATTEMPTS = 3


class NoFreeCell(DomainError):
    code = ErrorCode.NO_FREE_CELL
    default_message = _("Нет свободной ячейки подходящего размера. Освободите место или добавьте ячейки.")


@dataclass(frozen=True)
class Placement:
    shipment: Shipment
    cell: Cell
    event: ShipmentEvent
    suggested: bool
    replayed: bool = False


def _size_rank() -> Case:
    return Case(
        *(When(size_class=value, then=Value(rank)) for rank, value in enumerate(SizeClass.values)),
        output_field=IntegerField(),
    )


def _candidate_cells(shipment: Shipment) -> QuerySet[Cell]:
    """Active customer cells of the point that fit the parcel, with how many parcels each holds."""
    fitting = SizeClass.values[SizeClass.rank(shipment.size_class) :]
    return (
        Cell.objects.filter(
            point_id=shipment.point_id, kind=CellKind.REGULAR, is_active=True, size_class__in=fitting
        )
        .annotate(
            held=Count("shipments", filter=Q(shipments__status__in=AT_POINT) & ~Q(shipments__pk=shipment.pk)),
            rank=_size_rank(),
        )
        .filter(held__lt=F("capacity"))
    )


def cell_suggest(*, shipment: Shipment, exclude: frozenset[int] = frozenset()) -> Cell | None:
    """Where to put an accepted parcel: first a cell that already holds this customer's parcels (so the
    customer's order is fetched from one place), else an empty cell of the smallest fitting size, else
    the smallest fitting cell with room. Never a cell at capacity, a retired cell or a special place."""
    candidates = _candidate_cells(shipment).exclude(pk__in=exclude)
    customer_id = shipment.order.customer_id
    same_customer = (
        candidates.filter(
            shipments__order__customer_id=customer_id,
            shipments__status=Status.STORED,
            shipments__point_id=shipment.point_id,
        )
        .distinct()
        .order_by("rank", "address")
        .first()
    )
    if same_customer is not None:
        return same_customer
    return candidates.order_by(
        Case(When(held=0, then=Value(0)), default=Value(1), output_field=IntegerField()), "rank", "address"
    ).first()


def shipment_place(
    *,
    actor: User | None,
    shipment_id: int,
    cell: Cell | None = None,
    idempotency_key: str | None = None,
) -> Placement:
    """ACCEPTED → STORED into `cell`, or into the suggested cell when none is given; creates the
    customer's "ready for pickup" notification in the same transaction."""
    suggested = cell is None
    with transaction.atomic():
        if idempotency_key and ShipmentEvent.objects.filter(idempotency_key=idempotency_key).exists():
            # A replay answers with the first result (or IDEMPOTENCY_MISMATCH) and suggests nothing.
            result = shipment_transition(
                actor=actor, shipment_id=shipment_id, to_status=Status.STORED, idempotency_key=idempotency_key
            )
        else:
            shipment = Shipment.objects.select_related("order", "point").filter(pk=shipment_id).first()
            if shipment is None:
                raise NotFound(details={"shipment_id": shipment_id})
            if shipment.status != Status.ACCEPTED:
                raise InvalidTransition(details={"from": shipment.status, "to": Status.STORED})
            result = _place(actor=actor, shipment=shipment, cell=cell, idempotency_key=idempotency_key)
            notification_shipment_ready(shipment=result.shipment)
    placed_cell = result.shipment.cell
    assert placed_cell is not None  # STORED always has a cell
    log.info("shipment_placed", shipment_id=shipment_id, cell=placed_cell.address, suggested=suggested)
    return Placement(result.shipment, placed_cell, result.event, suggested, result.replayed)


def _place(
    *, actor: User | None, shipment: Shipment, cell: Cell | None, idempotency_key: str | None
) -> TransitionResult:
    if cell is not None:
        return shipment_transition(
            actor=actor,
            shipment_id=shipment.pk,
            to_status=Status.STORED,
            cell=cell,
            idempotency_key=idempotency_key,
            reason="placed",
        )
    tried: set[int] = set()
    for _attempt in range(SUGGESTION_ATTEMPTS):
        target = cell_suggest(shipment=shipment, exclude=frozenset(tried))
        if target is None:
            break
        try:
            return shipment_transition(
                actor=actor,
                shipment_id=shipment.pk,
                to_status=Status.STORED,
                cell=target,
                idempotency_key=idempotency_key,
                reason="placed",
            )
        except CellFull:
            tried.add(target.pk)
    raise NoFreeCell(details={"size_class": shipment.size_class})
