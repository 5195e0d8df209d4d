"""The backup archive: one tar whose first member is `manifest.json` (what is inside, with a SHA-256 per
file), then the database dump and the media files. Encrypted, the whole tar is a stream of Fernet tokens
(AES-128-CBC + HMAC-SHA256 each), one per 4 MiB chunk, each carrying its index and whether it is the last,
so a chunk that is altered, dropped, reordered or cut off is refused, not restored."""

from __future__ import annotations

import hashlib
import json
import struct
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.fernet import Fernet, InvalidToken

from pvz.backups.errors import ArchiveDamaged, WrongKey

MANIFEST = "manifest.json"
FORMAT = "openpvz-backup"
FORMAT_VERSION = 1
MAGIC = b"OPENPVZ-BACKUP-ENCRYPTED-1\n"
CHUNK = 4 * 1024 * 1024
_HEADER = struct.Struct(">QB")  # chunk index, last flag
_LENGTH = struct.Struct(">I")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Member:
    """A file going into the archive: its name inside and where it is now."""

    name: str
    path: Path


def archive_write(target: Path, manifest: dict[str, Any], members: list[Member], *, key: str = "") -> None:
    """Writes the archive to `target` (through a temporary name, renamed when complete)."""
    manifest = {
        **manifest,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "encrypted": bool(key),
        "files": [
            {"name": m.name, "sha256": sha256_file(m.path), "size": m.path.stat().st_size} for m in members
        ],
    }
    partial = target.with_name(target.name + ".partial")
    plain = partial if not key else target.with_name(target.name + ".tar.partial")
    try:
        with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            tar.addfile(info, _BytesReader(body))
            for member in members:
                tar.add(member.path, arcname=member.name, recursive=False)
        if key:
            with plain.open("rb") as source, partial.open("wb") as sink:
                _encrypt(source, sink, key)
            plain.unlink()
        partial.replace(target)
    finally:
        for leftover in (partial, plain):
            leftover.unlink(missing_ok=True)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return chunk


def _encrypt(source: BinaryIO, sink: BinaryIO, key: str) -> None:
    fernet = _fernet(key)
    sink.write(MAGIC)
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        token = fernet.encrypt(_HEADER.pack(index, int(last)) + chunk)
        sink.write(_LENGTH.pack(len(token)) + token)
        if last:
            return
        chunk, index = following, index + 1


def _decrypt(source: BinaryIO, sink: BinaryIO, key: str) -> None:
    fernet = _fernet(key)
    index = 0
    while True:
        length = source.read(_LENGTH.size)
        if len(length) < _LENGTH.size:
            raise ArchiveDamaged(details={"reason": "encrypted stream ends before its last chunk"})
        token = source.read(_LENGTH.unpack(length)[0])
        try:
            data = fernet.decrypt(token)
        except InvalidToken as exc:
            if index == 0:
                raise WrongKey() from exc
            raise ArchiveDamaged(details={"reason": f"chunk {index} does not authenticate"}) from exc
        got, last = _HEADER.unpack(data[: _HEADER.size])
        if got != index:
            raise ArchiveDamaged(details={"reason": f"chunk {got} where {index} was expected"})
        sink.write(data[_HEADER.size :])
        if last:
            if source.read(1):
                raise ArchiveDamaged(details={"reason": "data after the last chunk"})
            return
        index += 1


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError as exc:
        raise WrongKey(details={"reason": "the key is not a Fernet key (32 url-safe base64 bytes)"}) from exc


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


@dataclass(frozen=True)
class Opened:
    manifest: dict[str, Any]
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name


def archive_open(source: Path, into: Path, *, key: str = "") -> Opened:
    """Decrypts (if need be) and unpacks the archive into the empty directory `into`, then checks every
    file against the manifest. Raises ArchiveDamaged, WrongKey."""
    if not source.is_file():
        raise ArchiveDamaged(details={"reason": f"{source} is not a file"})
    tar_path = source
    if is_encrypted(source):
        if not key:
            raise WrongKey(
                details={"reason": "the archive is encrypted: give its key (PVZ_BACKUP_KEY or --key)"}
            )
        tar_path = into / "archive.tar"
        with source.open("rb") as handle, tar_path.open("wb") as sink:
            handle.read(len(MAGIC))
            _decrypt(handle, sink, key)
    files = into / "files"
    files.mkdir()
    try:
        with tarfile.open(tar_path, "r:") as tar:
            tar.extractall(files, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveDamaged(details={"reason": f"unreadable tar: {exc}"}) from exc
    finally:
        if tar_path != source:
            tar_path.unlink(missing_ok=True)
    try:
        manifest = json.loads((files / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise ArchiveDamaged(details={"reason": "no readable manifest.json"}) from exc
    if manifest.get("format") != FORMAT:
        raise ArchiveDamaged(details={"reason": "not an OpenPVZ backup"})
    listed = {entry["name"] for entry in manifest.get("files", [])}
    present = {p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file()} - {MANIFEST}
    if listed != present:
        raise ArchiveDamaged(details={"reason": "the files do not match the manifest's list"})
    for entry in manifest.get("files", []):
        path = files / entry["name"]
        if not path.is_file() or path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            raise ArchiveDamaged(details={"reason": f"{entry['name']} does not match its checksum"})
    return Opened(manifest, files)


def media_members(root: Path) -> Iterator[Member]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield Member("media/" + path.relative_to(root).as_posix(), path)
