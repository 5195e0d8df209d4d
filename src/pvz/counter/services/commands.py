"""Refusing the last scanned parcel by a command barcode (the refusal reason's number)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.counter.models import (
    IssueLine,
    IssueSession,
    RefusalReason,
)
from pvz.counter.selectors import refusal_reasons_for
from pvz.counter.services.lines import line_refuse
from pvz.counter.services.sessions import lock_open_session

log = get_logger(__name__)


# ---- refusal by command barcode -------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandRefusal:
    line: IssueLine
    reason: RefusalReason


def line_refuse_last(*, actor: User, session: IssueSession, number: int) -> CommandRefusal:
    """#REFUSE<n>: refuse the parcel scanned into the session most recently (whatever its state, so a
    second command only changes the reason), for the n-th (1-based) reason of its partner's list as the
    screen numbers it. Nothing scanned yet, or no such reason: VALIDATION_FAILED, nothing changed."""
    with transaction.atomic():
        locked = lock_open_session(session)
        last = locked.lines.select_related("shipment__partner").order_by("-scanned_at", "-id").first()
        if last is None:
            raise DomainError(
                _("Сначала отсканируйте отправление, от которого отказывается клиент, затем команду отказа."),
                details={"command": "refuse", "number": number},
            )
        reasons = refusal_reasons_for(partner=last.shipment.partner)
        if not 1 <= number <= len(reasons):
            raise DomainError(
                _("Причины отказа с номером %(number)s нет в списке (всего причин: %(count)s).")
                % {"number": number, "count": len(reasons)},
                details={"command": "refuse", "number": number, "reasons": len(reasons)},
            )
        reason = reasons[number - 1]
        line = line_refuse(actor=actor, session=locked, line_id=last.pk, reason_id=reason.pk)
    return CommandRefusal(line=line, reason=reason)
