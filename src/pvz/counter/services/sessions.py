"""Opening, cancelling and bagging an issue session; the session's lock and its live push."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.counter.errors import (
    SessionClosed,
)
from pvz.counter.models import (
    IssueSession,
    SessionStatus,
    Verification,
)
from pvz.counter.statuses import SESSION
from pvz.network.models import PickupPoint
from pvz.shipments.models import Customer

log = get_logger(__name__)

MAX_BAGS = 50


# ---- sessions -------------------------------------------------------------------------------------------


def session_open(
    *, actor: User, point: PickupPoint, customer: Customer, verification: Verification = Verification.NONE
) -> IssueSession:
    """The customer's open session at `point`, opened now if there is none. A verified opening (code or
    QR) verifies an unverified open session; a verification already recorded is kept."""
    with transaction.atomic():
        # Serialises openings for one customer, so two counters cannot both open a session for them.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        now = clock.now()
        session = (
            IssueSession.objects.select_for_update(of=("self",))
            .filter(point=point, customer=customer, status=SessionStatus.OPEN)
            .first()
        )
        if session is None:
            session = IssueSession.objects.create(
                point=point,
                customer=customer,
                opened_by=actor,
                opened_at=now,
                verification=verification,
                verified_at=now if verification != Verification.NONE else None,
            )
            _record_session(session, actor=actor, action="issue.opened", event="issue_session_opened")
        elif verification != Verification.NONE and not session.is_verified:
            session.verification, session.verified_at = verification, now
            session.save(update_fields=["verification", "verified_at", "updated_at"])
            _record_session(session, actor=actor, action="issue.verified", event="issue_session_verified")
    return session


def _record_session(session: IssueSession, *, actor: User, action: str, event: str) -> None:
    """Audit and log a session opened or verified, with how its customer was verified."""
    audit_record(
        action=action,
        actor=actor,
        point_id=session.point_id,
        obj=session,
        details={"customer": session.customer_id, "verification": session.verification},
    )
    log.info(event, session_id=session.pk, actor_id=actor.pk, how=session.verification)


def lock_open_session(session: IssueSession) -> IssueSession:
    """The session locked for a write, with its point and customer; SESSION_CLOSED once it has ended."""
    locked = (
        IssueSession.objects.select_for_update(of=("self",))
        .select_related("point", "customer")
        .get(pk=session.pk)
    )
    if locked.status != SessionStatus.OPEN:
        raise SessionClosed(details={"session_id": locked.pk, "status": locked.status})
    return locked


def session_cancel(*, actor: User, session: IssueSession) -> IssueSession:
    """End the session without issuing or refusing anything; its parcels stay where they are."""
    with transaction.atomic():
        locked = lock_open_session(session)
        SESSION.set(locked, SessionStatus.CANCELLED, details={"session_id": locked.pk})
        locked.finished_at = clock.now()
        locked.finished_by = actor
        locked.save(update_fields=["status", "finished_at", "finished_by", "updated_at"])
        audit_record(action="issue.cancelled", actor=actor, point_id=locked.point_id, obj=locked)
        session_push(locked)
    log.info("issue_session_cancelled", session_id=locked.pk, actor_id=actor.pk)
    return locked


def session_set_bags(*, actor: User, session: IssueSession, count: int) -> IssueSession:
    """How many bags the customer took (0–50)."""
    if not 0 <= count <= MAX_BAGS:
        raise DomainError(_("Количество пакетов — от 0 до 50."), details={"field": "count", "max": MAX_BAGS})
    with transaction.atomic():
        locked = lock_open_session(session)
        locked.bags = count
        locked.save(update_fields=["bags", "updated_at"])
    return locked


def session_push(session: IssueSession) -> None:
    after_commit(
        point_changed,
        session.point_id,
        topic="issue",
        data={
            "session": session.pk,
            "status": session.status,
            "issued": session.issued_count,
            "refused": session.refused_count,
        },
    )
