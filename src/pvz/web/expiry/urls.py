"""URLs of the expiry screens (section «Сроки хранения»), included by pvz.web.urls before the section
placeholders, so /expiry/ opens the real page under the section's own URL name."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.expiry import views as expiry

urlpatterns: list[URLPattern] = [
    path("expiry/", expiry.expiry_today, name="expiry"),
    path("expiry/return-zone/", expiry.expiry_return_zone, name="expiry_return_zone"),
    path("expiry/return-zone/list/", expiry.expiry_return_zone_list, name="expiry_return_zone_list"),
    path("expiry/return-zone/scan/", expiry.expiry_return_zone_scan, name="expiry_return_zone_scan"),
]
