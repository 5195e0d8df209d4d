"""URLs of the partner settings screens for platform admins, included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.partners import views as partners


def _reason_routes(kind: str) -> list[URLPattern]:
    """Adding and editing a partner's own reasons of one kind (refusal, return): the same two screens."""
    return [
        path(
            f"partners/<int:partner_id>/{kind}-reasons/",
            partners.partner_reason_add,
            {"kind": kind},
            name=f"partner_{kind}_reason_add",
        ),
        path(
            f"partners/<int:partner_id>/{kind}-reasons/<int:reason_id>/",
            partners.partner_reason_edit,
            {"kind": kind},
            name=f"partner_{kind}_reason_edit",
        ),
    ]


urlpatterns: list[URLPattern] = [
    path("partners/", partners.partners_list, name="partners_list"),
    path("partners/<int:partner_id>/", partners.partner_detail, name="partner_detail"),
    *_reason_routes("refusal"),
    *_reason_routes("return"),
    path("partners/<int:partner_id>/webhooks/", partners.endpoint_add, name="partner_endpoint_add"),
    path(
        "partners/<int:partner_id>/webhooks/<int:endpoint_id>/rotate/",
        partners.endpoint_rotate,
        name="partner_endpoint_rotate",
    ),
    path(
        "partners/<int:partner_id>/webhooks/<int:endpoint_id>/active/",
        partners.endpoint_toggle,
        name="partner_endpoint_toggle",
    ),
    path("partners/<int:partner_id>/deliveries/", partners.deliveries, name="partner_deliveries"),
    path(
        "partners/<int:partner_id>/deliveries/<int:delivery_id>/",
        partners.delivery_detail,
        name="partner_delivery",
    ),
    path(
        "partners/<int:partner_id>/deliveries/replay/",
        partners.deliveries_replay,
        name="partner_deliveries_replay",
    ),
]
