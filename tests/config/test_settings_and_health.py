"""Serving basics: production refuses to start without its secrets, /healthz reports the database, the
interface is Russian unless the person chose English, the scan normaliser fixes the keyboard layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from pvz.core.scan import ScanKind, classify_scan, normalize_scan

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PVZ_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-c", "import pvz.config.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _import_settings({"PVZ_PRODUCTION": "true", "DATABASE_URL": "postgres://u@127.0.0.1/db"})

    assert result.returncode != 0
    assert "PVZ_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_database_url() -> None:
    result = _import_settings({"PVZ_PRODUCTION": "true", "PVZ_SECRET_KEY": "x" * 50})

    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_production_starts_with_its_secrets_and_turns_debug_and_the_public_outbox_off() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PVZ_", "DATABASE_URL"))}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings as s; django.setup(); "
            "print(s.DEBUG, s.PVZ_SMS_OUTBOX_PUBLIC)",
        ],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "pvz.config.settings",
            "PVZ_PRODUCTION": "true",
            "PVZ_SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://u@127.0.0.1/db",
            "PVZ_SMS_OUTBOX_PUBLIC": "true",
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client) -> None:
    with mock.patch.object(connection, "cursor", side_effect=RuntimeError("db down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "RuntimeError"}


@pytest.mark.django_db
def test_interface_is_russian_even_when_the_browser_asks_for_english(client) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.headers["Content-Language"] == "ru"
    assert "Вход" in response.content.decode()


@pytest.mark.django_db
def test_interface_is_english_after_choosing_english(client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    response = client.get("/login/")

    assert response.headers["Content-Language"] == "en"


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("шш11807135000", ScanKind.BARCODE, "ii11807135000"),
        ("ШШ11807135000", ScanKind.BARCODE, "ii11807135000"),
        (" 23281294-0063-2\n", ScanKind.POSTING_NUMBER, "23281294-0063-2"),
        ("%101%12345678901", ScanKind.TOTE, "%101%12345678901"),
        ("ф-03-2", ScanKind.CELL, "A-03-2"),
        ("сфк-20261127001", ScanKind.CARRIAGE, "CAR-20261127001"),
        ("12345678*1234", ScanKind.PICKUP_CODE, "12345678*1234"),
        ("123456789012345", ScanKind.BARCODE, "123456789012345"),
    ],
)
def test_scan_normaliser_fixes_russian_layout_and_classifies(typed: str, kind: ScanKind, value: str) -> None:
    guess = classify_scan(normalize_scan(typed))

    assert (guess.kind, guess.value) == (kind, value)
