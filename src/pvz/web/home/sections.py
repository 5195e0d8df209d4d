"""One page per process section; most of them only announce what a later release brings."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from pvz.web.permissions import AtPointRequest, View, require_point_perm
from pvz.web.sections import Section


def section_page(section: Section) -> View:
    """The page of `section`, guarded by the permission the section declares."""

    @require_point_perm(section.perm)
    def page(request: AtPointRequest) -> HttpResponse:
        return render(request, section.template, {"section": section})

    page.__name__ = f"section_{section.slug}"
    return page
