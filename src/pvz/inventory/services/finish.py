"""Finishing an open count, all or nothing: the missing list as it is now, the confirmed missing parcels
→ LOST, the others recorded as missing, the cells' capacity counters checked, the report fixed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.errors import DomainError
from pvz.core.logging import get_logger
from pvz.inventory.models import CountStatus, InventoryCount, InventoryMissing
from pvz.inventory.report import InventoryReport, inventory_report_build
from pvz.inventory.selectors import missing_parcels, scope_cells
from pvz.inventory.services.counts import REASON, count_lock_open, count_push
from pvz.inventory.statuses import COUNT
from pvz.shipments.counters import cell_counters_drift, cell_counters_repair, cells_lock
from pvz.shipments.errors import InvalidTransition
from pvz.shipments.models import Shipment
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status

log = get_logger(__name__)


def inventory_finish(
    *, actor: User, count: InventoryCount, confirmed_missing_ids: Iterable[int] = ()
) -> InventoryReport:
    """Finish an open count, all or nothing: the missing list is computed now (live state); each confirmed
    parcel → LOST (one event each, reason "inventory"), the others are recorded as missing and left as
    they are; the count is FINISHED and its report fixed. A confirmed id that is not on the missing list
    now is VALIDATION_FAILED, one that cannot become LOST is INVALID_TRANSITION, a parcel changed meanwhile
    is CONFLICT; in each case nothing is written."""
    confirmed = set(confirmed_missing_ids)
    with transaction.atomic():
        locked = count_lock_open(count)
        missing = missing_parcels(count=locked)
        listed = {line.shipment.pk for line in missing}
        stray = sorted(confirmed - listed)
        if stray:
            raise DomainError(
                _("Некоторые отмеченные отправления больше не числятся ненайденными. Обновите список."),
                details={"shipment_ids": stray},
            )
        blocked = [line for line in missing if line.shipment.pk in confirmed and not line.can_be_lost]
        if blocked:
            raise InvalidTransition(
                _("Эти отправления нельзя списать как утерянные в их статусе: %(list)s.")
                % {"list": ", ".join(line.shipment.posting_number for line in blocked)},
                details={"shipment_ids": [line.shipment.pk for line in blocked]},
            )
        # The confirmed parcels leave their cells one by one, each decrementing its cell's counter under the
        # cell's row lock: the parcels, then those cells, are locked first, each in id order, as every
        # transaction that moves several parcels does (shipments.counters).
        lost = sorted(line.shipment.pk for line in missing if line.shipment.pk in confirmed)
        list(Shipment.objects.select_for_update(of=("self",)).filter(pk__in=lost).order_by("pk").values("pk"))
        cells_lock(line.cell.pk for line in missing if line.shipment.pk in confirmed)
        for line in missing:
            is_confirmed = line.shipment.pk in confirmed
            InventoryMissing.objects.create(
                count=locked,
                shipment=line.shipment,
                cell=line.cell,
                status_before=line.shipment.status,
                confirmed=is_confirmed,
            )
            if is_confirmed:
                _write_off(actor=actor, count=locked, line_shipment=line.shipment)
        _counters_check(locked)
        COUNT.set(locked, CountStatus.FINISHED)
        locked.finished_by = actor
        locked.finished_at = clock.now()
        locked.save(update_fields=["status", "finished_by", "finished_at"])
        count_push(locked)
        report = inventory_report_build(locked)
        audit_record(
            action="inventory.finished",
            actor=actor,
            point_id=locked.point_id,
            obj=locked,
            details={"zone": locked.zone, **report.counts},
        )
    log.info(
        "inventory_finished",
        inventory_id=locked.pk,
        missing=len(missing),
        lost=len(confirmed),
        actor_id=actor.pk,
    )
    return report


def _counters_check(count: InventoryCount) -> None:
    """The count has just looked at every cell in its scope: their capacity counters must say what the
    parcels say. A difference (something wrote around the database's triggers) is set right and recorded."""
    drifts = cell_counters_drift(cell_ids=scope_cells(count=count).values_list("pk", flat=True))
    if not drifts:
        return
    cell_counters_repair(drifts)
    details = [{"cell": d.address, "held": d.held, "parcels": d.truth} for d in drifts]
    log.warning("cell_counters_repaired", inventory_id=count.pk, cells=details)
    audit_record(
        action="inventory.counters_repaired",
        actor=None,
        point_id=count.point_id,
        obj=count,
        details={"cells": details},
    )


def _write_off(*, actor: User, count: InventoryCount, line_shipment: Shipment) -> None:
    """One missing parcel → LOST. The list was read without the parcel's lock, so the version it had then
    is required: a parcel issued or moved since is CONFLICT, and the whole finish rolls back."""
    shipment_transition(
        actor=actor,
        shipment_id=line_shipment.pk,
        to_status=Status.LOST,
        reason=REASON,
        idempotency_key=f"inventory:{count.pk}:lost:{line_shipment.pk}",
        expected_version=line_shipment.version,
        details={
            "inventory_id": count.pk,
            "cell": line_shipment.cell.address if line_shipment.cell else None,
        },
    )
