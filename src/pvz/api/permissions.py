"""The permission checks of API handlers: the caller must see the point (else 404) and hold the
permission there (else 403)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import point_access, user_can
from pvz.core.errors import NotFound, PermissionDenied
from pvz.network.models import PickupPoint

Handler = TypeVar("Handler", bound=Callable[..., Any])

# What a handler declares for the permission matrix test (tests/security); the check itself stays in the
# handler. The same attribute names as the web's views (`pvz.web.permissions`).
ACCESS_SIGN_IN = "sign_in"


def requires(perm: Perm) -> Callable[[Handler], Handler]:
    """Declares that a handler needs `perm` at the point its URL names (by `point_id`, or through the
    object it names): 404 for a point the caller does not work at, 403 without `perm` there. Records the
    permission only; put it right above the `def`, under `@router.…` and `@idempotent`."""

    def declare(handler: Handler) -> Handler:
        handler.required_perm = perm  # type: ignore[attr-defined]
        return handler

    return declare


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
