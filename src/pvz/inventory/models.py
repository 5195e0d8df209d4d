"""Inventory counts (инвентаризация): a count of a point or one zone, every scan made in it, and the
missing parcels fixed at its finish."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import DatabaseCounted
from pvz.network.models import Cell, PickupPoint


class CountStatus(models.TextChoices):
    OPEN = "open", _("Идёт")
    FINISHED = "finished", _("Завершена")
    CANCELLED = "cancelled", _("Отменена")


class InventoryCount(DatabaseCounted):
    """One count at a point: the whole point (`zone` empty) or one zone of customer cells (`zone` = "A").
    At most one is open per point (database constraint)."""

    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="inventory_counts")
    zone = models.CharField(max_length=2, blank=True, help_text=_("Пусто — вся точка"))
    status = models.CharField(max_length=10, choices=CountStatus.choices, default=CountStatus.OPEN)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    # Who finished or cancelled it, and when.
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress counters kept by a database trigger on every scan recorded (migration 0002): the cells
    # scanned (each once, whether still in scope or not), the parcels seen on a shelf (FOUND, MISPLACED, or
    # a REPEAT of those), the parcels found misplaced, the unknown scans.
    maintained_fields = ("cells_scanned", "found_parcels", "misplaced_parcels", "unknown_scans")
    cells_scanned = models.PositiveIntegerField(default=0, editable=False)
    found_parcels = models.PositiveIntegerField(default=0, editable=False)
    misplaced_parcels = models.PositiveIntegerField(default=0, editable=False)
    unknown_scans = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["point"], condition=models.Q(status="open"), name="uniq_open_inventory_per_point"
            )
        ]

    def __str__(self) -> str:
        return f"{self.point_id}: {self.zone or '*'} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == CountStatus.OPEN


class ScanKind(models.TextChoices):
    CELL = "cell", _("Ячейка")
    PARCEL = "parcel", _("Отправление")


class ScanOutcome(models.TextChoices):
    CELL = "CELL", _("Ячейка выбрана")
    FOUND = "FOUND", _("На месте")
    MISPLACED = "MISPLACED", _("Не на своём месте")
    UNKNOWN = "UNKNOWN", _("Неизвестное")
    REPEAT = "REPEAT", _("Повторный скан")


class UnknownReason(models.TextChoices):
    NOT_FOUND = "not_found", _("Код не найден")
    OTHER_POINT = "other_point", _("Отправление другой точки")
    OFF_SHELF_STATUS = "off_shelf_status", _("Статус, в котором отправление не лежит на полке")
    NOT_PLACED = "not_placed", _("Принято, но ещё не размещено")


class InventoryScan(models.Model):
    """One scan in a count, written once. A cell scan makes that cell the operator's current cell; a
    parcel scan is classified at once against the current cell. `scan_id` is the client's UUID: a resent
    scan is answered from this row and changes nothing."""

    count = models.ForeignKey(InventoryCount, on_delete=models.PROTECT, related_name="scans")
    kind = models.CharField(max_length=8, choices=ScanKind.choices)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The scanned cell (cell scans) or the operator's current cell (parcel scans).
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="+")
    raw_code = models.CharField(max_length=200)
    code = models.CharField(max_length=200, help_text=_("Код после исправления раскладки"))
    outcome = models.CharField(max_length=10, choices=ScanOutcome.choices)
    # Parcels of this point only; a code of another point's parcel is kept as text.
    shipment = models.ForeignKey(
        "shipments.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment_status = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=20, choices=UnknownReason.choices, blank=True)
    # MISPLACED: where the records had the parcel, and whether the scan moved it into `cell`; when the move
    # was refused, the refusal's code and message.
    from_cell = models.ForeignKey(Cell, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    moved = models.BooleanField(default=False)
    problem_code = models.CharField(max_length=40, blank=True)
    problem = models.CharField(max_length=300, blank=True)
    scan_id = models.UUIDField(unique=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["count", "operator", "kind", "at"]),
            models.Index(fields=["count", "shipment"]),
            models.Index(fields=["count", "kind", "cell"]),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.outcome}"


class InventoryMissing(models.Model):
    """A parcel the count expected on its shelves and nobody scanned, fixed at the finish; `confirmed`
    ones were written off (→ LOST) by the manager."""

    count = models.ForeignKey(InventoryCount, on_delete=models.PROTECT, related_name="missing")
    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="+")
    status_before = models.CharField(max_length=20)
    confirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["count", "shipment"], name="uniq_missing_per_count"),
        ]

    def __str__(self) -> str:
        return f"{self.count_id}: {self.shipment_id}"
