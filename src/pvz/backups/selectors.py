"""What the owners' dashboard says about backups."""

from __future__ import annotations

from dataclasses import dataclass

from pvz.backups.models import Backup, BackupStatus


@dataclass(frozen=True)
class BackupState:
    last_good: Backup | None
    # The newest attempt, when it failed after the last good one.
    failed_since: Backup | None


def backup_state() -> BackupState:
    last_good = Backup.objects.filter(status=BackupStatus.DONE).order_by("-started_at").first()
    newest = Backup.objects.exclude(status=BackupStatus.RUNNING).order_by("-started_at").first()
    failed = newest if newest is not None and newest.status == BackupStatus.FAILED else None
    return BackupState(last_good=last_good, failed_since=failed)
