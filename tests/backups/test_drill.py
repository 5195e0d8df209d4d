"""The restore drill (issue 15): data made through the services is backed up, restored by
`python -m pvz restore` in another process into an empty database of the same engine, and checked there,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

from pvz.audit.services import audit_record
from pvz.backups.archive import archive_open, is_encrypted
from pvz.backups.database import current_facts
from pvz.backups.models import Backup, BackupStatus
from pvz.backups.services import backup_make
from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


@pytest.fixture
def media(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "media"
    (root / "private" / "returns").mkdir(parents=True)
    (root / "private" / "returns" / "photo.jpg").write_bytes(b"\xff\xd8\xff a return photo \xff\xd9")
    settings.MEDIA_ROOT = root
    return root


def _data() -> list[str]:
    shipments = ShipmentFactory.create_batch(5)
    for shipment in shipments:
        audit_record(action="shipment.note", obj=shipment, details={"barcode": shipment.barcode})
    return sorted(s.barcode for s in shipments)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's engine for the restore, as a DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"pvz_restore_{os.getpid()}"
    with psycopg.connect(**ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(**ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restore(
    archive: Path, database_url: str, media_root: Path, *extra: str, key: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PVZ_") and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url,
        PVZ_SECRET_KEY="drill-secret-key-not-for-production-0123456789",
        PVZ_MEDIA_ROOT=str(media_root),
        PVZ_LOG_JSON="false",
    )
    if key:
        env["PVZ_BACKUP_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "pvz", "restore", str(archive), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _barcodes(database_url: str) -> list[str]:
    sql = "SELECT barcode FROM shipments_shipment ORDER BY barcode"
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return [row[0] for row in db.execute(sql)]
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
        return [row[0] for row in db.execute(sql)]


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_backup_restores_into_an_empty_database_and_checks_out(
    encrypted: bool, media: Path, target: str, tmp_path: Path
) -> None:
    if encrypted and connection.vendor != "sqlite":
        pytest.skip("encryption is the same code on both databases: drilled once, on SQLite")
    barcodes = _data()
    key = Fernet.generate_key().decode() if encrypted else ""
    backup = backup_make(directory=tmp_path / "backups", key=key)

    assert backup.status == BackupStatus.DONE
    archive = Path(backup.location)
    assert archive.is_file() and archive.stat().st_size == backup.size_bytes
    assert is_encrypted(archive) is encrypted
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no partial or temporary files

    restored_media = tmp_path / "restored-media"
    done = _restore(archive, target, restored_media, key=key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "журнал аудита цел" in done.stdout
    assert _barcodes(target) == barcodes
    assert (restored_media / "private" / "returns" / "photo.jpg").read_bytes() == (
        media / "private" / "returns" / "photo.jpg"
    ).read_bytes()

    # The same archive again: the target is no longer empty, so it is refused and left as it is.
    again = _restore(archive, target, restored_media, key=key)
    assert again.returncode != 0
    assert "не пуста" in again.stderr
    assert _barcodes(target) == barcodes


def test_the_manifest_holds_what_the_dump_holds(media: Path, tmp_path: Path) -> None:
    _data()
    facts = current_facts()
    backup = backup_make(directory=tmp_path / "backups", key="")
    opened = archive_open(
        Path(backup.location), tmp_path / "open" if (tmp_path / "open").mkdir() is None else tmp_path
    )
    manifest = opened.manifest
    assert manifest["engine"] == connection.vendor
    assert manifest["counts"]["shipments_shipment"] == facts.counts["shipments_shipment"] == 5
    # Read from the dump's own snapshot: the backup's audit record comes after it.
    assert manifest["audit_head"] == facts.audit_head
    assert set(manifest["migrations"]) == set(facts.migrations)
    names = {f["name"] for f in manifest["files"]}
    assert "media/private/returns/photo.jpg" in names
    assert Backup.objects.get(pk=backup.pk).status == BackupStatus.DONE
    assert settings.PVZ_BACKUP_DIR  # the default directory is configured
