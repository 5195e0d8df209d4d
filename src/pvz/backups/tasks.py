"""The periodic backup, run by the task worker; the scheduler enqueues it hourly and it makes a backup only
when the last good one is older than PVZ_BACKUP_EVERY_HOURS, so restarts do not multiply backups."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django_tasks import task

from pvz.backups.errors import BackupError
from pvz.backups.models import Backup, BackupStatus
from pvz.backups.services import backup_make, backup_prune
from pvz.core import clock


@task()
def backup_when_due() -> str:
    hours = float(settings.PVZ_BACKUP_EVERY_HOURS)
    if hours <= 0:
        return "off"
    since = clock.now() - dt.timedelta(hours=hours)
    if Backup.objects.filter(status=BackupStatus.DONE, started_at__gt=since).exists():
        return "not due"
    try:
        backup_make(scheduled=True)
    except BackupError:
        return "failed"  # recorded, audited and alerted by backup_make
    backup_prune()
    return "done"
