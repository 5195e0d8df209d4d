"""Where archives are kept: a directory (PVZ_BACKUP_DIR), or an S3-compatible bucket when
PVZ_BACKUP_S3_URL is set (`s3://bucket/prefix`; PVZ_BACKUP_S3_ENDPOINT for Yandex Object Storage, Selectel,
MinIO and the like; credentials from PVZ_BACKUP_S3_ACCESS_KEY / _SECRET_KEY or boto3's usual sources).
A location is what the Backup record keeps: a file path, or `s3://bucket/key`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from pvz.backups.errors import ArchiveDamaged, BackupError


class Storage(Protocol):
    def put(self, archive: Path) -> str: ...
    def delete(self, location: str) -> None: ...


@dataclass(frozen=True)
class DirectoryStorage:
    directory: Path

    def put(self, archive: Path) -> str:
        target = self.directory / archive.name
        if archive.parent != self.directory:
            shutil.move(archive, target)
        return str(target)

    def delete(self, location: str) -> None:
        Path(location).unlink(missing_ok=True)

    def names(self) -> list[str]:
        return sorted(
            p.name for p in self.directory.glob("openpvz-*.tar*") if not p.name.endswith(".partial")
        )


def _s3_parts(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise BackupError(details={"reason": f"{url!r} is not an s3://bucket/prefix URL"})
    return parts.netloc, parts.path.strip("/")


@dataclass(frozen=True)
class S3Storage:
    url: str

    def _client(self) -> Any:
        options: dict[str, Any] = {
            "config": Config(
                retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60
            )
        }
        if settings.PVZ_BACKUP_S3_ENDPOINT:
            options["endpoint_url"] = settings.PVZ_BACKUP_S3_ENDPOINT
        if settings.PVZ_BACKUP_S3_REGION:
            options["region_name"] = settings.PVZ_BACKUP_S3_REGION
        if settings.PVZ_BACKUP_S3_ACCESS_KEY:
            options["aws_access_key_id"] = settings.PVZ_BACKUP_S3_ACCESS_KEY
            options["aws_secret_access_key"] = settings.PVZ_BACKUP_S3_SECRET_KEY
        return boto3.client("s3", **options)

    def _key(self, name: str) -> str:
        _bucket, prefix = _s3_parts(self.url)
        return f"{prefix}/{name}" if prefix else name

    def put(self, archive: Path) -> str:
        bucket, _prefix = _s3_parts(self.url)
        key = self._key(archive.name)
        try:
            self._client().upload_file(str(archive), bucket, key)
        except (Boto3Error, BotoCoreError, ClientError) as exc:
            raise BackupError(details={"reason": f"upload to s3://{bucket}/{key} failed: {exc}"}) from exc
        finally:
            archive.unlink(missing_ok=True)
        return f"s3://{bucket}/{key}"

    def delete(self, location: str) -> None:
        bucket, key = _s3_parts(location)
        try:
            self._client().delete_object(Bucket=bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise BackupError(details={"reason": f"deleting {location} failed: {exc}"}) from exc


def storage_configured(directory: Path | None = None) -> Storage:
    """The S3 bucket when configured (and no directory was asked for), else the directory."""
    if directory is None and settings.PVZ_BACKUP_S3_URL:
        return S3Storage(settings.PVZ_BACKUP_S3_URL)
    return DirectoryStorage(Path(directory or settings.PVZ_BACKUP_DIR))


def storage_for(location: str) -> Storage:
    """The storage that holds the archive at `location`."""
    if location.startswith("s3://"):
        return S3Storage(location)
    return DirectoryStorage(Path(location).parent)


def archive_fetch(location: str, into: Path) -> Path:
    """A local file of the archive at `location` (an S3 object is downloaded into `into`)."""
    if not location.startswith("s3://"):
        return Path(location)
    bucket, key = _s3_parts(location)
    target = into / key.rsplit("/", 1)[-1]
    try:
        S3Storage(location)._client().download_file(bucket, key, str(target))
    except (BotoCoreError, ClientError) as exc:
        raise ArchiveDamaged(details={"reason": f"cannot download {location}: {exc}"}) from exc
    return target
