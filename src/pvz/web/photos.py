"""How a stored private photo (a return's, an application's) reaches the staff allowed to see it."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import HttpResponse


def private_photo_response(file: FieldFile, content_type: str) -> HttpResponse:
    """The photo as stored (at most 10 MB), never cached and never content-sniffed."""
    with file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
