"""Carriages (vehicle trips), totes and the manifest of what a direct carriage brings."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel
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


class Carriage(TimeStampedModel):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="carriages")
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="carriages")
    number = models.CharField(max_length=40, help_text=_("Код перевозки, например CAR-20261127001"))
    flow = models.CharField(max_length=10, choices=CarriageFlow.choices, default=CarriageFlow.DIRECT)
    status = models.CharField(max_length=12, choices=CarriageStatus.choices, default=CarriageStatus.PLANNED)
    eta = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

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


class ManifestTote(models.Model):
    """A tote a direct carriage is expected to bring."""

    carriage = models.ForeignKey(Carriage, on_delete=models.CASCADE, related_name="manifest_totes")
    tote = models.ForeignKey(Tote, on_delete=models.PROTECT, related_name="+")

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
