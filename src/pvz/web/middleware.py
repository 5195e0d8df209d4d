"""The point the signed-in user is working at, re-checked on every request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from pvz.accounts.roles import Perm
from pvz.accounts.selectors import perms_at_point, points_for_user
from pvz.network.models import PickupPoint

POINT_SESSION_KEY = "point_id"
API_PREFIX = "/api/"
# The session's idle timeout (SESSION_COOKIE_AGE) restarts when the session is saved; saving it on every
# request cost a write transaction per API call, so it is refreshed at most once a minute instead.
SESSION_REFRESHED_KEY = "_refreshed_at"
SESSION_REFRESH_EVERY = 60  # seconds


class SessionIdleRefreshMiddleware:
    """Keeps a session alive while it is used: when the last refresh is a minute old or more, the session
    is marked modified, so SessionMiddleware saves it with a fresh expiry and cookie age. The idle timeout
    therefore ends between SESSION_COOKIE_AGE minus a minute and SESSION_COOKIE_AGE after the last
    request. Goes right after SessionMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return response  # no session cookie, or the session was flushed (signed out)
        refreshed = session.get(SESSION_REFRESHED_KEY)
        if session.is_empty():
            return response  # an expired or unknown session: SessionMiddleware drops its cookie
        now = int(time.time())
        stale = not isinstance(refreshed, int) or not 0 <= now - refreshed < SESSION_REFRESH_EVERY
        if stale or session.modified:  # a session saved anyway is refreshed for free
            session[SESSION_REFRESHED_KEY] = now
        return response


def session_stamp_refreshed(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """`user_logged_in` receiver: the session that signing in saves starts its idle timeout now."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_REFRESHED_KEY] = int(time.time())


class CurrentPointMiddleware:
    """Sets `request.point` and `request.point_perms`.

    The session only remembers a choice; membership is checked again on each request, so a point the
    user has lost (membership ended, point closed) stops working at once and the choice is forgotten.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            # The API names the point in every URL and checks access there (`api/permissions.py`);
            # working out the web's current point would cost it three queries for nothing.
            point, perms = None, frozenset[Perm]()
        else:
            point, perms = self._current(request)
        request.point = point  # type: ignore[attr-defined]
        request.point_perms = perms  # type: ignore[attr-defined]
        return self.get_response(request)

    @staticmethod
    def _current(request: HttpRequest) -> tuple[PickupPoint | None, frozenset[Perm]]:
        point_id = request.session.get(POINT_SESSION_KEY)
        if point_id is None or not request.user.is_authenticated:
            return None, frozenset()
        user = request.user
        point = points_for_user(user=user).filter(pk=point_id).first()
        if point is None:
            del request.session[POINT_SESSION_KEY]
            return None, frozenset()
        return point, perms_at_point(user=user, point=point)


class LanguageMiddleware:
    """Russian unless the person chose otherwise with the language switch (its cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and counter PCs often run an
    English system; the product is Russian first, so only an explicit choice changes the language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
