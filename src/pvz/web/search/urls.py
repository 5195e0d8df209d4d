"""URLs of «Поиск» (search), the shipment card and the storage extension posted from it. Included by
pvz.web.urls before the section placeholders, so /search/ opens the real page under the section's own URL
name."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.search import shipments
from pvz.web.search import views as search

urlpatterns: list[URLPattern] = [
    path("search/", search.search_page, name="search"),
    path("shipments/<int:shipment_id>/", shipments.shipment_card, name="shipment"),
    path("shipments/<int:shipment_id>/extend/", shipments.shipment_extend, name="shipment_extend"),
]
