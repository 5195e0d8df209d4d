"""URLs of the staff pages for inbound (included by pvz.web.urls before the section placeholders).

"acceptance/" is also the path of the «Приёмка» section placeholder (`web:acceptance`); this list is
included first, so the path opens the working page, under its own name `acceptance_list`.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.acceptance import screen as acceptance_screen
from pvz.web.acceptance import views as acceptance

urlpatterns: list[URLPattern] = [
    path("acceptance/", acceptance.acceptance_list, name="acceptance_list"),
    path("acceptance/find/", acceptance.acceptance_find, name="acceptance_find"),
    path("acceptance/carriages/<int:carriage_id>/", acceptance.carriage_page, name="acceptance_carriage"),
    path(
        "acceptance/carriages/<int:carriage_id>/arrival/",
        acceptance.carriage_arrival,
        name="acceptance_carriage_arrival",
    ),
    path(
        "acceptance/carriages/<int:carriage_id>/eta/", acceptance.carriage_eta, name="acceptance_carriage_eta"
    ),
    path(
        "acceptance/carriages/<int:carriage_id>/start/", acceptance.acceptance_start, name="acceptance_start"
    ),
    path("acceptance/<int:acceptance_id>/", acceptance_screen.acceptance_screen, name="acceptance_screen"),
    path("acceptance/<int:acceptance_id>/scan/", acceptance_screen.acceptance_scan, name="acceptance_scan"),
    path("acceptance/<int:acceptance_id>/undo/", acceptance_screen.acceptance_undo, name="acceptance_undo"),
    path(
        "acceptance/<int:acceptance_id>/damage/",
        acceptance_screen.acceptance_damage,
        name="acceptance_damage",
    ),
    path(
        "acceptance/<int:acceptance_id>/close/", acceptance_screen.acceptance_close, name="acceptance_close"
    ),
    path("acceptance/<int:acceptance_id>/act/", acceptance_screen.acceptance_act, name="acceptance_act"),
]
