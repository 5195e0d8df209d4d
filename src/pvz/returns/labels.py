"""The printable return label of a customer return: a 58 × 60 mm thermal label (one page) with the return
number and the posting number, each in large type and as a Code128 barcode, drawn by `core.printing`
like the cell labels."""

from __future__ import annotations

from django.template.loader import render_to_string

from pvz.core.printing import code128_svg, pdf_from_html, svg_data_uri
from pvz.returns.models import CustomerReturn

BARCODE_WIDTH_MM = 50.0
BARCODE_HEIGHT_MM = 12.0


def _code128(text: str) -> str:
    return svg_data_uri(code128_svg(text, width_mm=BARCODE_WIDTH_MM, height_mm=BARCODE_HEIGHT_MM))


def return_label_pdf(*, customer_return: CustomerReturn) -> bytes:
    """One label page; the return number and the posting number are also PDF bookmarks (checkable text)."""
    shipment = customer_return.shipment
    point = customer_return.point
    html = render_to_string(
        "web/returns/label_pdf.html",
        {
            "ret": customer_return,
            "shipment": shipment,
            "accepted_local": customer_return.accepted_at.astimezone(point.tz),
            "number_barcode": _code128(customer_return.number),
            "posting_barcode": _code128(shipment.posting_number),
        },
    )
    return pdf_from_html(html)
