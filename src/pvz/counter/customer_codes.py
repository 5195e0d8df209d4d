"""One-time SMS codes that verify a customer found by search: for an issue session at the counter
(`counter.verification`) and for a return visit (`returns.verification`), both kinds in one table
(`CustomerCode`). Both verify the same way (`subject_code_send`, `subject_code_try`): those two modules only
lock their subject.

The mechanics are those of staff login codes (`core.codes`): 6 random digits stored only as a keyed hash,
valid while `now <= sent + 10 min`, single use, only the newest code of the session or visit counts, the
5th wrong try kills it (CODE_EXHAUSTED). The rate limit counts the customer's codes of both kinds: at most
one a minute and five an hour per customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from django.db import models, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.accounts.sms import sms_send
from pvz.audit.context import audit_context
from pvz.audit.hooks import audit_customer_code_sent
from pvz.core import clock
from pvz.core.codes import code_hash, code_matches, code_new, code_retry_after
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError, RateLimited
from pvz.core.locks import lock_for_transaction
from pvz.counter import hooks
from pvz.counter.errors import CodeExhausted, CodeExpired, CodeInvalid
from pvz.counter.models import CodeKind, CustomerCode, IssueSession, Verification
from pvz.guard.services import LockedOut, attempt_check, attempt_failed, attempt_succeeded, sms_send_check
from pvz.network.models import PickupPoint
from pvz.shipments.models import Customer

CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
RESEND_INTERVAL = dt.timedelta(seconds=60)
CODES_PER_WINDOW = 5
RATE_WINDOW = dt.timedelta(hours=1)
# What each kind's code hashes are keyed with, besides the subject's id.
HASH_SCOPES = {CodeKind.ISSUE: "counter", CodeKind.RETURN: "return"}


class CodeSubject(Protocol):
    """What a code verifies (an issue session, a return visit), as its lock function returns it."""

    pk: Any
    customer: Customer
    point: PickupPoint
    verification: str
    verified_at: dt.datetime | None

    @property
    def is_verified(self) -> bool: ...

    def save(self, *, update_fields: list[str]) -> None: ...


def customer_code_wait(*, customer: Customer, now: dt.datetime) -> None:
    """RATE_LIMITED with `retry_after` seconds when the customer had a code too recently. Inside the
    caller's transaction, which then creates the code: the customer's code requests from a counter and a
    return desk at once queue here, so both cannot pass one free place."""
    lock_for_transaction("customer_code", str(customer.pk))
    since = now - RATE_WINDOW
    recent = list(
        CustomerCode.objects.filter(customer=customer, created_at__gt=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    retry_after = code_retry_after(
        recent, now=now, resend_interval=RESEND_INTERVAL, window=RATE_WINDOW, per_window=CODES_PER_WINDOW
    )
    if retry_after is not None:
        raise RateLimited(
            _("Новый код можно отправить через %(seconds)s с.") % {"seconds": retry_after},
            details={"retry_after": retry_after},
        )


def customer_code_create(
    subject: CodeSubject, *, kind: CodeKind, customer: Customer, now: dt.datetime
) -> tuple[CustomerCode, str]:
    """A new code of `kind` for `subject` (a session or a visit) and the digits to text."""
    sms_send_check(phone=customer.phone, ip=audit_context().ip)
    code = code_new()
    sent = CustomerCode.objects.create(
        kind=kind,
        subject_id=subject.pk,
        customer=customer,
        phone=customer.phone,
        code_hash=code_hash(HASH_SCOPES[kind], subject.pk, code=code),
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    audit_customer_code_sent(cast(models.Model, subject), customer_id=customer.pk)  # a session or a visit
    return sent, code


def customer_code_spend(
    subject: CodeSubject, *, kind: CodeKind, code: str, now: dt.datetime
) -> DomainError | None:
    """Check `code` against the newest code of `kind` for `subject`: None when it matches (the code is
    spent), else the refusal; a wrong try is counted (the caller's transaction keeps it, so the refusal is
    returned)."""
    sent = (
        CustomerCode.objects.filter(kind=kind, subject_id=subject.pk).order_by("-created_at", "-id").first()
    )
    phone, ip = (sent.phone if sent is not None else None), audit_context().ip
    try:
        attempt_check(kind="customer_code", phone=phone, ip=ip)
    except LockedOut as locked_out:
        return locked_out
    refusal = _spend(sent, scope=(HASH_SCOPES[kind], subject.pk), code=code, now=now)
    if refusal is not None:
        attempt_failed(kind="customer_code", phone=phone, ip=ip)
        return refusal
    attempt_succeeded(kind="customer_code", phone=phone)
    if isinstance(subject, IssueSession):
        hooks.sms_verified(subject)
    return None


S = TypeVar("S", bound=CodeSubject)


def subject_code_send(
    *, subject: S, lock: Callable[[S], S], kind: CodeKind, text: str | Promise
) -> CustomerCode:
    """Text a new code to the customer of the session or visit (locked by `lock` in this transaction),
    after commit; the newest code retires older ones. A verified subject needs none; too soon after the
    last code is RATE_LIMITED with `retry_after`. `text` (with %(point)s and %(code)s) is sent in Russian."""
    with transaction.atomic():
        locked = lock(subject)
        if locked.is_verified:
            raise DomainError(
                _("Клиент уже подтверждён: SMS-код не нужен."), details={"verification": locked.verification}
            )
        now = clock.now()
        customer = locked.customer
        customer_code_wait(customer=customer, now=now)
        sent, code = customer_code_create(locked, kind=kind, customer=customer, now=now)
        with translation.override("ru"):
            message = str(text) % {"point": locked.point.name, "code": code}
        after_commit(sms_send, phone=customer.phone, text=message)
    return sent


def subject_code_try(*, subject: S, lock: Callable[[S], S], kind: CodeKind, code: str) -> DomainError | None:
    """None when `code` verifies the session or visit (locked by `lock` in this transaction), which is then
    marked verified by SMS, `subject` too (the code is spent); else the refusal, returned, not raised, so
    a caller's transaction around this one keeps the counted try."""
    with transaction.atomic():
        locked = lock(subject)
        now = clock.now()
        refusal = customer_code_spend(locked, kind=kind, code=code, now=now)
        if refusal is not None:
            return refusal
        locked.verification = Verification.SMS
        locked.verified_at = now
        locked.save(update_fields=["verification", "verified_at", "updated_at"])
    subject.verification, subject.verified_at = locked.verification, locked.verified_at
    return None


def _spend(
    sent: CustomerCode | None, *, scope: tuple[object, ...], code: str, now: dt.datetime
) -> DomainError | None:
    if sent is None or sent.used_at is not None:
        return CodeInvalid(_("Код не отправлялся или уже использован. Отправьте новый код."))
    if sent.attempts >= CODE_MAX_ATTEMPTS:
        return CodeExhausted()
    if now > sent.expires_at:
        return CodeExpired(_("Срок действия SMS-кода истёк. Отправьте новый код."))
    if not code_matches(sent.code_hash, *scope, code=code):
        CustomerCode.objects.filter(pk=sent.pk).update(attempts=sent.attempts + 1)
        left = CODE_MAX_ATTEMPTS - sent.attempts - 1
        if left == 0:
            return CodeExhausted()
        return CodeInvalid(
            _("Неверный SMS-код. Осталось попыток: %(left)s.") % {"left": left},
            details={"attempts_left": left},
        )
    CustomerCode.objects.filter(pk=sent.pk).update(used_at=now)
    return None
