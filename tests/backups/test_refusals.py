"""Every bad archive and every unusable place is refused with a clear message before anything changes."""

from __future__ import annotations

import errno
import json
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from pvz.backups import archive as archive_module
from pvz.backups.archive import Member, archive_open, archive_write
from pvz.backups.database import current_facts
from pvz.backups.errors import ArchiveDamaged, ArchiveMismatch, BackupError, DatabaseNotEmpty, WrongKey
from pvz.backups.models import Backup, BackupStatus
from pvz.backups.services import backup_make, backup_restore
from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    ShipmentFactory.create_batch(3)
    return Path(backup_make(directory=tmp_path / "backups", key="").location)


def _unchanged(before: dict[str, int]) -> None:
    after = current_facts().counts
    assert {k: v for k, v in after.items() if k != "backups_backup"} == {
        k: v for k, v in before.items() if k != "backups_backup"
    }


def test_a_truncated_archive_is_damaged(made: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar"
    cut.write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    before = current_facts().counts
    with pytest.raises(ArchiveDamaged):
        backup_restore(cut, key="", force=True)
    _unchanged(before)


def test_a_changed_byte_is_damaged(made: Path, tmp_path: Path) -> None:
    data = bytearray(made.read_bytes())
    # Flip a byte inside the database dump, well past the manifest at the start.
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(ArchiveDamaged) as caught:
        backup_restore(bad, key="", force=True)
    assert "checksum" in caught.value.details["reason"] or "tar" in caught.value.details["reason"]


def test_not_an_archive_at_all(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"hello")
    with pytest.raises(ArchiveDamaged):
        backup_restore(junk, key="")
    with pytest.raises(ArchiveDamaged):
        backup_restore(tmp_path / "missing.tar", key="")


def _fake_archive(tmp_path: Path, manifest: dict[str, object], *, key: str = "") -> Path:
    dump = tmp_path / "database.sqlite3"
    dump.write_bytes(b"not used: refused before")
    target = tmp_path / "fake.tar"
    archive_write(
        target,
        {"engine": connection.vendor, "migrations": [], "counts": {}, **manifest},
        [Member(dump.name, dump)],
        key=key,
    )
    return target


def test_an_archive_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    archive = _fake_archive(
        tmp_path, {"migrations": ["shipments.0001_initial", "shipments.9999_from_the_future"]}
    )
    with pytest.raises(ArchiveMismatch) as caught:
        backup_restore(archive, key="", force=True)
    assert caught.value.details["unknown_migrations"] == ["shipments.9999_from_the_future"]


def test_an_archive_of_the_other_engine_is_refused(tmp_path: Path) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    with pytest.raises(ArchiveMismatch) as caught:
        backup_restore(_fake_archive(tmp_path, {"engine": other}), key="", force=True)
    assert other in caught.value.details["reason"]


def test_encrypted_archive_needs_its_own_key(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    archive = _fake_archive(tmp_path, {}, key=key)
    for wrong in ("", Fernet.generate_key().decode(), "not-a-key"):
        (tmp_path / "o").mkdir(exist_ok=True)
        with pytest.raises(WrongKey):
            archive_open(archive, tmp_path / "o", key=wrong)
        for leftover in (tmp_path / "o").iterdir():
            leftover.unlink() if leftover.is_file() else None


def test_encrypted_stream_refuses_a_dropped_or_cut_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "CHUNK", 1024)  # many chunks from a small archive
    key = Fernet.generate_key().decode()
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 64)
    target = tmp_path / "enc.tar.enc"
    archive_write(target, {"engine": connection.vendor}, [Member("database.sqlite3", big)], key=key)
    whole = target.read_bytes()
    for n, cut in enumerate((whole[:-10], whole[: len(whole) // 2])):
        bad = tmp_path / f"cut{n}.enc"
        bad.write_bytes(cut)
        (tmp_path / f"o{n}").mkdir()
        with pytest.raises(ArchiveDamaged):
            archive_open(bad, tmp_path / f"o{n}", key=key)
    (tmp_path / "ok").mkdir()
    assert (
        archive_open(target, tmp_path / "ok", key=key).path("database.sqlite3").read_bytes()
        == big.read_bytes()
    )


def test_a_non_empty_database_is_refused_without_force(made: Path) -> None:
    before = current_facts().counts
    with pytest.raises(DatabaseNotEmpty):
        backup_restore(made, key="")
    _unchanged(before)
    with pytest.raises(CommandError, match="не пуста"):
        call_command("restore", str(made))


def test_a_directory_that_cannot_be_written_fails_the_backup_cleanly(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(BackupError) as caught:
        backup_make(directory=blocker / "backups", key="")
    assert "not writable" in caught.value.details["reason"]
    failed = Backup.objects.get()
    assert failed.status == BackupStatus.FAILED and "not writable" in failed.error
    with pytest.raises(CommandError, match="not writable"):
        call_command("backup", "--dir", str(blocker / "backups"))


def test_a_full_disk_fails_the_backup_and_leaves_no_partial_archive(
    tmp_path: Path,
    settings,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    real_add = tarfile.TarFile.add

    def full(self: tarfile.TarFile, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "add", full)
    directory = tmp_path / "backups"
    with pytest.raises(BackupError) as caught:
        backup_make(directory=directory, key="")
    assert "No space left" in caught.value.details["reason"]
    assert list(directory.iterdir()) == []
    assert Backup.objects.get().status == BackupStatus.FAILED
    monkeypatch.setattr(tarfile.TarFile, "add", real_add)


def test_manifest_lists_exactly_the_files(made: Path, tmp_path: Path) -> None:
    # An extra file smuggled into the tar is refused like a missing one.
    smuggled = tmp_path / "smuggled.tar"
    with tarfile.open(made) as source, tarfile.open(smuggled, "w") as sink:
        for member in source.getmembers():
            sink.addfile(member, source.extractfile(member))
        extra = tmp_path / "evil.txt"
        extra.write_text("x")
        sink.add(extra, arcname="media/evil.txt")
    (tmp_path / "o").mkdir()
    with pytest.raises(ArchiveDamaged):
        archive_open(smuggled, tmp_path / "o")
    assert json.loads((tmp_path / "o" / "files" / "manifest.json").read_text())["format"] == "openpvz-backup"
