"""Verifying a customer found by search for a return, with a one-time SMS code.

The counter's SMS codes belong to an issue session (`counter.verification`), so returns keep their own
codes per return visit, with the same mechanics (`core.codes`): 6 digits stored as a keyed hash, valid
while `now <= sent + 10 min`, single use, only the visit's newest code counts, the 5th wrong try kills it.
The rate limit counts the customer's codes of both kinds: one a minute and five an hour per customer.
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
from pvz.counter.models import CustomerCode, Verification
from pvz.counter.verification import (
    CODE_MAX_ATTEMPTS,
    CODE_TTL,
    CODES_PER_WINDOW,
    RATE_WINDOW,
    RESEND_INTERVAL,
)
from pvz.returns.models import ReturnCode, ReturnVisit

log = get_logger(__name__)

_SCOPE = "return"


def _retry_after(*, customer_id: int, now: dt.datetime) -> int | None:
    since = now - RATE_WINDOW
    recent = sorted(
        [
            *CustomerCode.objects.filter(customer_id=customer_id, created_at__gt=since).values_list(
                "created_at", flat=True
            ),
            *ReturnCode.objects.filter(customer_id=customer_id, created_at__gt=since).values_list(
                "created_at", flat=True
            ),
        ]
    )
    return code_retry_after(
        recent, now=now, resend_interval=RESEND_INTERVAL, window=RATE_WINDOW, per_window=CODES_PER_WINDOW
    )


def _lock_visit(visit: ReturnVisit) -> ReturnVisit:
    return (
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("point", "customer")
        .get(pk=visit.pk)
    )


def return_sms_code_send(*, actor: User, visit: ReturnVisit) -> ReturnCode:
    """Text a new code to the visit's customer (after commit). Too soon: RATE_LIMITED with
    `retry_after`; a verified visit needs none."""
    with transaction.atomic():
        locked = _lock_visit(visit)
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
        sent = ReturnCode.objects.create(
            visit=locked,
            customer=customer,
            phone=customer.phone,
            code_hash=code_hash(_SCOPE, locked.pk, code=code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        with translation.override("ru"):
            text = gettext("Код для возврата заказа в %(point)s: %(code)s. Назовите его сотруднику ПВЗ.") % {
                "point": locked.point.name,
                "code": code,
            }
        after_commit(sms_send, phone=customer.phone, text=text)
    log.info("return_code_sent", visit_id=locked.pk, code_id=sent.pk, actor_id=actor.pk)
    return sent


def return_sms_code_try(*, actor: User, visit: ReturnVisit, code: str) -> DomainError | None:
    """None when `code` verifies the visit (the code is spent), else the refusal. A wrong try is counted
    and the refusal returned, not raised, so a caller inside a transaction keeps the count."""
    with transaction.atomic():
        locked = _lock_visit(visit)
        now = clock.now()
        sent = ReturnCode.objects.filter(visit=locked).order_by("-created_at", "-id").first()
        if sent is None or sent.used_at is not None:
            return CodeInvalid(_("Код не отправлялся или уже использован. Отправьте новый код."))
        if sent.attempts >= CODE_MAX_ATTEMPTS:
            return CodeExhausted()
        if now > sent.expires_at:
            return CodeExpired(_("Срок действия SMS-кода истёк. Отправьте новый код."))
        if not code_matches(sent.code_hash, _SCOPE, locked.pk, code=code):
            ReturnCode.objects.filter(pk=sent.pk).update(attempts=sent.attempts + 1)
            left = CODE_MAX_ATTEMPTS - sent.attempts - 1
            if left == 0:
                return CodeExhausted()
            return CodeInvalid(
                _("Неверный SMS-код. Осталось попыток: %(left)s.") % {"left": left},
                details={"attempts_left": left},
            )
        ReturnCode.objects.filter(pk=sent.pk).update(used_at=now)
        locked.verification = Verification.SMS
        locked.verified_at = now
        locked.save(update_fields=["verification", "verified_at", "updated_at"])
    visit.verification, visit.verified_at = locked.verification, locked.verified_at
    log.info("return_code_accepted", visit_id=locked.pk, actor_id=actor.pk)
    return None
