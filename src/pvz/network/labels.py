"""Printable cell labels as PDF: the address in large type, a Code128 barcode and a QR code of it.

Two layouts:
- `a4`: a sheet of 3 × 8 labels of 70 × 37 mm (the common "24 per sheet" self-adhesive A4 stock),
  edge to edge, for any office printer;
- `58x40`: one 58 × 40 mm label per page, for thermal label printers.

Everything is drawn locally by `core.printing` (python-barcode and segno write SVG, WeasyPrint renders the
HTML with only inline `data:` URLs), so rendering never touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError
from pvz.core.printing import code128_svg, pdf_from_html, qr_svg, svg_data_uri
from pvz.network.models import Cell

# Ten A4 sheets. Rendering costs about 20 ms a label, so this keeps a request to about five seconds;
# larger runs are printed zone by zone.
MAX_LABELS = 240


class LabelLayout(StrEnum):
    A4 = "a4"
    THERMAL = "58x40"


@dataclass(frozen=True)
class _Geometry:
    per_page: int
    barcode_width_mm: float
    barcode_height_mm: float


_GEOMETRY: dict[LabelLayout, _Geometry] = {
    LabelLayout.A4: _Geometry(per_page=24, barcode_width_mm=42.0, barcode_height_mm=11.0),
    LabelLayout.THERMAL: _Geometry(per_page=1, barcode_width_mm=34.0, barcode_height_mm=13.0),
}


@dataclass(frozen=True)
class Label:
    address: str
    size_class: str
    point_name: str
    barcode_uri: str
    qr_uri: str


def label_pages(count: int, layout: LabelLayout) -> int:
    """How many pages `count` labels take in `layout`."""
    per_page = _GEOMETRY[layout].per_page
    return -(-count // per_page)


def cell_labels_pdf(*, cells: Sequence[Cell], layout: LabelLayout = LabelLayout.A4) -> bytes:
    """A PDF with one label per cell, in the given order. Each address is also a PDF bookmark, so a
    long run can be navigated (and checked) by address."""
    if not cells:
        raise DomainError(_("Нет ячеек для печати этикеток."), details={"count": 0})
    if len(cells) > MAX_LABELS:
        raise DomainError(
            _("За один раз можно напечатать не больше %(max)s этикеток, выбрано %(n)s. Печатайте по зонам.")
            % {"max": MAX_LABELS, "n": len(cells)},
            details={"count": len(cells), "max": MAX_LABELS},
        )
    geometry = _GEOMETRY[layout]
    labels = [
        Label(
            address=cell.address,
            size_class=cell.size_class,
            point_name=cell.point.name,
            barcode_uri=svg_data_uri(
                code128_svg(
                    cell.address, width_mm=geometry.barcode_width_mm, height_mm=geometry.barcode_height_mm
                )
            ),
            qr_uri=svg_data_uri(qr_svg(cell.address)),
        )
        for cell in cells
    ]
    sheets = [labels[i : i + geometry.per_page] for i in range(0, len(labels), geometry.per_page)]
    return pdf_from_html(
        render_to_string("web/cells/labels.html", {"sheets": sheets, "layout": layout.value})
    )
