"""Making a backup and restoring one (issue 15). A backup is one archive (pvz.backups.archive) holding the
database as of one instant, the media files and a manifest to check it all against; a restore refuses a
damaged, foreign or newer archive before it touches anything, then checks what it restored."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from pvz.audit.chain import audit_chain_verify
from pvz.audit.services import audit_record
from pvz.backups.alerts import backup_failed_notify
from pvz.backups.archive import Member, archive_open, archive_write, media_members, sha256_file
from pvz.backups.database import check_engine, current_facts, database_dump, database_restore, engine
from pvz.backups.errors import BackupError, RestoreCheckFailed
from pvz.backups.models import Backup, BackupStatus
from pvz.backups.retention import retention_keep
from pvz.backups.statuses import BACKUP
from pvz.backups.storage import DirectoryStorage, archive_fetch, storage_configured, storage_for
from pvz.core import clock
from pvz.core.logging import get_logger

log = get_logger(__name__)
ARCHIVE_PREFIX = "openpvz-"


def _app_version() -> str:
    try:
        return importlib.metadata.version("openpvz")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".openpvz-write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise BackupError(details={"reason": f"{directory} is not writable: {exc.strerror or exc}"}) from exc


def backup_make(*, directory: Path | None = None, key: str | None = None, scheduled: bool = False) -> Backup:
    """Writes one archive and keeps it in `directory`, else the configured storage (the S3 bucket when
    PVZ_BACKUP_S3_URL is set, else PVZ_BACKUP_DIR), and records it. A failure is recorded as a FAILED
    backup, audited, alerted and raised as BackupError; no partial archive is left behind."""
    storage = storage_configured(directory)
    key = settings.PVZ_BACKUP_KEY if key is None else key
    backup = Backup.objects.create(started_at=clock.now(), scheduled=scheduled, encrypted=bool(key))
    # The archive is made where it stays (a directory), or in a local scratch directory before upload.
    staging = storage.directory if isinstance(storage, DirectoryStorage) else Path(tempfile.gettempdir())
    name = f"{ARCHIVE_PREFIX}{backup.started_at:%Y%m%d-%H%M%S}-{backup.pk}.tar" + (".enc" if key else "")
    target = staging / name
    try:
        _writable(staging)
        with tempfile.TemporaryDirectory(prefix=".openpvz-backup-", dir=staging) as tmp:
            dump, facts = database_dump(Path(tmp))
            manifest = {
                "created_at": backup.started_at.isoformat(),
                "app_version": _app_version(),
                "engine": engine(),
                "migrations": facts.migrations,
                "counts": facts.counts,
                "audit_head": facts.audit_head,
                "backup_id": backup.pk,
            }
            members = [Member(dump.name, dump), *media_members(Path(settings.MEDIA_ROOT))]
            archive_write(target, manifest, members, key=key or "")
        size, digest = target.stat().st_size, sha256_file(target)
        location = storage.put(target)
    except Exception as exc:
        if not isinstance(storage, DirectoryStorage):
            target.unlink(missing_ok=True)  # the scratch copy of an upload that failed
        reason = exc.details.get("reason", str(exc)) if isinstance(exc, BackupError) else str(exc)
        if isinstance(exc, OSError):
            reason = f"{staging}: {exc.strerror or exc}"
        _finish(backup, BackupStatus.FAILED, error=reason[:2000])
        log.error("backup_failed", backup_id=backup.pk, reason=reason)
        backup_failed_notify(backup=backup)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(details={"reason": reason}) from exc
    _finish(backup, BackupStatus.DONE, location=location, size_bytes=size, sha256=digest)
    log.info("backup_done", backup_id=backup.pk, location=location, size=size)
    return backup


def _finish(backup: Backup, status: BackupStatus, **fields: Any) -> None:
    with transaction.atomic():
        locked = Backup.objects.select_for_update().get(pk=backup.pk)
        BACKUP.set(locked, status)
        locked.finished_at = clock.now()
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        audit_record(
            action="backup.done" if status == BackupStatus.DONE else "backup.failed",
            obj=locked,
            details={k: str(v) for k, v in fields.items()},
        )
    backup.refresh_from_db()


def backup_prune(*, now: dt.datetime | None = None) -> list[Backup]:
    """Deletes the archives the retention scheme does not keep (pvz.backups.retention)."""
    done = list(Backup.objects.filter(status=BackupStatus.DONE).order_by("-started_at"))
    keep = retention_keep(b.started_at for b in done)
    pruned = []
    for backup in done:
        if backup.started_at in keep:
            continue
        storage_for(backup.location).delete(backup.location)
        with transaction.atomic():
            locked = Backup.objects.select_for_update().get(pk=backup.pk)
            BACKUP.set(locked, BackupStatus.PRUNED)
            locked.save(update_fields=["status"])
            audit_record(action="backup.pruned", obj=locked, details={"location": locked.location})
        pruned.append(locked)
    return pruned


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    tables: int = 0
    rows: int = 0
    media_files: int = 0
    audit_records: int = 0
    migrated: bool = False
    problems: list[str] = field(default_factory=list)


def backup_restore(archive: Path | str, *, key: str | None = None, force: bool = False) -> RestoreReport:
    """Restores `archive` into the configured database (empty unless `force`) and MEDIA_ROOT, then checks
    the row counts and the audit chain against the manifest. Refusals (damaged, wrong key, other engine,
    newer version, database not empty) happen before anything is changed."""
    key = settings.PVZ_BACKUP_KEY if key is None else key
    with tempfile.TemporaryDirectory(prefix="openpvz-restore-") as tmp:
        local = archive_fetch(str(archive), Path(tmp))
        (Path(tmp) / "open").mkdir()
        opened = archive_open(local, Path(tmp) / "open", key=key or "")
        manifest = opened.manifest
        check_engine(manifest)
        dumps = [f["name"] for f in manifest["files"] if not f["name"].startswith("media/")]
        if len(dumps) != 1:
            raise RestoreCheckFailed(details={"reason": "the archive holds no single database dump"})
        database_restore(opened.path(dumps[0]), force=force)
        report = RestoreReport(manifest)
        media_root = Path(settings.MEDIA_ROOT)
        for entry in manifest["files"]:
            if entry["name"].startswith("media/"):
                target = media_root / entry["name"].removeprefix("media/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(opened.path(entry["name"]), target)
                report.media_files += 1
    facts = current_facts()
    for table, expected in manifest["counts"].items():
        got = facts.counts.get(table)
        if got != expected:
            report.problems.append(f"{table}: {got} rows, the archive says {expected}")
    report.tables, report.rows = len(facts.counts), sum(facts.counts.values())
    if facts.audit_head != manifest["audit_head"]:
        report.problems.append(f"audit head {facts.audit_head}, the archive says {manifest['audit_head']}")
    chain = audit_chain_verify()
    report.audit_records = chain.count
    if not chain.ok:
        report.problems.append(f"audit chain broken at seq {chain.broken_seq}: {chain.problem}")
    if report.problems:
        raise RestoreCheckFailed(details={"problems": report.problems})
    # An archive of an older version is brought up to this one's schema once it checked out as saved.
    call_command("migrate", interactive=False, verbosity=0)
    report.migrated = set(current_facts().migrations) != set(manifest["migrations"])
    audit_record(
        action="backup.restored",
        details={
            "created_at": manifest["created_at"],
            "rows": report.rows,
            "media_files": report.media_files,
        },
    )
    return report
