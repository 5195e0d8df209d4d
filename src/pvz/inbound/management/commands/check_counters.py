"""Check (and with --repair, set right) the counters the database keeps with triggers: cells' `held` and
customers' cells (shipments), carriages', totes' and acceptances' progress (inbound), inventory counts'
progress (inventory)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from pvz.inbound.counters import carriage_counters_drift, counters_repair
from pvz.inbound.models import Carriage
from pvz.inventory.counters import count_counters_drift, count_counters_repair
from pvz.shipments.counters import (
    cell_counters_drift,
    cell_counters_repair,
    customer_cells_drift,
    customer_cells_repair,
)


class Command(BaseCommand):
    help = "Сверить счётчики, которые ведёт база (заполненность ячеек, прогресс приёмки), с данными."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--point", type=int, help="только эта точка (id)")
        parser.add_argument("--repair", action="store_true", help="исправить найденные расхождения")

    def handle(self, *args: Any, **options: Any) -> None:
        point_id, repair = options["point"], options["repair"]
        with transaction.atomic():
            cells = cell_counters_drift(point_id=point_id)
            customers = customer_cells_drift(point_id=point_id)
            carriages = Carriage.objects.all()
            if point_id is not None:
                carriages = carriages.filter(point_id=point_id)
            progress = [
                drift
                for pk in carriages.values_list("pk", flat=True)
                for drift in carriage_counters_drift(carriage_id=pk)
            ]
            counts = count_counters_drift(point_id=point_id)
            for d in cells:
                self.stdout.write(f"cell {d.address} (id {d.cell_id}): held {d.held}, parcels {d.truth}")
            for c in customers:
                self.stdout.write(
                    f"customer {c.customer_id} cell {c.cell_id}: stored {c.stored}, parcels {c.truth}"
                )
            for p in progress:
                self.stdout.write(f"{p.table} {p.row_id} {p.field}: {p.kept}, rows {p.truth}")
            for n in counts:
                self.stdout.write(f"inventory {n.count_id} {n.field}: {n.kept}, scans {n.truth}")
            found = len(cells) + len(customers) + len(progress) + len(counts)
            if repair and found:
                cell_counters_repair(cells)
                customer_cells_repair(customers)
                counters_repair(progress)
                count_counters_repair(counts)
        if not found:
            self.stdout.write(_("Счётчики сходятся с данными."))
        elif repair:
            self.stdout.write(_("Исправлено расхождений: %(count)d") % {"count": found})
        else:
            self.stdout.write(_("Расхождений: %(count)d (исправить: --repair)") % {"count": found})
            raise SystemExit(1)
