"""Sign-in by phone and one-time SMS code, and sign-out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from pvz.accounts import sms
from pvz.accounts.models import User
from pvz.accounts.services import login_code_request
from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.factors.selectors import second_factor_method, second_factor_required
from pvz.usersessions.messages import session_ended_message
from pvz.web.permissions import PointRequest, public_page
from pvz.web.signin.forms import CodeForm, PhoneForm

LOGIN_PHONE_KEY = "login_phone"
LOGIN_NEXT_KEY = "login_next"
PHONE_CODE_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"
# After the first factor, a person who needs a second one has this long to give it (or to enrol one).
PENDING_SIGN_IN_KEY = "pending_sign_in"
PENDING_SIGN_IN_TTL = dt.timedelta(minutes=10)


def _safe_next(request: PointRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def login_complete(request: PointRequest, user: User, *, backend: str) -> HttpResponse:
    """The first factor has been proven. A person with a second factor, or who must have one (a point of
    theirs requires it), is not signed in yet: a pending sign-in waits in the session for the second step
    (or for enrolment); everyone else is signed in and goes where the sign-in was headed."""
    next_url = request.session.pop(LOGIN_NEXT_KEY, None)
    request.session.pop(LOGIN_PHONE_KEY, None)
    method = second_factor_method(user=user)
    if method is None and not second_factor_required(user=user):
        return login_finish(request, user, backend=backend, next_url=next_url)
    request.session[PENDING_SIGN_IN_KEY] = {
        "user_id": user.pk,
        "backend": backend,
        "next": next_url,
        "started": clock.now().timestamp(),
        "enrol": method is None,
    }
    return redirect("web:login_second_factor_enrol" if method is None else "web:login_second_factor")


def login_finish(request: PointRequest, user: User, *, backend: str, next_url: str | None) -> HttpResponse:
    """Every factor the person needs has been proven: sign them in."""
    request.session.pop(PENDING_SIGN_IN_KEY, None)
    login(request, user, backend=backend)
    return redirect(next_url or "web:pick_point")


@dataclass(frozen=True)
class PendingSignIn:
    user: User
    backend: str
    next_url: str | None
    enrol_only: bool  # no second factor yet but one is required: the person may only enrol one


def pending_sign_in(request: PointRequest) -> PendingSignIn | None:
    """The sign-in waiting for its second step, or None when there is none or it is older than
    PENDING_SIGN_IN_TTL (exactly the TTL still counts) or its person was deactivated meanwhile."""
    data = request.session.get(PENDING_SIGN_IN_KEY)
    if not isinstance(data, dict):
        return None
    if clock.now().timestamp() - float(data.get("started", 0)) > PENDING_SIGN_IN_TTL.total_seconds():
        request.session.pop(PENDING_SIGN_IN_KEY, None)
        return None
    user_id = data.get("user_id")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    if user is None:
        request.session.pop(PENDING_SIGN_IN_KEY, None)
        return None
    return PendingSignIn(
        user=user, backend=str(data["backend"]), next_url=data.get("next"), enrol_only=bool(data.get("enrol"))
    )


@public_page
@require_http_methods(["GET", "POST"])
def login_phone(request: PointRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:pick_point")
    form = PhoneForm(request.POST or None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            login_code_request(phone=phone, ip=request.META.get("REMOTE_ADDR"))
        except DomainError as exc:
            error = exc
        else:
            request.session[LOGIN_PHONE_KEY] = phone
            request.session[LOGIN_NEXT_KEY] = _safe_next(request, request.GET.get("next"))
            return redirect("web:login_code")
    context = {"form": form, "error": error, "outbox_enabled": sms.sms_outbox_enabled()}
    # Sent here by SessionEndedMiddleware (or the live banner) after this device's session was ended.
    context["ended_message"] = session_ended_message(request.GET.get("ended"))
    return render(request, "web/signin/login_phone.html", context)


@public_page
@require_http_methods(["GET", "POST"])
def login_code(request: PointRequest) -> HttpResponse:
    phone = request.session.get(LOGIN_PHONE_KEY)
    if not phone:
        return redirect("web:login")
    form = CodeForm(request.POST or None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate(request, phone=phone, code=form.cleaned_data["code"])
        except DomainError as exc:
            error = exc
        else:
            if user is not None:
                return login_complete(request, user, backend=PHONE_CODE_BACKEND)
            # The backend refused without a reason of its own (e.g. a deactivated account).
            error = DomainError(_("Войти не удалось."), code=ErrorCode.NOT_AUTHENTICATED)
    context = {"form": form, "error": error, "phone": phone, "outbox_enabled": sms.sms_outbox_enabled()}
    return render(request, "web/signin/login_code.html", context)


@public_page
@require_POST
def logout_view(request: PointRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@public_page
def admin_login(request: PointRequest) -> HttpResponse:
    """Django admin's own login asks for a password, which phone-code users do not have: send them through
    the phone login and back to the admin. A signed-in user who is not a platform admin is refused."""
    if request.user.is_authenticated:
        if not request.user.is_staff:
            raise PermissionDenied
        return redirect(_safe_next(request, request.GET.get("next")) or "admin:index")
    target = _safe_next(request, request.GET.get("next")) or reverse("admin:index")
    return redirect(f"{reverse('web:login')}?{urlencode({'next': target})}")
