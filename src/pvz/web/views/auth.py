"""Sign-in by phone and one-time SMS code, and sign-out."""

from __future__ import annotations

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
from pvz.core.errors import DomainError, ErrorCode
from pvz.web.forms import CodeForm, PhoneForm
from pvz.web.permissions import PointRequest

LOGIN_PHONE_KEY = "login_phone"
LOGIN_NEXT_KEY = "login_next"
PHONE_CODE_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"


def _safe_next(request: PointRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def login_complete(request: PointRequest, user: User, *, backend: str) -> HttpResponse:
    """The first factor has been proven: sign `user` in and go where the sign-in was headed."""
    next_url = request.session.get(LOGIN_NEXT_KEY)
    login(request, user, backend=backend)
    request.session.pop(LOGIN_PHONE_KEY, None)
    request.session.pop(LOGIN_NEXT_KEY, None)
    return redirect(next_url or "web:pick_point")


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
    return render(request, "web/login_phone.html", context)


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
    return render(request, "web/login_code.html", context)


@require_POST
def logout_view(request: PointRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


def admin_login(request: PointRequest) -> HttpResponse:
    """Django admin's own login asks for a password, which phone-code users do not have: send them through
    the phone login and back to the admin. A signed-in user who is not a platform admin is refused."""
    if request.user.is_authenticated:
        if not request.user.is_staff:
            raise PermissionDenied
        return redirect(_safe_next(request, request.GET.get("next")) or "admin:index")
    target = _safe_next(request, request.GET.get("next")) or reverse("admin:index")
    return redirect(f"{reverse('web:login')}?{urlencode({'next': target})}")
