"""Uploaded photos are stored only as the image: the type by the first bytes, the size, then decoded and
written again with the pixels alone (orientation applied, metadata and anything appended gone)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from pvz.core.errors import DomainError
from pvz.core.uploads import MAX_PHOTO_BYTES, photo_clean
from tests.fakes.photos import JPEG, PNG, WEBP, photo_bytes

ORIENTATION = 0x0112
ARTIST = 0x013B


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "extension", "content_type"),
    [(JPEG, "jpg", "image/jpeg"), (PNG, "png", "image/png"), (WEBP, "webp", "image/webp")],
)
def test_each_accepted_type_is_recognised_by_its_bytes_and_kept_as_that_type(
    content, extension, content_type
) -> None:
    cleaned = photo_clean(ContentFile(content, name="whatever.txt"))

    assert (cleaned.extension, cleaned.content_type) == (extension, content_type)
    assert opened(cleaned.file.read()).size == (4, 3)
    assert cleaned.size == len(cleaned.file)


@pytest.mark.parametrize("tail", [a_zip(), b"<html><script>alert(1)</script></html>"])
def test_a_polyglot_is_stored_as_the_image_alone(tail: bytes) -> None:
    polyglot = JPEG + tail
    assert zipfile.is_zipfile(io.BytesIO(polyglot)) or b"<script>" in polyglot

    stored = photo_clean(ContentFile(polyglot, name="p.jpg")).file.read()

    assert stored.endswith(b"\xff\xd9")  # the JPEG's end marker is the last thing stored
    assert not zipfile.is_zipfile(io.BytesIO(stored))
    assert b"<script>" not in stored and b"payload.html" not in stored


def test_metadata_goes_and_the_orientation_is_applied_to_the_pixels() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: display rotated 90° clockwise
    exif[ARTIST] = "<script>alert(1)</script>"
    content = photo_bytes("JPEG", size=(8, 2), exif=exif.tobytes(), comment=b"<?php system($_GET[1]); ?>")
    assert b"<script>" in content and b"<?php" in content

    stored = photo_clean(ContentFile(content, name="p.jpg")).file.read()

    image = opened(stored)
    assert image.size == (2, 8)  # stood up
    assert not image.getexif()
    assert b"<script>" not in stored and b"<?php" not in stored


def test_transparency_of_a_png_is_kept() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (2, 2), (255, 0, 0, 0)).save(out, "PNG")

    image = opened(photo_clean(ContentFile(out.getvalue(), name="p.png")).file.read())

    assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_another_type_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        photo_clean(ContentFile(b"GIF89a" + b"\x00" * 32, name="x.jpg"))

    assert refused.value.details == {"field": "photo"}


def test_the_first_bytes_of_a_type_without_an_image_behind_them_are_refused() -> None:
    with pytest.raises(DomainError) as refused:
        photo_clean(ContentFile(b"\xff\xd8\xff\xe0" + b"\x00" * 64, name="x.jpg"))

    assert str(refused.value) == "Фото должно быть в формате JPEG, PNG или WebP."


def test_the_10_mb_limit_holds_to_the_byte() -> None:
    at_limit = JPEG + b"\x00" * (MAX_PHOTO_BYTES - len(JPEG))  # bytes after the image are dropped
    assert photo_clean(ContentFile(at_limit, name="x.jpg")).extension == "jpg"
    with pytest.raises(DomainError) as refused:
        photo_clean(ContentFile(at_limit + b"\x00", name="x.jpg"))
    assert refused.value.details["size"] == MAX_PHOTO_BYTES + 1


def test_a_decompression_bomb_is_refused_before_its_pixels_are_unpacked() -> None:
    bomb = photo_bytes("PNG", size=(9000, 8000), color="white")  # 72 megapixels in a few kilobytes
    assert len(bomb) < MAX_PHOTO_BYTES

    with pytest.raises(DomainError) as refused:
        photo_clean(ContentFile(bomb, name="x.png"))

    assert refused.value.details == {"field": "photo", "width": 9000, "height": 8000}
