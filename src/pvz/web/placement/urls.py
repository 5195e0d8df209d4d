"""URLs of the staff pages for placement (included by pvz.web.urls before the section placeholders).

"placement/" is also the path of the «Размещение» section placeholder (`web:placement`); this list is
included first, so the path opens the working screen, under its own name `placement_scan`.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.placement import views as placement

urlpatterns: list[URLPattern] = [
    path("placement/", placement.placement_page, name="placement_scan"),
    path("placement/scan/", placement.placement_scan, name="placement_scan_submit"),
    path("placement/mode/", placement.placement_mode, name="placement_mode"),
]
