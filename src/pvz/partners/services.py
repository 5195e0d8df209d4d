"""Partner API keys: create (the plaintext is returned once), rotate with an overlap, revoke; and the
carriage updates partners send (ETA, tracking points)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.logging import get_logger
from pvz.inbound.models import Carriage
from pvz.inbound.services import carriage_eta_update
from pvz.network.models import Partner
from pvz.partners.models import CarriageTrackingPoint, PartnerApiKey

log = get_logger(__name__)

KEY_SCHEME = "pvzk"
PREFIX_BYTES = 6  # 12 hex characters
SECRET_BYTES = 32


class KeyNotActive(DomainError):
    code = ErrorCode.CONFLICT
    default_message = _("Ключ уже отозван или истёк.")


@dataclass(frozen=True)
class IssuedKey:
    key: PartnerApiKey
    plaintext: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_parse(plaintext: str) -> tuple[str, str] | None:
    """`pvzk_<prefix>_<secret>` → (prefix, secret); None for anything else."""
    scheme, _sep, rest = plaintext.strip().partition("_")
    prefix, _sep2, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def key_is_active(key: PartnerApiKey, *, now: dt.datetime) -> bool:
    """Works while not revoked and strictly before `expires_at` (at that second it no longer works)."""
    if key.revoked_at is not None and key.revoked_at <= now:
        return False
    return key.expires_at is None or now < key.expires_at


def key_authenticate(plaintext: str) -> PartnerApiKey | None:
    """The active key `plaintext` names, or None (unknown, wrong secret, revoked or expired)."""
    parsed = key_parse(plaintext)
    if parsed is None:
        return None
    prefix, secret = parsed
    key = PartnerApiKey.objects.select_related("partner").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, secret_hash(secret)):
        return None
    now = clock.now()
    if not key_is_active(key, now=now):
        return None
    # At most one write a minute per key: enough to see which keys are in use.
    if key.last_used_at is None or now - key.last_used_at >= dt.timedelta(minutes=1):
        PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def _issue(*, partner: Partner, name: str, actor: User | None, expires_at: dt.datetime | None) -> IssuedKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    key = PartnerApiKey.objects.create(
        partner=partner,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash(secret),
        created_by=actor,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    return IssuedKey(key=key, plaintext=f"{KEY_SCHEME}_{prefix}_{secret}")


def _check_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > 100:
        raise DomainError(_("Укажите название ключа (до 100 символов)."), details={"field": "name"})
    return text


def key_create(
    *, actor: User | None, partner: Partner, name: str, expires_at: dt.datetime | None = None
) -> IssuedKey:
    """A new key for `partner`; its plaintext is in the result and nowhere else, ever."""
    text = _check_name(name)
    if expires_at is not None and expires_at <= clock.now():
        raise DomainError(_("Срок действия ключа должен быть в будущем."), details={"field": "expires_at"})
    with transaction.atomic():
        issued = _issue(partner=partner, name=text, actor=actor, expires_at=expires_at)
        audit_record(
            action="partner_key.created",
            actor=actor,
            obj=issued.key,
            details={"partner": partner.pk, "prefix": issued.key.prefix, "name": text},
        )
    log.info("partner_key_created", partner_id=partner.pk, prefix=issued.key.prefix)
    return issued


def overlap_period() -> dt.timedelta:
    return dt.timedelta(days=settings.PVZ_PARTNER_KEY_OVERLAP_DAYS)


def key_rotate(*, actor: User | None, key: PartnerApiKey) -> IssuedKey:
    """A new key in place of `key` (same partner, name and expiry); the old one keeps working for the
    overlap period (PVZ_PARTNER_KEY_OVERLAP_DAYS, or until its own earlier expiry). A revoked or expired
    key cannot be rotated (CONFLICT)."""
    with transaction.atomic():
        locked = PartnerApiKey.objects.select_for_update().select_related("partner").get(pk=key.pk)
        now = clock.now()
        if not key_is_active(locked, now=now) or locked.replaced_by_id is not None:
            raise KeyNotActive(details={"prefix": locked.prefix})
        issued = _issue(partner=locked.partner, name=locked.name, actor=actor, expires_at=locked.expires_at)
        overlap_end = now + overlap_period()
        if locked.expires_at is None or overlap_end < locked.expires_at:
            locked.expires_at = overlap_end
        locked.replaced_by = issued.key
        locked.save(update_fields=["expires_at", "replaced_by"])
        audit_record(
            action="partner_key.rotated",
            actor=actor,
            obj=locked,
            details={
                "partner": locked.partner_id,
                "prefix": locked.prefix,
                "new_prefix": issued.key.prefix,
                "old_expires_at": locked.expires_at.isoformat(),
            },
        )
    log.info("partner_key_rotated", partner_id=locked.partner_id, prefix=locked.prefix)
    return issued


def key_revoke(*, actor: User | None, key: PartnerApiKey) -> PartnerApiKey:
    """Stops `key` at once. Revoking a revoked key changes nothing."""
    with transaction.atomic():
        locked = PartnerApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            action="partner_key.revoked",
            actor=actor,
            obj=locked,
            details={"partner": locked.partner_id, "prefix": locked.prefix},
        )
    log.info("partner_key_revoked", partner_id=locked.partner_id, prefix=locked.prefix)
    return locked


@dataclass(frozen=True)
class TrackingPointIn:
    at: dt.datetime
    lat: Decimal | None = None
    lon: Decimal | None = None
    text: str = ""


TRACKING_POINTS_MAX = 100
# A tracking point may be a little ahead of the server's clock (the partner's clock drifts), no more.
TRACKING_CLOCK_SKEW = dt.timedelta(minutes=5)


def _check_points(points: list[TrackingPointIn], now: dt.datetime) -> None:
    if len(points) > TRACKING_POINTS_MAX:
        raise DomainError(
            _("Не больше %(max)s точек за один запрос.") % {"max": TRACKING_POINTS_MAX},
            details={"field": "tracking_points", "max": TRACKING_POINTS_MAX},
        )
    for index, point in enumerate(points):
        field = f"tracking_points.{index}"
        if timezone.is_naive(point.at):
            raise DomainError(_("Укажите время с часовым поясом."), details={"field": f"{field}.at"})
        if point.at > now + TRACKING_CLOCK_SKEW:
            raise DomainError(_("Точка маршрута не может быть в будущем."), details={"field": f"{field}.at"})
        if (point.lat is None) != (point.lon is None):
            raise DomainError(_("Укажите и широту, и долготу."), details={"field": field})
        if point.lat is None and not point.text.strip():
            raise DomainError(_("Укажите координаты или описание места."), details={"field": field})


def carriage_partner_update(
    *, key: PartnerApiKey, carriage: Carriage, eta: dt.datetime | None, points: list[TrackingPointIn]
) -> Carriage:
    """A partner's update of its carriage: a new ETA (when given; the rules of
    `pvz.inbound.services.carriage_eta_update`) and tracking points (a point at an `at` already recorded
    replaces it). All or nothing."""
    now = clock.now()
    _check_points(points, now)
    with transaction.atomic():
        updated = carriage
        if eta is not None and eta != carriage.eta:
            updated = carriage_eta_update(actor=None, carriage=carriage, eta=eta)
        for point in points:
            CarriageTrackingPoint.objects.update_or_create(
                carriage=updated,
                at=point.at,
                defaults={"lat": point.lat, "lon": point.lon, "text": point.text.strip(), "created_at": now},
            )
        audit_record(
            action="carriage.partner_updated",
            point_id=updated.point_id,
            obj=updated,
            details={
                "partner": key.partner_id,
                "key": key.prefix,
                "number": updated.number,
                "eta": eta.astimezone(dt.UTC).isoformat() if eta is not None else None,
                "tracking_points": len(points),
            },
        )
    return updated
