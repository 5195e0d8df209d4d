"""URLs of the staff pages for cells (included by pvz.web.urls before the section placeholders)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.cells import views as cells

urlpatterns: list[URLPattern] = [
    path("cells/", cells.cells_list, name="cells_list"),
    path("cells/new/", cells.cells_new, name="cells_new"),
    path("cells/new/preview/", cells.cells_preview, name="cells_preview"),
    path("cells/special-places/", cells.special_places, name="cells_special_places"),
    path("cells/labels.pdf", cells.cells_labels, name="cells_labels"),
    path("cells/<int:cell_id>/edit/", cells.cell_edit, name="cell_edit"),
    path("cells/<int:cell_id>/retire/", cells.cell_retire_view, name="cell_retire"),
]
