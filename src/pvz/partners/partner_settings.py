"""A partner's settings, changed by platform admins: storage period, return window, ID-check threshold,
label barcode patterns, and the partner's own refusal and return reasons. Every change is audited with the
changed fields, old and new values."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import RefusalReason
from pvz.network.barcodes import barcode_patterns_clean
from pvz.network.models import Partner
from pvz.returns.models import ReturnReason

PARTNER_DAYS_MAX = 365
REASON_KINDS = ("refusal", "return")


def _days(value: int, field: str) -> int:
    if not 1 <= value <= PARTNER_DAYS_MAX:
        raise DomainError(
            _("От 1 до %(max)s дней.") % {"max": PARTNER_DAYS_MAX},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": field},
        )
    return value


def partner_settings_update(
    *,
    actor: User,
    partner: Partner,
    storage_days: int,
    return_window_days: int,
    id_check_threshold_kop: int | None,
    barcode_patterns: list[str],
) -> Partner:
    """Change a partner's storage period, return window, ID-check threshold (kopecks; None: never) and
    label barcode patterns; audited with the changed fields, old and new values."""
    new: dict[str, object] = {
        "storage_days": _days(storage_days, "storage_days"),
        "return_window_days": _days(return_window_days, "return_window_days"),
        "id_check_threshold_kop": id_check_threshold_kop,
        "barcode_patterns": barcode_patterns_clean(barcode_patterns),
    }
    if id_check_threshold_kop is not None and id_check_threshold_kop < 0:
        raise DomainError(
            _("Порог не может быть отрицательным."),
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "id_check_threshold_kop"},
        )
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        changes = {
            field: [getattr(locked, field), value]
            for field, value in new.items()
            if getattr(locked, field) != value
        }
        if not changes:
            return locked
        for field, value in new.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="partner.settings_changed",
            actor=actor,
            obj=locked,
            details={"partner": locked.code, "changes": changes},
        )
    return locked


def _reason_model(kind: str) -> type[RefusalReason] | type[ReturnReason]:
    return RefusalReason if kind == "refusal" else ReturnReason


def partner_reason_create(
    *, actor: User, partner: Partner, kind: str, code: str, title: str, position: int
) -> RefusalReason | ReturnReason:
    """A partner's own refusal (kind "refusal") or return ("return") reason. Once a partner has an active
    reason of a kind, its own list replaces the default one. The code is unique per partner and kind."""
    model = _reason_model(kind)
    try:
        with transaction.atomic():
            reason = model.objects.create(partner=partner, code=code, title=title.strip(), position=position)
            audit_record(
                action=f"partner.{kind}_reason_created",
                actor=actor,
                obj=reason,
                details={"partner": partner.code, "code": code, "title": reason.title},
            )
    except IntegrityError as exc:
        raise DomainError(
            _("Причина с кодом %(code)s уже есть.") % {"code": code},
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "code"},
        ) from exc
    return reason


def partner_reason_update(
    *,
    actor: User,
    reason: RefusalReason | ReturnReason,
    title: str,
    position: int,
    is_active: bool,
) -> RefusalReason | ReturnReason:
    """Rename, reorder, deactivate or reactivate a partner's reason (its code stays: past refusals and
    returns point at it); audited with the changes."""
    kind = reason.kind
    with transaction.atomic():
        locked = type(reason).objects.select_for_update().get(pk=reason.pk)
        new = {"title": title.strip(), "position": position, "is_active": is_active}
        changes = {f: [getattr(locked, f), v] for f, v in new.items() if getattr(locked, f) != v}
        if not changes:
            return locked
        for field, value in new.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changes))
        audit_record(
            action=f"partner.{kind}_reason_changed",
            actor=actor,
            obj=locked,
            details={"code": locked.code, "changes": changes},
        )
    return locked
