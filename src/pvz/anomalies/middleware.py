"""Refusing every request of a suspended account: pages get the «Учётная запись приостановлена» page,
the API a 403 ACCOUNT_SUSPENDED. Goes after AuthenticationMiddleware. The session middleware usually
knows already (`pvz_suspended`, read with the session and the user in one query); otherwise one indexed
query."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pvz.anomalies.selectors import user_is_suspended
from pvz.core.errors import DomainError, ErrorCode

API_PREFIX = "/api/"


class AccountSuspended(DomainError):
    code = ErrorCode.ACCOUNT_SUSPENDED
    default_message = _("Учётная запись приостановлена. Обратитесь к владельцу точки.")


class SuspendedAccountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and self._suspended(request, user.pk)
            and request.path_info != reverse("web:logout")  # signing out stays possible
        ):
            error = AccountSuspended()
            if request.path_info.startswith(API_PREFIX):
                return JsonResponse({"error": error.as_dict()}, status=error.http_status)
            return render(request, "web/anomalies/suspended.html", {"error": error}, status=error.http_status)
        return self.get_response(request)

    @staticmethod
    def _suspended(request: HttpRequest, user_id: int) -> bool:
        known = getattr(request, "pvz_suspended", None)
        return known if known is not None else user_is_suspended(user_id=user_id)
