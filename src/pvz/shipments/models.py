"""Customers, orders, shipments and the immutable shipment event log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import AppendOnlyModel, AppendOnlyQuerySet, TimeStampedModel
from pvz.network.models import Cell, Partner, PickupPoint, SizeClass
from pvz.shipments.statuses import Status


class Customer(TimeStampedModel):
    """Minimal personal data: an E.164 phone and a name as the partner sent it."""

    phone = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200, blank=True)
    # The permanent part of the Ozon-style pickup code `<number>*<4 digits>`.
    pickup_number = models.CharField(max_length=20, unique=True)
    # Optional: when the partner sends it, customer messages go by e-mail too (notifications). A database
    # default too, because the manifest loader inserts customers in bulk SQL naming only its columns.
    email = models.EmailField(blank=True, default="", db_default="")
    anonymized_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name or self.phone


class Order(TimeStampedModel):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "number"], name="uniq_order_number")]
        # Search finds an order by its number whatever the partner; the unique pair starts with partner.
        indexes = [models.Index(fields=["number"])]

    def __str__(self) -> str:
        return self.number


class Shipment(TimeStampedModel):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="shipments")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="shipments")
    posting_number = models.CharField(max_length=40)
    barcode = models.CharField(max_length=40, help_text=_("Штрихкод этикетки, хранится в нижнем регистре"))
    size_class = models.CharField(max_length=2, choices=SizeClass.choices, default=SizeClass.M)
    weight_g = models.PositiveIntegerField(default=0)
    declared_value_kop = models.BigIntegerField(default=0)
    amount_due_kop = models.BigIntegerField(default=0)
    id_check_required = models.BooleanField(default=False)
    # The partner's manifest flags for the counter: the customer may try it on (not only inspect it);
    # may refuse part of the order (when False: the order's parcels are taken all or none); handle gently.
    try_on_allowed = models.BooleanField(default=False, db_default=False)
    partial_refusal_allowed = models.BooleanField(default=True, db_default=True)
    fragile = models.BooleanField(default=False, db_default=False)
    category = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.EXPECTED)
    cell = models.ForeignKey(Cell, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments")
    carriage = models.ForeignKey(
        "inbound.Carriage", null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    tote = models.ForeignKey(
        "inbound.Tote", null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    stored_at = models.DateTimeField(null=True, blank=True)
    storage_deadline = models.DateTimeField(null=True, blank=True)
    visit = models.PositiveIntegerField(default=1)
    # The one storage extension (продление) of this visit: when and by whom; cleared with the deadline.
    storage_extended_at = models.DateTimeField(null=True, blank=True)
    storage_extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Bumped by every transition; lets a client detect that it acted on a stale view.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "posting_number"], name="uniq_posting_number"),
            models.UniqueConstraint(fields=["partner", "barcode"], name="uniq_shipment_barcode"),
            models.CheckConstraint(condition=models.Q(declared_value_kop__gte=0), name="value_not_negative"),
            models.CheckConstraint(condition=models.Q(amount_due_kop__gte=0), name="amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["point", "status"]),
            models.Index(fields=["status", "storage_deadline"]),
            models.Index(fields=["barcode"]),
            models.Index(fields=["posting_number"]),
        ]

    def __str__(self) -> str:
        return self.posting_number

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.barcode = self.barcode.strip().lower()
        super().save(*args, **kwargs)


class CustomerCell(models.Model):
    """The cells holding a customer's STORED parcels, with how many: where placement puts the customer's
    next parcel first (DOMAIN rule 8), so an order is fetched from one place. Kept by the same trigger on
    shipments as `Cell.held` (migration 0006), in the transaction that stores or takes out a parcel; a
    row exists only while `stored` > 0. Never written by Django."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="+")
    stored = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "cell"], name="uniq_customer_cell")]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.cell_id}: {self.stored}"


class EventKind(models.TextChoices):
    TRANSITION = "transition", _("Смена статуса")
    MOVE = "move", _("Перемещение")
    EXTENSION = "extension", _("Продление хранения")


class ShipmentEvent(AppendOnlyModel):
    """One row per transition or move, written by the shipment services only; never updated or deleted.

    A transition changes the status along the table; a move keeps the status (from == to) and changes
    only the place; an extension keeps both and moves the storage deadline (old and new in `details`)."""

    kind = models.CharField(max_length=12, choices=EventKind.choices, default=EventKind.TRANSITION)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    visit = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    cell = models.ForeignKey(Cell, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    objects = AppendOnlyQuerySet["ShipmentEvent"].as_manager()
    append_only_message = "shipment events are immutable"

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["shipment", "at"])]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.from_status} → {self.to_status}"
