"""The finish: the taken parcels issued and the refused ones returned, in one action."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.counter import finish_database, hooks
from pvz.counter.errors import (
    IdCheckRequired,
    PartialRefusalNotAllowed,
    PaymentRequired,
    VerificationRequired,
)
from pvz.counter.models import (
    IssueLine,
    IssueSession,
    LineResult,
    LineState,
    RefusalReason,
    SessionStatus,
)
from pvz.counter.selectors import id_check_needed, split_order_lines
from pvz.counter.services.scanning import shipment_issue_error
from pvz.counter.services.sessions import lock_open_session, session_push
from pvz.counter.statuses import SESSION
from pvz.counter.typed import typed_issued_count
from pvz.shipments.counters import cells_lock
from pvz.shipments.models import Shipment
from pvz.shipments.services import return_zone_of, shipment_transition_locked, transition_apply
from pvz.shipments.statuses import Status

log = get_logger(__name__)


# ---- finishing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineOutcome:
    line: IssueLine
    shipment: Shipment
    result: LineResult
    error: DomainError | None = None


@dataclass(frozen=True)
class FinishResult:
    session: IssueSession
    lines: tuple[LineOutcome, ...]


def _blocking(line: IssueLine, shipment: Shipment, *, splits_order: bool) -> list[type[DomainError]]:
    """What stops the finish at this still-issuable line: its order sold whole split by this visit, and,
    for a parcel being taken, a missing ID check or payment."""
    problems: list[type[DomainError]] = [PartialRefusalNotAllowed] if splits_order else []
    if line.state == LineState.REFUSED:
        return problems
    if id_check_needed(shipment) and line.id_checked_at is None:
        problems.append(IdCheckRequired)
    if shipment.amount_due_kop > 0 and line.paid_at is None:
        problems.append(PaymentRequired)
    return problems


# A finish refused for several reasons answers with the first of these that applies.
_BLOCKING_ORDER: tuple[type[DomainError], ...] = (PartialRefusalNotAllowed, IdCheckRequired, PaymentRequired)


def session_finish(*, actor: User, session: IssueSession) -> FinishResult:
    """One action for the whole visit: taken parcels → ISSUED (out of their cells), refused → REFUSED into
    the point's return zone, unscanned ones untouched.

    Refused as a whole, changing nothing: not verified (VERIFICATION_REQUIRED), nothing scanned, or a
    taken parcel without its ID check (ID_CHECK_REQUIRED) or payment (PAYMENT_REQUIRED), or an order sold
    whole that this visit splits into taken and refused parcels (PARTIAL_REFUSAL_NOT_ALLOWED), every such
    line listed in `details.lines`. A parcel that stopped being issuable since its scan (deadline passed,
    issued elsewhere) gets its own error in its line while the others go through (DOMAIN rule 3)."""
    with transaction.atomic():
        locked = lock_open_session(session)
        if not locked.is_verified:
            raise VerificationRequired(details={"session_id": locked.pk})
        lines = list(locked.lines.select_related("refusal_reason").order_by("shipment_id"))
        if not lines:
            raise DomainError(
                _("В выдаче нет ни одного отправления. Отсканируйте посылки или отмените выдачу."),
                details={"session_id": locked.pk},
            )
        # Locked in id order, the same order every finish uses, so two finishes cannot deadlock.
        shipments = {
            s.pk: s
            for s in Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "point", "partner", "cell")
            .filter(pk__in=[line.shipment_id for line in lines])
            .order_by("pk")
        }
        now = clock.now()
        invalid: dict[int, DomainError] = {}
        for line in lines:
            error = shipment_issue_error(shipment=shipments[line.shipment_id], session=locked, now=now)
            if error is not None:
                invalid[line.pk] = error
        issuable = [(line, shipments[line.shipment_id]) for line in lines if line.pk not in invalid]
        split = split_order_lines(issuable)
        blocking = [
            {"line_id": line.pk, "posting_number": shipment.posting_number, "code": str(problem.code)}
            for line, shipment in issuable
            for problem in _blocking(line, shipment, splits_order=line.pk in split)
        ]
        if blocking:
            codes = {b["code"] for b in blocking}
            first = next(error for error in _BLOCKING_ORDER if str(error.code) in codes)
            raise first(details={"lines": blocking})

        # The parcels leave their cells one by one, and each decrements its cell's counter under the cell's
        # row lock (shipments.counters): those locks are taken here first, in id order, for the same reason.
        cells_lock(shipment.cell_id for shipment in shipments.values())
        if finish_database.available():
            outcomes = _finish_lines_at_once(actor, locked, lines, shipments, invalid)
        else:
            outcomes = [
                _finish_line(actor, locked, line, shipments[line.shipment_id], invalid.get(line.pk))
                for line in lines
            ]
        SESSION.set(locked, SessionStatus.FINISHED, details={"session_id": locked.pk})
        locked.finished_at = now
        locked.finished_by = actor
        locked.issued_count = sum(o.result == LineResult.ISSUED for o in outcomes)
        locked.refused_count = sum(o.result == LineResult.REFUSED for o in outcomes)
        locked.typed_issued = typed_issued_count(
            line_ids=[o.line.pk for o in outcomes if o.result == LineResult.ISSUED]
        )
        locked.save()
        audit_record(
            action="issue.finished",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={
                "issued": locked.issued_count,
                "refused": locked.refused_count,
                "failed": len(invalid),
                "payment": sorted(
                    {
                        o.line.payment_method
                        for o in outcomes
                        if o.result == LineResult.ISSUED and o.line.paid_at
                    }
                ),
            },
        )
        session_push(locked)
    hooks.finished(locked)
    log.info(
        "issue_session_finished",
        session_id=locked.pk,
        actor_id=actor.pk,
        issued=locked.issued_count,
        refused=locked.refused_count,
        failed=len(invalid),
    )
    return FinishResult(session=locked, lines=tuple(outcomes))


def _finish_line(
    actor: User, session: IssueSession, line: IssueLine, shipment: Shipment, error: DomainError | None
) -> LineOutcome:
    if error is None:
        refused = line.state == LineState.REFUSED
        reason: RefusalReason | None = line.refusal_reason
        try:
            # Its own savepoint: a failure here leaves this parcel untouched and the others going on.
            with transaction.atomic():
                shipment_transition_locked(
                    actor=actor,
                    shipment=shipment,
                    to_status=Status.REFUSED if refused else Status.ISSUED,
                    reason=f"refused:{reason.code}" if refused and reason else "issued",
                    cell=return_zone_of(point=session.point, actor=actor) if refused else None,
                    idempotency_key=f"issue:{session.pk}:{shipment.pk}",
                    details={"session": session.pk, "refusal": reason.title if refused and reason else ""},
                    push=False,
                )
        except DomainError as exc:
            error = exc
        else:
            line.result = LineResult.REFUSED if refused else LineResult.ISSUED
            line.result_code = ""
            line.save(update_fields=["result", "result_code"])
            return LineOutcome(line=line, shipment=shipment, result=LineResult(line.result))
    line.result, line.result_code = LineResult.FAILED, str(error.code)
    line.save(update_fields=["result", "result_code"])
    return LineOutcome(line=line, shipment=shipment, result=LineResult.FAILED, error=error)


def _finish_lines_at_once(
    actor: User,
    session: IssueSession,
    lines: list[IssueLine],
    shipments: dict[int, Shipment],
    invalid: dict[int, DomainError],
) -> list[LineOutcome]:
    """`_finish_line` for every line, decided here the same way (the transition's checks and changes by
    `transition_apply`, in memory), then written in one call (`finish_database`, PostgreSQL). A refused
    transition changes nothing in memory before it is refused, so nothing needs undoing."""
    outcomes: list[LineOutcome] = []
    items: list[finish_database.Written] = []
    for line in lines:
        shipment = shipments[line.shipment_id]
        error = invalid.get(line.pk)
        if error is None:
            refused = line.state == LineState.REFUSED
            reason: RefusalReason | None = line.refusal_reason
            try:
                from_status, at = transition_apply(
                    shipment=shipment,
                    to_status=Status.REFUSED if refused else Status.ISSUED,
                    cell=return_zone_of(point=session.point, actor=actor) if refused else None,
                )
            except DomainError as exc:
                error = exc
            else:
                line.result = LineResult.REFUSED if refused else LineResult.ISSUED
                line.result_code = ""
                items.append(
                    finish_database.Written(
                        line=line,
                        shipment=shipment,
                        from_status=from_status,
                        reason=f"refused:{reason.code}" if refused and reason else "issued",
                        key=f"issue:{session.pk}:{shipment.pk}",
                        details={
                            "session": session.pk,
                            "refusal": reason.title if refused and reason else "",
                        },
                        at=at,
                    )
                )
                log.info(
                    "shipment_transition",
                    shipment_id=shipment.pk,
                    from_status=from_status,
                    to_status=shipment.status,
                    actor_id=actor.pk,
                )
                outcomes.append(LineOutcome(line=line, shipment=shipment, result=LineResult(line.result)))
                continue
        line.result, line.result_code = LineResult.FAILED, str(error.code)
        items.append(finish_database.Written(line=line))
        outcomes.append(LineOutcome(line=line, shipment=shipment, result=LineResult.FAILED, error=error))
    finish_database.finish_write(actor=actor, items=items)
    return outcomes
