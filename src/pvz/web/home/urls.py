"""The dashboard's URL and those of the sections not built yet (`pvz.web.sections`), included by
pvz.web.urls: the dashboard first, the section placeholders after every area's own pages, so a section
with a real page is served by it under the section's URL name."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.home import sections
from pvz.web.home import views as dashboard
from pvz.web.sections import SECTIONS

dashboard_urls: list[URLPattern] = [path("", dashboard.dashboard, name="dashboard")]

placeholder_urls: list[URLPattern] = [
    path(f"{section.slug}/", sections.section_page(section), name=section.slug)
    for section in SECTIONS
    if section.page is None
]
