"""Cell endpoints: occupancy, bulk creation from a pattern, size and capacity, retiring, labels."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS
from pvz.api.idempotency import idempotent
from pvz.api.permissions import Lookup, point_of, requires, subject_of
from pvz.api.rendering import pdf_answer, pdf_documented
from pvz.cells.selectors import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    MAX_CELLS_PER_BULK,
    RACK_MAX,
    RACK_MIN,
    SHELF_MAX,
    SHELF_MIN,
    CellOccupancy,
    cell_contents,
    cell_get,
    cells_for_labels,
    cells_occupancy,
    occupancy_totals,
)
from pvz.cells.services import cell_retire, cell_update, cells_create_bulk
from pvz.network.labels import MAX_LABELS, LabelLayout, cell_labels_pdf
from pvz.network.models import Cell
from pvz.network.services import special_places_ensure

router = Router(tags=["cells"])

# A cell named in the path: one of the caller's points (else 404), checked by `@requires(…, via=CELL)`.
CELL = Lookup("cell_id", lambda user, cell_id: cell_get(user=user, point=None, cell_id=cell_id))

SizeClassCode = Literal["S", "M", "L", "XL"]


class CellOut(Schema):
    id: int
    address: str = Field(description="`<zone>-<rack>-<shelf>`, e.g. A-03-2; special places have a name.")
    zone: str = Field(description="The address up to the first dash; a special place is its own zone.")
    kind: str = Field(
        description="regular, or a special place: inspection, return_zone, transit, consumables."
    )
    size_class: str = Field(description="Largest parcel size the cell takes: S, M, L or XL.")
    capacity: int = Field(description="How many parcels the cell holds at most.")
    held: int = Field(description="Parcels physically in the cell now.")
    free: int
    fill: float = Field(description="held / capacity, 0.0–1.0.")
    is_active: bool = Field(description="False once retired: never suggested or accepted for placement.")

    @classmethod
    def of(cls, row: CellOccupancy) -> CellOut:
        cell = row.cell
        return cls(
            id=cell.pk,
            address=cell.address,
            zone=row.zone,
            kind=cell.kind,
            size_class=cell.size_class,
            capacity=cell.capacity,
            held=row.held,
            free=row.free,
            fill=round(row.fill, 4),
            is_active=cell.is_active,
        )


class SizeTotalOut(Schema):
    size_class: str
    cells: int
    capacity: int
    held: int
    free: int


class CellsOut(Schema):
    cells: list[CellOut] = Field(description="Ordered by address.")
    totals: list[SizeTotalOut] = Field(description="Active customer cells summed per size class.")


class CellsQuery(Schema):
    zone: str | None = Field(default=None, max_length=4, description="Only this zone, e.g. A.")
    include_retired: bool = Field(default=False, description="Also list retired cells.")


class SpanIn(Schema):
    first: int = Field(description="First number, inclusive.")
    last: int = Field(description="Last number, inclusive.")


class CellsBulkIn(Schema):
    zones: list[str] = Field(
        min_length=1,
        max_length=26,
        description="Zone letters, 1–2 Latin letters each; the Russian keyboard layout is fixed (ф → A).",
    )
    racks: SpanIn = Field(description=f"Rack numbers, {RACK_MIN}–{RACK_MAX}; printed as two digits.")
    shelves: SpanIn = Field(description=f"Shelf numbers, {SHELF_MIN}–{SHELF_MAX}.")
    size_class: SizeClassCode
    capacity: int = Field(description=f"Parcels per cell, {CAPACITY_MIN}–{CAPACITY_MAX}.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "zones": ["A", "B"],
                    "racks": {"first": 1, "last": 4},
                    "shelves": {"first": 1, "last": 3},
                    "size_class": "S",
                    "capacity": 12,
                }
            ]
        }
    }


class CellsCreatedOut(Schema):
    created: int
    cells: list[CellOut]


class CellUpdateIn(Schema):
    size_class: SizeClassCode | None = Field(default=None, description="New size class; omit to keep.")
    capacity: int | None = Field(default=None, description="New capacity; omit to keep.")

    model_config = {"json_schema_extra": {"examples": [{"capacity": 8}, {"size_class": "L"}]}}


class LabelsQuery(Schema):
    zone: str | None = Field(default=None, max_length=4, description="Labels of one zone, e.g. A.")
    ids: list[int] | None = Field(default=None, description="Labels of these cells (repeat `ids`).")
    layout: LabelLayout = Field(
        default=LabelLayout.A4,
        description="`a4`: 3 × 8 labels of 70 × 37 mm per A4 sheet; `58x40`: one 58 × 40 mm label a page.",
    )


def _cell_out(cell: Cell) -> CellOut:
    return CellOut.of(CellOccupancy(cell=cell, held=cell_contents(cell=cell).held))


@router.get(
    "/points/{point_id}/cells",
    response={200: CellsOut, **READ_ERRORS},
    operation_id="cells_list",
    summary="Cells of a point with their occupancy",
    description=(
        "Active cells (and with `include_retired`, retired ones) of a point the caller works at, ordered by "
        "address, each with the parcels it holds now, plus totals per size class. Another point is 404. "
        "Needs the view-point permission."
    ),
)
@requires(Perm.VIEW_POINT)
def cells_list(request: HttpRequest, point_id: int, query: Query[CellsQuery]) -> CellsOut:
    point = point_of(request)
    rows = cells_occupancy(point=point, zone=query.zone, include_retired=query.include_retired)
    return CellsOut(
        cells=[CellOut.of(row) for row in rows],
        totals=[
            SizeTotalOut(
                size_class=t.size_class, cells=t.cells, capacity=t.capacity, held=t.held, free=t.free
            )
            for t in occupancy_totals(rows)
        ],
    )


@router.post(
    "/points/{point_id}/cells/bulk",
    response={201: CellsCreatedOut, **WRITE_ERRORS},
    operation_id="cells_create_bulk",
    summary="Create cells from a pattern",
    description=(
        "Creates `<zone>-<rack:02d>-<shelf>` for every zone × rack × shelf (at most "
        f"{MAX_CELLS_PER_BULK} a call), all with the same size class and capacity. All or nothing: when "
        "any address already exists at the point (retired cells included), nothing is created and the "
        "answer is 422 VALIDATION_FAILED with `details.clashes`. Needs the manage-point permission."
    ),
)
@idempotent
@requires(Perm.MANAGE_POINT)
def cells_bulk(request: HttpRequest, point_id: int, payload: CellsBulkIn) -> Status[Any]:
    user = caller(request)
    point = point_of(request)
    cells = cells_create_bulk(
        actor=user,
        point=point,
        zones=payload.zones,
        racks=(payload.racks.first, payload.racks.last),
        shelves=(payload.shelves.first, payload.shelves.last),
        size_class=payload.size_class,
        capacity=payload.capacity,
    )
    rows = [CellOut.of(CellOccupancy(cell=cell, held=0)) for cell in cells]
    return Status(201, CellsCreatedOut(created=len(rows), cells=rows))


@router.post(
    "/points/{point_id}/cells/special-places",
    response={200: list[CellOut], **WRITE_ERRORS},
    operation_id="cells_special_places_ensure",
    summary="Make sure the point has its special places",
    description=(
        "Creates the four special places (INSPECTION «На проверку», RETURNS «Возврат», TRANSIT «Прямой "
        "поток», CONSUMABLES «Расходники») when missing; running it again changes nothing. Needs the "
        "manage-point permission."
    ),
)
@idempotent
@requires(Perm.MANAGE_POINT)
def cells_special_places(request: HttpRequest, point_id: int) -> list[CellOut]:
    user = caller(request)
    point = point_of(request)
    return [_cell_out(cell) for cell in special_places_ensure(actor=user, point=point)]


@router.patch(
    "/cells/{cell_id}",
    response={200: CellOut, **WRITE_ERRORS},
    operation_id="cells_update",
    summary="Change a cell's size class or capacity",
    description=(
        "Capacity cannot go below the parcels the cell holds now (exactly that many is allowed); the size "
        "class cannot go below the largest parcel in it. Both answer 422 VALIDATION_FAILED with the numbers "
        "in `details`. Retired cells and special places cannot be changed. Needs the manage-point permission."
    ),
)
@idempotent
@requires(Perm.MANAGE_POINT, via=CELL)
def cells_update(request: HttpRequest, cell_id: int, payload: CellUpdateIn) -> CellOut:
    user, cell = caller(request), subject_of(request, Cell)
    cell = cell_update(actor=user, cell=cell, size_class=payload.size_class, capacity=payload.capacity)
    return _cell_out(cell)


@router.post(
    "/cells/{cell_id}/retire",
    response={200: CellOut, **WRITE_ERRORS},
    operation_id="cells_retire",
    summary="Retire an empty cell",
    description=(
        "Takes a customer cell out of work: it is never suggested or accepted for placement again, and its "
        "history stays. Only an empty cell: one that holds parcels is 409 CONFLICT with `details.held`. "
        "Retiring a retired cell changes nothing. Needs the manage-point permission."
    ),
)
@idempotent
@requires(Perm.MANAGE_POINT, via=CELL)
def cells_retire(request: HttpRequest, cell_id: int) -> CellOut:
    user, cell = caller(request), subject_of(request, Cell)
    return _cell_out(cell_retire(actor=user, cell=cell))


@router.get(
    "/points/{point_id}/cells/labels.pdf",
    response={200: None, **READ_ERRORS},
    operation_id="cells_labels_pdf",
    summary="Printable cell labels (PDF)",
    description=(
        "A PDF with one label per active cell: the address in large type, a Code128 barcode and a QR code "
        "of the address. Choose cells by `zone` or by `ids` (all active cells when neither), at most "
        f"{MAX_LABELS} labels a file. A cell id of another point is 404. Needs the view-point permission."
    ),
    openapi_extra=pdf_documented("The labels."),
)
@requires(Perm.VIEW_POINT)
def cells_labels(request: HttpRequest, point_id: int, query: Query[LabelsQuery]) -> HttpResponse:
    point = point_of(request)
    cells = cells_for_labels(point=point, zone=query.zone, ids=query.ids)
    pdf = cell_labels_pdf(cells=cells, layout=query.layout)
    return pdf_answer(pdf, f"cells-{point.code}-{query.zone or 'all'}.pdf")
