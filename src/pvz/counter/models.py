"""Issuing at the counter: an issue session per customer visit, its scanned lines, refusal reasons, and
the one-time SMS codes that verify a customer found by search."""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel
from pvz.network.models import Partner, PickupPoint
from pvz.shipments.models import Customer, Shipment


class ReasonKind(models.TextChoices):
    REFUSAL = "refusal", _("Отказ при выдаче")
    RETURN = "return", _("Возврат от покупателя")


class Reason(models.Model):
    """Why a customer refused a parcel at the counter (kind refusal) or brings one back (kind return): one
    table for both lists (issue 14: they were twin models). Rows without a partner are the default list of
    their kind, used for every partner that has no active reasons of that kind. The code is unique per kind
    and partner; past refusals and returns point at the row, so it is deactivated, never deleted."""

    kind = models.CharField(max_length=8, choices=ReasonKind.choices)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="reasons"
    )
    code = models.SlugField(max_length=40)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "partner", "code"], name="uniq_reason"),
            models.UniqueConstraint(
                fields=["kind", "code"], condition=models.Q(partner__isnull=True), name="uniq_default_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.title


R = TypeVar("R", bound=Reason)


class ReasonsOfKind(models.Manager[R]):
    """The reasons of one kind: the default manager of each kind's proxy model."""

    def __init__(self, kind: ReasonKind) -> None:
        super().__init__()
        self.kind = kind

    def get_queryset(self) -> models.QuerySet[R]:
        return super().get_queryset().filter(kind=self.kind)


class RefusalReason(Reason):
    """Why a customer refused a parcel at the counter: the refusal reasons of `Reason`."""

    # django-stubs types a proxy's manager as its base's; this one only narrows the rows to one kind.
    objects = ReasonsOfKind(ReasonKind.REFUSAL)  # type: ignore[misc]

    class Meta:
        proxy = True
        ordering = ["position", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = ReasonKind.REFUSAL
        super().save(*args, **kwargs)


class Verification(models.TextChoices):
    NONE = "none", _("Не подтверждён")
    PICKUP_CODE = "pickup_code", _("Код получения")
    QR = "qr", _("QR-код")
    SMS = "sms", _("SMS-код")


class SessionStatus(models.TextChoices):
    OPEN = "open", _("Открыта")
    FINISHED = "finished", _("Завершена")
    CANCELLED = "cancelled", _("Отменена")


class IssueSession(TimeStampedModel):
    """One customer at one counter: parcels scanned, checked, then issued or refused in one finish.

    At most one open session per customer and point (database constraint); several customers' sessions
    may be open at a point at once. The times and counts are kept for service-time analytics."""

    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="issue_sessions")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="issue_sessions")
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN)
    verification = models.CharField(max_length=12, choices=Verification.choices, default=Verification.NONE)
    verified_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    first_scan_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the session ends, finished or cancelled.
    finished_at = models.DateTimeField(null=True, blank=True)
    bags = models.PositiveSmallIntegerField(default=0)
    issued_count = models.PositiveSmallIntegerField(default=0)
    refused_count = models.PositiveSmallIntegerField(default=0)
    # Parcels issued in this session that were typed in, not scanned (TypedParcel), set at the
    # finish: the rule «Выдачи без сканирования» sums it over the operator's recent sessions.
    typed_issued = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["point", "customer"],
                condition=models.Q(status="open"),
                name="uniq_open_issue_session",
            )
        ]
        indexes = [
            models.Index(fields=["point", "status", "opened_at"]),
            # Only sessions with typed issues: the rule reads a handful of rows whatever the traffic.
            models.Index(
                fields=["finished_by", "point", "finished_at"],
                condition=models.Q(typed_issued__gt=0),
                name="issue_session_typed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_id} @ {self.point_id} ({self.status})"

    @property
    def is_verified(self) -> bool:
        return self.verification != Verification.NONE


class LineState(models.TextChoices):
    TAKEN = "taken", _("К выдаче")
    INSPECTING = "inspecting", _("На осмотре")
    TRYING_ON = "trying_on", _("На примерке")
    REFUSED = "refused", _("Отказ")


class LineResult(models.TextChoices):
    PENDING = "", _("—")
    ISSUED = "issued", _("Выдано")
    REFUSED = "refused", _("Возврат по отказу")
    FAILED = "failed", _("Не выдано")


class IdDocument(models.TextChoices):
    PASSPORT_RF = "passport_rf", _("Паспорт РФ")
    FOREIGN_PASSPORT = "foreign_passport", _("Заграничный паспорт")
    DRIVER_LICENSE = "driver_license", _("Водительское удостоверение")
    MILITARY_ID = "military_id", _("Военный билет")
    RESIDENCE_PERMIT = "residence_permit", _("Вид на жительство")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Карта")
    CASH = "cash", _("Наличные")


class IssueLine(models.Model):
    """One physical parcel scanned into a session, with what happened to it at the counter."""

    session = models.ForeignKey(IssueSession, on_delete=models.CASCADE, related_name="lines")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="issue_lines")
    state = models.CharField(max_length=12, choices=LineState.choices, default=LineState.TAKEN)
    scanned_at = models.DateTimeField()
    scanned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    refusal_reason = models.ForeignKey(
        RefusalReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refusal_note = models.CharField(max_length=500, blank=True)
    # Only the type and the last 4 digits of the document are ever stored.
    id_document = models.CharField(max_length=20, choices=IdDocument.choices, blank=True)
    id_last4 = models.CharField(max_length=4, blank=True)
    id_checked_at = models.DateTimeField(null=True, blank=True)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices, blank=True)
    payment_reference = models.CharField(max_length=64, blank=True)
    cash_received_kop = models.BigIntegerField(null=True, blank=True)
    paid_kop = models.BigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(
        max_length=8, choices=LineResult.choices, blank=True, default=LineResult.PENDING
    )
    result_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["scanned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "shipment"], name="uniq_issue_line"),
            models.CheckConstraint(condition=models.Q(paid_kop__gte=0), name="issue_paid_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.shipment_id} ({self.state})"


class CodeKind(models.TextChoices):
    ISSUE = "issue", _("Выдача")
    RETURN = "return", _("Возврат от покупателя")


class CustomerCode(models.Model):
    """A 6-digit code texted to the customer to verify what was opened by search: an issue session (kind
    issue) or a return visit (kind return). One table for both (issue 14: they were twin models); the
    subject is a plain id, not a foreign key, because the counter sits below returns and may not name
    `ReturnVisit`. Stored as a keyed hash; single use; dead after 5 wrong tries."""

    kind = models.CharField(max_length=8, choices=CodeKind.choices)
    subject_id = models.BigIntegerField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["kind", "subject_id"], name="customer_code_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id} ({self.created_at:%Y-%m-%d %H:%M})"


class TypedParcel(models.Model):
    """A parcel put into an issue session by its posting number rather than its label barcode: typed in,
    not scanned (the label barcode is what a scanner reads). The anomaly rule «Выдачи без сканирования»
    counts the issued ones (`IssueSession.typed_issued`)."""

    line = models.OneToOneField(IssueLine, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        db_table = "anomalies_typedparcel"  # created by anomalies, kept when the model moved here

    def __str__(self) -> str:
        return f"line {self.line_id}"
