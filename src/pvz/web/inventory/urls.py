"""URLs of the «Инвентаризация» pages (included by pvz.web.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.inventory import views as inventory

urlpatterns: list[URLPattern] = [
    path("inventory/", inventory.inventory_home, name="inventory_home"),
    path("inventory/start/", inventory.inventory_start, name="inventory_start"),
    path("inventory/<int:count_id>/", inventory.inventory_screen, name="inventory_screen"),
    path("inventory/<int:count_id>/scan/", inventory.inventory_scan, name="inventory_scan"),
    path("inventory/<int:count_id>/finish/", inventory.inventory_finish, name="inventory_finish"),
    path("inventory/<int:count_id>/cancel/", inventory.inventory_cancel, name="inventory_cancel"),
    path("inventory/<int:count_id>/report/", inventory.inventory_report, name="inventory_report"),
]
