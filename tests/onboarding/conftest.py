"""Opening applications: private media and the outbox SMS gateway, a valid form, real PNG photos."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.onboarding.models import PointApplication
from pvz.onboarding.services import ApplicationForm, application_submit
from tests.factories import PickupPointFactory, operator_at

OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"
APPLICANT_PHONE = "+79161234567"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PVZ_SMS_BACKEND = OUTBOX
    settings.PVZ_APPLICATIONS_PER_IP_PER_HOUR = 3


def png_bytes() -> bytes:
    """A real 1 × 1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    return raw + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def png(name: str = "room.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant_name": "Иван Петров",
        "phone": "8 916 123-45-67",
        "email": "ivan@example.ru",
        "legal_entity": "ИП Петров И. И.",
        "inn": "771234567890",
        "address": "Москва, ул. Тверская, 7",
        "area_m2": 40,
        "opening_hours": "ежедневно 9:00–21:00",
    }
    data.update(changes)
    return data


Submit = Callable[..., PointApplication]


@pytest.fixture
def submit(db: None) -> Submit:
    def _submit(
        ip: str | None = "203.0.113.5", photos: tuple[Any, ...] = (), **changes: Any
    ) -> PointApplication:
        return application_submit(form=ApplicationForm(**form_data(**changes)), photos=list(photos), ip=ip)

    return _submit


@pytest.fixture
def admin(db: None) -> User:
    return operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN)
