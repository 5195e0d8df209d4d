"""The OpenAPI UI, mounted at /api/docs so it outlives any one API version."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from pvz.api.api import api
from pvz.web.permissions import public_page


@public_page
def api_docs(request: HttpRequest) -> HttpResponse:
    return api.docs.render_page(request, api)
