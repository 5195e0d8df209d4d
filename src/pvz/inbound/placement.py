"""Placing accepted parcels into cells: the suggestion rule and the one service both placement modes use.

Auto mode (the acceptance scan places the parcel) and manual mode (scan the parcel, then the cell label)
both call `shipment_place`; they differ only in whether a cell is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.core.logging import get_logger
from pvz.network.models import Cell, CellKind, SizeClass
from pvz.notifications.services import notification_shipment_ready
from pvz.shipments.errors import CellFull, InvalidTransition
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import TransitionResult, shipment_transition, shipment_transition_locked
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


def _at_point_elsewhere(shipment: Shipment) -> QuerySet[Shipment]:
    """The parcels in the point's cells that count towards their capacity, other than `shipment`."""
    return Shipment.objects.filter(cell__point_id=shipment.point_id, status__in=AT_POINT).exclude(
        pk=shipment.pk
    )


def _fitting_cells(shipment: Shipment, exclude: frozenset[int]) -> QuerySet[Cell]:
    """Active customer cells of the point that fit the parcel and can hold anything, by size then
    address."""
    fitting = SizeClass.values[SizeClass.rank(shipment.size_class) :]
    cells = Cell.objects.filter(
        point_id=shipment.point_id,
        kind=CellKind.REGULAR,
        is_active=True,
        size_class__in=fitting,
        capacity__gt=0,
    )
    if exclude:
        cells = cells.exclude(pk__in=exclude)
    return cells.annotate(rank=_size_rank()).order_by("rank", "address")


def _with_room(cells: QuerySet[Cell], shipment: Shipment) -> QuerySet[Cell]:
    held = (
        Shipment.objects.filter(cell=OuterRef("pk"), status__in=AT_POINT)
        .exclude(pk=shipment.pk)
        .order_by()
        .values("cell")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return cells.annotate(held=Coalesce(Subquery(held), 0)).filter(held__lt=F("capacity"))


def _suggestion_tiers(shipment: Shipment, exclude: frozenset[int]) -> Iterator[QuerySet[Cell]]:
    """The suggestion rule as querysets to try in order, each best first: the cells with room holding
    this customer's STORED parcels, the empty cells, the cells with room (built only when reached)."""
    fitting = _fitting_cells(shipment, exclude)
    holding = list(
        Shipment.objects.filter(
            order__customer_id=shipment.order.customer_id,
            status=Status.STORED,
            point_id=shipment.point_id,
            cell__isnull=False,
        )
        .values_list("cell_id", flat=True)
        .distinct()
    )
    if holding:
        yield _with_room(fitting.filter(pk__in=holding), shipment)
    # Empty: one pass over the point's parcels (a hashed subplan), not a count per cell.
    yield fitting.exclude(pk__in=_at_point_elsewhere(shipment).values("cell_id"))
    yield _with_room(fitting, shipment)


def cell_suggest(*, shipment: Shipment, exclude: frozenset[int] = frozenset()) -> Cell | None:
    """Where to put an accepted parcel: first a cell that already holds this customer's parcels (so the
    customer's order is fetched from one place), else an empty cell of the smallest fitting size, else
    the smallest fitting cell with room. Never a cell at capacity, a retired cell or a special place."""
    for tier in _suggestion_tiers(shipment, exclude):
        cell = tier.first()
        if cell is not None:
            return cell
    return None


def _cell_take(shipment: Shipment, exclude: frozenset[int]) -> Cell | None:
    """`cell_suggest`, locking the cell it returns. A candidate that a concurrent placement has locked is
    passed over for the next one of its tier (on PostgreSQL, `SKIP LOCKED`), so the placements of a point
    spread over cells instead of queueing on one; only when every candidate of the tier is locked does it
    wait for the first."""
    for tier in _suggestion_tiers(shipment, exclude):
        cell = tier.select_for_update(of=("self",), skip_locked=True).first()
        if cell is None and connection.features.has_select_for_update_skip_locked:
            cell = tier.select_for_update(of=("self",)).first()
        if cell is not None:
            return cell
    return None


def shipment_place(
    *,
    actor: User | None,
    shipment_id: int,
    cell: Cell | None = None,
    idempotency_key: str | None = None,
) -> Placement:
    """ACCEPTED → STORED into `cell`, or into the suggested cell when none is given; creates the
    customer's "ready for pickup" notification in the same transaction."""
    with transaction.atomic():
        if idempotency_key and ShipmentEvent.objects.filter(idempotency_key=idempotency_key).exists():
            # A replay answers with the first result (or IDEMPOTENCY_MISMATCH) and suggests nothing.
            result = shipment_transition(
                actor=actor, shipment_id=shipment_id, to_status=Status.STORED, idempotency_key=idempotency_key
            )
            placed_cell = result.shipment.cell
            assert placed_cell is not None  # STORED always has a cell
            placement = Placement(result.shipment, placed_cell, result.event, cell is None, result.replayed)
        else:
            shipment = (
                Shipment.objects.select_for_update(of=("self",))
                .select_related("order__customer", "point", "partner")
                .filter(pk=shipment_id)
                .first()
            )
            if shipment is None:
                raise NotFound(details={"shipment_id": shipment_id})
            placement = shipment_place_locked(
                actor=actor, shipment=shipment, cell=cell, idempotency_key=idempotency_key
            )
    return placement


def shipment_place_locked(
    *,
    actor: User | None,
    shipment: Shipment,
    cell: Cell | None = None,
    idempotency_key: str | None = None,
    push: bool = True,
) -> Placement:
    """`shipment_place` for a caller that holds the shipment's row lock in its open transaction (loaded
    with `order__customer`, `point` and `partner`) and knows `idempotency_key` is unused. With no `cell`,
    NO_FREE_CELL is raised before anything is written, so the caller may catch it and go on."""
    if shipment.status != Status.ACCEPTED:
        raise InvalidTransition(details={"from": shipment.status, "to": Status.STORED})
    result = _place(actor=actor, shipment=shipment, cell=cell, idempotency_key=idempotency_key, push=push)
    notification_shipment_ready(shipment=result.shipment)
    placed_cell = result.shipment.cell
    assert placed_cell is not None  # STORED always has a cell
    log.info("shipment_placed", shipment_id=shipment.pk, cell=placed_cell.address, suggested=cell is None)
    return Placement(result.shipment, placed_cell, result.event, cell is None)


def _place(
    *, actor: User | None, shipment: Shipment, cell: Cell | None, idempotency_key: str | None, push: bool
) -> TransitionResult:
    if cell is not None:
        return shipment_transition_locked(
            actor=actor,
            shipment=shipment,
            to_status=Status.STORED,
            cell=cell,
            idempotency_key=idempotency_key,
            reason="placed",
            push=push,
        )
    tried: set[int] = set()
    for _attempt in range(SUGGESTION_ATTEMPTS):
        target = _cell_take(shipment, frozenset(tried))
        if target is None:
            break
        try:
            # CellFull is raised by the capacity check before anything is written: no savepoint needed.
            return shipment_transition_locked(
                actor=actor,
                shipment=shipment,
                to_status=Status.STORED,
                cell=target,
                idempotency_key=idempotency_key,
                reason="placed",
                push=push,
            )
        except CellFull:
            tried.add(target.pk)
    raise NoFreeCell(details={"size_class": shipment.size_class})
