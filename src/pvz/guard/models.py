"""Failed sign-in attempts and the lockouts they cause, and SMS sends counted against fraud limits: the
guard under sign-in (accounts, factors) and customer codes (counter, returns). The tables keep the names
they had in the anomalies app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    PHONE = "phone", _("Телефон")
    IP = "ip", _("IP-адрес")


class AuthFailure(models.Model):
    """One failed attempt counted against a phone or an IP (a failure with both makes two rows). Rows are
    counters: a success deletes the phone's rows, a lockout deletes the rows it consumed."""

    kind = models.CharField(max_length=20)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        db_table = "anomalies_authfailure"  # created by anomalies, kept when the model moved
        indexes = [models.Index(fields=["kind", "scope", "key", "at"], name="anom_failure_key_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.scope}={self.key} @ {self.at:%Y-%m-%d %H:%M:%S}"


class AuthLockout(models.Model):
    """A phone or an IP refused for one kind of attempt until `until`. Rows are kept for a day at least:
    the number of lockouts within the last day sets the length of the next one."""

    kind = models.CharField(max_length=20)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    key = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    until = models.DateTimeField()
    seconds = models.PositiveIntegerField()

    class Meta:
        db_table = "anomalies_authlockout"  # created by anomalies, kept when the model moved
        indexes = [models.Index(fields=["kind", "scope", "key", "until"], name="anom_lockout_key_until")]

    def __str__(self) -> str:
        return f"{self.kind} {self.scope}={self.key} until {self.until:%Y-%m-%d %H:%M:%S}"


class SmsSend(models.Model):
    """One SMS code sent (staff login or customer code), counted against the per-phone, per-IP and
    platform-wide limits."""

    phone = models.CharField(max_length=20)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "anomalies_smssend"  # created by anomalies, kept when the model moved
        indexes = [
            models.Index(fields=["phone", "at"], name="anom_sms_phone_at"),
            models.Index(fields=["ip", "at"], name="anom_sms_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.ip or '-'} @ {self.at:%Y-%m-%d %H:%M:%S}"
