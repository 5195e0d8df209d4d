"""Opening the acceptance of a direct carriage; the acceptance's row lock and the live progress push that
every acceptance write starts and ends with."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.inbound.errors import AcceptanceClosed
from pvz.inbound.models import Acceptance, AcceptanceStatus, Carriage, CarriageFlow, CarriageStatus
from pvz.inbound.selectors import AcceptanceProgress, acceptance_progress, acceptance_progress_data
from pvz.inbound.services.carriages import ArrivalData, carriage_arrive, carriage_lock, carriage_push
from pvz.inbound.statuses import CARRIAGE

log = get_logger(__name__)


def acceptance_lock(acceptance_id: int) -> Acceptance:
    return (
        Acceptance.objects.select_for_update(of=("self",))
        .select_related("carriage__point", "carriage__partner")
        .get(pk=acceptance_id)
    )


def acceptance_push(acceptance: Acceptance, progress: AcceptanceProgress, **extra: Any) -> None:
    after_commit(
        point_changed,
        acceptance.carriage.point_id,
        topic="acceptance",
        data={
            "acceptance_id": acceptance.pk,
            "carriage_id": acceptance.carriage_id,
            **acceptance_progress_data(acceptance=acceptance, progress=progress),
            **extra,
        },
        # Twenty operators scanning one carriage would otherwise send every device 20 updates a second.
        coalesce=f"acceptance:{acceptance.pk}",
    )


def acceptance_open(*, actor: User, carriage: Carriage) -> Acceptance:
    """The open acceptance of a direct carriage, opening it (and registering arrival now, without act
    data) if needed; several operators opening the same carriage get the same acceptance."""
    with transaction.atomic():
        locked = carriage_lock(carriage.pk)
        if locked.flow != CarriageFlow.DIRECT:
            raise DomainError(_("По сканированию принимают только перевозки прямого потока."))
        current = locked.acceptances.filter(status=AcceptanceStatus.OPEN).first()
        if current is not None:
            return current
        if locked.status == CarriageStatus.CLOSED:
            raise AcceptanceClosed(details={"carriage": locked.number})
        now = clock.now()
        arrives_now = locked.arrived_at is None
        if arrives_now:
            carriage_arrive(locked, actor=actor, data=ArrivalData("", "", ()), at=now)
        CARRIAGE.set(locked, CarriageStatus.ACCEPTING)
        acceptance = Acceptance.objects.create(carriage=locked, opened_by=actor, opened_at=now)
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            action="acceptance.opened",
            actor=actor,
            point_id=locked.point_id,
            obj=acceptance,
            details={"carriage": locked.pk, "number": locked.number, "arrival_registered": arrives_now},
        )
        carriage_push(locked, now)
        acceptance_push(acceptance, acceptance_progress(acceptance=acceptance))
    log.info("acceptance_opened", acceptance_id=acceptance.pk, actor_id=actor.pk)
    return acceptance
