"""Scanning a parcel into an issue session (one PostgreSQL call, `scan_database`, or the ORM path)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.core import clock
from pvz.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from pvz.core.logging import get_logger
from pvz.core.scan import normalize_scan
from pvz.core.sql import fits_bigint, loaded
from pvz.counter import scan_database
from pvz.counter.commands import command_classify
from pvz.counter.errors import (
    AlreadyIssued,
    SessionClosed,
    StorageExpired,
    WrongCustomer,
)
from pvz.counter.models import (
    IssueLine,
    IssueSession,
    LineState,
    SessionStatus,
)
from pvz.counter.selectors import session_get
from pvz.counter.services.sessions import lock_open_session
from pvz.counter.typed import typed_parcel_record
from pvz.network.models import Cell, Partner, PickupPoint
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Order, Shipment
from pvz.shipments.statuses import Status

log = get_logger(__name__)


# ---- scanning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanOutcome:
    line: IssueLine
    created: bool  # False: the parcel was already in this session; nothing changed
    # The line carries its shipment with partner, cell and point as they are now (no need to read it again).
    complete: bool = False


_NOT_AT_POINT = _("Отправление %(code)s не найдено на этой точке.")
_IN_ANOTHER_SESSION = _("Отправление уже в другой выдаче (сотрудник %(operator)s).")


def shipment_issue_error(
    *, shipment: Shipment, session: IssueSession, now: dt.datetime
) -> DomainError | None:
    """Why `shipment` cannot be issued in `session` now, or None. DOMAIN rule 3: the session's customer's,
    at its point, STORED, and `now <= storage_deadline` (the deadline instant itself is still in time)."""
    posting = {"posting_number": shipment.posting_number, "shipment_id": shipment.pk}
    if shipment.point_id != session.point_id:
        return NotFound(_("Отправления нет на этой точке."), details=posting)
    if shipment.order.customer_id != session.customer_id:
        return WrongCustomer(details=posting)
    if shipment.status == Status.ISSUED:
        return AlreadyIssued(details=posting)
    if shipment.status == Status.EXPIRED or (
        shipment.status == Status.STORED
        and shipment.storage_deadline is not None
        and now > shipment.storage_deadline
    ):
        return StorageExpired(details=posting)
    if shipment.status == Status.CANCELLED:
        return InvalidTransition(
            _("Отменено партнёром, уберите в зону возврата: выдать его нельзя."),
            details={**posting, "status": shipment.status},
        )
    if shipment.status != Status.STORED:
        return InvalidTransition(
            _("Отправление не готово к выдаче: статус «%(status)s».")
            % {"status": Status(shipment.status).label},
            details={**posting, "status": shipment.status},
        )
    return None


def session_scan(*, actor: User, session: IssueSession, code: str) -> ScanOutcome:
    """Put the scanned parcel (posting number or label barcode, any keyboard layout) into the session.

    Refused at the scan, with nothing recorded: NOT_FOUND (not at this point), WRONG_CUSTOMER,
    ALREADY_ISSUED, STORAGE_EXPIRED, INVALID_TRANSITION (not ready), CONFLICT (in another open session,
    naming its operator). Scanning a parcel already in this session changes nothing."""
    value = normalize_scan(code)
    if not value:
        raise DomainError(_("Отсканируйте штрихкод отправления."), details={"field": "code"})
    command = command_classify(value)
    if command is not None:
        raise DomainError(
            _("Это служебный штрихкод, а не отправление."), details={"command": str(command), "code": code}
        )
    with transaction.atomic():
        locked = lock_open_session(session)
        found = (
            Shipment.objects.filter(point=locked.point)
            .filter(Q(barcode=value.lower()) | Q(posting_number=value))
            .order_by("-updated_at")
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise NotFound(_NOT_AT_POINT % {"code": code}, details={"code": code, "normalized": value})
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "point", "partner", "cell")
            .get(pk=found)
        )
        posting = {"posting_number": shipment.posting_number, "shipment_id": shipment.pk}
        if shipment.order.customer_id != locked.customer_id:
            raise WrongCustomer(details=posting)
        existing = locked.lines.filter(shipment=shipment).first()
        if existing is not None:
            return ScanOutcome(line=existing, created=False)
        elsewhere = (
            IssueLine.objects.filter(shipment=shipment, session__status=SessionStatus.OPEN)
            .select_related("session__opened_by")
            .first()
        )
        if elsewhere is not None:
            operator = elsewhere.session.opened_by
            raise Conflict(
                _IN_ANOTHER_SESSION % {"operator": operator},
                details={**posting, "session_id": elsewhere.session_id, "operator": str(operator)},
            )
        now = clock.now()
        error = shipment_issue_error(shipment=shipment, session=locked, now=now)
        if error is not None:
            raise error
        line = IssueLine.objects.create(session=locked, shipment=shipment, scanned_at=now, scanned_by=actor)
        if value.lower() != shipment.barcode:  # found by posting number: typed in, not the label scanned
            typed_parcel_record(line=line)
        if locked.first_scan_at is None:
            locked.first_scan_at = now
            locked.save(update_fields=["first_scan_at", "updated_at"])
    return ScanOutcome(line=line, created=True)


def session_scan_as(*, actor: User, session_id: int, code: str) -> ScanOutcome:
    """`session_scan` for a caller named by `session_id` (the scan endpoint): NOT_FOUND for a session of a
    point the caller does not work at, PERMISSION_DENIED without "operate" there. On PostgreSQL one call of
    `pvz_counter_scan` (`counter.scan_database`); a blank code or a command barcode goes the Python way."""
    value = normalize_scan(code)
    if value and command_classify(value) is None and scan_database.available() and fits_bigint(session_id):
        now = clock.now()
        # No savepoint: the function refuses before it writes, and the refusal is raised after the block.
        with transaction.atomic(savepoint=False):
            answer = scan_database.scan_in_database(actor=actor, session_id=session_id, value=value, now=now)
            if "existing" in answer:
                outcome = ScanOutcome(line=IssueLine.objects.get(pk=answer["existing"]), created=False)
        if "error" in answer:
            raise _scan_refusal(answer, session_id=session_id, code=code, value=value, now=now)
        if "existing" in answer:
            return outcome
        return _scanned(answer, actor=actor, session_id=session_id, now=now)
    session = session_get(user=actor, session_id=session_id, perm=Perm.OPERATE)
    return session_scan(actor=actor, session=session, code=code)


def _scan_refusal(
    answer: dict[str, Any], *, session_id: int, code: str, value: str, now: dt.datetime
) -> DomainError:
    """The Python path's refusal for the function's error code (same code, message and details)."""
    error = answer["error"]
    posting = {"posting_number": answer.get("posting_number"), "shipment_id": answer.get("shipment_id")}
    if error == "NOT_FOUND":
        return NotFound(details={"session_id": session_id})
    if error == "PERMISSION_DENIED":
        return PermissionDenied(details={"point": answer["point_id"], "permission": str(Perm.OPERATE)})
    if error == "SESSION_CLOSED":
        return SessionClosed(details={"session_id": session_id, "status": answer["status"]})
    if error == "SHIPMENT_UNKNOWN":
        return NotFound(_NOT_AT_POINT % {"code": code}, details={"code": code, "normalized": value})
    if error == "WRONG_CUSTOMER":
        return WrongCustomer(details=posting)
    if error == "CONFLICT":
        return Conflict(
            _IN_ANOTHER_SESSION % {"operator": answer["operator"]},
            details={**posting, "session_id": answer["session_id"], "operator": answer["operator"]},
        )
    if error == "NOT_ISSUABLE":
        # The same rule decides the message: run on what the function read under the lock.
        deadline = answer["storage_deadline"]
        shipment = loaded(
            Shipment,
            id=answer["shipment_id"],
            posting_number=answer["posting_number"],
            status=answer["status"],
            storage_deadline=dt.datetime.fromisoformat(deadline) if deadline else None,
            point_id=0,
        )
        shipment.order = loaded(Order, customer_id=0)
        refusal = shipment_issue_error(
            shipment=shipment, session=loaded(IssueSession, point_id=0, customer_id=0), now=now
        )
        assert refusal is not None, answer
        return refusal
    raise RuntimeError(f"pvz_counter_scan answered an unknown error {error!r}")


def _scanned(answer: dict[str, Any], *, actor: User, session_id: int, now: dt.datetime) -> ScanOutcome:
    data = answer["shipment"]
    deadline = data.pop("storage_deadline")
    shipment = loaded(
        Shipment, **data, storage_deadline=dt.datetime.fromisoformat(deadline) if deadline else None
    )
    shipment.partner = loaded(Partner, **answer["partner"])
    shipment.cell = loaded(Cell, **answer["cell"]) if answer["cell"] else None
    shipment.point = loaded(PickupPoint, **answer["point"])
    line = loaded(
        IssueLine,
        id=answer["line"],
        session_id=session_id,
        shipment=shipment,
        state=LineState.TAKEN,
        scanned_at=now,
        scanned_by=actor,
    )
    return ScanOutcome(line=line, created=True, complete=True)
