"""A manifest as a CSV file, for partners without an API: one row per shipment, turned into the same dict
that the JSON API takes (`pvz.partners.manifests`), so both are validated and written the same way.

The file: UTF-8, with or without a BOM; `;` or `,` separates the columns (the separator of the header row
is used for the whole file). The header row names the columns, in any order:

    posting_number;barcode;order_number;customer_phone;customer_name;size_class;weight_g;
    declared_value_kop;amount_due_kop;category;tote;id_check_required;try_on_allowed;
    partial_refusal_allowed;fragile

Required: posting_number, barcode, order_number, customer_phone, size_class, weight_g. The others may be
left out or empty (money 0, no category, loose outside a tote, no ID check, no try-on, partial refusal
allowed, not fragile). The flags take true/false, 1/0, yes/no, да/нет. Money in kopecks and weights in
grams, as integers. The carriage number, the point code and the ETA come with the upload (form fields),
not in the file. Errors name the file's row (the header is row 1, the first shipment row 2); empty rows
are skipped but still counted.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext_lazy as _

from pvz.partners.manifests import MANIFEST_MAX_LINES, ManifestInvalid

CSV_COLUMNS = (
    "posting_number",
    "barcode",
    "order_number",
    "customer_phone",
    "customer_name",
    "size_class",
    "weight_g",
    "declared_value_kop",
    "amount_due_kop",
    "category",
    "tote",
    "id_check_required",
    "try_on_allowed",
    "partial_refusal_allowed",
    "fragile",
)
REQUIRED_COLUMNS = ("posting_number", "barcode", "order_number", "customer_phone", "size_class", "weight_g")
# 10 000 rows of ~200 bytes; the upload's own limit (DATA_UPLOAD / FILE_UPLOAD settings) applies first.
CSV_MAX_BYTES = 20 * 1024 * 1024

_TOO_LARGE = _("Файл слишком большой.")
_NOT_UTF8 = _("Файл должен быть в кодировке UTF-8.")
_EMPTY = _("Файл пустой.")
_BAD_HEADER = _("Первая строка должна содержать названия столбцов манифеста.")
_BAD_COLUMNS = _("В строке другое число столбцов, чем в заголовке.")
_BAD_CSV = _("Файл не читается как CSV.")
_TOO_MANY = _("Слишком много отправлений в одном манифесте.")


def _file_error(code: str, message: str, **extra: Any) -> ManifestInvalid:
    return ManifestInvalid(
        details={"errors": [{"line": None, "field": "file", "code": code, "message": message, **extra}]}
    )


def manifest_from_csv(
    content: bytes, *, carriage_number: str, point: str, eta: str | None
) -> tuple[dict[str, Any], list[int]]:
    """The manifest dict and each shipment's row number in the file; MANIFEST_INVALID for a file that is
    not UTF-8 text with the header row (the rows' own values are checked by `manifest_ingest`)."""
    if len(content) > CSV_MAX_BYTES:
        raise _file_error("too_large", str(_TOO_LARGE))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("not_utf8", str(_NOT_UTF8)) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise _file_error("empty", str(_EMPTY)) from None
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise _file_error(
            "bad_header",
            str(_BAD_HEADER),
            unknown=unknown,
            missing=missing,
            columns=list(CSV_COLUMNS),
        )
    shipments: list[dict[str, Any]] = []
    lines: list[int] = []
    bad_rows: list[dict[str, Any]] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(shipments) >= MANIFEST_MAX_LINES:
                raise ManifestInvalid(
                    details={
                        "errors": [
                            {
                                "line": line,
                                "field": "shipments",
                                "code": "too_many",
                                "message": str(_TOO_MANY),
                            }
                        ],
                        "max_lines": MANIFEST_MAX_LINES,
                    }
                )
            if len(row) != len(header):
                bad_rows.append(
                    {"line": line, "field": "file", "code": "bad_columns", "message": str(_BAD_COLUMNS)}
                )
                continue
            values = dict(zip(header, (cell.strip() for cell in row), strict=True))
            shipment: dict[str, Any] = {
                "customer": {
                    "phone": values.pop("customer_phone", ""),
                    "name": values.pop("customer_name", ""),
                }
            }
            shipment.update({key: value for key, value in values.items() if value != ""})
            shipments.append(shipment)
            lines.append(line)
    except csv.Error as error:
        raise _file_error("bad_csv", str(_BAD_CSV), row=reader.line_num, reason=str(error)) from None
    if bad_rows:
        raise ManifestInvalid(details={"errors": bad_rows})
    data = {"carriage_number": carriage_number, "point": point, "eta": eta or None, "shipments": shipments}
    return data, lines
