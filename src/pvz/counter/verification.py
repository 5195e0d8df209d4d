"""Verifying the customer of an issue session found by search, with a one-time SMS code sent to their
phone (the code's rules: `counter.customer_codes`)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.counter.customer_codes import subject_code_send, subject_code_try
from pvz.counter.models import CodeKind, CustomerCode, IssueSession
from pvz.counter.services import lock_open_session

log = get_logger(__name__)


def session_sms_code_send(*, actor: User, session: IssueSession) -> CustomerCode:
    """Text a new code to the session's customer (after commit); the newest code retires older ones.
    Too soon after the last one: RATE_LIMITED with `retry_after` seconds."""
    sent = subject_code_send(
        subject=session,
        lock=lock_open_session,
        kind=CodeKind.ISSUE,
        text=_("Код для получения заказа в %(point)s: %(code)s. Назовите его сотруднику ПВЗ."),
    )
    log.info("counter_code_sent", session_id=session.pk, code_id=sent.pk, actor_id=actor.pk)
    return sent


def session_sms_code_try(*, actor: User, session: IssueSession, code: str) -> DomainError | None:
    """Check `code` against the session's newest SMS code: None when it verifies the session (the code is
    spent), else the refusal. A wrong try is counted in the caller's transaction and the refusal is
    returned, not raised, so a caller inside a transaction (an idempotent request) keeps the count."""
    refusal = subject_code_try(subject=session, lock=lock_open_session, kind=CodeKind.ISSUE, code=code)
    if refusal is None:
        log.info("counter_code_accepted", session_id=session.pk, actor_id=actor.pk)
    return refusal


def session_sms_code_verify(*, actor: User, session: IssueSession, code: str) -> IssueSession:
    """`session_sms_code_try` for callers outside a transaction: the try is committed, then a refusal is
    raised."""
    with transaction.atomic():
        refusal = session_sms_code_try(actor=actor, session=session, code=code)
    if refusal is not None:
        raise refusal
    return session
