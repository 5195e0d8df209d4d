"""URLs of the storage pages: «Поиск» (search), the expiry screens (section «Сроки хранения»), and the
storage extension posted from the shipment card. Included by pvz.web.urls before the section
placeholders, so /search/ opens the real page under the section's own URL name."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.views import expiry, search, shipments

urlpatterns: list[URLPattern] = [
    path("search/", search.search_page, name="search"),
    path("expiry/", expiry.expiry_today, name="expiry"),
    path("expiry/return-zone/", expiry.expiry_return_zone, name="expiry_return_zone"),
    path("expiry/return-zone/list/", expiry.expiry_return_zone_list, name="expiry_return_zone_list"),
    path("expiry/return-zone/scan/", expiry.expiry_return_zone_scan, name="expiry_return_zone_scan"),
    path("shipments/<int:shipment_id>/extend/", shipments.shipment_extend, name="shipment_extend"),
]
