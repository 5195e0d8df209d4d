"""«Партнёры»: partner settings for platform admins — storage period, return window, ID-check threshold,
barcode patterns, the partner's own refusal and return reasons, webhook endpoints (the secret shown once),
the delivery log with each delivery's attempts, and the dead-letter list with manual replay.

Platform-wide: ADMIN_PLATFORM without a chosen point (as the review of opening applications)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import RefusalReason
from pvz.network.models import Partner
from pvz.partners import partner_settings
from pvz.returns.models import ReturnReason
from pvz.web.onboarding.views import require_platform_admin
from pvz.web.partners.forms import (
    DeliveryFilterForm,
    EndpointForm,
    PartnerSettingsForm,
    ReasonEditForm,
    ReasonForm,
)
from pvz.web.permissions import PointRequest
from pvz.webhooks import selectors as webhook_selectors
from pvz.webhooks import services as webhook_services
from pvz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from pvz.webhooks.urlguard import webhook_url_check

DETAIL = "web/partners/detail.html"
# The secret of a just-created or rotated endpoint, shown once on the next page view.
SHOWN_ONCE_KEY = "partners_shown_once"
REASON_MODELS: dict[str, type[RefusalReason] | type[ReturnReason]] = {
    "refusal": RefusalReason,
    "return": ReturnReason,
}


def _partner(partner_id: int) -> Partner:
    try:
        return Partner.objects.get(pk=partner_id)
    except Partner.DoesNotExist as exc:
        raise Http404 from exc


def _endpoint(partner: Partner, endpoint_id: int) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(pk=endpoint_id, partner=partner)
    except WebhookEndpoint.DoesNotExist as exc:
        raise Http404 from exc


def _bind_error(form: Any, error: DomainError) -> DomainError | None:
    field = error.details.get("field")
    if field == "id_check_threshold_kop":
        field = "id_check_threshold_rub"
    if error.code == ErrorCode.VALIDATION_FAILED and field in form.fields:
        form.add_error(field, str(error.message))
        return None
    return error


def _shown_once(request: PointRequest) -> dict[str, Any] | None:
    """The secret to show once, with the end of the replaced secret's overlap as a datetime."""
    shown: dict[str, Any] | None = request.session.pop(SHOWN_ONCE_KEY, None)
    if shown and shown.get("previous_until"):
        shown["previous_until"] = dt.datetime.fromisoformat(shown["previous_until"])
    return shown


@require_platform_admin
@require_GET
def partners_list(request: PointRequest) -> HttpResponse:
    partners = Partner.objects.order_by("name")
    return render(request, "web/partners/list.html", {"partners": partners})


