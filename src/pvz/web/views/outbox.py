"""The development SMS gateway's outbox, where the demo's login codes can be read."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from pvz.accounts.models import SmsMessage
from pvz.web.permissions import PointRequest, require_outbox_access

OUTBOX_PAGE_SIZE = 50


@require_outbox_access
def sms_outbox(request: PointRequest) -> HttpResponse:
    messages = SmsMessage.objects.order_by("-created_at", "-id")[:OUTBOX_PAGE_SIZE]
    return render(request, "web/sms_outbox.html", {"sms_messages": messages})
