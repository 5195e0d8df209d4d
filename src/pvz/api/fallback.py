"""Unknown paths under the API answer with the API's error body instead of Django's HTML 404 page."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router

router = Router()


@router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise Http404(rest)
