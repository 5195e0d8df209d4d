"""What the SQL functions of the scan hot path (docs/adr/0006-scan-hot-path.md) take to check the caller's
access themselves, as `require_perm` does in Python: the user, whether they hold a platform role, the roles
whose own permissions include "operate" and the roles that may be granted it (accounts.roles)."""

from __future__ import annotations

from typing import Any

from pvz.accounts.models import User
from pvz.accounts.roles import Perm, roles_grantable, roles_with

OPERATE_ROLES = roles_with(Perm.OPERATE)
OPERATE_GRANTABLE = roles_grantable(Perm.OPERATE)


def operate_access_args(actor: User) -> list[Any]:
    """The four access arguments, in the order every hot-path function takes them after its subject's id."""
    return [actor.pk, bool(actor.platform_roles), OPERATE_ROLES, OPERATE_GRANTABLE]
