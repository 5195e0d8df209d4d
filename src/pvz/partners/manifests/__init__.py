"""Manifest ingest: a partner announces a direct carriage with its totes and shipments in one request.
One module per step, re-exported here: `schema` (the shape, as pydantic models), `validation` (the whole
manifest checked, every line's errors collected), `writing` (`manifest_write`, the one writer of direct
carriages; the simulator's `manifest_load` goes through it too), `ingest` (the two together, audited) and
`errors` (the per-line codes).

The manifest is validated as a whole before anything is written, and every line's errors are collected
(`[{line, field, code, message}]`): one bad line refuses the whole manifest with MANIFEST_INVALID (422) and
nothing is stored. A valid one is written with bulk inserts in one transaction.

The shape (JSON body of POST /api/v1/partner/carriages; the CSV upload builds the same dict):

    {"carriage_number": "CAR-20261127001", "point": "<point code>", "eta": "<ISO 8601 with offset>|null",
     "shipments": [{"posting_number", "barcode", "order_number",
                    "customer": {"phone", "name"}, "size_class": "S|M|L|XL", "weight_g",
                    "declared_value_kop", "amount_due_kop", "category", "tote": "<barcode>|null",
                    "id_check_required": false, "try_on_allowed": false,
                    "partial_refusal_allowed": true, "fragile": false}, ...]}

Lines are numbered from 1 in the order of `shipments` (the CSV upload passes its own row numbers);
manifest-level fields (carriage number, point, ETA, the list itself) report `line` null.
"""

from pvz.partners.manifests.errors import ManifestInvalid, manifest_error
from pvz.partners.manifests.ingest import manifest_ingest
from pvz.partners.manifests.schema import (
    CATEGORY_MAX,
    CODE_MAX,
    MANIFEST_MAX_LINES,
    MONEY_MAX_KOP,
    NAME_MAX,
    WEIGHT_MAX_G,
    CustomerLine,
    ManifestHead,
    ShipmentLine,
)
from pvz.partners.manifests.validation import ValidManifest, manifest_validate
from pvz.partners.manifests.writing import (
    PICKUP_NUMBER_DIGITS,
    SHIPMENT_COLUMNS,
    CustomerIn,
    ManifestCounts,
    ShipmentIn,
    manifest_write,
)

__all__ = [
    "CATEGORY_MAX",
    "CODE_MAX",
    "MANIFEST_MAX_LINES",
    "MONEY_MAX_KOP",
    "NAME_MAX",
    "PICKUP_NUMBER_DIGITS",
    "SHIPMENT_COLUMNS",
    "WEIGHT_MAX_G",
    "CustomerIn",
    "CustomerLine",
    "ManifestCounts",
    "ManifestHead",
    "ManifestInvalid",
    "ShipmentIn",
    "ShipmentLine",
    "ValidManifest",
    "manifest_error",
    "manifest_ingest",
    "manifest_validate",
    "manifest_write",
]
