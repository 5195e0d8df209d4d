"""Verifying a customer found by search for a return, with a one-time SMS code.

The counter's SMS codes belong to an issue session, so returns keep their own codes per return visit; the
rules and the rate limit (shared by both kinds) are those of `counter.customer_codes`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.sms import sms_send
from pvz.core import clock
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.counter.customer_codes import customer_code_create, customer_code_spend, customer_code_wait
from pvz.counter.models import Verification
from pvz.returns.models import ReturnCode, ReturnVisit

log = get_logger(__name__)

_SCOPE = "return"


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
        customer = locked.customer
        customer_code_wait(customer=customer, now=now)
        sent: ReturnCode
        sent, code = customer_code_create(locked.codes, scope=(_SCOPE, locked.pk), customer=customer, now=now)
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
        refusal = customer_code_spend(locked.codes, scope=(_SCOPE, locked.pk), code=code, now=now)
        if refusal is not None:
            return refusal
        locked.verification = Verification.SMS
        locked.verified_at = now
        locked.save(update_fields=["verification", "verified_at", "updated_at"])
    visit.verification, visit.verified_at = locked.verification, locked.verified_at
    log.info("return_code_accepted", visit_id=locked.pk, actor_id=actor.pk)
    return None
