"""URLs of «Отправка» (return carriages and the hand-over), included by pvz.web.urls before the section
placeholders."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.outbound import views as outbound

urlpatterns: list[URLPattern] = [
    path("dispatch/", outbound.dispatch_list, name="dispatch_list"),
    path("dispatch/new/", outbound.dispatch_create, name="dispatch_create"),
    path("dispatch/<int:carriage_id>/", outbound.dispatch_carriage, name="dispatch_carriage"),
    path("dispatch/<int:carriage_id>/board/", outbound.dispatch_board, name="dispatch_board"),
    path("dispatch/<int:carriage_id>/scan/", outbound.dispatch_scan, name="dispatch_scan"),
    path(
        "dispatch/<int:carriage_id>/totes/<int:tote_id>/seal/", outbound.dispatch_seal, name="dispatch_seal"
    ),
    path(
        "dispatch/<int:carriage_id>/parcels/<int:shipment_id>/remove/",
        outbound.dispatch_remove,
        name="dispatch_remove",
    ),
    path("dispatch/<int:carriage_id>/handover/", outbound.dispatch_handover, name="dispatch_handover"),
    path("dispatch/<int:carriage_id>/act/", outbound.dispatch_act, name="dispatch_act"),
]
