"""The strict Content-Security-Policy in a real browser: what it blocks is caught, and the pages outside
the staff screens (API docs, admin sign-in) still work under it. The staff screens are covered by every
other browser test: the `new_context` fixture fails a test on any CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_inline_code_is_blocked_and_reported(page: Any, csp_violations: list[str]):
    page.goto("/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.appendChild(script);
        }"""
    )

    assert page.evaluate("() => window.inlineRan === true") is False
    expect(page.get_by_label("Номер телефона")).to_be_visible()
    page.wait_for_timeout(0)  # let the console event arrive
    assert len(csp_violations) == 1
    assert "script-src 'self'" in csp_violations[0]
    csp_violations.clear()  # seen and expected: the fixture must not fail the test for it


def test_the_api_docs_render_under_the_policy(page: Any):
    page.goto("/api/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("OpenPVZ API")
    expect(page.locator(".opblock").first).to_be_visible()


def test_the_admin_sign_in_renders_under_the_policy(page: Any):
    page.goto("/admin/login/")

    expect(page.locator("body")).not_to_be_empty()
