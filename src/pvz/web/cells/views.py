"""Ячейки: occupancy by zone, bulk creation from a pattern, edit, retire, special places, labels."""

from __future__ import annotations

from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pvz.accounts.roles import Perm
from pvz.cells.selectors import (
    MAX_CELLS_PER_BULK,
    CellOccupancy,
    cell_contents,
    cell_get,
    cells_bulk_plan,
    cells_for_labels,
    cells_occupancy,
    occupancy_totals,
)
from pvz.cells.services import cell_retire, cell_update, cells_create_bulk
from pvz.core.errors import DomainError, NotFound
from pvz.network.labels import LabelLayout, cell_labels_pdf
from pvz.network.models import Cell, CellKind
from pvz.network.services import special_places_ensure
from pvz.web.cells.forms import CellEditForm, CellsBulkForm, CellsFilterForm, LabelsForm
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm

# How many addresses the preview lists before "…": enough to check the pattern reads right.
PREVIEW_SAMPLE = 6


def _list_url(**query: str) -> str:
    url = reverse("web:cells_list")
    return f"{url}?{urlencode(query)}" if query else url


def _cell_at_point(request: PointRequest, cell_id: int) -> Cell:
    try:
        return cell_get(user=request.user, point=request.point, cell_id=cell_id)
    except NotFound:
        raise Http404 from None


@require_point_perm(Perm.MANAGE_POINT)
@require_GET
def cells_list(request: AtPointRequest) -> HttpResponse:
    form = CellsFilterForm(request.GET)
    form.is_valid()
    zone = form.cleaned_data.get("zone") or None
    show_retired = bool(form.cleaned_data.get("retired"))
    rows = cells_occupancy(point=request.point, include_retired=True)
    regular = [row for row in rows if row.cell.kind == CellKind.REGULAR]
    zones_all = sorted({row.zone for row in regular if row.cell.is_active})
    shown = [
        row
        for row in regular
        if (show_retired or row.cell.is_active) and (zone is None or row.zone == zone.upper())
    ]
    groups = [{"zone": key, "rows": list(items)} for key, items in groupby(shown, key=lambda row: row.zone)]
    for group in groups:
        active = [row for row in group["rows"] if row.cell.is_active]
        group["held"] = sum(row.held for row in active)
        group["capacity"] = sum(row.capacity for row in active)
    specials = [row for row in rows if row.cell.kind != CellKind.REGULAR and row.cell.is_active]
    context: dict[str, Any] = {
        "groups": groups,
        "zones": zones_all,
        "zone": zone.upper() if zone else None,
        "show_retired": show_retired,
        "totals": occupancy_totals(regular),
        "specials": specials,
        "specials_missing": len(specials) < len(CellKind.values) - 1,
        "layouts": list(LabelLayout),
    }
    return render(request, "web/cells/list.html", context)


@require_point_perm(Perm.MANAGE_POINT)
@require_http_methods(["GET", "POST"])
def cells_new(request: AtPointRequest) -> HttpResponse:
    form = CellsBulkForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cells = cells_create_bulk(
                actor=request.user,
                point=request.point,
                zones=form.zone_list(),
                racks=(data["rack_first"], data["rack_last"]),
                shelves=(data["shelf_first"], data["shelf_last"]),
                size_class=data["size_class"],
                capacity=data["capacity"],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request,
                ngettext("Создана %(n)s ячейка.", "Создано %(n)s ячеек.", len(cells)) % {"n": len(cells)},
            )
            return HttpResponseRedirect(_list_url())
    status = error.http_status if error else (422 if form.is_bound else 200)
    context = {"form": form, "error": error, "max_cells": MAX_CELLS_PER_BULK}
    return render(request, "web/cells/new.html", context, status=status)


@require_point_perm(Perm.MANAGE_POINT)
@require_GET
def cells_preview(request: AtPointRequest) -> HttpResponse:
    """The bulk form's live preview: how many addresses the pattern makes, and any that exist already."""
    form = CellsBulkForm(request.GET)
    context: dict[str, Any] = {"plan": None, "error": None}
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = cells_bulk_plan(
                point=request.point,
                zones=form.zone_list(),
                racks=(data["rack_first"], data["rack_last"]),
                shelves=(data["shelf_first"], data["shelf_last"]),
            )
        except DomainError as exc:
            context["error"] = exc
        else:
            context["plan"] = plan
            context["sample"] = plan.addresses[:PREVIEW_SAMPLE]
            context["more"] = max(len(plan.addresses) - PREVIEW_SAMPLE - 1, 0)
    return render(request, "web/cells/preview.html", context)


@require_point_perm(Perm.MANAGE_POINT)
@require_http_methods(["GET", "POST"])
def cell_edit(request: AtPointRequest, cell_id: int) -> HttpResponse:
    cell = _cell_at_point(request, cell_id)
    initial = {"size_class": cell.size_class, "capacity": cell.capacity}
    form = CellEditForm(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            cell_update(
                actor=request.user,
                cell=cell,
                size_class=form.cleaned_data["size_class"],
                capacity=form.cleaned_data["capacity"],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Ячейка %(cell)s сохранена.") % {"cell": cell.address})
            return HttpResponseRedirect(_list_url(zone=cell.address.split("-", 1)[0]))
    status = error.http_status if error else (422 if form.is_bound else 200)
    context = {
        "cell": cell,
        "row": CellOccupancy(cell=cell, held=(contents := cell_contents(cell=cell)).held),
        "largest": contents.largest_size,
        "form": form,
        "error": error,
    }
    return render(request, "web/cells/edit.html", context, status=status)


@require_point_perm(Perm.MANAGE_POINT)
@require_POST
def cell_retire_view(request: AtPointRequest, cell_id: int) -> HttpResponse:
    cell = _cell_at_point(request, cell_id)
    try:
        cell_retire(actor=request.user, cell=cell)
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    else:
        messages.success(request, _("Ячейка %(cell)s выведена из работы.") % {"cell": cell.address})
    return HttpResponseRedirect(_list_url(zone=cell.address.split("-", 1)[0]))


@require_point_perm(Perm.MANAGE_POINT)
@require_POST
def special_places(request: AtPointRequest) -> HttpResponse:
    special_places_ensure(actor=request.user, point=request.point)
    messages.success(request, _("Служебные места на месте."))
    return HttpResponseRedirect(_list_url())


@require_point_perm(Perm.MANAGE_POINT)
@require_GET
def cells_labels(request: AtPointRequest) -> HttpResponse:
    form = LabelsForm(request.GET)
    form.is_valid()
    zone = form.cleaned_data.get("print_zone") or form.cleaned_data.get("zone") or None
    ids = None if form.cleaned_data.get("print_zone") else form.cell_ids()
    layout = LabelLayout(form.cleaned_data.get("layout") or LabelLayout.A4)
    try:
        cells = cells_for_labels(point=request.point, zone=zone, ids=ids)
        pdf = cell_labels_pdf(cells=cells, layout=layout)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
        return HttpResponseRedirect(_list_url(**({"zone": zone} if zone else {})))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cells-{request.point.code}-{zone or "all"}.pdf"'
    return response
