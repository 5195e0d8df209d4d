"""The point the signed-in user is working at, re-checked on every request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from pvz.accounts.roles import Perm
from pvz.accounts.selectors import perms_at_point, points_for_user
from pvz.network.models import PickupPoint

POINT_SESSION_KEY = "point_id"


class CurrentPointMiddleware:
    """Sets `request.point` and `request.point_perms`.

    The session only remembers a choice; membership is checked again on each request, so a point the
    user has lost (membership ended, point closed) stops working at once and the choice is forgotten.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
