"""The request context of audit records: the client IP is REMOTE_ADDR, never a forwarded header."""

from __future__ import annotations

from django.test import RequestFactory

from pvz.audit.context import audit_context, context_from_request
from pvz.audit.models import USER_AGENT_MAX


def test_ip_is_remote_addr_and_a_forged_forwarded_header_is_ignored() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert context_from_request(request).ip == "198.51.100.7"


def test_user_agent_is_cut_to_the_column_length() -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * (USER_AGENT_MAX + 50))

    assert context_from_request(request).user_agent == "x" * USER_AGENT_MAX


def test_outside_a_request_the_context_is_empty() -> None:
    context = audit_context()
    assert (context.ip, context.user_agent, context.user, context.point_id) == (None, "", None, None)
