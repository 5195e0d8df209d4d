"""Reads about second factors: what a person has, what the sign-in step asks for, and the points' rule."""

from __future__ import annotations

from dataclasses import dataclass

from pvz.accounts.models import Membership, User
from pvz.factors.models import BackupCode, EmailFactor, FactorMethod, PointFactorPolicy, TotpDevice
from pvz.network.models import PickupPoint


@dataclass(frozen=True)
class FactorSummary:
    email: str | None  # the address, confirmed or waiting for its code
    email_confirmed: bool
    totp: bool  # a confirmed authenticator app
    totp_pending: bool  # enrolment started, not confirmed yet
    backup_codes_left: int
    required: bool  # a point of theirs requires a second factor

    @property
    def has_second_factor(self) -> bool:
        return self.email_confirmed or self.totp


def factor_summary(*, user: User) -> FactorSummary:
    email = EmailFactor.objects.filter(user=user).first()
    device = TotpDevice.objects.filter(user=user).first()
    confirmed_totp = device is not None and device.confirmed_at is not None
    return FactorSummary(
        email=email.email if email else None,
        email_confirmed=email is not None and email.confirmed_at is not None,
        totp=confirmed_totp,
        totp_pending=device is not None and not confirmed_totp,
        backup_codes_left=(
            BackupCode.objects.filter(user=user, used_at__isnull=True).count() if confirmed_totp else 0
        ),
        required=second_factor_required(user=user),
    )


def second_factor_method(*, user: User) -> FactorMethod | None:
    """What the sign-in step asks for: the authenticator app (or a backup code) when one is confirmed,
    else a code by e-mail when an address is confirmed, else nothing (no second step)."""
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return FactorMethod.TOTP
    if EmailFactor.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return FactorMethod.EMAIL
    return None


def second_factor_required(*, user: User) -> bool:
    """Whether the person works (an active membership, any role) at an active point whose owner requires
    a second factor. Platform-wide roles alone never make it required."""
    return Membership.objects.filter(
        user=user,
        is_active=True,
        point__is_active=True,
        point__factor_policy__require_second_factor=True,
    ).exists()


def point_requires_second_factor(*, point: PickupPoint) -> bool:
    return PointFactorPolicy.objects.filter(point=point, require_second_factor=True).exists()


def point_factor_policy(*, point: PickupPoint) -> PointFactorPolicy | None:
    return PointFactorPolicy.objects.filter(point=point).select_related("set_by").first()
