"""Second factors on the web: the sign-in's second step (and the enrolment forced by an owner's rule),
enrolling and removing factors from «Безопасность», and the owner's switch for a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.audit.services import audit_access_denied
from pvz.core.errors import DomainError
from pvz.core.printing import qr_svg
from pvz.factors import services
from pvz.factors.models import FactorMethod
from pvz.factors.selectors import factor_summary, point_factor_policy, second_factor_method
from pvz.web.factors.forms import (
    EmailForm,
    FactorPolicyForm,
    RemoveFactorForm,
    SecondFactorForm,
    SixDigitCodeForm,
)
from pvz.web.permissions import AtPointRequest, PointRequest, public_page, require_point_perm, require_sign_in
from pvz.web.signin.views import PENDING_SIGN_IN_KEY, PendingSignIn, login_finish, pending_sign_in

EXPIRED_MESSAGE = _("Время на вход истекло. Войдите заново.")


def _ip(request: PointRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _restart_sign_in(request: PointRequest) -> HttpResponse:
    messages.warning(request, EXPIRED_MESSAGE)
    return redirect("web:login")


# --- the sign-in's second step ------------------------------------------------------------------------


@public_page
@require_http_methods(["GET", "POST"])
def login_second_factor(request: PointRequest) -> HttpResponse:
    pending = pending_sign_in(request)
    if pending is None:
        return _restart_sign_in(request)
    method = second_factor_method(user=pending.user)
    if method is None:
        if pending.enrol_only or factor_summary(user=pending.user).required:
            return redirect("web:login_second_factor_enrol")
        return login_finish(request, pending.user, backend=pending.backend, next_url=pending.next_url)
    form = SecondFactorForm(request.POST if request.POST.get("action") == "verify" else None)
    error: DomainError | None = None
    notice = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send" and method == FactorMethod.EMAIL:
                services.email_second_factor_send(user=pending.user, ip=_ip(request))
                notice = _("Код отправлен на e-mail.")
            elif form.is_valid():
                services.second_factor_verify(
                    user=pending.user, code=form.cleaned_data["code"], ip=_ip(request)
                )
                return login_finish(request, pending.user, backend=pending.backend, next_url=pending.next_url)
        except DomainError as exc:
            error = exc
    context = {"form": form, "error": error, "notice": notice, "method": method}
    return render(request, "web/factors/second_factor.html", context)


def _enrol_context(user: User, **extra: Any) -> dict[str, Any]:
    return {
        "summary": factor_summary(user=user),
        "enrolment": services.totp_enrolment_pending(user=user),
        "totp_form": SixDigitCodeForm(prefix="totp"),
        "email_form": EmailForm(),
        "email_code_form": SixDigitCodeForm(prefix="email"),
        **extra,
    }


def _enrol_action(request: PointRequest, user: User) -> tuple[str, Any]:
    """Run the enrolment step the form posted; returns (what happened, its result). An invalid form comes
    back as ("invalid", (its context name, the form))."""
    action = request.POST.get("action")
    if action == "totp_start":
        services.totp_enrol_start(user=user)
        return "started", None
    if action == "totp_confirm":
        form = SixDigitCodeForm(request.POST, prefix="totp")
        if not form.is_valid():
            return "invalid", ("totp_form", form)
        return "totp_confirmed", services.totp_enrol_confirm(
            user=user, code=form.cleaned_data["code"], ip=_ip(request)
        )
    if action == "email_add":
        email_form = EmailForm(request.POST)
        if not email_form.is_valid():
            return "invalid", ("email_form", email_form)
        services.email_factor_add(user=user, email=email_form.cleaned_data["email"], ip=_ip(request))
        return "email_sent", None
    if action == "email_confirm":
        form = SixDigitCodeForm(request.POST, prefix="email")
        if not form.is_valid():
            return "invalid", ("email_code_form", form)
        services.email_factor_confirm(user=user, code=form.cleaned_data["code"], ip=_ip(request))
        return "email_confirmed", None
    raise Http404


def _enrol_page(
    request: PointRequest,
    user: User,
    *,
    qr_url: str,
    forced: bool,
    on_done: Callable[[list[str] | None], HttpResponse],
) -> HttpResponse:
    error: DomainError | None = None
    extra: dict[str, Any] = {}
    if request.method == "POST":
        try:
            happened, result = _enrol_action(request, user)
        except DomainError as exc:
            error = exc
        else:
            if happened == "totp_confirmed":
                return on_done(result)
            if happened == "email_confirmed":
                return on_done(None)
            if happened != "invalid":
                return redirect(request.path)
            name, form = result
            extra[name] = form
    context = _enrol_context(user, error=error, qr_url=qr_url, forced=forced, **extra)
    return render(request, "web/factors/enrol.html", context)


def _backup_codes_page(request: PointRequest, codes: list[str], *, next_url: str) -> HttpResponse:
    response = render(request, "web/factors/backup_codes.html", {"codes": codes, "next_url": next_url})
    response["Cache-Control"] = "no-store"
    return response


def _pending_enrolling(request: PointRequest) -> PendingSignIn | None:
    pending = pending_sign_in(request)
    if pending is None or second_factor_method(user=pending.user) is not None:
        return None
    return pending


@public_page
@require_http_methods(["GET", "POST"])
def login_second_factor_enrol(request: PointRequest) -> HttpResponse:
    """A person who must have a second factor and has none: this page is all they may do until they
    enrol one; enrolling it completes the sign-in."""
    pending = _pending_enrolling(request)
    if pending is None:
        if request.session.get(PENDING_SIGN_IN_KEY):
            return redirect("web:login_second_factor")
        return _restart_sign_in(request)

    def done(codes: list[str] | None) -> HttpResponse:
        response = login_finish(request, pending.user, backend=pending.backend, next_url=pending.next_url)
        if codes is None:
            return response
        return _backup_codes_page(request, codes, next_url=response["Location"])

    return _enrol_page(
        request, pending.user, qr_url=reverse("web:login_second_factor_qr"), forced=True, on_done=done
    )


def _qr_response(user: User) -> HttpResponse:
    enrolment = services.totp_enrolment_pending(user=user)
    if enrolment is None:
        raise Http404
    response = HttpResponse(qr_svg(enrolment.uri, scale=4), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@public_page
@require_GET
def login_second_factor_qr(request: PointRequest) -> HttpResponse:
    pending = _pending_enrolling(request)
    if pending is None:
        raise Http404
    return _qr_response(pending.user)


# --- «Безопасность»: the signed-in person's own factors ----------------------------------------------


@require_sign_in
@require_http_methods(["GET", "POST"])
def factor_enrol(request: PointRequest) -> HttpResponse:
    def done(codes: list[str] | None) -> HttpResponse:
        if codes is None:
            return redirect("web:account_security")
        return _backup_codes_page(request, codes, next_url=reverse("web:account_security"))

    return _enrol_page(
        request, request.user, qr_url=reverse("web:factor_totp_qr"), forced=False, on_done=done
    )


@require_sign_in
@require_GET
def factor_totp_qr(request: PointRequest) -> HttpResponse:
    return _qr_response(request.user)


@require_sign_in
@require_POST
def factor_backup_codes(request: PointRequest) -> HttpResponse:
    try:
        codes = services.backup_codes_regenerate(user=request.user)
    except DomainError as exc:
        return render(request, "web/factors/remove.html", {"error": exc, "method": None}, status=409)
    return _backup_codes_page(request, codes, next_url=reverse("web:account_security"))


@require_sign_in
@require_http_methods(["GET", "POST"])
def factor_remove(request: PointRequest, method: str) -> HttpResponse:
    if method not in (FactorMethod.EMAIL, FactorMethod.TOTP):
        raise Http404
    user = request.user
    form = RemoveFactorForm(request.POST if request.POST.get("action") == "remove" else None)
    error: DomainError | None = None
    notice = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                services.email_second_factor_send(user=user, ip=_ip(request))
                notice = _("Код отправлен на e-mail.")
            elif form.is_valid():
                services.factor_remove(
                    user=user, method=method, code=form.cleaned_data["code"], ip=_ip(request)
                )
                return redirect("web:account_security")
        except DomainError as exc:
            error = exc
    context = {
        "form": form,
        "error": error,
        "notice": notice,
        "method": method,
        "proof": second_factor_method(user=user),
    }
    return render(request, "web/factors/remove.html", context)


# --- the owner's rule for a point ---------------------------------------------------------------------


@require_point_perm(Perm.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def point_security(request: AtPointRequest) -> HttpResponse:
    """Owners switch the rule; managers (who also manage staff) see it but cannot change it."""
    point = request.point
    may_change = services.may_set_factor_policy(user=request.user, point=point)
    policy = point_factor_policy(point=point)
    required = policy is not None and policy.require_second_factor
    if request.method == "POST":
        if not may_change:
            audit_access_denied(permission="set_factor_policy", point_id=point.pk, path=request.path)
            raise PermissionDenied
        form = FactorPolicyForm(request.POST)
        if form.is_valid():
            services.point_factor_policy_set(
                actor=request.user, point=point, required=form.cleaned_data["require_second_factor"]
            )
            return redirect("web:point_security")
    form = FactorPolicyForm(initial={"require_second_factor": required})
    context = {"form": form, "policy": policy, "required": required, "may_change": may_change}
    return render(request, "web/factors/point_security.html", context)
