"""A refused page (403) is one log line, not the PermissionDenied traceback Django would attach."""

from __future__ import annotations

import logging
import sys

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.core.refusal_logging import RefusalTracebackFilter
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


def test_a_refused_page_is_logged_as_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    point = PickupPointFactory()
    client = Client()
    client.force_login(operator_at(point, Role.SUPPORT), backend="pvz.accounts.backends.PhoneCodeBackend")
    session = client.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/expiry/")  # needs *operate*, which support lacks

    assert response.status_code == 403
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /expiry/"
    assert record.exc_info is None and record.exc_text is None
    assert "Traceback" not in caplog.text


def test_other_failures_keep_their_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", (), sys.exc_info())

    assert RefusalTracebackFilter().filter(record) is True
    assert record.exc_info is not None
