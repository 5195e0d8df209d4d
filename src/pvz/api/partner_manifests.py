"""Manifest ingest on the partner API: a direct carriage with its totes and shipments, as JSON
(POST /api/v1/partner/carriages) or as a CSV upload (POST /api/v1/partner/carriages/csv).

Both are validated as a whole by `pvz.partners.manifests.manifest_ingest`: any bad line → 422
MANIFEST_INVALID with `details.errors` = [{line, field, code, message}] and nothing stored; a carriage
number the partner already has → 409 CONFLICT (a retry of a request whose answer was lost gets that too:
the carriage number is the idempotency key here). The JSON body is read by the handler itself, so that
per-line errors come out in that one shape, with its own size limit (PVZ_PARTNER_MANIFEST_MAX_BYTES,
20 MB: 10 000 shipments) instead of the site-wide DATA_UPLOAD_MAX_MEMORY_SIZE; larger → 413.

POST /carriages lives on the partner router (`pvz.api.partner.router`, same path as the carriage list);
/carriages/csv has its own router, added before that one so that `{number}` does not catch "csv".
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BaseModel, ConfigDict, Field

from pvz.api.idempotency import idempotent
from pvz.api.partner import PARTNER_WRITE_ERRORS
from pvz.api.partner import router as partner_router
from pvz.api.partner_auth import partner_auth, partner_of, requires_partner
from pvz.inbound.models import Carriage
from pvz.partners.manifest_csv import CSV_COLUMNS, manifest_from_csv
from pvz.partners.manifests import MANIFEST_MAX_LINES, ManifestInvalid, manifest_ingest

router = Router(tags=["partner"], auth=partner_auth)


# ---- schemas (documentation of the body the handler parses itself) ----------------------------------


class ManifestCustomerIn(BaseModel):
    phone: str = Field(description="Any common format; stored as E.164 (+79161234567).", max_length=32)
    name: str = Field(default="", max_length=200, description="As the customer gave it.")


class ManifestShipmentIn(BaseModel):
    posting_number: str = Field(max_length=40, description="Unique per partner, e.g. 12345678-0001-1.")
    barcode: str = Field(max_length=40, description="Label barcode, unique per partner (case-insensitive).")
    order_number: str = Field(max_length=40, description="Shipments of one order share it.")
    customer: ManifestCustomerIn
    size_class: str = Field(description="S, M, L or XL.")
    weight_g: int = Field(gt=0, le=1_000_000, description="Grams, more than 0.")
    declared_value_kop: int = Field(default=0, ge=0, description="Kopecks, not negative.")
    amount_due_kop: int = Field(default=0, ge=0, description="To collect at pickup, kopecks; 0 = prepaid.")
    category: str = Field(default="", max_length=60)
    tote: str | None = Field(default=None, max_length=40, description="Tote barcode; null = travels loose.")
    id_check_required: bool = Field(
        default=False, description="Recipient shows an ID; forced above the partner's threshold."
    )
    try_on_allowed: bool = Field(
        default=False, description="The customer may try it on at the point (inspecting is always allowed)."
    )
    partial_refusal_allowed: bool = Field(
        default=True,
        description="false: the order is taken whole or refused whole; one visit cannot split it.",
    )
    fragile: bool = Field(
        default=False, description="Handle with care: shown at acceptance and at the counter."
    )


class ManifestIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "carriage_number": "CAR-20261127001",
                    "point": "msk-tverskaya-1",
                    "eta": "2026-11-28T14:30:00+03:00",
                    "shipments": [
                        {
                            "posting_number": "48213377-0001-1",
                            "barcode": "ii12345678901",
                            "order_number": "48213377",
                            "customer": {"phone": "+79161234567", "name": "Анна Иванова"},
                            "size_class": "S",
                            "weight_g": 350,
                            "declared_value_kop": 249000,
                            "amount_due_kop": 0,
                            "category": "Одежда",
                            "tote": "%101%12345678901",
                            "id_check_required": False,
                            "try_on_allowed": True,
                            "partial_refusal_allowed": True,
                            "fragile": False,
                        }
                    ],
                }
            ]
        }
    )
    carriage_number: str = Field(max_length=40, description="Unique per partner; stored upper-case.")
    point: str = Field(description="Code of a pickup point the partner works with.")
    eta: dt.datetime | None = Field(default=None, description="Expected arrival, ISO 8601 with offset.")
    shipments: list[ManifestShipmentIn] = Field(max_length=MANIFEST_MAX_LINES)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `$ref` to a local definition replaced by the definition itself."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def _body_schema() -> dict[str, Any]:
    """The request body for OpenAPI: the handler parses the JSON itself (for per-line errors), so the
    shape is documented here rather than by a body parameter."""
    schema = ManifestIn.model_json_schema()
    body = _inline(schema, schema.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


class ManifestOut(Schema):
    id: int
    number: str = Field(description="The carriage number, upper-case.")
    point: str = Field(description="Point code.")
    status: str = Field(description="in_transit: the shipments are EXPECTED at the point.")
    eta: dt.datetime | None
    shipments: int = Field(description="Shipments created.")
    totes: int = Field(description="Totes the carriage brings.")


def _out(carriage: Carriage) -> ManifestOut:
    return ManifestOut(
        id=carriage.pk,
        number=carriage.number,
        point=carriage.point.code,
        status=carriage.status,
        eta=carriage.eta,
        shipments=carriage.manifest_lines.count(),
        totes=carriage.manifest_totes.count(),
    )


def _max_bytes() -> int:
    return int(settings.PVZ_PARTNER_MANIFEST_MAX_BYTES)


def _json_body(request: HttpRequest) -> Any:
    # Read and size-checked by @idempotent(max_body=...) before the handler runs.
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        message = str(_("Тело запроса должно быть JSON."))
        raise ManifestInvalid(
            details={"errors": [{"line": None, "field": "body", "code": "invalid", "message": message}]}
        ) from None


# ---- endpoints --------------------------------------------------------------------------------------


@partner_router.post(
    "/carriages",
    response={201: ManifestOut, **PARTNER_WRITE_ERRORS},
    summary="Announce a direct carriage with its manifest",
    description=(
        "Validated as a whole, all or nothing: any bad line → 422 MANIFEST_INVALID with "
        "`details.errors` = [{line, field, code, message}] (line counts shipments from 1; null for the "
        "carriage's own fields) and nothing stored. Codes: required, invalid, too_long, duplicate (within "
        "the manifest), already_exists (the partner has that barcode or posting number), unknown_field, "
        "unknown_point, point_not_served, bad_size, not_positive, negative, too_large, bad_phone, "
        "order_customer_mismatch, empty, too_many. Up to 10 000 shipments and 20 MB per request (413 "
        "above). A carriage number the partner already has → 409 CONFLICT; a closing or closed point → "
        "409 POINT_CLOSING / POINT_CLOSED. Resending with the same Idempotency-Key (after a dropped "
        "connection) answers the first response again and stores nothing more."
    ),
    openapi_extra=_body_schema(),
    url_name="partner_carriage_create",
)
@idempotent(max_body=_max_bytes)
@requires_partner
def partner_carriage_create(request: HttpRequest) -> Status[Any]:
    carriage = manifest_ingest(partner=partner_of(request), data=_json_body(request))
    return Status(201, _out(carriage))


@router.post(
    "/carriages/csv",
    response={201: ManifestOut, **PARTNER_WRITE_ERRORS},
    summary="Announce a direct carriage with its manifest as a CSV file",
    description=(
        "multipart/form-data: `file` (UTF-8 with or without BOM, `;` or `,` separated, a header row "
        f"naming the columns: {', '.join(CSV_COLUMNS)}; one row per shipment), `carriage_number`, "
        "`point` and optional `eta`. Validated like the JSON manifest; `line` in errors is the file's row "
        "(the header is row 1). File errors (not UTF-8, bad header, wrong column count) have field `file`. "
        "Resending with the same Idempotency-Key answers the first response again."
    ),
    url_name="partner_carriage_create_csv",
)
@idempotent(max_body=_max_bytes)
@requires_partner
def partner_carriage_create_csv(
    request: HttpRequest,
    file: File[UploadedFile],
    carriage_number: Form[str],
    point: Form[str],
    eta: Form[str] = "",
) -> Status[Any]:
    if file.size is not None and file.size > _max_bytes():
        raise RequestDataTooBig
    data, lines = manifest_from_csv(file.read(), carriage_number=carriage_number, point=point, eta=eta)
    carriage = manifest_ingest(partner=partner_of(request), data=data, lines=lines)
    return Status(201, _out(carriage))
