"""The one permission check of API handlers: the caller must hold `perm` at the object's own point."""

from __future__ import annotations

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import user_can
from pvz.core.errors import PermissionDenied
from pvz.network.models import PickupPoint


def require_perm(*, user: User, perm: Perm, point: PickupPoint) -> None:
    """403 PERMISSION_DENIED unless `user` holds `perm` at `point` (visibility, a 404, is checked first
    by the selector that found the object)."""
    if not user_can(user=user, perm=perm, point=point):
        raise PermissionDenied(details={"point": point.pk, "permission": str(perm)})
