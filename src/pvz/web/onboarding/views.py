"""Opening a point: the public application form («Заявка на открытие ПВЗ») and its review by platform
admins (list, card with photos, approve or reject). The review needs the platform-wide ADMIN_PLATFORM
permission, not a point; another applicant's data is never shown to anyone else."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.audit.context import client_ip
from pvz.audit.services import audit_access_denied
from pvz.core.errors import DomainError, ErrorCode
from pvz.onboarding import selectors, services
from pvz.onboarding.models import PointApplication
from pvz.web.onboarding.forms import ApplicationFilterForm, ApplyForm, ApproveForm, RejectForm
from pvz.web.permissions import PointRequest, public_page
from pvz.web.security import private_photo_response

APPLIED_KEY = "onboarding_application_number"
APPLY = "web/onboarding/apply.html"
DETAIL = "web/onboarding/detail.html"


def require_platform_admin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Platform admins pass without a chosen point. Anyone else is treated like any point page: signed
    in, then a chosen point, then a 403 for lacking ADMIN_PLATFORM (recorded in the audit log)."""

    @wraps(view)
    def wrapped(request: PointRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_can(user=request.user, perm=Perm.ADMIN_PLATFORM, point=None):
            if request.point is None:
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('web:pick_point')}?{query}")
            audit_access_denied(permission=Perm.ADMIN_PLATFORM, point_id=request.point.pk, path=request.path)
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.required_perm = Perm.ADMIN_PLATFORM  # type: ignore[attr-defined]
    return wrapped


def _bind_error(form: Any, error: DomainError) -> DomainError | None:
    """Put a service error on its form field when it names one; the rest is shown above the form."""
    field = error.details.get("field")
    if error.code == ErrorCode.VALIDATION_FAILED and field in form.fields:
        form.add_error(field, str(error.message))
        return None
    return error


# ---- the public form ----------------------------------------------------------------------------------


@public_page
@require_http_methods(["GET", "POST"])
def apply(request: PointRequest) -> HttpResponse:
    form = ApplyForm(request.POST or None)
    error: DomainError | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                application = services.application_submit(
                    form=services.ApplicationForm(**form.cleaned_data),
                    photos=request.FILES.getlist("photos"),
                    ip=client_ip(request),
                )
            except DomainError as exc:
                error = _bind_error(form, exc)
                status = exc.http_status
            else:
                request.session[APPLIED_KEY] = application.number
                return redirect("web:apply_done")
        else:
            status = 422
    context = {"form": form, "error": error, "max_photos": services.MAX_PHOTOS}
    return render(request, APPLY, context, status=status)


@public_page
@require_GET
def apply_done(request: PointRequest) -> HttpResponse:
    """The application number, shown once to whoever just submitted it (kept in their session)."""
    number = request.session.get(APPLIED_KEY)
    if not number:
        return redirect("web:apply")
    return render(request, "web/onboarding/apply_done.html", {"number": number})


# ---- the review -----------------------------------------------------------------------------------------


@require_platform_admin
@require_GET
def applications_list(request: PointRequest) -> HttpResponse:
    form = ApplicationFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    applications = selectors.applications_list(user=request.user, status=status)
    return render(request, "web/onboarding/list.html", {"form": form, "applications": applications})


def _detail(
    request: PointRequest,
    application: PointApplication,
    *,
    bound: ApproveForm | RejectForm | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The card; `bound` is the approve or reject form as it was sent, shown again with its errors."""
    context = {
        "application": application,
        "photos": list(application.photos.all()),
        "approve_form": (
            bound
            if isinstance(bound, ApproveForm)
            else ApproveForm(initial=selectors.suggested_point_draft(application))
        ),
        "reject_form": bound if isinstance(bound, RejectForm) else RejectForm(),
        "error": error,
    }
    return render(request, DETAIL, context, status=status)


def _application(request: PointRequest, application_id: int) -> PointApplication:
    try:
        return selectors.application_get(user=request.user, application_id=application_id)
    except DomainError as exc:
        raise Http404 from exc


@require_platform_admin
@require_GET
def application_detail(request: PointRequest, application_id: int) -> HttpResponse:
    return _detail(request, _application(request, application_id))


def _decide(
    request: PointRequest,
    application_id: int,
    form: ApproveForm | RejectForm,
    decide: Callable[[PointApplication], object],
) -> HttpResponse:
    """Approve or reject with the form sent: a refusal shows the card again with that form; done, the card."""
    application = _application(request, application_id)
    if not form.is_valid():
        return _detail(request, application, bound=form, status=422)
    try:
        decide(application)
    except DomainError as exc:
        error = _bind_error(form, exc)
        return _detail(request, application, bound=form, error=error, status=exc.http_status)
    return redirect("web:onboarding_detail", application_id=application.pk)


@require_platform_admin
@require_POST
def application_approve(request: PointRequest, application_id: int) -> HttpResponse:
    form = ApproveForm(request.POST)
    return _decide(
        request,
        application_id,
        form,
        lambda application: services.application_approve(
            actor=request.user, application=application, draft=services.PointDraft(**form.cleaned_data)
        ),
    )


@require_platform_admin
@require_POST
def application_reject(request: PointRequest, application_id: int) -> HttpResponse:
    form = RejectForm(request.POST)
    return _decide(
        request,
        application_id,
        form,
        lambda application: services.application_reject(
            actor=request.user, application=application, reason=form.cleaned_data["reason"]
        ),
    )


@require_platform_admin
@require_GET
def application_photo(request: PointRequest, application_photo_id: int) -> HttpResponse:
    """A photo of the premises, to platform admins only; never cached."""
    try:
        photo = selectors.application_photo_get(user=request.user, photo_id=application_photo_id)
    except DomainError as exc:
        raise Http404 from exc
    return private_photo_response(photo.file, photo.content_type)
