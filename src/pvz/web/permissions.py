"""Who may open a page: each view declares the permission it needs at the current point."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from pvz.accounts import sms
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.audit.services import audit_access_denied

if TYPE_CHECKING:
    from pvz.accounts.models import User
    from pvz.network.models import PickupPoint


class PointRequest(HttpRequest):
    """A request after CurrentPointMiddleware, as the views see it."""

    user: User
    point: PickupPoint | None
    point_perms: frozenset[Perm]


class AtPointRequest(PointRequest):
    """A request a `require_point_perm` view receives: signed in, its point chosen (never None) and the
    permission held there. Views and their helpers take this type instead of asserting the point."""

    point: PickupPoint


View = Callable[..., HttpResponse]

# What a view needs, declared on it for the permission matrix test (tests/security): views wrapped by
# `require_point_perm` carry `required_perm`; the others carry `access`, one of these.
ACCESS_PUBLIC = "public"
ACCESS_SIGN_IN = "sign_in"
ACCESS_OUTBOX = "outbox"


def public_page(view: View) -> View:
    """Declares a view open to anyone, signed in or not (sign-in, health check, the customer's QR page)."""
    view.access = ACCESS_PUBLIC  # type: ignore[attr-defined]
    return view


def require_point_perm(perm: Perm) -> Callable[[View], View]:
    """Sign-in first, then a chosen point, then `perm` at that point; a missing permission is a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: PointRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.point is None:
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('web:pick_point')}?{query}")
            if perm not in request.point_perms:
                audit_access_denied(permission=perm, point_id=request.point.pk, path=request.path)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require_sign_in(view: View) -> View:
    """Signed in, no point needed yet (the point picker itself)."""

    @wraps(view)
    def wrapped(request: PointRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.access = ACCESS_SIGN_IN  # type: ignore[attr-defined]
    return wrapped


def require_outbox_access(view: View) -> View:
    """The SMS outbox: only while the outbox gateway is configured (404 otherwise). With
    PVZ_SMS_OUTBOX_PUBLIC (the demo; never in production) it is open to anyone, because there it is the
    only way to receive a login code; otherwise it needs the platform-wide VIEW_SMS_OUTBOX permission."""

    @wraps(view)
    def wrapped(request: PointRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sms.sms_outbox_enabled():
            raise Http404
        if not settings.PVZ_SMS_OUTBOX_PUBLIC:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_can(user=request.user, perm=Perm.VIEW_SMS_OUTBOX, point=None):
                audit_access_denied(permission=Perm.VIEW_SMS_OUTBOX, point_id=None, path=request.path)
                raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.access = ACCESS_OUTBOX  # type: ignore[attr-defined]
    return wrapped
