"""Uploaded photos, shared by every screen that takes them (damage at acceptance, customer returns, point
applications): the type by the file's first bytes, never its name, the size, and then the picture decoded
and encoded again, so that what is stored is only an image.

A file can be a JPEG and also something else (a ZIP or an HTML page appended after the image's end, a
script in an EXIF field): the first bytes say "JPEG" and a browser or an unpacker may see the rest.
Re-encoding keeps the pixels and nothing else: no trailing bytes, no metadata (EXIF, XMP, ICC, comments),
the EXIF orientation applied to the pixels first so the photo still stands the right way up."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from pvz.core.errors import DomainError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# A 10 MB file can still unpack into gigabytes of pixels (a decompression bomb); a phone's camera makes
# 12-50 megapixels.
MAX_PHOTO_PIXELS = 64_000_000
_PHOTO_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"WEBP", 8, "webp"),  # RIFF container: "RIFF" <size> "WEBP"
)
# Per type: Pillow's name for the format, the stored content type, and how it is written again.
_FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "jpg": ("JPEG", "image/jpeg", {"quality": 90, "optimize": True}),
    "png": ("PNG", "image/png", {"optimize": True}),
    "webp": ("WEBP", "image/webp", {"quality": 90}),
}


@dataclass(frozen=True)
class CleanPhoto:
    """An uploaded photo as it is stored: re-encoded content, its extension and content type."""

    file: ContentFile[bytes]
    extension: str
    content_type: str

    @property
    def size(self) -> int:
        return self.file.size


def photo_clean(photo: File[bytes]) -> CleanPhoto:
    """The photo re-encoded (pixels only, orientation applied) if it is a JPEG, PNG or WebP (by its first
    bytes, not its name, and decodable as that type) of at most 10 MB and 64 megapixels;
    VALIDATION_FAILED otherwise."""
    extension = _photo_type(photo)
    pillow_format, content_type, options = _FORMATS[extension]
    photo.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(photo, formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise _too_many_pixels(width, height)
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(0, 0) from None
    except (OSError, ValueError, SyntaxError):
        # Not decodable as the type its first bytes claim (truncated, corrupt, only a header).
        raise _wrong_type() from None
    finally:
        photo.seek(0)
    out = io.BytesIO()
    _pixels_only(upright, pillow_format).save(out, pillow_format, **options)
    return CleanPhoto(file=ContentFile(out.getvalue()), extension=extension, content_type=content_type)


def _photo_type(photo: File[bytes]) -> str:
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
    raise _wrong_type()


def _pixels_only(image: Image.Image, pillow_format: str) -> Image.Image:
    """A new image with the pixels of `image` and none of its metadata (`info`: EXIF, ICC, XMP, text
    chunks, comments), in a mode the format writes; transparency kept where the format has it."""
    if pillow_format == "JPEG":
        mode = "RGB" if image.mode not in ("L", "RGB") else image.mode
    else:
        keeps_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        mode = "RGBA" if keeps_alpha else ("L" if image.mode in ("1", "L", "I;16", "I") else "RGB")
    converted = image.convert(mode) if image.mode != mode else image
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def _wrong_type() -> DomainError:
    return DomainError(_("Фото должно быть в формате JPEG, PNG или WebP."), details={"field": "photo"})


def _too_many_pixels(width: int, height: int) -> DomainError:
    return DomainError(
        _("Фото больше 64 мегапикселей. Сделайте снимок поменьше."),
        details={"field": "photo", "width": width, "height": height},
    )


def private_upload_path(folder: str, owner_id: int, filename: str) -> str:
    """Where an uploaded photo is stored: a random name under `private/<folder>/<owner_id>/` (MEDIA_ROOT is
    not served), with the extension of `filename`, which `photo_clean` set from the content."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"private/{folder}/{owner_id}/{uuid.uuid4().hex}.{extension}"
