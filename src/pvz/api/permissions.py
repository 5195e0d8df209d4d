"""The permission checks of API handlers, enforced by declaration: `@requires(Perm.X)` finds the point the
URL names and lets the handler run only for a caller who works there (else 404: another point's existence
is not disclosed) and holds `Perm.X` there (else 403).

The point comes from the path's `point_id`, or, for a route that names an object (`/cells/{cell_id}`),
through a `Lookup` the route passes as `via=`: the object by its id, then the caller's access to the
object's point, in two index probes. The handler reads what was found with `point_of(request)` and
`subject_of(request, Model)` instead of checking again. A rule that depends on the request body (which
role may be granted) stays in the handler, after the declared check.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from django.db.models import Model
from django.http import HttpRequest
from ninja.errors import ConfigError
from ninja.operation import Operation
from ninja.signature.utils import get_typed_signature
from ninja.utils import contribute_operation_callback

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import perms_at_point, point_access, user_can
from pvz.api.auth import caller
from pvz.core.errors import NotFound, PermissionDenied
from pvz.network.models import PickupPoint

Handler = TypeVar("Handler", bound=Callable[..., Any])
M = TypeVar("M", bound=Model)

# What a handler declares for the permission matrix test (tests/security); the same attribute names as the
# web's views (`pvz.web.permissions`).
ACCESS_SIGN_IN = "sign_in"
# The answers `requires` itself may give; an operation declaring it must document them.
_OWN_STATUSES = (403, 404)
_FOUND = "_pvz_access"


@dataclass(frozen=True)
class Lookup:
    """How a route finds the object its path names, and that object's point. `find(user, id)` returns the
    object among the caller's points (NOT_FOUND for a missing or foreign one); `@requires` then checks the
    permission at `point(object)`. With `checks_perm`, `find(user, id, perm)` checks the permission itself
    (a selector that answers both in one round trip)."""

    parameter: str
    find: Callable[..., Model]
    point: Callable[[Any], PickupPoint] = attrgetter("point")
    checks_perm: bool = False


@dataclass(frozen=True)
class _Found:
    point: PickupPoint | None
    subject: Model | None


def requires(
    perm: Perm, *, via: Lookup | None = None, platform: bool = False, checked_by: str = ""
) -> Callable[[Handler], Handler]:
    """Enforce `perm` before the handler runs: at the point of the path's `point_id`, or at the point of the
    object `via` finds, or platform-wide (`platform=True`, a route about no point): 404 for a point the
    caller does not work at, 403 without `perm` there. `checked_by` says where else the check is
    made, for the rare route that cannot use these: the point optional in the query, or a hot path whose
    service checks access in the same round trip as its write. Put it right above the
    `def`, under `@router.…` and `@idempotent`, so a replayed request is answered as the first one was."""

    def declare(handler: Handler) -> Handler:
        chosen = sum([via is not None, platform, bool(checked_by)])
        if chosen > 1 or (chosen == 0 and "point_id" not in inspect.signature(handler).parameters):
            raise ConfigError(
                f"{handler.__qualname__}: @requires needs a point_id parameter or exactly one of via=, "
                "platform=True, checked_by="
            )
        if checked_by:
            handler.required_perm = perm  # type: ignore[attr-defined]
            return handler

        @functools.wraps(handler)
        def enforced(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = caller(request)
            if via is not None:
                value = kwargs[via.parameter]
                subject = via.find(user, value, perm) if via.checks_perm else via.find(user, value)
                point = via.point(subject)
                if not via.checks_perm:
                    require_perm(user=user, perm=perm, point=point)
                found = _Found(point, subject)
            elif platform:
                if perm not in perms_at_point(user=user, point=None):
                    raise PermissionDenied(details={"permission": str(perm)})
                found = _Found(None, None)
            else:
                found = _Found(point_for(user=user, point_id=kwargs["point_id"], perm=perm), None)
            setattr(request, _FOUND, found)
            return handler(request, *args, **kwargs)

        # django-ninja resolves string annotations in the view's module: give it the handler's signature,
        # resolved where the handler lives (as `@idempotent` does).
        enforced.__signature__ = get_typed_signature(handler)  # type: ignore[attr-defined]
        enforced.required_perm = perm  # type: ignore[attr-defined]
        contribute_operation_callback(enforced, functools.partial(_check_documented, handler, platform))
        return enforced  # type: ignore[return-value]

    return declare


def _check_documented(handler: Callable[..., Any], platform: bool, operation: Operation) -> None:
    own = (403,) if platform else _OWN_STATUSES
    missing = [status for status in own if status not in operation.response_models]
    if missing:
        raise ConfigError(f"{handler.__qualname__}: declare ErrorOut for {missing} in `response`")


def _found(request: HttpRequest) -> _Found:
    found = getattr(request, _FOUND, None)
    if not isinstance(found, _Found):
        raise ConfigError("point_of/subject_of need @requires on the handler")
    return found


def point_of(request: HttpRequest) -> PickupPoint:
    """The point `@requires` checked the caller's permission at."""
    point = _found(request).point
    if point is None:
        raise ConfigError("a platform-wide @requires names no point")
    return point


def subject_of(request: HttpRequest, model: type[M]) -> M:
    """The object `@requires(…, via=…)` found (and checked the caller's permission at its point)."""
    subject = _found(request).subject
    if not isinstance(subject, model):
        raise ConfigError(f"the route's lookup found {type(subject).__name__}, not {model.__name__}")
    return subject


def requires_sign_in(handler: Handler) -> Handler:
    """Declares that a handler needs a signed-in caller and no point: it acts on the caller themself or
    only ever reads the caller's own points."""
    handler.access = ACCESS_SIGN_IN  # type: ignore[attr-defined]
    return handler


def require_perm(*, user: User, perm: Perm, point: PickupPoint) -> None:
    """403 PERMISSION_DENIED unless `user` holds `perm` at `point` (visibility, a 404, is checked first
    by the selector that found the object)."""
    if not user_can(user=user, perm=perm, point=point):
        raise PermissionDenied(details={"point": point.pk, "permission": str(perm)})


def point_for(*, user: User, point_id: int, perm: Perm | None = None) -> PickupPoint:
    """The point named in the URL: 404 NOT_FOUND unless the caller works there (another point's existence
    is not disclosed), then 403 PERMISSION_DENIED unless they hold `perm` there (when given)."""
    access = point_access(user=user, point_id=point_id)
    if access is None:
        raise NotFound(details={"point": point_id})
    point, perms = access
    if perm is not None and perm not in perms:
        raise PermissionDenied(details={"point": point.pk, "permission": str(perm)})
    return point
