"""schemathesis against the API's OpenAPI schema, in process through the WSGI application, signed in as
an operator of a point with data (and, for the partner API, with that point's partner's API key): no
generated request may end in a server error (5xx).

Each operation gets `EXAMPLES_PER_OPERATION` generated requests, half of them with the path parameters
of real objects of the operator's point (so handlers get past the lookup), half with generated ones; the
total is counted and must reach `MIN_REQUESTS`. Everything runs in the test's transaction, rolled back.

Every generated request with a text field is also sent poisoned (`POISONS`): each string of its path,
query and body carries U+0000 or, in a JSON body, a lone surrogate (U+D800), which schemathesis's own
strings never hold (it generates only what UTF-8 can encode). Those must be refused, never a 5xx
(`pvz.core.hygiene`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from pvz.api.api import api
from pvz.config.wsgi import application
from tests.security import matrix
from tests.security.matrix import Route, Site

MIN_REQUESTS = 1000
MIN_PARTNER_REQUESTS = 100  # the partner API's share, sent with the partner's key
PARTNER_PATH = re.compile(r"^(/api/v1)?/partner/")
EXAMPLES_PER_OPERATION = 16
TIME_BUDGET_SECONDS = 80  # a bound for `make test`: generation stops here (and the count must still hold)
OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"
# Appended to every string of a poisoned request, in turn; a lone surrogate only where JSON can carry it.
POISONS = ("\x00", "\ud800")
MIN_POISONED = 300


@contextmanager
def in_process_requests() -> Iterator[None]:
    """Requests through the WSGI handler would close the test's connection at their start and end (what
    Django does between real requests); the test client keeps it open, and so must this test. (The test
    client connects the receivers again after each of its requests: no test client inside.)"""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _signed_in(site: Site) -> tuple[dict[str, str], dict[str, str]]:
    """The operator's session cookie and CSRF token, taken as the web app takes them: from a page."""
    client = Client()
    client.force_login(site.operator)
    page = client.get("/points/")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.content.decode())
    assert found is not None, "the page should carry the CSRF token"
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    assert settings.SESSION_COOKIE_NAME in cookies
    return cookies, {"X-CSRFToken": found.group(1)}


def _real_path_parameters(operation: Any, site: Site) -> dict[str, Any]:
    route = Route(
        kind="api",
        route=re.sub(r"\{(\w+)\}", r"<\1>", operation.path.lstrip("/")),
        name=operation.label,
        method=operation.method.upper(),
        view=lambda: None,
        kwargs=(),
    )
    values = {}
    for name in re.findall(r"\{(\w+)\}", operation.path):
        # An object the matrix cannot make yet (the matrix fails for it itself) is left to generation.
        with suppress(LookupError):
            values[name] = matrix.kwarg_value(route, name, site)
    return values


@pytest.mark.django_db
def test_generated_requests_never_get_a_server_error(tmp_path) -> None:
    with override_settings(
        MEDIA_ROOT=tmp_path, PVZ_SMS_BACKEND=OUTBOX, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "localhost"]
    ):
        site = matrix.site_build(seed=21)
        cookies, headers = _signed_in(site)
        schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
        schema.app = application
        with in_process_requests():
            sent, failures = _fuzz(schema, site, cookies, headers)
    assert failures == []
    assert sent["all"] >= MIN_REQUESTS, f"only {sent['all']} requests in {TIME_BUDGET_SECONDS} s"
    assert sent["partner"] >= MIN_PARTNER_REQUESTS, f"only {sent['partner']} partner API requests"
    assert sent["partner_refused_key"] == 0, "the partner's key must get every partner request past auth"
    assert sent["poisoned"] >= MIN_POISONED, f"only {sent['poisoned']} poisoned requests"
    # Most get past authentication and the lookup to the check (others are 401, 404 by an id, 405 …).
    assert sent["poison_refused"] >= sent["poisoned"] // 2, sent


def _poisoned(value: Any, poison: str, *, keys: bool = True) -> tuple[Any, bool]:
    """`value` with `poison` appended to each string in it (keys too, if `keys`), and whether there was
    any."""
    if isinstance(value, str):
        return value + poison, True
    if isinstance(value, list):
        items = [_poisoned(item, poison) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    if isinstance(value, dict):
        pairs = [
            (_poisoned(key, poison) if keys else (key, False), _poisoned(item, poison))
            for key, item in value.items()
        ]
        poisoned = {key: item for (key, _), (item, _) in pairs}
        return poisoned, any(key_found or found for (_, key_found), (_, found) in pairs)
    return value, False


def _poisoned_case(case: Any, poison: str) -> Any | None:
    """A copy of `case` with its strings poisoned; None when it has no string to carry the poison. A new
    case, not the generated one edited: schemathesis would check an edited case against the schema again,
    and its validator cannot take a lone surrogate."""
    json_body = "json" in (case.media_type or "")
    parts: dict[str, Any] = {}
    any_found = False
    for part in ("path_parameters", "query", "body"):
        value = getattr(case, part)
        if value is None or type(value).__name__ == "NotSet":
            continue
        # A lone surrogate cannot be put in a URL or a form (they are UTF-8); JSON escapes it.
        character = poison if part == "body" and json_body else "\x00"
        # Path parameters keep their names (the path template needs them); query names are left as well.
        parts[part], found = _poisoned(value, character, keys=part == "body")
        any_found = any_found or found
    if not any_found:
        return None
    return case.operation.Case(
        method=case.method,
        headers=case.headers,
        cookies=case.cookies,
        media_type=case.media_type,
        multipart_content_types=case.multipart_content_types,
        **parts,
    )


def _as_curl(case: Any) -> str:
    try:
        return str(case.as_curl_command())
    except UnicodeEncodeError:  # a poisoned case's lone surrogate
        return f"(body {case.body!r}, query {case.query!r}, path {case.path_parameters!r})"


def _refused_as_bad_text(response: Any) -> bool:
    if response.status_code != 422:
        return False
    with suppress(ValueError, KeyError, TypeError, IndexError):
        return bool(response.json()["error"]["details"]["fields"][0]["type"] == "invalid_character")
    return False


def _fuzz(
    schema: Any, site: Site, cookies: dict[str, str], headers: dict[str, str]
) -> tuple[dict[str, int], list[str]]:
    sent = {"all": 0, "partner": 0, "partner_refused_key": 0, "poisoned": 0, "poison_refused": 0}
    failures: list[str] = []
    partner_headers = {"Authorization": f"Bearer {site.partner_key}"}
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    # The partner API first: the few partner operations must not be the ones a slow run cuts off.
    operations.sort(key=lambda operation: not PARTNER_PATH.match(operation.path))

    def send(case: Any) -> Any:
        if PARTNER_PATH.match(case.path):  # the partner API: the key, no staff session
            response = case.call(headers=partner_headers)
            sent["partner"] += 1
            sent["partner_refused_key"] += response.status_code == 401
        else:
            response = case.call(headers=headers, cookies=cookies)
        sent["all"] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception:  # a FailureGroup: collected, so that one run reports every failing operation
            failures.append(f"{case.method} {case.path}: {response.status_code} {_as_curl(case)}")
        return response

    for operation in operations:
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            break
        strategy = st.one_of(
            operation.as_strategy(),
            operation.as_strategy(path_parameters=_real_path_parameters(operation, site)),
        )

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            send(case)
            poisoned = _poisoned_case(case, POISONS[sent["poisoned"] % len(POISONS)])
            if poisoned is not None:
                sent["poisoned"] += 1
                sent["poison_refused"] += _refused_as_bad_text(send(poisoned))

        run()
    return sent, failures
