"""Placement endpoints: where an accepted parcel should go, placing it, moving it, and the operator's mode.

Scoping: a shipment (or cell) of a point the caller does not work at is 404 NOT_FOUND, never 403; at a
point the caller works at, acting needs the `operate` permission there (else 403 PERMISSION_DENIED).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.accounts.services import user_set_auto_placement
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, SELF_READ_ERRORS, WRITE_ERRORS, ErrorOut
from pvz.api.idempotency import event_key, idempotent
from pvz.api.permissions import Lookup, requires, requires_sign_in, subject_of
from pvz.core.errors import NotFound
from pvz.core.scan import normalize_scan
from pvz.inbound.placement import NoFreeCell, cell_suggest
from pvz.inbound.services import shipment_place_as
from pvz.network.models import Cell, PickupPoint
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.selectors import shipment_get
from pvz.shipments.services import shipment_move
from pvz.shipments.statuses import Status

router = Router(tags=["placement"])

_CELL_DESCRIPTION = (
    "Cell address as printed on its label or scanned (e.g. `A-03-2`); the keyboard layout is fixed and "
    "letters upper-cased first, so `ф-03-2` finds `A-03-2`."
)


class SuggestedCellOut(Schema):
    address: str = Field(description="Cell address, e.g. A-03-2.")
    size_class: str = Field(description="Size class of the cell: S, M, L or XL.")
    capacity: int = Field(description="How many parcels the cell holds.")
    free: int = Field(description="Places left in the cell now.")


class SuggestionOut(Schema):
    shipment_id: int
    cell: SuggestedCellOut


class PlaceIn(Schema):
    cell: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description=f"{_CELL_DESCRIPTION} Null or absent: the suggested cell is used (auto placement).",
    )


class PlacedOut(Schema):
    shipment_id: int
    status: str = Field(description="STORED.")
    cell: str = Field(description="Address of the cell the parcel was put in.")
    suggested: bool = Field(description="True when the system chose the cell (no cell was given).")


class MoveIn(Schema):
    cell: str = Field(min_length=1, max_length=32, description=_CELL_DESCRIPTION)


class MovedOut(Schema):
    shipment_id: int
    status: str = Field(description="Unchanged by a move, e.g. STORED.")
    cell: str = Field(description="Address of the cell the parcel is in now.")
    from_cell: str | None = Field(description="Address of the cell it was taken from.")


class PlacementModeIO(Schema):
    auto: bool = Field(
        description=(
            "«Автораспределение»: true — scanning a parcel places it in the suggested cell at once; "
            "false — scan the parcel, then the cell label."
        )
    )


# A parcel named in the path: of one of the caller's points (else 404), the permission checked at its point
# by `@requires(…, via=SHIPMENT)`.
SHIPMENT = Lookup("shipment_id", lambda user, shipment_id: shipment_get(user=user, shipment_id=shipment_id))


def _cell_at(point: PickupPoint, raw: str) -> Cell:
    address = normalize_scan(raw).upper()
    cell = Cell.objects.filter(point=point, address=address).first()
    if cell is None:
        raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": address or raw})
    return cell


@router.get(
    "/shipments/{shipment_id}/placement-suggestion",
    response={200: SuggestionOut, **READ_BY_ID_ERRORS, 409: ErrorOut},
    operation_id="placement_suggestion_get",
    summary="Suggested cell for an accepted parcel",
    description=(
        "The cell the system would put this ACCEPTED parcel in: a cell already holding this customer's "
        "parcels, else an empty cell of the smallest fitting size, else the smallest fitting cell with room. "
        "Suggests only; nothing is reserved. 409 NO_FREE_CELL when no active cell fits and has room; "
        "409 INVALID_TRANSITION when the parcel is not ACCEPTED."
    ),
)
@requires(Perm.OPERATE, via=SHIPMENT)
def placement_suggestion_get(request: HttpRequest, shipment_id: int) -> SuggestionOut:
    shipment = subject_of(request, Shipment)
    if shipment.status != Status.ACCEPTED:
        raise InvalidTransition(details={"from": shipment.status, "to": Status.STORED})
    cell = cell_suggest(shipment=shipment)
    if cell is None:
        raise NoFreeCell(details={"size_class": shipment.size_class})
    return SuggestionOut(
        shipment_id=shipment.pk,
        cell=SuggestedCellOut(
            address=cell.address,
            size_class=cell.size_class,
            capacity=cell.capacity,
            free=max(cell.capacity - cell.held, 0),
        ),
    )


@router.post(
    "/shipments/{shipment_id}/place",
    response={200: PlacedOut, **WRITE_ERRORS},
    operation_id="shipment_place",
    summary="Place an accepted parcel in a cell",
    description=(
        "ACCEPTED → STORED. With `cell` the parcel goes into that cell if it fits and has room "
        "(409 CELL_FULL, 422 CELL_TOO_SMALL, 404 NOT_FOUND for an unknown cell or one of another point); "
        "without it, into the suggested cell (409 NO_FREE_CELL when none). Both obey the same rules. "
        "The customer's ready-for-pickup notification is queued in the same transaction. 409 "
        "INVALID_TRANSITION when the parcel is not ACCEPTED."
    ),
)
@idempotent
@requires(
    Perm.OPERATE, checked_by="the placing service, in the round trip of the placement itself (hot path)"
)
def shipment_place_post(request: HttpRequest, shipment_id: int, payload: PlaceIn) -> PlacedOut:
    user = caller(request)
    placement = shipment_place_as(
        actor=user,
        shipment_id=shipment_id,
        cell_code=payload.cell,
        idempotency_key=event_key(request, user, "place"),
    )
    return PlacedOut(
        shipment_id=placement.shipment.pk,
        status=placement.shipment.status,
        cell=placement.cell.address,
        suggested=placement.suggested,
    )


@router.post(
    "/shipments/{shipment_id}/move",
    response={200: MovedOut, **WRITE_ERRORS},
    operation_id="shipment_move",
    summary="Move a parcel to another cell",
    description=(
        "Puts a parcel that is at the point into another place without changing its status: a STORED "
        "parcel into another customer cell under the same fit and capacity rules as placing it (409 "
        "CELL_FULL, 422 CELL_TOO_SMALL), any other parcel at the point into a special place. 409 "
        "INVALID_TRANSITION for a parcel that is not on a shelf here (e.g. ACCEPTED: place it instead)."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=SHIPMENT)
def shipment_move_post(request: HttpRequest, shipment_id: int, payload: MoveIn) -> MovedOut:
    user, shipment = caller(request), subject_of(request, Shipment)
    cell = _cell_at(shipment.point, payload.cell)
    from_cell = shipment.cell.address if shipment.cell else None
    result = shipment_move(
        actor=user,
        shipment_id=shipment.pk,
        cell=cell,
        reason="moved",
        idempotency_key=event_key(request, user, "move"),
    )
    return MovedOut(
        shipment_id=result.shipment.pk, status=result.shipment.status, cell=cell.address, from_cell=from_cell
    )


@router.get(
    "/me/placement-mode",
    response={200: PlacementModeIO, **SELF_READ_ERRORS},
    operation_id="placement_mode_get",
    summary="Caller's placement mode",
    description="Whether «Автораспределение» (auto placement) is on for the signed-in user.",
)
@requires_sign_in
def placement_mode_get(request: HttpRequest) -> PlacementModeIO:
    return PlacementModeIO(auto=caller(request).auto_placement)


@router.put(
    "/me/placement-mode",
    response={200: PlacementModeIO, **SELF_READ_ERRORS, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    operation_id="placement_mode_set",
    summary="Switch the caller's placement mode",
    description="Turns «Автораспределение» on or off for the signed-in user; it follows them to every point.",
)
@idempotent
@requires_sign_in
def placement_mode_set(request: HttpRequest, payload: PlacementModeIO) -> PlacementModeIO:
    user = user_set_auto_placement(actor=caller(request), user=caller(request), enabled=payload.auto)
    return PlacementModeIO(auto=user.auto_placement)
