"""`/metrics`: who may read it, and what the requests, scans, issues and backlogs put into it."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client import REGISTRY

from pvz.core import metrics
from pvz.notifications.models import Notification, NotificationStatus
from pvz.notifications.tasks import notification_send
from tests.factories import CustomerFactory, PickupPointFactory, operator_at
from tests.security.matrix import project_routes

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.9"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client: Client | None = None) -> str:
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def value_in(text: str, series: str) -> float:
    """The value of one series in the exposition, e.g. `pvz_notifications{state="failed"}`."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} is not in the scrape"
    return float(match.group(1))


# ---- who may read it --------------------------------------------------------------------------------------


def test_this_host_reads_the_metrics_by_default() -> None:
    Client().get("/healthz")
    assert "pvz_http_request_duration_seconds_bucket" in scrape()


def test_another_address_is_refused_even_signed_in() -> None:
    user = operator_at(PickupPointFactory())
    client = Client(REMOTE_ADDR=OUTSIDE)
    client.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")

    response = client.get("/metrics")

    assert response.status_code == 403
    assert "pvz_" not in response.content.decode()


@override_settings(PVZ_METRICS_ALLOWED_IPS=["10.0.0.0/8", "2001:db8::/32"])
@pytest.mark.parametrize(("address", "status"), [("10.1.2.3", 200), ("2001:db8::5", 200), ("127.0.0.1", 403)])
def test_the_allowed_addresses_may_be_networks(address: str, status: int) -> None:
    assert Client(REMOTE_ADDR=address).get("/metrics").status_code == status


@override_settings(PVZ_METRICS_TOKEN="s3cret-token")
@pytest.mark.parametrize(
    ("authorization", "status"),
    [("Bearer s3cret-token", 200), ("Bearer wrong", 403), ("s3cret-token", 403), ("", 403)],
)
def test_the_token_opens_it_from_anywhere(authorization: str, status: int) -> None:
    client = Client(REMOTE_ADDR=OUTSIDE, headers={"Authorization": authorization} if authorization else {})

    assert client.get("/metrics").status_code == status


