"""Telling a device that its session was ended elsewhere, on its next request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from pvz.core.errors import DomainError, ErrorCode
from pvz.usersessions.messages import session_ended_message
from pvz.usersessions.selectors import session_end_reason

API_PREFIX = "/api/"
# The query parameter that makes the login page say why the session ended.
ENDED_PARAM = "ended"


class SessionEndedMiddleware:
    """A request whose session cookie names a session that `user_sessions_end` ended: pages go to the login
    page with the reason, the API answers 401 SESSION_ENDED. A signed-in request costs nothing extra (the
    session it loads is the one authentication loads anyway); only a cookie without a signed-in session
    costs one indexed query, once: the answer drops the dead cookie. Goes after SessionMiddleware and
    LanguageMiddleware (the message is translated)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key and SESSION_KEY not in request.session:
            reason = session_end_reason(session_key=key)
            if reason is not None:
                refusal = self._refusal(request, reason)
                if refusal is not None:
                    return refusal
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest, reason: str) -> HttpResponse | None:
        if request.path_info.startswith(API_PREFIX):
            error = DomainError(session_ended_message(reason), code=ErrorCode.SESSION_ENDED)
            error.details = {"reason": reason}
            return JsonResponse({"error": error.as_dict()}, status=error.http_status)
        login_url = reverse("web:login")
        if request.path_info == login_url:
            return None  # the login page itself: let it through, the cookie is dropped on the way out
        query = {ENDED_PARAM: reason}
        if request.method == "GET" and not request.headers.get("HX-Request"):  # a fragment is no page
            query["next"] = request.get_full_path()
        target = f"{login_url}?{urlencode(query)}"
        if request.headers.get("HX-Request"):
            # htmx would follow a redirect inside its request and swap the login page into a fragment;
            # HX-Redirect makes it load the login page as the whole page instead.
            return HttpResponse(headers={"HX-Redirect": target})
        return redirect(target)
