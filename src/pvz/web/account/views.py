"""«Безопасность»: the signed-in person's own sign-in settings (the password here; second factors are
included from the factors block)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pvz.accounts.passwords import password_change, password_is_set, password_reset_request, password_set
from pvz.audit.context import client_ip
from pvz.core.errors import DomainError
from pvz.web.account.forms import PasswordChangeForm, PasswordCodeForm
from pvz.web.permissions import PointRequest, require_sign_in


@require_sign_in
@require_http_methods(["GET", "POST"])
def security(request: PointRequest) -> HttpResponse:
    """GET shows the page; POST sets the first password (with a code from SMS) or changes the current one."""
    user = request.user
    has_password = password_is_set(user)
    form: PasswordChangeForm | PasswordCodeForm
    form = (
        PasswordChangeForm(request.POST or None) if has_password else PasswordCodeForm(request.POST or None)
    )
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if isinstance(form, PasswordChangeForm):
                password_change(
                    user=user,
                    current_password=data["current_password"],
                    new_password=data["new_password"],
                    ip=client_ip(request),
                )
                done = _("Пароль изменён.")
            else:
                password_set(
                    user=user, code=data["code"], new_password=data["new_password"], ip=client_ip(request)
                )
                done = _("Пароль задан. Теперь можно входить по телефону и паролю.")
        except DomainError as exc:
            error = exc
        else:
            # The session is bound to the password hash: keep this one signed in.
            update_session_auth_hash(request, user)
            messages.success(request, done)
            return redirect("web:account_security")
    context = {"form": form, "error": error, "has_password": has_password}
    return render(request, "web/account/security.html", context)


@require_sign_in
@require_POST
def security_code(request: PointRequest) -> HttpResponse:
    """Text the signed-in person a code for setting their first password."""
    try:
        password_reset_request(phone=request.user.phone, ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    else:
        messages.success(
            request, _("Код отправлен по SMS на номер %(phone)s.") % {"phone": request.user.phone}
        )
    return redirect("web:account_security")
