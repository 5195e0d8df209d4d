"""Single active session in two real browsers: signing in on a second device tells the first one live,
over its websocket, without a reload."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, Logins, ServerApp

pytestmark = pytest.mark.browser

# Дарья Ким, operator of ПВЗ во Владивостоке (pvz.simulator.demo.STAFF): no other browser test signs her
# in, so ending her sessions disturbs no stored sign-in state.
PHONE = "+79990000006"
TYPED_PHONE = "8 999 000-00-06"
POINT_NAME = "ПВЗ во Владивостоке"
LIVE_TIMEOUT_MS = 10_000
ENDED_TEXT = "Вы вошли на другом устройстве. Сеанс на этом устройстве завершён."


def test_signing_in_on_a_second_browser_shows_the_first_one_the_ended_banner_live(
    server: ServerApp, logins: Logins, new_context: Callable[..., Any]
) -> None:
    from playwright.sync_api import expect

    first = new_context().new_page()
    first.goto("/")
    logins.sign_in(first, typed_phone=TYPED_PHONE, phone=PHONE, point_name=POINT_NAME)
    banner = first.locator("[data-session-ended]")
    expect(banner).to_be_hidden()
    # Subscribed before the second login, so the notice can only arrive as a push.
    expect(first.locator('[data-live-counts][data-live="on"]')).to_be_attached()
    first.evaluate("window.__sameDocument = true")

    # A phone gets one code a minute: sign_in waits that out when it has to.
    second = new_context().new_page()
    second.goto("/")
    logins.sign_in(second, typed_phone=TYPED_PHONE, phone=PHONE, point_name=POINT_NAME)

    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(banner.locator("[data-session-ended-message]")).to_have_text(ENDED_TEXT)
    assert first.evaluate("window.__sameDocument") is True, "the first browser reloaded the page"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first.screenshot(path=str(ARTIFACTS / "single_session_banner.png"))  # for a person to look at

    banner.get_by_role("link", name="Войти снова").click()
    expect(first).to_have_url(re.compile(r"/login/\?ended=new_login$"))
    expect(first.locator("[data-session-ended-notice]")).to_have_text(ENDED_TEXT)

    # The new session is the one that works.
    second.reload()
    expect(second.locator('[data-count="stored"]')).to_be_visible()
    expect(second.locator("[data-session-ended]")).to_be_hidden()
