"""Optional permissions granted to one person's role at one point, on top of what the role gives."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pvz.accounts.models import Membership


class PermissionGrant(models.Model):
    """One optional permission on one membership. Which permissions a role may get is declared in
    `accounts.roles.ROLE_GRANTABLE`; `accounts.selectors` adds the grants to the role's permissions.
    Withdrawing deletes the row: the audit log keeps the history."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="permission_grants")
    # No choices: which values are valid is ROLE_GRANTABLE's business, checked by the services, so a new
    # permission elsewhere needs no migration here.
    perm = models.CharField(max_length=32)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "perm"], name="uniq_permission_grant")]

    def __str__(self) -> str:
        return f"{self.membership} + {self.perm}"