def test_an_empty_token_opens_nothing() -> None:
    assert settings.PVZ_METRICS_TOKEN == ""
    client = Client(REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer "})

    assert client.get("/metrics").status_code == 403


# ---- requests ---------------------------------------------------------------------------------------------


def test_requests_are_counted_per_route_pattern_never_per_path(signed_in) -> None:
    client = signed_in(operator_at(PickupPointFactory()))
    route = "api/v1/shipments/<shipment_id>/placement-suggestion"
    labels = {"method": "GET", "route": route}
    before_count = sample("pvz_http_requests_total", status="4xx", **labels)
    before_timed = sample("pvz_http_request_duration_seconds_count", **labels)

    for shipment_id in (987654, 987655):
        assert client.get(f"/api/v1/shipments/{shipment_id}/placement-suggestion").status_code == 404

    assert sample("pvz_http_requests_total", status="4xx", **labels) == before_count + 2
    assert sample("pvz_http_request_duration_seconds_count", **labels) == before_timed + 2
    text = scrape()
    assert 'route="api/v1/shipments/<shipment_id>/placement-suggestion"' in text
    assert "987654" not in text


def test_a_path_no_route_matches_is_one_series() -> None:
    labels = {"method": "GET", "route": metrics.UNMATCHED, "status": "4xx"}
    before = sample("pvz_http_requests_total", **labels)

    Client().get("/no/such/page/1")
    Client().get("/no/such/page/2")

    assert sample("pvz_http_requests_total", **labels) == before + 2


def test_scans_are_counted_by_operation_and_outcome(signed_in, delivery, acceptance) -> None:
    client = signed_in(delivery.operator)
    path = f"/api/v1/acceptances/{acceptance.pk}/scans"
    ok = {"operation": "acceptance", "channel": "api", "outcome": "ok"}
    refused = {**ok, "outcome": "refused"}
    before_ok, before_refused = sample("pvz_scans_total", **ok), sample("pvz_scans_total", **refused)

    for code in (delivery.shipments()[0].barcode, "nope"):
        body = {"code": code, "scan_id": str(uuid.uuid4())}
        answer = client.post(
            path, body, content_type="application/json", headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert answer.status_code == 200, answer.content
    answer = client.post(
        "/api/v1/acceptances/99999999/scans",
        {"code": "x", "scan_id": str(uuid.uuid4())},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 404

    assert sample("pvz_scans_total", **ok) == before_ok + 2
    assert sample("pvz_scans_total", **refused) == before_refused + 1


def test_an_issue_finish_is_counted(signed_in) -> None:
    client = signed_in(operator_at(PickupPointFactory()))
    refused = {"channel": "api", "outcome": "refused"}
    before = sample("pvz_issues_total", **refused)

    answer = client.post(
        "/api/v1/counter/sessions/99999999/finish",
        {},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert 400 <= answer.status_code < 500
    assert sample("pvz_issues_total", **refused) == before + 1


def test_every_counted_scan_and_issue_route_exists() -> None:
    """A renamed route would silently count nothing: each one listed must be a route of the project."""
    routes, _ = project_routes()
    api = {(route.method, route.route) for route in routes if route.kind == "api"}
    pages = {route.route for route in routes if route.kind == "page"}
    for method, route in [*metrics.SCAN_ROUTES, *metrics.ISSUE_ROUTES]:
        assert (method, route) in api or route in pages, f"{method} {route} is not routed"


@pytest.mark.parametrize(("status", "outcome"), [(200, "ok"), (302, "ok"), (409, "refused"), (503, "failed")])
def test_an_outcome_is_the_status_class(status: int, outcome: str) -> None:
    assert metrics.outcome_of(status) == outcome


# ---- backlogs, read at scrape time ------------------------------------------------------------------------


def test_the_backlogs_are_read_from_the_database() -> None:
    customer = CustomerFactory()
    base = {"customer": customer, "recipient": "+79160000000", "text": "x", "kind": "shipment_ready"}
    Notification.objects.create(**base, dedup_key="a", status=NotificationStatus.FAILED)
    pending = Notification.objects.create(**base, dedup_key="b", status=NotificationStatus.PENDING)
    Notification.objects.filter(pk=pending.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    notification_send.enqueue(notification_id=pending.pk)

    text = scrape()

    assert value_in(text, "pvz_backlog_up") == 1
    assert value_in(text, 'pvz_notifications{state="pending"}') == 1
    assert value_in(text, 'pvz_notifications{state="failed"}') == 1
    assert value_in(text, "pvz_notifications_oldest_pending_age_seconds") >= 600
    assert value_in(text, "pvz_jobs_ready") == 1
    assert value_in(text, 'pvz_webhook_deliveries{state="pending"}') == 0
    assert value_in(text, 'pvz_staff_deliveries{state="due"}') == 0


def test_the_pool_is_reported_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Django's connection pool is PostgreSQL's")
    text = scrape()

    assert (
        value_in(text, 'pvz_db_pool_connections{state="max"}')
        == settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    )
    assert value_in(text, 'pvz_db_pool_connections{state="open"}') >= 1
    assert value_in(text, "pvz_db_pool_checkouts_total") >= 1


def test_a_method_of_the_clients_own_invention_adds_no_series() -> None:
    labels = {"route": "healthz", "status": "4xx"}
    before = sample("pvz_http_requests_total", method="other", **labels)

    Client().generic("BREW", "/healthz")
    Client().generic("PROPFIND", "/healthz")

    assert sample("pvz_http_requests_total", method="other", **labels) == before + 2
    assert sample("pvz_http_requests_total", method="BREW", **labels) == 0


def test_static_files_are_one_series() -> None:
    labels = {"method": "GET", "route": metrics.STATIC, "status": "2xx"}
    before = sample("pvz_http_requests_total", **labels)

    for name in ("pvz/shell.js", "vendor/htmx/htmx.min.js"):
        answer = Client().get(f"/static/{name}")
        assert answer.status_code == 200, name
        answer.close()

    assert sample("pvz_http_requests_total", **labels) == before + 2
