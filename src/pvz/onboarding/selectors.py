"""Reads on opening applications: platform admins only (anyone else is refused with 403)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import perms_at_point
from pvz.core.errors import NotFound, PermissionDenied
from pvz.onboarding.models import ApplicationPhoto, ApplicationStatus, PointApplication


def _check_admin(user: User) -> None:
    if Perm.ADMIN_PLATFORM not in perms_at_point(user=user, point=None):
        raise PermissionDenied(details={"permission": str(Perm.ADMIN_PLATFORM)})


def applications_list(*, user: User, status: str = "") -> QuerySet[PointApplication]:
    """Applications newest first, of one status when given."""
    _check_admin(user)
    qs = PointApplication.objects.select_related("point").prefetch_related("photos")
    if status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    return qs


def application_get(*, user: User, application_id: int) -> PointApplication:
    _check_admin(user)
    found = (
        PointApplication.objects.select_related("point", "owner", "reviewed_by")
        .prefetch_related("photos")
        .filter(pk=application_id)
        .first()
    )
    if found is None:
        raise NotFound(details={"application": application_id})
    return found


def application_photo_get(*, user: User, photo_id: int) -> ApplicationPhoto:
    _check_admin(user)
    photo = ApplicationPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound(details={"photo": photo_id})
    return photo


def suggested_point_code(application: PointApplication) -> str:
    """A free code to prefill the approval form with: `pvz-<number>`."""
    return f"pvz-{application.number}"


def suggested_point_draft(application: PointApplication) -> dict[str, object]:
    """Initial values of the approval form: a free code, a name from the address, Moscow time, and a
    capacity of ten parcels per square metre (a common rule of thumb for racks), at least 100."""
    return {
        "code": suggested_point_code(application),
        "name": (gettext("ПВЗ %(address)s") % {"address": application.address})[:200],
        "timezone": "Europe/Moscow",
        "capacity": max(application.area_m2 * 10, 100),
    }
