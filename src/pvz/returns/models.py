"""Customer returns («Возврат от покупателя»): the reasons a partner accepts, the customer's return visit
(who was identified and how; its SMS codes are `counter.CustomerCode`), the numbered return act and its
private photos."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel
from pvz.core.uploads import private_upload_path
from pvz.counter.models import Reason, ReasonKind, ReasonsOfKind, Verification
from pvz.network.models import PickupPoint
from pvz.shipments.models import Customer, Shipment


class ReturnReason(Reason):
    """Why a customer brings a parcel back: the return reasons of `counter.Reason` (one table with the
    counter's refusal reasons)."""

    # django-stubs types a proxy's manager as its base's; this one only narrows the rows to one kind.
    objects = ReasonsOfKind(ReasonKind.RETURN)  # type: ignore[misc]

    class Meta:
        proxy = True
        ordering = ["position", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = ReasonKind.RETURN
        super().save(*args, **kwargs)


class ReturnCondition(models.TextChoices):
    NEW = "new", _("Новый, без следов использования")
    USED = "used", _("Есть следы использования")
    DAMAGED = "damaged", _("Повреждён")


class ReturnVisit(TimeStampedModel):
    """One customer bringing parcels back at one point: who they are and how that was proven. Returns
    need a verified visit (pickup code, QR or an SMS code), younger than `services.VISIT_TTL`."""

    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="return_visits")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="return_visits")
    verification = models.CharField(max_length=12, choices=Verification.choices, default=Verification.NONE)
    verified_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["point", "opened_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_id} @ {self.point_id}"

    @property
    def is_verified(self) -> bool:
        return self.verification != Verification.NONE


class CustomerReturn(models.Model):
    """The return act as data: one per shipment visit. The parcel went ISSUED → RETURNED →
    AWAITING_DISPATCH (into the return zone) in the transaction that wrote this row."""

    number = models.CharField(max_length=20, unique=True)
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="customer_returns")
    visit = models.ForeignKey(ReturnVisit, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="customer_returns")
    shipment_visit = models.PositiveIntegerField()
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(max_length=10, choices=ReturnCondition.choices)
    note = models.CharField(max_length=500, blank=True)
    issued_at = models.DateTimeField()
    window_ends_at = models.DateTimeField()
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "shipment_visit"], name="uniq_return_per_visit")
        ]
        indexes = [models.Index(fields=["point", "accepted_at"])]

    def __str__(self) -> str:
        return self.number


def return_photo_path(instance: ReturnPhoto, filename: str) -> str:
    return private_upload_path("customer-returns", instance.customer_return_id, filename)


class ReturnPhoto(models.Model):
    """A photo of a returned parcel; served only through `web.views.returns.return_photo`."""

    customer_return = models.ForeignKey(CustomerReturn, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=return_photo_path)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.customer_return_id}: {self.file.name}"
