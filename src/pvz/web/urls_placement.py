"""URLs of the staff pages for placement (included by pvz.web.urls before the section placeholders)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
