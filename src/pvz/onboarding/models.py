"""Applications to open a pickup point («Заявка на открытие»), their photos, and the review outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import TimeStampedModel
from pvz.core.uploads import private_upload_path
from pvz.network.models import PickupPoint


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("На рассмотрении")
    APPROVED = "approved", _("Одобрена")
    REJECTED = "rejected", _("Отклонена")


class PointApplication(TimeStampedModel):
    """What a future owner sent through the public form. PENDING until a platform admin approves it
    (the point and the owner's account are created then) or rejects it with a reason; final after that."""

    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    applicant_name = models.CharField(_("имя заявителя"), max_length=200)
    phone = models.CharField(_("телефон"), max_length=16)
    email = models.EmailField(_("e-mail"), max_length=254)
    legal_entity = models.CharField(_("юридическое лицо или ИП"), max_length=200, blank=True)
    inn = models.CharField(_("ИНН"), max_length=12, blank=True)
    address = models.CharField(_("адрес помещения"), max_length=400)
    area_m2 = models.PositiveIntegerField(_("площадь, м²"))
    opening_hours = models.CharField(_("часы работы"), max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)
    point = models.OneToOneField(
        PickupPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="application"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One application under review per phone; two racing submissions cannot both pass.
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(status="pending"),
                name="uniq_pending_application_per_phone",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["ip", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"№{self.number} {self.applicant_name}"

    @property
    def number(self) -> str:
        """The number the applicant is told: the id, zero-padded to six digits."""
        return f"{self.pk:06d}"


def application_photo_path(instance: ApplicationPhoto, filename: str) -> str:
    return private_upload_path("point-applications", instance.application_id, filename)


class ApplicationPhoto(models.Model):
    """A photo of the premises; served only to platform admins by `web.views.onboarding.application_photo`."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=application_photo_path)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.file.name}"
