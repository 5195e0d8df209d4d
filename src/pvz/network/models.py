"""Partners, pickup points and their storage cells."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pvz.core.models import DatabaseCounted, TimeStampedModel

DEFAULT_STORAGE_DAYS = 7
DEFAULT_RETURN_WINDOW_DAYS = 7


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Неизвестный часовой пояс: %(tz)s"), params={"tz": value})


class SizeClass(models.TextChoices):
    """Ordered smallest first: a cell fits every size class up to its own."""

    S = "S", _("Маленький")
    M = "M", _("Средний")
    L = "L", _("Большой")
    XL = "XL", _("Крупногабарит")

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


class Partner(TimeStampedModel):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    storage_days = models.PositiveSmallIntegerField(default=DEFAULT_STORAGE_DAYS)
    return_window_days = models.PositiveSmallIntegerField(default=DEFAULT_RETURN_WINDOW_DAYS)
    id_check_threshold_kop = models.BigIntegerField(null=True, blank=True)
    # Regexes a label barcode of this partner matches in full (validated by `network.barcodes`).
    barcode_patterns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PointStatus(models.TextChoices):
    """OPEN works normally; CLOSING still issues and sends back but takes no new deliveries; CLOSED is
    empty and out of work (`is_active` false), its history kept."""

    OPEN = "open", _("Работает")
    CLOSING = "closing", _("Закрывается")
    CLOSED = "closed", _("Закрыта")


class PickupPoint(TimeStampedModel):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=400)
    timezone = models.CharField(max_length=64, default="Europe/Moscow", validators=[validate_timezone])
    # {"mon": ["09:00", "21:00"], ..., "sun": null}; null means closed that day.
    opening_hours = models.JSONField(default=dict, blank=True)
    capacity = models.PositiveIntegerField(default=500, help_text=_("Сколько отправлений точка вмещает"))
    # Staff can work there: true while OPEN or CLOSING, false once CLOSED (see `network.services`).
    is_active = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=PointStatus.choices, default=PointStatus.OPEN)
    closing_started_at = models.DateTimeField(null=True, blank=True)
    closing_reason = models.CharField(max_length=500, blank=True)
    closing_planned_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    partners: models.ManyToManyField[Partner, PartnerPoint] = models.ManyToManyField(
        Partner, through="PartnerPoint", related_name="points"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()


class PartnerPoint(models.Model):
    """A partner served at a point, with that pair's storage policy (the storage period is per partner
    and point; when unset here, the partner's own period applies)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT)
    point = models.ForeignKey(PickupPoint, on_delete=models.CASCADE)
    storage_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "point"], name="uniq_partner_point")]

    def __str__(self) -> str:
        return f"{self.partner_id} @ {self.point_id}"

    def effective_storage_days(self) -> int:
        return self.storage_days or self.partner.storage_days


class CellKind(models.TextChoices):
    REGULAR = "regular", _("Ячейка")
    INSPECTION = "inspection", _("На проверку")
    RETURN_ZONE = "return_zone", _("Возврат")
    TRANSIT = "transit", _("Прямой поток")
    CONSUMABLES = "consumables", _("Расходники")


class Cell(DatabaseCounted, TimeStampedModel):
    point = models.ForeignKey(PickupPoint, on_delete=models.CASCADE, related_name="cells")
    address = models.CharField(max_length=32, help_text=_("Например, A-03-2"))
    kind = models.CharField(max_length=16, choices=CellKind.choices, default=CellKind.REGULAR)
    size_class = models.CharField(max_length=2, choices=SizeClass.choices, default=SizeClass.M)
    capacity = models.PositiveSmallIntegerField(default=10)
    is_active = models.BooleanField(default=True)
    # A customer cell's parcels that count against its capacity (at the point, `AT_POINT`); 0 for special
    # places, which have no capacity to keep. Kept by a trigger on shipments in the same transaction as
    # every parcel that enters or leaves (migration shipments 0006), never written by Django.
    held = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    maintained_fields = ("held",)

    class Meta:
        ordering = ["point", "address"]
        constraints = [models.UniqueConstraint(fields=["point", "address"], name="uniq_cell_address")]
        indexes = [
            # The placement rule's tiers as index walks: empty cells, then cells with room, of one size
            # and point in address order (inbound.placement). Each row leaves the index as it fills.
            models.Index(
                fields=["point", "size_class", "address"],
                condition=Q(kind="regular", is_active=True, held=0, capacity__gt=0),
                name="cell_empty_idx",
            ),
            models.Index(
                fields=["point", "size_class", "address"],
                condition=Q(kind="regular", is_active=True, held__lt=F("capacity")),
                name="cell_room_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args: object, **kwargs: object) -> None:
        self.address = self.address.strip().upper()
        super().save(*args, **kwargs)
