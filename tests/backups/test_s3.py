"""Backups in an S3-compatible bucket (moto's in-process S3 stands in for the provider)."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from pvz.backups.archive import archive_open
from pvz.backups.errors import ArchiveDamaged, BackupError
from pvz.backups.models import Backup, BackupStatus
from pvz.backups.services import backup_make, backup_prune
from pvz.backups.storage import archive_fetch
from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
BUCKET = "openpvz-backups"


@pytest.fixture
def s3(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:  # type: ignore[no-untyped-def]
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PVZ_BACKUP_S3_URL = f"s3://{BUCKET}/point-1"
    settings.PVZ_BACKUP_S3_REGION = "us-east-1"
    settings.PVZ_BACKUP_S3_ACCESS_KEY = "testing"
    settings.PVZ_BACKUP_S3_SECRET_KEY = "testing"
    settings.PVZ_BACKUP_KEY = ""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("openpvz-*.tar*")}


def test_a_backup_goes_to_the_bucket_and_comes_back_whole(s3, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ShipmentFactory.create_batch(2)
    before = _scratch()
    backup = backup_make()
    assert backup.status == BackupStatus.DONE
    assert backup.location.startswith(f"s3://{BUCKET}/point-1/openpvz-")
    key = backup.location.removeprefix(f"s3://{BUCKET}/")
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert len(body) == backup.size_bytes and hashlib.sha256(body).hexdigest() == backup.sha256
    assert _scratch() == before  # the local scratch copy is gone after the upload

    local = archive_fetch(backup.location, tmp_path)
    (tmp_path / "open").mkdir()
    opened = archive_open(local, tmp_path / "open")
    assert opened.manifest["backup_id"] == backup.pk


def test_a_failed_upload_is_a_failed_backup_without_leftovers(s3, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PVZ_BACKUP_S3_URL = "s3://no-such-bucket/x"
    before = _scratch()
    with pytest.raises(BackupError) as caught:
        backup_make()
    assert "upload to s3://no-such-bucket/x/" in caught.value.details["reason"]
    assert Backup.objects.get().status == BackupStatus.FAILED
    assert _scratch() == before


def test_prune_deletes_objects_from_the_bucket(s3) -> None:  # type: ignore[no-untyped-def]
    base = dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC)
    for n in range(10):
        key = f"point-1/openpvz-{n}.tar"
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        Backup.objects.create(
            started_at=base + dt.timedelta(days=n), status=BackupStatus.DONE, location=f"s3://{BUCKET}/{key}"
        )
    pruned = backup_prune()
    assert len(pruned) == 3  # 10 nightly backups: the newest 7 days are kept
    left = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert left == {b.location.removeprefix(f"s3://{BUCKET}/") for b in Backup.objects.filter(status="done")}


def test_fetching_a_missing_object_is_a_clear_refusal(s3, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArchiveDamaged):
        archive_fetch(f"s3://{BUCKET}/point-1/none.tar", tmp_path)
