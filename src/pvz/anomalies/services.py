"""Writes on anomalies: flags raised by the operation rules (with the owners' alert and the optional
suspension), resolving flags, and lifting suspensions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.accounts.sms import sms_send
from pvz.anomalies.conf import value
from pvz.anomalies.models import AnomalyFlag, Rule, Suspension
from pvz.anomalies.rules import rule_sms_verifications, rules_after_issue
from pvz.anomalies.selectors import may_lift_suspension
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.counter.models import IssueSession
from pvz.network.models import PickupPoint
from pvz.notifications.triggers import staff_notify_anomaly
from pvz.usersessions.services import user_sessions_end

log = get_logger(__name__)


def _alert_owners(*, flag: AnomalyFlag) -> None:
    """Text every active owner of the flag's point (after commit)."""
    owners = User.objects.filter(
        is_active=True,
        memberships__point=flag.point,
        memberships__role=Role.OWNER,
        memberships__is_active=True,
    ).distinct()
    for owner in owners:
        with translation.override(owner.language or "ru"):
            text = gettext(
                "OpenPVZ, %(point)s: тревога «%(rule)s», сотрудник %(user)s. Раздел «Тревоги»."
            ) % {
                "point": flag.point.name,
                "rule": Rule(flag.rule).label,
                "user": flag.user.full_name or flag.user.phone,
            }
        after_commit(sms_send, phone=owner.phone, text=text)
    staff_notify_anomaly(
        flag_id=flag.pk,
        point=flag.point,
        rule_label=str(Rule(flag.rule).label),
        user_label=flag.user.full_name or flag.user.phone,
    )


def _end_sessions(user: User) -> None:
    user_sessions_end(user=user, reason="suspended")


def user_suspend(*, user: User, point: PickupPoint, flag: AnomalyFlag | None = None) -> Suspension | None:
    """Suspend `user` (refused everywhere until lifted) and end their sessions; None when already
    suspended. Platform admins are never suspended by a rule."""
    if user.platform_roles:
        return None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialises two suspensions
        if Suspension.objects.filter(user=user, lifted_at=None).exists():
            return None
        suspension = Suspension.objects.create(user=user, point=point, flag=flag, created_at=clock.now())
        audit_record(
            action="anomaly.suspended",
            actor=None,
            actor_phone="",
            point_id=point.pk,
            obj=suspension,
            details={"user_id": user.pk, "flag_id": flag.pk if flag else None},
        )
        _end_sessions(user)
    log.warning("user_suspended", user_id=user.pk, point_id=point.pk)
    return suspension


def anomaly_flag_raise(*, rule: Rule, user: User, point: PickupPoint, details: dict[str, Any]) -> AnomalyFlag:
    """Record that `rule` fired for `user` at `point`, text the point's owners, and suspend the user
    when PVZ_ANOMALY_SUSPEND is on."""
    with transaction.atomic():
        flag = AnomalyFlag.objects.create(
            user=user, point=point, rule=rule, details=details, created_at=clock.now()
        )
        audit_record(
            action="anomaly.flagged",
            point_id=point.pk,
            obj=flag,
            details={"rule": str(rule), "user_id": user.pk, **details},
        )
        _alert_owners(flag=flag)
        if value("PVZ_ANOMALY_SUSPEND"):
            user_suspend(user=user, point=point, flag=flag)
    log.warning("anomaly_flagged", rule=str(rule), user_id=user.pk, point_id=point.pk)
    return flag


def anomaly_check_after_issue(*, session: IssueSession) -> list[AnomalyFlag]:
    """Run the rules over a finished issue session; a failure here never undoes the issue."""
    try:
        with transaction.atomic():
            return [
                anomaly_flag_raise(rule=rule, user=user, point=session.point, details=details)
                for rule, user, details in rules_after_issue(session=session, now=clock.now())
            ]
    except Exception:
        log.exception("anomaly_check_failed", session_id=session.pk)
        return []


def anomaly_check_after_sms_verification(*, session: IssueSession) -> AnomalyFlag | None:
    """Run the SMS-verification rule for the operator of `session` (inside the verifying transaction)."""
    details = rule_sms_verifications(user=session.opened_by, point=session.point, now=clock.now())
    if details is None:
        return None
    return anomaly_flag_raise(
        rule=Rule.SMS_VERIFICATIONS, user=session.opened_by, point=session.point, details=details
    )


def anomaly_flag_resolve(*, actor: User, point: PickupPoint, flag_id: int) -> AnomalyFlag:
    """Close a flag of `point` (another point's flag: NOT_FOUND); resolving twice changes nothing."""
    with transaction.atomic():
        flag = AnomalyFlag.objects.select_for_update().filter(pk=flag_id, point=point).first()
        if flag is None:
            raise NotFound(_("Тревога не найдена."), details={"flag_id": flag_id})
        if flag.resolved_at is None:
            flag.resolved_at, flag.resolved_by = clock.now(), actor
            flag.save(update_fields=["resolved_at", "resolved_by"])
            audit_record(
                action="anomaly.resolved",
                actor=actor,
                point_id=point.pk,
                obj=flag,
                details={"rule": flag.rule},
            )
    log.info("anomaly_resolved", flag_id=flag.pk, actor_id=actor.pk)
    return flag


def suspension_lift(*, actor: User, point: PickupPoint, suspension_id: int) -> Suspension:
    """Let a suspended user work again: only the owner of `point` or a platform admin (a manager:
    PERMISSION_DENIED); another point's suspension NOT_FOUND, an already lifted one CONFLICT."""
    with transaction.atomic():
        suspension = Suspension.objects.select_for_update().filter(pk=suspension_id, point=point).first()
        if suspension is None:
            raise NotFound(_("Блокировка не найдена."), details={"suspension_id": suspension_id})
        if not may_lift_suspension(user=actor, point=point):
            raise PermissionDenied(_("Снять блокировку может владелец точки или администратор платформы."))
        if suspension.lifted_at is not None:
            raise Conflict(_("Блокировка уже снята."), details={"suspension_id": suspension_id})
        suspension.lifted_at, suspension.lifted_by = clock.now(), actor
        suspension.save(update_fields=["lifted_at", "lifted_by"])
        audit_record(
            action="anomaly.suspension_lifted",
            actor=actor,
            point_id=point.pk,
            obj=suspension,
            details={"user_id": suspension.user_id},
        )
    log.info("suspension_lifted", suspension_id=suspension.pk, actor_id=actor.pk)
    return suspension