def _detail(
    request: PointRequest,
    partner: Partner,
    *,
    settings_form: PartnerSettingsForm | None = None,
    reason_forms: dict[str, ReasonForm] | None = None,
    endpoint_form: EndpointForm | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    reason_forms = reason_forms or {}
    reasons = {
        kind: {
            "kind": kind,
            "rows": [
                (reason, ReasonEditForm(prefix=f"{kind}-{reason.pk}"))
                for reason in model.objects.filter(partner=partner).order_by("position", "id")
            ],
            "form": reason_forms.get(kind) or ReasonForm(prefix=f"{kind}-new"),
        }
        for kind, model in REASON_MODELS.items()
    }
    context = {
        "partner": partner,
        "settings_form": settings_form or PartnerSettingsForm.for_partner(partner),
        "refusal": reasons["refusal"],
        "return": reasons["return"],
        "endpoints": list(webhook_selectors.partner_endpoints(partner=partner)),
        "endpoint_form": endpoint_form or EndpointForm(),
        "new_secret": _shown_once(request),
        "overlap_choices": webhook_services.SECRET_OVERLAP_HOURS,
        "overlap_default": webhook_services.SECRET_OVERLAP_DEFAULT_HOURS,
        "now": clock.now(),
        "error": error,
    }
    return render(request, DETAIL, context, status=status)


@require_platform_admin
@require_http_methods(["GET", "POST"])
def partner_detail(request: PointRequest, partner_id: int) -> HttpResponse:
    """The settings card; POST saves the settings form."""
    partner = _partner(partner_id)
    if request.method != "POST":
        return _detail(request, partner)
    form = PartnerSettingsForm(request.POST)
    if not form.is_valid():
        return _detail(request, partner, settings_form=form, status=422)
    try:
        partner_settings.partner_settings_update(
            actor=request.user,
            partner=partner,
            storage_days=form.cleaned_data["storage_days"],
            return_window_days=form.cleaned_data["return_window_days"],
            id_check_threshold_kop=form.threshold_kop(),
            barcode_patterns=form.patterns(),
        )
    except DomainError as exc:
        error = _bind_error(form, exc)
        return _detail(request, partner, settings_form=form, error=error, status=exc.http_status)
    messages.success(request, _("Настройки сохранены."))
    return redirect("web:partner_detail", partner_id=partner.pk)


@require_platform_admin
@require_POST
def partner_reason_add(request: PointRequest, partner_id: int, kind: str) -> HttpResponse:
    partner = _partner(partner_id)
    form = ReasonForm(request.POST, prefix=f"{kind}-new")
    if not form.is_valid():
        return _detail(request, partner, reason_forms={kind: form}, status=422)
    try:
        partner_settings.partner_reason_create(
            actor=request.user, partner=partner, kind=kind, **form.cleaned_data
        )
    except DomainError as exc:
        error = _bind_error(form, exc)
        return _detail(request, partner, reason_forms={kind: form}, error=error, status=exc.http_status)
    return redirect("web:partner_detail", partner_id=partner.pk)


@require_platform_admin
@require_POST
def partner_reason_edit(request: PointRequest, partner_id: int, kind: str, reason_id: int) -> HttpResponse:
    partner = _partner(partner_id)
    try:
        reason = REASON_MODELS[kind].objects.get(pk=reason_id, partner=partner)
    except (RefusalReason.DoesNotExist, ReturnReason.DoesNotExist) as exc:
        raise Http404 from exc
    form = ReasonEditForm(request.POST, prefix=f"{kind}-{reason.pk}")
    if not form.is_valid():
        messages.error(request, _("Название и порядок обязательны."))
        return _detail(request, partner, status=422)
    partner_settings.partner_reason_update(actor=request.user, reason=reason, **form.cleaned_data)
    return redirect("web:partner_detail", partner_id=partner.pk)


@require_platform_admin
@require_POST
def endpoint_add(request: PointRequest, partner_id: int) -> HttpResponse:
    partner = _partner(partner_id)
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _detail(request, partner, endpoint_form=form, status=422)
    try:
        url = webhook_url_check(form.cleaned_data["url"])
    except DomainError as exc:
        error = _bind_error(form, exc)
        return _detail(request, partner, endpoint_form=form, error=error, status=exc.http_status)
    endpoint = webhook_services.webhook_endpoint_create(
        actor=request.user,
        partner=partner,
        url=url,
        event_types=form.cleaned_data["event_types"],
        description=form.cleaned_data["description"],
    )
    request.session[SHOWN_ONCE_KEY] = {"endpoint": endpoint.pk, "secret": endpoint.secret}
    return redirect("web:partner_detail", partner_id=partner.pk)


@require_platform_admin
@require_POST
def endpoint_rotate(request: PointRequest, partner_id: int, endpoint_id: int) -> HttpResponse:
    """A new secret, shown once; the old one keeps signing for the chosen overlap (`overlap_hours`,
    24 h when not sent)."""
    partner = _partner(partner_id)
    endpoint = _endpoint(partner, endpoint_id)
    raw = request.POST.get("overlap_hours", str(webhook_services.SECRET_OVERLAP_DEFAULT_HOURS))
    try:
        endpoint = webhook_services.webhook_endpoint_rotate_secret(
            actor=request.user, endpoint=endpoint, overlap_hours=int(raw) if raw.isdigit() else -1
        )
    except DomainError as exc:
        return _detail(request, partner, error=exc, status=exc.http_status)
    until = endpoint.previous_secret_until
    request.session[SHOWN_ONCE_KEY] = {
        "endpoint": endpoint.pk,
        "secret": endpoint.secret,
        "previous_until": until.isoformat() if until else None,
    }
    return redirect("web:partner_detail", partner_id=partner.pk)


@require_platform_admin
@require_POST
def endpoint_toggle(request: PointRequest, partner_id: int, endpoint_id: int) -> HttpResponse:
    """Deactivate (or, with `active=1`, reactivate) an endpoint."""
    partner = _partner(partner_id)
    webhook_services.webhook_endpoint_set_active(
        actor=request.user,
        endpoint=_endpoint(partner, endpoint_id),
        is_active=request.POST.get("active") == "1",
    )
    return redirect("web:partner_detail", partner_id=partner.pk)


@require_platform_admin
@require_GET
def deliveries(request: PointRequest, partner_id: int) -> HttpResponse:
    """The delivery log, newest first, by status and event type; the dead-letter list is status=dead."""
    partner = _partner(partner_id)
    form = DeliveryFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    event_type = form.cleaned_data["type"] if form.is_valid() else ""
    rows = webhook_selectors.partner_deliveries(partner=partner, status=status, event_type=event_type)
    page = Paginator(rows, webhook_selectors.DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "partner": partner,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "dead_only": status == DeliveryStatus.DEAD,
    }
    return render(request, "web/partners/deliveries.html", context)


@require_platform_admin
@require_GET
def delivery_detail(request: PointRequest, partner_id: int, delivery_id: int) -> HttpResponse:
    partner = _partner(partner_id)
    try:
        delivery = webhook_selectors.partner_delivery_get(partner=partner, delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist as exc:
        raise Http404 from exc
    context = {"partner": partner, "delivery": delivery, "attempts": list(delivery.attempt_log.all())}
    return render(request, "web/partners/delivery.html", context)


@require_platform_admin
@require_POST
def deliveries_replay(request: PointRequest, partner_id: int) -> HttpResponse:
    """Replay the selected deliveries (`delivery` ids, one per row's button or many checked) of this
    partner; others' ids are ignored. Says how many were queued and which could not be."""
    partner = _partner(partner_id)
    ids = [int(value) for value in request.POST.getlist("delivery") if value.isdigit()][:500]
    queued = 0
    for delivery in WebhookDelivery.objects.filter(pk__in=ids, endpoint__partner=partner).order_by("id"):
        try:
            webhook_services.delivery_replay(actor=request.user, delivery=delivery)
        except DomainError as exc:
            messages.warning(request, f"{delivery.pk}: {exc.message}")
        else:
            queued += 1
    messages.success(request, _("Поставлено на повторную отправку: %(n)s") % {"n": queued})
    url = reverse("web:partner_deliveries", kwargs={"partner_id": partner.pk})
    if request.POST.get("status") in DeliveryStatus.values:
        url += "?" + urlencode({"status": request.POST["status"]})
    return redirect(url)
