"""The lifecycle of a backup record as data (`pvz.core.lifecycle`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.backups.models import BackupStatus
from pvz.core.lifecycle import Lifecycle

B = BackupStatus

BACKUP: Lifecycle[BackupStatus] = Lifecycle(
    "backup",
    BackupStatus,
    {B.RUNNING: {B.DONE, B.FAILED}, B.DONE: {B.PRUNED}, B.FAILED: set(), B.PRUNED: set()},
    message=_("Эта резервная копия уже завершена."),
)
