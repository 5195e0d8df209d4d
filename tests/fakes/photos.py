"""Real (tiny) photos for upload tests: uploads are decoded and re-encoded, so a few magic bytes are not a
photo any more."""

from __future__ import annotations

import io

from PIL import Image


def photo_bytes(
    kind: str = "JPEG", size: tuple[int, int] = (4, 3), color: str = "red", **save: object
) -> bytes:
    """A `size` image of one `color` as JPEG, PNG or WEBP; `save` goes to Pillow (e.g. `exif=`)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind, **save)
    return out.getvalue()


JPEG = photo_bytes("JPEG")
PNG = photo_bytes("PNG")
WEBP = photo_bytes("WEBP")
