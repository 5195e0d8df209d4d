"""The development SMS gateway's outbox, where the demo's login codes can be read."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from pvz.accounts.selectors import sms_outbox_latest
from pvz.web.permissions import PointRequest, require_outbox_access

OUTBOX_PAGE_SIZE = 50


@require_outbox_access
def sms_outbox(request: PointRequest) -> HttpResponse:
    messages = sms_outbox_latest(limit=OUTBOX_PAGE_SIZE)
    return render(request, "web/signin/sms_outbox.html", {"sms_messages": messages})
