"""What every API area renders alike: a moment in a point's time zone, and a PDF answer with its
documentation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse

from pvz.network.models import PickupPoint


def point_local(moment: dt.datetime | None, point: PickupPoint) -> dt.datetime | None:
    """`moment` in the point's own time zone, so a deadline reads as 23:59:59 of the day it ends there."""
    return moment.astimezone(point.tz) if moment else None


def pdf_documented(description: str) -> dict[str, Any]:
    """The `openapi_extra` of a route answering a PDF: its 200 is a binary `application/pdf`."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def pdf_answer(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF shown in the browser (inline) under `filename`."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
