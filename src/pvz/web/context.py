"""What every page's header needs: the current point, the user's other points, the menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from pvz.accounts.roles import Perm
from pvz.accounts.selectors import points_for_user
from pvz.core import clock
from pvz.inbound.selectors import carriages_approaching
from pvz.web.sections import SECTIONS, SECTIONS_BY_SLUG


def _after_switch(request: HttpRequest) -> str:
    # A section page makes sense at any point; a parcel or scan result of the old point would be a 404.
    match = request.resolver_match
    if match is not None and match.url_name in SECTIONS_BY_SLUG:
        return request.path
    return reverse("web:dashboard")


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    point = getattr(request, "point", None)
    if user is None or not user.is_authenticated or point is None:
        return {"current_point": None, "nav_sections": ()}
    perms: frozenset[Perm] = getattr(request, "point_perms", frozenset())
    match = request.resolver_match
    return {
        "current_point": point,
        "current_view": match.url_name if match is not None else "",
        # Every page of a section lives under /<slug>/, so the first path segment names the section.
        "current_section": request.path.strip("/").split("/", 1)[0],
        "my_points": points_for_user(user=user),
        "nav_sections": [section for section in SECTIONS if section.perm in perms],
        "switch_next": _after_switch(request),
        # The «Подъезжает транспорт» notice, rendered with the page and then kept live by the socket.
        "approaching": carriages_approaching(point=point, now=clock.now()),
    }
