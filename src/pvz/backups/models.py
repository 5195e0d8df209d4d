"""A record of every backup made: the owners' screen shows the last good one."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BackupStatus(models.TextChoices):
    RUNNING = "running", _("Создаётся")
    DONE = "done", _("Готова")
    FAILED = "failed", _("Ошибка")
    PRUNED = "pruned", _("Удалена по сроку хранения")


class Backup(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=BackupStatus.choices, default=BackupStatus.RUNNING)
    # Where the archive went: a file path, or s3://bucket/key.
    location = models.CharField(max_length=500, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    encrypted = models.BooleanField(default=False)
    scheduled = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"
