"""«Забыли пароль?»: a code by SMS to the registered phone, then the code and a new password on one form.
Every session of the person ends; they sign in again from the login page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pvz.accounts import sms
from pvz.accounts.passwords import password_reset_confirm, password_reset_request
from pvz.audit.context import client_ip
from pvz.core.errors import DomainError
from pvz.web.account.forms import PasswordCodeForm
from pvz.web.permissions import PointRequest, public_page
from pvz.web.signin.forms import PhoneForm

RESET_PHONE_KEY = "password_reset_phone"


@public_page
@require_http_methods(["GET", "POST"])
def reset_request(request: PointRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            password_reset_request(phone=phone, ip=client_ip(request))
        except DomainError as exc:
            error = exc
        else:
            request.session[RESET_PHONE_KEY] = phone
            return redirect("web:password_reset_confirm")
    context = {"form": form, "error": error, "outbox_enabled": sms.sms_outbox_enabled()}
    return render(request, "web/account/password_reset/request.html", context)


@public_page
@require_http_methods(["GET", "POST"])
def reset_confirm(request: PointRequest) -> HttpResponse:
    phone = request.session.get(RESET_PHONE_KEY)
    if not phone:
        return redirect("web:password_reset")
    form = PasswordCodeForm(request.POST or None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_confirm(
                phone=phone,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            error = exc
        else:
            # This browser's own session may have been one of those ended: start the message on a clean one.
            request.session.flush()
            messages.success(request, _("Пароль изменён. Войдите с новым паролем или по коду из SMS."))
            return redirect("web:login")
    context = {"form": form, "error": error, "phone": phone, "outbox_enabled": sms.sms_outbox_enabled()}
    return render(request, "web/account/password_reset/confirm.html", context)
