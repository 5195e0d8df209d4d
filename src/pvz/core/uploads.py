"""Checks of uploaded photos, shared by every screen that takes them (damage at acceptance, customer
returns, point applications): the type by the file's first bytes, never its name, and the size."""

from __future__ import annotations

import uuid

from django.core.files import File
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
_PHOTO_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"WEBP", 8, "webp"),  # RIFF container: "RIFF" <size> "WEBP"
)


def photo_check(photo: File[bytes]) -> str:
    """The extension for a photo if it is a JPEG, PNG or WebP (by its first bytes, not its name)
    of at most 10 MB; VALIDATION_FAILED otherwise."""
    size = photo.size or 0
    if size > MAX_PHOTO_BYTES:
        raise DomainError(
            _("Фото больше 10 МБ. Сделайте снимок поменьше."), details={"field": "photo", "size": size}
        )
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    for signature, offset, extension in _PHOTO_SIGNATURES:
        if head[offset : offset + len(signature)] == signature and (offset == 0 or head[:4] == b"RIFF"):
            return extension
    raise DomainError(_("Фото должно быть в формате JPEG, PNG или WebP."), details={"field": "photo"})


def private_upload_path(folder: str, owner_id: int, filename: str) -> str:
    """Where an uploaded photo is stored: a random name under `private/<folder>/<owner_id>/` (MEDIA_ROOT is
    not served), with the extension of `filename`, which `photo_check` set from the content."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"private/{folder}/{owner_id}/{uuid.uuid4().hex}.{extension}"
