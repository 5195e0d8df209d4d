"""Owners see the last good backup on the dashboard and are alerted when one fails; operators see neither."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.backups.errors import BackupError
from pvz.backups.models import Backup, BackupStatus
from pvz.backups.services import backup_make
from pvz.notifications.models import StaffKind, StaffMessage
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


def _dashboard(user, point) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")
    session = client.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_owner_sees_the_last_good_backup_and_a_failure_after_it(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    point = PickupPointFactory()
    owner, operator = operator_at(point, Role.OWNER), operator_at(point)

    html = _dashboard(owner, point)
    assert "data-backup-state" in html and "Удачных резервных копий ещё нет" in html
    assert "data-backup-state" not in _dashboard(operator, point)

    good = backup_make(directory=tmp_path / "backups", key="")
    html = _dashboard(owner, point)
    assert "Последняя удачная" in html and "не удалась" not in html

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BackupError):
        backup_make(directory=blocker / "sub", key="")
    Backup.objects.filter(status=BackupStatus.FAILED).update(
        started_at=good.started_at + dt.timedelta(minutes=1)
    )
    html = _dashboard(owner, point)
    assert "Последняя удачная" in html and "не удалась" in html and "not writable" in html
    assert "data-backup-state" not in _dashboard(operator, point)


def test_a_failed_backup_alerts_owners_not_operators(tmp_path: Path) -> None:
    point = PickupPointFactory()
    owner, operator = operator_at(point, Role.OWNER), operator_at(point)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BackupError):
        backup_make(directory=blocker / "sub", key="")
    alerts = StaffMessage.objects.filter(kind=StaffKind.BACKUP_FAILED)
    assert [m.user_id for m in alerts] == [owner.pk]
    assert "not writable" in alerts[0].text
    assert not StaffMessage.objects.filter(user=operator).exists()
