"""«Уведомления»: the signed-in person's in-app messages (marked read on demand), their channel and quiet-hour
choices, and the browser's Web Push subscription (JSON, called by push.js)."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pvz.core.errors import DomainError
from pvz.notifications.models import StaffChannel, StaffKind
from pvz.notifications.push import push_enabled
from pvz.notifications.selectors import staff_messages, staff_preferences, staff_unread_count
from pvz.notifications.staff_services import (
    push_subscribe,
    push_unsubscribe,
    staff_messages_mark_read,
    staff_preferences_save,
)
from pvz.web.permissions import PointRequest, require_sign_in

LIST_SIZE = 100


@require_sign_in
@require_GET
def notifications_list(request: PointRequest) -> HttpResponse:
    return render(
        request,
        "web/notifications/list.html",
        {
            "staff_messages": list(staff_messages(user=request.user)[:LIST_SIZE]),
            "unread": staff_unread_count(user=request.user),
        },
    )


@require_sign_in
@require_POST
def notifications_read(request: PointRequest) -> HttpResponse:
    staff_messages_mark_read(user=request.user)
    return HttpResponseRedirect(reverse("web:notifications"))


def _parse_time(value: str) -> dt.time | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise DomainError(_("Время тихих часов — в виде ЧЧ:ММ."), details={"field": "quiet_start"}) from exc


@require_sign_in
@require_http_methods(["GET", "POST"])
def notifications_settings(request: PointRequest) -> HttpResponse:
    """GET shows kind × channel switches and quiet hours; POST stores them (an unticked box is "off")."""
    error: DomainError | None = None
    if request.method == "POST":
        enabled = {
            (kind.value, channel.value): f"{kind.value}:{channel.value}" in request.POST
            for kind in StaffKind
            for channel in StaffChannel
        }
        try:
            staff_preferences_save(
                user=request.user,
                enabled=enabled,
                quiet_start=_parse_time(request.POST.get("quiet_start", "")),
                quiet_end=_parse_time(request.POST.get("quiet_end", "")),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Настройки уведомлений сохранены."))
            return HttpResponseRedirect(reverse("web:notifications_settings"))
    preferences = staff_preferences(user=request.user)
    rows = [
        {
            "kind": kind,
            "channels": [
                {
                    "name": f"{kind.value}:{channel.value}",
                    "label": channel.label,
                    "on": preferences.enabled[(kind.value, channel.value)],
                }
                for channel in StaffChannel
            ],
        }
        for kind in StaffKind
    ]
    quiet = preferences.quiet_hours
    return render(
        request,
        "web/notifications/settings.html",
        {
            "rows": rows,
            "channels": list(StaffChannel),
            "quiet_start": quiet.start.strftime("%H:%M") if quiet else "",
            "quiet_end": quiet.end.strftime("%H:%M") if quiet else "",
            "error": error,
            "push_enabled": push_enabled(),
            "vapid_public_key": _vapid_public_key(),
        },
        status=422 if error else 200,
    )


def _vapid_public_key() -> str:
    return str(settings.PVZ_VAPID_PUBLIC_KEY) if push_enabled() else ""


def _subscription_fields(request: PointRequest) -> dict[str, str] | None:
    try:
        body = json.loads(request.body or b"{}")
        endpoint = str(body["endpoint"])
        keys = body.get("keys") or {}
        fields = {
            "endpoint": endpoint,
            "p256dh": str(keys.get("p256dh", "")),
            "auth": str(keys.get("auth", "")),
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not endpoint.startswith("https://") or len(endpoint) > 1000:
        return None
    if not (0 < len(fields["p256dh"]) <= 200 and 0 < len(fields["auth"]) <= 100):
        return None
    return fields


@require_sign_in
@require_POST
def push_subscription(request: PointRequest) -> HttpResponse:
    """POST the browser's PushSubscription JSON ({endpoint, keys: {p256dh, auth}}): 204; 422 when it is
    incomplete; 409 while the server has no VAPID keys."""
    if not push_enabled():
        # 409, not 404: the address exists, the server's state (no VAPID keys) refuses the request.
        return JsonResponse(
            {"code": "PUSH_OFF", "message": _("Push-уведомления на этом сервере выключены.")}, status=409
        )
    fields = _subscription_fields(request)
    if fields is None:
        return JsonResponse(
            {"code": "VALIDATION_FAILED", "message": _("Браузер прислал неполную подписку.")}, status=422
        )
    push_subscribe(user=request.user, **fields)
    return HttpResponse(status=204)


@require_sign_in
@require_POST
def push_unsubscription(request: PointRequest) -> HttpResponse:
    """POST {endpoint}: this browser stops receiving pushes for the person; 204 either way."""
    try:
        endpoint = str(json.loads(request.body or b"{}")["endpoint"])
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=204)
    push_unsubscribe(user=request.user, endpoint=endpoint)
    return HttpResponse(status=204)
