"""The periodic backup: made when the last good one is old enough, pruned by the scheme, off when 0."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pvz.backups.models import Backup, BackupStatus
from pvz.backups.selectors import backup_state
from pvz.backups.services import backup_prune
from pvz.backups.tasks import backup_when_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PVZ_BACKUP_DIR = str(tmp_path / "backups")
    settings.PVZ_BACKUP_KEY = ""
    settings.PVZ_BACKUP_EVERY_HOURS = 24
    return tmp_path / "backups"


def test_made_when_due_then_not_again(place: Path) -> None:
    assert backup_when_due.call() == "done"
    first = backup_state().last_good
    assert first is not None and first.scheduled and Path(first.location).parent == place
    assert backup_when_due.call() == "not due"
    assert Backup.objects.count() == 1


def test_off_when_every_hours_is_zero(place: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PVZ_BACKUP_EVERY_HOURS = 0
    assert backup_when_due.call() == "off"
    assert not Backup.objects.exists()


def test_a_failed_backup_is_recorded_and_the_last_good_one_stays(place: Path, settings) -> None:  # type: ignore[no-untyped-def]
    assert backup_when_due.call() == "done"
    good = backup_state().last_good
    Backup.objects.update(started_at=good.started_at - dt.timedelta(days=2))  # type: ignore[union-attr]
    blocker = place.parent / "file"
    blocker.write_text("x")
    settings.PVZ_BACKUP_DIR = str(blocker / "sub")
    assert backup_when_due.call() == "failed"
    assert Backup.objects.filter(status=BackupStatus.FAILED).count() == 1
    assert backup_state().last_good == good


def test_prune_deletes_the_archives_the_scheme_drops(place: Path) -> None:
    place.mkdir(parents=True)
    base = dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC)
    for n in range(30):
        path = place / f"b{n}.tar"
        path.write_bytes(b"x")
        Backup.objects.create(
            started_at=base + dt.timedelta(days=n), status=BackupStatus.DONE, location=str(path), size_bytes=1
        )
    pruned = backup_prune()
    kept = Backup.objects.filter(status=BackupStatus.DONE)
    assert len(pruned) + kept.count() == 30
    assert all(not Path(b.location).exists() for b in pruned)
    assert all(Path(b.location).exists() for b in kept)
    assert kept.count() <= 7 + 4 + 12
