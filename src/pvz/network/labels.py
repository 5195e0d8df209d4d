"""Printable cell labels as PDF: the address in large type, a Code128 barcode and a QR code of it.

Two layouts:
- `a4`: a sheet of 3 × 8 labels of 70 × 37 mm (the common "24 per sheet" self-adhesive A4 stock),
  edge to edge, for any office printer;
- `58x40`: one 58 × 40 mm label per page, for thermal label printers.

Everything is drawn locally (python-barcode and segno write SVG, WeasyPrint renders the HTML); the URL
fetcher refuses anything but inline `data:` URLs, so rendering never touches the network.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import barcode
import segno
from barcode.writer import SVGWriter
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from pvz.core.errors import DomainError
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


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _code128_svg(address: str, *, width_mm: float, height_mm: float) -> bytes:
    code = barcode.get("code128", address, writer=SVGWriter())
    modules = len(code.build()[0])
    # Ten modules of quiet zone each side, as Code128 asks; the module width makes it all fit the label.
    module_mm = width_mm / (modules + 20)
    out = io.BytesIO()
    code.write(
        out,
        options={
            "module_width": module_mm,
            "module_height": height_mm - 2,  # the SVG writer adds 1 mm above and below the bars
            "quiet_zone": 10 * module_mm,
            "write_text": False,
        },
    )
    return out.getvalue()


def _qr_svg(address: str) -> bytes:
    # Never Micro QR (segno would pick it for short text): most phone and handheld scanners cannot read it.
    qr = segno.make_qr(address, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", border=2, omitsize=True, xmldecl=False)
    return out.getvalue()


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
            barcode_uri=_data_uri(
                _code128_svg(
                    cell.address, width_mm=geometry.barcode_width_mm, height_mm=geometry.barcode_height_mm
                )
            ),
            qr_uri=_data_uri(_qr_svg(cell.address)),
        )
        for cell in cells
    ]
    sheets = [labels[i : i + geometry.per_page] for i in range(0, len(labels), geometry.per_page)]
    html = render_to_string("web/cells/labels.html", {"sheets": sheets, "layout": layout.value})
    # Only inline data: URLs, and a failed one stops the rendering rather than printing a label without it.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return pdf
