"""An authenticator app in a real browser: enrolled on «Безопасность» by its QR and secret, then
asked for at the next sign-in after the SMS code."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TVERSKAYA, ServerApp

pytestmark = pytest.mark.browser

PHONE = "+79990000077"  # not a demo person: this test gives them an app, which must not leak into others


def _create_operator(server: ServerApp) -> None:
    server.run_python(
        f"""
        from pvz.accounts.models import Membership, User
        from pvz.network.models import PickupPoint
        user, _ = User.objects.get_or_create(phone={PHONE!r}, defaults={{"full_name": "Ольга Тестова"}})
        point = PickupPoint.objects.get(code={TVERSKAYA!r})
        Membership.objects.get_or_create(user=user, point=point, role="operator")
        result(user.pk)
        """
    )


def _allow_a_new_code(server: ServerApp) -> None:
    """One login code a minute per phone: the earlier codes are moved back in time rather than waited for."""
    server.run_python(
        f"""
        import datetime as dt
        from pvz.accounts.models import OneTimeCode
        result(OneTimeCode.objects.filter(phone={PHONE!r}).update(
            created_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
        ))
        """
    )


def _sms_code(page: Any) -> str:
    outbox = page.context.new_page()
    try:
        outbox.goto("/dev/sms-outbox/")
        text = outbox.locator(f'tr[data-sms-phone="{PHONE}"]').first.locator(".sms-text").inner_text()
    finally:
        outbox.close()
    return re.search(r"\b(\d{6})\b", text).group(1)


def _first_factor(page: Any) -> None:
    page.goto("/login/")
    page.get_by_label("Номер телефона").fill(PHONE)
    page.get_by_role("button", name="Получить код").click()
    expect(page).to_have_url(re.compile(r"/login/code/$"))
    page.get_by_label("Код из SMS").fill(_sms_code(page))
    page.get_by_role("button", name="Войти").click()


def test_operator_enrols_an_app_by_its_qr_page_and_signs_in_with_sms_code_and_app_code(
    server: ServerApp, page: Any
) -> None:
    _create_operator(server)
    _first_factor(page)
    expect(page).to_have_url(re.compile(r"/points/$"))

    page.goto("/account/security/")
    page.locator("[data-factor-enrol]").click()
    expect(page).to_have_url(re.compile(r"/account/factors/$"))
    page.locator("[data-totp-start]").click()
    qr = page.locator("img.totp-qr")
    expect(qr).to_be_visible()
    # The SVG from the same-origin view loaded (CSP allows it): the image has a size of its own.
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    secret = page.locator("[data-totp-secret]").inner_text()
    totp = pyotp.TOTP(secret)
    enrol_step = totp.timecode(time.time())
    page.get_by_label("Код").fill(totp.generate_otp(enrol_step))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator("[data-backup-codes] li")).to_have_count(10)
    page.locator("[data-continue]").click()
    expect(page.locator("[data-factors-block]")).to_contain_text("резервных кодов осталось: 10")

    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    _allow_a_new_code(server)
    _first_factor(page)
    expect(page).to_have_url(re.compile(r"/login/second-factor/$"))
    # The step used at enrolment cannot be used again: a later one (the next step is accepted too).
    page.get_by_label("Код").fill(totp.generate_otp(max(totp.timecode(time.time()), enrol_step + 1)))
    page.get_by_role("button", name="Войти").click()

    expect(page).to_have_url(re.compile(r"/points/$"))
    page.locator("button.point-choice", has_text="ПВЗ на Тверской").click()
    expect(page.locator('[data-count="stored"]')).to_be_visible()
