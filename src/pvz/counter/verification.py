"""Verifying a customer found by search with a one-time SMS code sent to their phone.

The mechanics are those of staff login codes (`accounts.services`): 6 random digits stored only as a keyed
hash, valid while `now <= sent + 10 min`, single use, only the newest code of the session counts, the 5th
wrong try kills it (CODE_EXHAUSTED), at most one code a minute and five an hour per customer.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.sms import sms_send
from pvz.core import clock
from pvz.core.codes import code_hash, code_matches, code_new, code_retry_after
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError, RateLimited
from pvz.core.logging import get_logger
from pvz.counter.errors import CodeExhausted, CodeExpired, CodeInvalid
from pvz.counter.models import CustomerCode, IssueSession, Verification
from pvz.counter.services import lock_open_session

log = get_logger(__name__)

CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
RESEND_INTERVAL = dt.timedelta(seconds=60)
CODES_PER_WINDOW = 5
RATE_WINDOW = dt.timedelta(hours=1)


def _retry_after(*, customer_id: int, now: dt.datetime) -> int | None:
    recent = list(
        CustomerCode.objects.filter(customer_id=customer_id, created_at__gt=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    return code_retry_after(
        recent, now=now, resend_interval=RESEND_INTERVAL, window=RATE_WINDOW, per_window=CODES_PER_WINDOW
    )


def session_sms_code_send(*, actor: User, session: IssueSession) -> CustomerCode:
    """Text a new code to the session's customer (after commit); the newest code retires older ones.
    Too soon after the last one: RATE_LIMITED with `retry_after` seconds."""
    with transaction.atomic():
        locked = lock_open_session(session)
        if locked.is_verified:
            raise DomainError(
                _("Клиент уже подтверждён: SMS-код не нужен."), details={"verification": locked.verification}
            )
        now = clock.now()
        retry_after = _retry_after(customer_id=locked.customer_id, now=now)
        if retry_after is not None:
            raise RateLimited(
                _("Новый код можно отправить через %(seconds)s с.") % {"seconds": retry_after},
                details={"retry_after": retry_after},
            )
        code = code_new()
        customer = locked.customer
        sent = CustomerCode.objects.create(
            session=locked,
            customer=customer,
            phone=customer.phone,
            code_hash=code_hash("counter", locked.pk, code=code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        with translation.override("ru"):
            text = gettext("Код для получения заказа в %(point)s: %(code)s. Назовите его сотруднику ПВЗ.") % {
                "point": locked.point.name,
                "code": code,
            }
        after_commit(sms_send, phone=customer.phone, text=text)
    log.info("counter_code_sent", session_id=locked.pk, code_id=sent.pk, actor_id=actor.pk)
    return sent


def session_sms_code_try(*, actor: User, session: IssueSession, code: str) -> DomainError | None:
    """Check `code` against the session's newest SMS code: None when it verifies the session (the code is
    spent), else the refusal. A wrong try is counted in the caller's transaction and the refusal is
    returned, not raised, so a caller inside a transaction (an idempotent request) keeps the count."""
    with transaction.atomic():
        return _try(actor=actor, session=session, code=code)


def _try(*, actor: User, session: IssueSession, code: str) -> DomainError | None:
    locked = lock_open_session(session)
    now = clock.now()
    sent = CustomerCode.objects.filter(session=locked).order_by("-created_at", "-id").first()
    if sent is None or sent.used_at is not None:
        return CodeInvalid(_("Код не отправлялся или уже использован. Отправьте новый код."))
    if sent.attempts >= CODE_MAX_ATTEMPTS:
        return CodeExhausted()
    if now > sent.expires_at:
        return CodeExpired(_("Срок действия SMS-кода истёк. Отправьте новый код."))
    if not code_matches(sent.code_hash, "counter", locked.pk, code=code):
        CustomerCode.objects.filter(pk=sent.pk).update(attempts=sent.attempts + 1)
        left = CODE_MAX_ATTEMPTS - sent.attempts - 1
        if left == 0:
            return CodeExhausted()
        return CodeInvalid(
            _("Неверный SMS-код. Осталось попыток: %(left)s.") % {"left": left},
            details={"attempts_left": left},
        )
    CustomerCode.objects.filter(pk=sent.pk).update(used_at=now)
    locked.verification = Verification.SMS
    locked.verified_at = now
    locked.save(update_fields=["verification", "verified_at", "updated_at"])
    session.verification, session.verified_at = locked.verification, locked.verified_at
    log.info("counter_code_accepted", session_id=locked.pk, actor_id=actor.pk)
    return None


def session_sms_code_verify(*, actor: User, session: IssueSession, code: str) -> IssueSession:
    """`session_sms_code_try` for callers outside a transaction: the try is committed, then a refusal is
    raised."""
    with transaction.atomic():
        refusal = session_sms_code_try(actor=actor, session=session, code=code)
    if refusal is not None:
        raise refusal
    return session
