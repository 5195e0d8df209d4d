"""URLs of closing a point, included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.closing import views as closing

urlpatterns: list[URLPattern] = [
    path("closing/", closing.closing, name="closing"),
    path("closing/start/", closing.closing_start, name="closing_start"),
    path("closing/cancel/", closing.closing_cancel, name="closing_cancel"),
    path("closing/complete/", closing.closing_complete, name="closing_complete"),
    path("closing/history/", closing.closed_points, name="closed_points"),
]
