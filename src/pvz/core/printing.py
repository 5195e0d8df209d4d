"""What printed documents and labels are drawn with: Code128 and QR codes as SVG (python-barcode, segno)
and PDFs rendered by WeasyPrint from HTML that may only use inline `data:` URLs, so that rendering never
touches the network and a missing image stops it instead of printing a label without its barcode."""

from __future__ import annotations

import base64
import io

import barcode
import segno
from barcode.writer import SVGWriter
from weasyprint import HTML
from weasyprint.urls import URLFetcher

# Code128 asks for ten modules of quiet zone on each side.
QUIET_MODULES = 10


def code128_svg(
    text: str, *, height_mm: float, width_mm: float | None = None, module_mm: float = 0.4
) -> bytes:
    """Code128 of `text` without the human-readable line, `height_mm` high overall. With `width_mm` the
    bars and quiet zones fill that width exactly (labels); otherwise each module is `module_mm` wide."""
    code = barcode.get("code128", text, writer=SVGWriter())
    if width_mm is not None:
        module_mm = width_mm / (len(code.build()[0]) + 2 * QUIET_MODULES)
    out = io.BytesIO()
    code.write(
        out,
        options={
            "module_width": module_mm,
            "module_height": height_mm - 2,  # the SVG writer adds 1 mm above and below the bars
            "quiet_zone": QUIET_MODULES * module_mm,
            "write_text": False,
        },
    )
    return out.getvalue()


def qr_svg(text: str, *, scale: int = 1) -> bytes:
    # Never Micro QR (segno would pick it for short text): most phone and handheld scanners cannot read it.
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="svg", border=2, omitsize=True, xmldecl=False, scale=scale)
    return out.getvalue()


def svg_data_uri(svg: bytes) -> str:
    """For an <img> of a PDF template (the only kind of URL the renderer fetches)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def svg_inline(svg: bytes) -> str:
    """The <svg> element alone (no XML prolog or doctype), to put straight into an HTML page."""
    text = svg.decode()
    return text[text.index("<svg") :]


def pdf_from_html(html: str) -> bytes:
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    pdf: bytes | None = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return pdf
