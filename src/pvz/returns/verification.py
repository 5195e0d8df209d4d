"""Verifying a customer found by search for a return, with a one-time SMS code.

The codes are the counter's (`counter.CustomerCode`, kind return, one per visit): the rules, the rate
limit (shared by both kinds) and the sending and checking themselves are those of
`counter.customer_codes`: this module only locks the visit.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.counter.customer_codes import subject_code_send, subject_code_try
from pvz.counter.models import CodeKind, CustomerCode
from pvz.returns.models import ReturnVisit

log = get_logger(__name__)


def _lock_visit(visit: ReturnVisit) -> ReturnVisit:
    return (
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("point", "customer")
        .get(pk=visit.pk)
    )


def return_sms_code_send(*, actor: User, visit: ReturnVisit) -> CustomerCode:
    """Text a new code to the visit's customer (after commit). Too soon: RATE_LIMITED with
    `retry_after`; a verified visit needs none."""
    sent = subject_code_send(
        subject=visit,
        lock=_lock_visit,
        kind=CodeKind.RETURN,
        text=_("Код для возврата заказа в %(point)s: %(code)s. Назовите его сотруднику ПВЗ."),
    )
    log.info("return_code_sent", visit_id=visit.pk, code_id=sent.pk, actor_id=actor.pk)
    return sent


def return_sms_code_try(*, actor: User, visit: ReturnVisit, code: str) -> DomainError | None:
    """None when `code` verifies the visit (the code is spent), else the refusal. A wrong try is counted
    and the refusal returned, not raised, so a caller inside a transaction keeps the count."""
    refusal = subject_code_try(subject=visit, lock=_lock_visit, kind=CodeKind.RETURN, code=code)
    if refusal is None:
        log.info("return_code_accepted", visit_id=visit.pk, actor_id=actor.pk)
    return refusal
