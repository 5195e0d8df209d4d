"""Return carriages («Отправка»): what a return-flow `Carriage` carries back and how it was handed over.

The carriage itself is the inbound `Carriage` with flow=return (status PLANNED while it is assembled,
CLOSED once handed over); these tables add the courier's code, the totes and the parcels in them, and
the hand-over act kept as data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.inbound.models import Carriage, Tote


class ConfirmMethod(models.TextChoices):
    CODE = "code", _("Код курьера")
    SIGNATURE = "signature", _("Подпись курьера")


def signature_path(instance: Dispatch, filename: str) -> str:
    # Private like the damage photos: MEDIA_ROOT is not served; the name is random.
    return f"private/dispatch-signatures/{instance.carriage_id}/{uuid.uuid4().hex}.png"


class Dispatch(models.Model):
    """The return side of one carriage: the courier's one-time code and, once done, the hand-over."""

    carriage = models.OneToOneField(Carriage, on_delete=models.PROTECT, related_name="dispatch")
    # Shown to the partner (and sent to the courier's phone), never on the point's screens: the courier
    # proves to be the partner's courier by telling it. Kept readable because the partner must see it.
    courier_code = models.CharField(max_length=6)
    courier_phone = models.CharField(max_length=16, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=10, choices=ConfirmMethod.choices, blank=True)
    courier_name = models.CharField(max_length=200, blank=True)
    signature = models.FileField(upload_to=signature_path, blank=True)
    # The hand-over act as it was at the hand-over (see pvz.outbound.acts); empty until then.
    act = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.carriage_id}"


class DispatchToteKind(models.TextChoices):
    RETURNS = "returns", _("С возвратами")
    EMPTY = "empty", _("Пустая")


class DispatchTote(models.Model):
    """A tote going back with a return carriage: full of returns (sealed before the hand-over) or empty."""

    carriage = models.ForeignKey(Carriage, on_delete=models.PROTECT, related_name="dispatch_totes")
    tote = models.ForeignKey(Tote, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=DispatchToteKind.choices)
    seal_number = models.CharField(max_length=20, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["carriage", "tote"], name="uniq_dispatch_tote")]

    def __str__(self) -> str:
        return f"{self.carriage_id}: {self.tote_id}"


class DispatchLine(models.Model):
    """A parcel in a tote of a return carriage. One per visit of the parcel: it cannot be in two carriages."""

    carriage = models.ForeignKey(Carriage, on_delete=models.PROTECT, related_name="dispatch_lines")
    tote = models.ForeignKey(DispatchTote, on_delete=models.PROTECT, related_name="lines")
    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.PROTECT, related_name="+")
    visit = models.PositiveIntegerField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "visit"], name="uniq_dispatch_line_per_visit")
        ]

    def __str__(self) -> str:
        return f"{self.carriage_id}: {self.shipment_id}"
