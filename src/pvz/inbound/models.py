"""Carriages (vehicle trips), totes and the manifest of what a direct carriage brings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import DatabaseCounted, TimeStampedModel
from pvz.core.uploads import private_upload_path
from pvz.network.models import Partner, PickupPoint


class CarriageFlow(models.TextChoices):
    DIRECT = "direct", _("Прямой поток")
    RETURN = "return", _("Возвратный поток")


class CarriageStatus(models.TextChoices):
    PLANNED = "planned", _("Запланирована")
    IN_TRANSIT = "in_transit", _("В пути")
    ARRIVED = "arrived", _("Прибыла")
    ACCEPTING = "accepting", _("Идёт приёмка")
    CLOSED = "closed", _("Закрыта")


class Carriage(DatabaseCounted, TimeStampedModel):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="carriages")
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="carriages")
    number = models.CharField(max_length=40, help_text=_("Код перевозки, например CAR-20261127001"))
    flow = models.CharField(max_length=10, choices=CarriageFlow.choices, default=CarriageFlow.DIRECT)
    status = models.CharField(max_length=12, choices=CarriageStatus.choices, default=CarriageStatus.PLANNED)
    eta = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The data of the arrival act (акт о прибытии), as registered by staff; validated in the service.
    driver_name = models.CharField(max_length=200, blank=True)
    vehicle_plate = models.CharField(max_length=12, blank=True, help_text=_("Например, А123ВС77"))
    seal_numbers = models.JSONField(default=list, blank=True)
    arrival_registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The parcels its manifest lists (ManifestLine rows), kept by a trigger (migration 0005).
    expected_parcels = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    maintained_fields = ("expected_parcels",)

    class Meta:
        ordering = ["eta", "id"]
        constraints = [models.UniqueConstraint(fields=["partner", "number"], name="uniq_carriage_number")]
        indexes = [models.Index(fields=["point", "status", "eta"])]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.number = self.number.strip().upper()
        super().save(*args, **kwargs)


class ToteStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("В пути")
    FULL = "full", _("Прибыла с товаром")
    EMPTY = "empty", _("Пустая")
    RETURNS = "returns", _("С возвратами")
    SENT_BACK = "sent_back", _("Отправлена обратно")


class Tote(TimeStampedModel):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="totes")
    barcode = models.CharField(max_length=40, help_text=_("Например, %101%12345678901"))
    point = models.ForeignKey(
        PickupPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="totes"
    )
    status = models.CharField(max_length=12, choices=ToteStatus.choices, default=ToteStatus.IN_TRANSIT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "barcode"], name="uniq_tote_barcode")]
        indexes = [models.Index(fields=["barcode"])]

    def __str__(self) -> str:
        return self.barcode


class ManifestTote(DatabaseCounted):
    """A tote a direct carriage is expected to bring."""

    carriage = models.ForeignKey(Carriage, on_delete=models.CASCADE, related_name="manifest_totes")
    tote = models.ForeignKey(Tote, on_delete=models.PROTECT, related_name="+")
    # Kept by triggers (migration 0005): the manifest's parcels in this tote, and how many of them the
    # carriage's acceptance has accepted (not-undone ACCEPTED scans).
    expected = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    scanned = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    maintained_fields = ("expected", "scanned")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carriage", "tote"], name="uniq_manifest_tote")]

    def __str__(self) -> str:
        return f"{self.carriage_id}: {self.tote_id}"


class ManifestLine(models.Model):
    """A shipment a direct carriage is expected to bring, inside a tote or loose."""

    carriage = models.ForeignKey(Carriage, on_delete=models.CASCADE, related_name="manifest_lines")
    shipment = models.ForeignKey(
        "shipments.Shipment", on_delete=models.PROTECT, related_name="manifest_lines"
    )
    tote = models.ForeignKey(Tote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["carriage", "shipment"], name="uniq_manifest_shipment"),
        ]

    def __str__(self) -> str:
        return f"{self.carriage_id}: {self.shipment_id}"


class AcceptanceStatus(models.TextChoices):
    OPEN = "open", _("Идёт приёмка")
    CLOSED = "closed", _("Закрыта")


class Acceptance(DatabaseCounted, TimeStampedModel):
    """Receiving one direct carriage by scan; several operators may scan into the same open acceptance."""

    carriage = models.ForeignKey(Carriage, on_delete=models.PROTECT, related_name="acceptances")
    status = models.CharField(max_length=8, choices=AcceptanceStatus.choices, default=AcceptanceStatus.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The progress, kept by a trigger on its scans (migration 0005), counting scans not undone: manifest
    # parcels accepted, surplus parcels, and distinct codes put aside (another point's parcels, partner
    # labels without data).
    scanned = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    surplus = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    put_aside = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    maintained_fields = ("scanned", "surplus", "put_aside")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["carriage"],
                condition=models.Q(status="open"),
                name="uniq_open_acceptance_per_carriage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.carriage_id}: {self.status}"


class ScanOutcomeKind(models.TextChoices):
    TOTE_OPENED = "TOTE_OPENED", _("Тара открыта")
    ACCEPTED = "ACCEPTED", _("Принято")
    ALREADY_ACCEPTED = "ALREADY_ACCEPTED", _("Уже принято")
    SURPLUS = "SURPLUS", _("Излишек")
    OTHER_POINT = "OTHER_POINT", _("Чужой ПВЗ: отложить")
    UNKNOWN = "UNKNOWN", _("Неизвестный код")
    # A partner's label by its barcode patterns, but no such shipment: put aside, surplus without data.
    UNKNOWN_LABEL = "UNKNOWN_LABEL", _("Этикетка партнёра, отправления нет")
    # No partner's label pattern fits while the carriage's partner has patterns: a product barcode or the
    # like, not a parcel.
    NOT_A_LABEL = "NOT_A_LABEL", _("Не этикетка отправления")
    TOTE_OF_OTHER_CARRIAGE = "TOTE_OF_OTHER_CARRIAGE", _("Тара другой перевозки")


class AcceptanceScan(models.Model):
    """One scan in an acceptance, whatever it turned out to be; `scan_id` is the client's UUID, so a scan
    resent after a dropped connection is answered from this row and changes nothing."""

    acceptance = models.ForeignKey(Acceptance, on_delete=models.PROTECT, related_name="scans")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raw_code = models.CharField(max_length=200)
    code = models.CharField(max_length=200, help_text=_("Код после исправления раскладки"))
    outcome = models.CharField(max_length=24, choices=ScanOutcomeKind.choices)
    auto_place = models.BooleanField(default=False)
    shipment = models.ForeignKey(
        "shipments.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tote = models.ForeignKey(Tote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # UNKNOWN_LABEL: the partner whose label pattern the code matched (the act and the answer name it).
    label_partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The cell suggested (manual mode) or actually used (auto mode) when the scan was answered.
    cell = models.ForeignKey(
        "network.Cell", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Status of the parcel before this scan and whether the scan also placed it: what undo restores.
    shipment_status_before = models.CharField(max_length=20, blank=True)
    placed = models.BooleanField(default=False)
    scan_id = models.UUIDField(unique=True)
    created_at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["acceptance", "operator", "created_at"]),
            models.Index(fields=["acceptance", "shipment"]),
            # Whether a code was put aside already (the `put_aside` count is of distinct codes).
            models.Index(fields=["acceptance", "code"], name="acceptancescan_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.outcome}"


def damage_photo_path(instance: AcceptanceDamage, filename: str) -> str:
    return private_upload_path("acceptance-damage", instance.acceptance_id, filename)


class AcceptanceDamage(models.Model):
    """A parcel found damaged during an acceptance: the note and an optional photo for the act."""

    acceptance = models.ForeignKey(Acceptance, on_delete=models.PROTECT, related_name="damages")
    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500)
    photo = models.FileField(upload_to=damage_photo_path, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["acceptance", "shipment"], name="uniq_damage_per_acceptance")
        ]

    def __str__(self) -> str:
        return f"{self.acceptance_id}: {self.shipment_id}"
