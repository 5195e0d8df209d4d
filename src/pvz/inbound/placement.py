"""Placing accepted parcels into cells: the suggestion rule and the one service both placement modes use.

Auto mode (the acceptance scan places the parcel) and manual mode (scan the parcel, then the cell label)
both call `shipment_place`; they differ only in whether a cell is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.core.logging import get_logger
from pvz.core.sql import fetch_one
from pvz.network.models import Cell, SizeClass
from pvz.notifications.services import notification_shipment_ready
from pvz.shipments.errors import CellFull, InvalidTransition
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import TransitionResult, shipment_transition, shipment_transition_locked
from pvz.shipments.statuses import AT_POINT, Status

log = get_logger(__name__)

# A suggestion can go stale between choosing and locking the cell when several operators place at once;
# the cell lock re-checks capacity, and the next suggestion is tried.
SUGGESTION_ATTEMPTS = 3
# Candidates passed over because a concurrent placement holds them, before waiting for one.
TAKE_ATTEMPTS = 8


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


def _fitting_sizes(shipment: Shipment) -> list[str]:
    """The size classes that fit the parcel, smallest first (the rule's order)."""
    return list(SizeClass.values[SizeClass.rank(shipment.size_class) :])


def _own_cell(shipment: Shipment) -> int | None:
    """The cell whose `held` counts the parcel itself (an ACCEPTED parcel taken off the shelf again keeps
    its cell): the rule counts other parcels only, so that cell is judged without it."""
    return shipment.cell_id if shipment.cell_id and shipment.status in AT_POINT else None


def _tier_branches(shipment: Shipment, exclude: frozenset[int]) -> tuple[list[str], list[object]]:
    """The suggestion rule as one UNION ALL of index probes (built from constants and placeholders only),
    each giving at most one cell with its tier
    and size rank: the customer's cells with room (tier 0), then per fitting size the first empty cell
    (tier 1) and the first cell with room (tier 2) by address. Each probe walks a partial index of
    cells that are empty or have room (`cell_empty_idx`, `cell_room_idx`) or the customer's few rows, so
    its cost does not grow with the parcels or the full cells of the point."""
    sizes = _fitting_sizes(shipment)
    own = _own_cell(shipment) or 0
    not_excluded = f" AND c.id NOT IN ({', '.join(['%s'] * len(exclude))})" if exclude else ""
    regular = "c.point_id = %s AND c.kind = 'regular' AND c.is_active AND c.capacity > 0"
    whens = " ".join(f"WHEN '{size}' THEN {n}" for n, size in enumerate(SizeClass.values))
    rank = f"CASE c.size_class {whens} END"
    branches: list[str] = []
    params: list[object] = []
    # Tier 0: cells holding this customer's STORED parcels (CustomerCell), with room without the parcel.
    branches.append(
        f"SELECT * FROM (SELECT c.id, 0 AS tier, {rank} AS size_rank, c.address FROM network_cell c "  # noqa: S608
        "JOIN shipments_customercell cc ON cc.cell_id = c.id "
        f"WHERE cc.customer_id = %s AND {regular} AND c.size_class IN ({', '.join(['%s'] * len(sizes))}) "
        f"AND c.held - CASE WHEN c.id = %s THEN 1 ELSE 0 END < c.capacity{not_excluded} "
        "ORDER BY size_rank, c.address LIMIT 1) AS t0"
    )
    params += [shipment.order.customer_id, shipment.point_id, *sizes, own, *exclude]
    for n, size in enumerate(sizes, start=1):
        for tier, has_room in ((1, "c.held = 0"), (2, "c.held < c.capacity")):
            branches.append(
                f"SELECT * FROM (SELECT c.id, {tier} AS tier, {SizeClass.rank(size)} AS size_rank, c.address "  # noqa: S608
                f"FROM network_cell c WHERE {regular} AND c.size_class = %s AND {has_room}{not_excluded} "
                f"ORDER BY c.address LIMIT 1) AS t{tier}_{n}"
            )
            params += [shipment.point_id, size, *exclude]
    if own:
        # The parcel's own cell, judged without the parcel: empty when it holds nothing else, and with
        # room in any case (it held the parcel).
        branches.append(
            f"SELECT c.id, CASE WHEN c.held = 1 THEN 1 ELSE 2 END AS tier, {rank} AS size_rank, c.address "  # noqa: S608
            f"FROM network_cell c WHERE c.id = %s AND {regular} "
            f"AND c.size_class IN ({', '.join(['%s'] * len(sizes))}){not_excluded}"
        )
        params += [own, shipment.point_id, *sizes, *exclude]
    return branches, params


def _best_cell_id(shipment: Shipment, exclude: frozenset[int]) -> int | None:
    branches, params = _tier_branches(shipment, exclude)
    sql = " UNION ALL ".join(branches) + " ORDER BY tier, size_rank, address LIMIT 1"
    row = fetch_one(sql, params)
    return None if row is None else int(row[0])


def cell_suggest(*, shipment: Shipment, exclude: frozenset[int] = frozenset()) -> Cell | None:
    """Where to put an accepted parcel: first a cell that already holds this customer's parcels (so the
    customer's order is fetched from one place), else an empty cell of the smallest fitting size, else
    the smallest fitting cell with room. Never a cell at capacity, a retired cell or a special place."""
    best = _best_cell_id(shipment, exclude)
    return None if best is None else Cell.objects.get(pk=best)


def _cell_take(shipment: Shipment, exclude: frozenset[int]) -> Cell | None:
    """`cell_suggest`, locking the cell it returns. A candidate that a concurrent placement has locked is
    passed over for the next best (on PostgreSQL, `SKIP LOCKED`), so the placements of a point spread over
    cells instead of queueing on one; only when several candidates in a row are taken does it wait for
    the best one. Under the lock the cell is read afresh; the capacity check that follows decides."""
    skipped: set[int] = set(exclude)
    skip_locked = connection.features.has_select_for_update_skip_locked
    for attempt in range(TAKE_ATTEMPTS):
        best = _best_cell_id(shipment, frozenset(skipped))
        if best is None:
            return None
        wait = not skip_locked or attempt == TAKE_ATTEMPTS - 1
        cell = Cell.objects.select_for_update(skip_locked=not wait).filter(pk=best).first()
        if cell is not None:
            return cell
        skipped.add(best)
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
