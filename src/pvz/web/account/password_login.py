"""Sign-in with phone and password (for staff who have set one); ends in the same `login_complete`."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pvz.accounts import sms
from pvz.core.errors import DomainError
from pvz.web.account.forms import PasswordLoginForm
from pvz.web.permissions import PointRequest, public_page
from pvz.web.signin.views import LOGIN_NEXT_KEY, _safe_next, login_complete

PHONE_PASSWORD_BACKEND = "pvz.accounts.backends.PhonePasswordBackend"  # noqa: S105 (a path)


@public_page
@require_http_methods(["GET", "POST"])
def login_password(request: PointRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:pick_point")
    form = PasswordLoginForm(request.POST or None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            # PhonePasswordBackend raises on every refusal, so None cannot come back for these credentials.
            user = authenticate(
                request, phone=form.cleaned_data["phone"], password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            error = exc
        else:
            assert user is not None
            request.session[LOGIN_NEXT_KEY] = _safe_next(request, request.GET.get("next"))
            return login_complete(request, user, backend=PHONE_PASSWORD_BACKEND)
    context = {"form": form, "error": error, "outbox_enabled": sms.sms_outbox_enabled()}
    return render(request, "web/account/login_password.html", context)
