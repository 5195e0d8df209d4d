"""«Поиск предметов»: one box for any identifier, phone or cell; results with place, status, deadline."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pvz.accounts.roles import Perm
from pvz.accounts.selectors import points_for_user
from pvz.core.errors import DomainError
from pvz.scanning.search import QUERY_MAX_LENGTH, SearchResult, shipments_search
from pvz.web.permissions import AtPointRequest, require_point_perm
from pvz.web.sections import SECTIONS_BY_SLUG

PAGE = "web/search/search.html"


class SearchForm(forms.Form):
    # One character over the limit reaches the selector, which says what is wrong in words.
    q = forms.CharField(max_length=QUERY_MAX_LENGTH + 1, required=False, strip=False)
    everywhere = forms.BooleanField(required=False)


@require_point_perm(Perm.VIEW_POINT)
@require_GET
def search_page(request: AtPointRequest) -> HttpResponse:
    """The current point is searched; with «на всех моих точках» every point the user works at."""
    form = SearchForm(request.GET)
    query, everywhere = "", False
    if form.is_valid():
        query, everywhere = form.cleaned_data["q"] or "", form.cleaned_data["everywhere"]
    else:
        query = request.GET.get("q", "")
    result: SearchResult | None = None
    error: DomainError | None = None
    if query.strip():
        try:
            result = shipments_search(
                user=request.user, point=None if everywhere else request.point, query=query
            )
        except DomainError as exc:
            error = exc
    context = {
        "section": SECTIONS_BY_SLUG["search"],
        "query": query,
        "everywhere": everywhere,
        "result": result,
        "error": error,
        "several_points": points_for_user(user=request.user).count() > 1,
    }
    return render(request, PAGE, context, status=error.http_status if error else 200)
