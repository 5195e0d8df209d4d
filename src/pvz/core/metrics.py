"""What each request adds to the Prometheus metrics: its latency per route, its count per status class,
the scans and issues it answered, and (at most once a second per process) the database pool's use.

Labels stay bounded: the route is the URL pattern (`api/v1/acceptances/<acceptance_id>/scans`), never the
path with its ids; a path no pattern matches is `<unmatched>`, a static file `<static>`; a method other than
the standard seven is `other`. Scans and issues are counted by operation (which screen or endpoint:
acceptance, placement, counter …), channel (api, web) and outcome, not by point: a network has thousands
of points, and a series per point per operation would swamp Prometheus; the per-point figures are the
app's own reports.

Several processes (granian's workers) write their figures into PROMETHEUS_MULTIPROC_DIR when it is set;
`/metrics` then adds them up (prometheus-client's multiprocess mode, docs/deploy.md § Metrics). The variable
must be set before the process starts, as prometheus-client reads it on import.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from prometheus_client import Counter, Gauge, Histogram, multiprocess

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

UNMATCHED = "<unmatched>"
STATIC = "<static>"

# Scans answer in a few milliseconds, pages in tens, reports and exports in seconds.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "pvz_http_request_duration_seconds",
    "Time from the first middleware to the answer, per route (URL pattern) and method.",
    ["method", "route"],
    buckets=BUCKETS,
)
REQUESTS = Counter(
    "pvz_http_requests",
    "Requests answered, per route (URL pattern), method and status class (2xx, 3xx, 4xx, 5xx).",
    ["method", "route", "status"],
)
SCANS = Counter(
    "pvz_scans",
    "Scans answered, per operation, channel (api, web) and outcome: ok (2xx, whatever the scan found), "
    "refused (4xx: not found, not allowed, a bad body), failed (5xx).",
    ["operation", "channel", "outcome"],
)
ISSUES = Counter(
    "pvz_issues",
    "Issue sessions finished at the counter (parcels handed over), per channel and outcome.",
    ["channel", "outcome"],
)

# (method, URL pattern) of every scan endpoint and screen → (operation, channel).
SCAN_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "api/v1/acceptances/<acceptance_id>/scans"): ("acceptance", "api"),
    ("POST", "api/v1/shipments/<shipment_id>/place"): ("placement", "api"),
    ("POST", "api/v1/points/<point_id>/return-zone/scans"): ("return_zone", "api"),
    ("POST", "api/v1/counter/sessions/<session_id>/scans"): ("counter", "api"),
    ("POST", "api/v1/inventories/<inventory_id>/cell-scans"): ("inventory_cell", "api"),
    ("POST", "api/v1/inventories/<inventory_id>/parcel-scans"): ("inventory_parcel", "api"),
    ("POST", "api/v1/return-carriages/<carriage_id>/totes"): ("dispatch_tote", "api"),
    ("POST", "api/v1/return-carriages/<carriage_id>/totes/<tote_id>/parcels"): ("dispatch_parcel", "api"),
    ("POST", "acceptance/<int:acceptance_id>/scan/"): ("acceptance", "web"),
    ("POST", "placement/scan/"): ("placement", "web"),
    ("POST", "expiry/return-zone/scan/"): ("return_zone", "web"),
    ("POST", "issue/<int:session_id>/scan/"): ("counter", "web"),
    ("POST", "inventory/<int:count_id>/scan/"): ("inventory", "web"),
    ("POST", "dispatch/<int:carriage_id>/scan/"): ("dispatch", "web"),
}
# (method, URL pattern) of finishing an issue session → channel.
ISSUE_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "api/v1/counter/sessions/<session_id>/finish"): "api",
    ("POST", "issue/<int:session_id>/finish/"): "web",
}

_OUTCOMES = {2: "ok", 3: "ok", 4: "refused"}


def outcome_of(status: int) -> str:
    """An answer's outcome by its status class: ok, refused (4xx) or failed (5xx)."""
    return _OUTCOMES.get(status // 100, "failed")


def route_of(request: HttpRequest) -> str:
    """The URL pattern the request was routed to. A middleware that answers before routing (the rate
    limit, an ended session) leaves no match: the path is resolved here, for those answers only; static
    files (WhiteNoise answers them before routing) are one route of their own."""
    match = request.resolver_match
    if match is None:
        if request.path_info.startswith(settings.STATIC_URL or "/static/"):
            return STATIC
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return match.route or UNMATCHED


# Any other method (a client may send any word) is counted as "other", so it cannot add series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Second in MIDDLEWARE (after the request id), so the latency covers every other middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The labelled children of one (method, route, status class): `labels()` takes a lock and builds
        # its key on every call, a third of this middleware's cost when called per request.
        self._series: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in METHODS else "other"
        route = route_of(request)
        key = (method, route, response.status_code // 100)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _series_of(method, route, response.status_code)
        timer, counter, operation = series
        timer.observe(elapsed)
        counter.inc()
        if operation is not None:
            operation.inc()
        pool_sample_due()
        return response


def _series_of(method: str, route: str, status: int) -> tuple[Any, Any, Any]:
    """(latency histogram, request counter, the scan or issue counter or None) of one kind of answer."""
    operation = None
    scan = SCAN_ROUTES.get((method, route))
    if scan is not None:
        operation = SCANS.labels(scan[0], scan[1], outcome_of(status))
    elif (channel := ISSUE_ROUTES.get((method, route))) is not None:
        operation = ISSUES.labels(channel, outcome_of(status))
    return (
        REQUEST_SECONDS.labels(method, route),
        REQUESTS.labels(method, route, f"{status // 100}xx"),
        operation,
    )


# ---- the database pool ---------------------------------------------------------------------------------
# Sampled in the process that owns the pool: each web process has its own (Django's psycopg_pool), so each
# writes its own figures, which multiprocess mode adds up across the live processes.

POOL_CONNECTIONS = Gauge(
    "pvz_db_pool_connections",
    "Connections the process's pool holds (state=open), of them idle (state=idle), and its maximum (max).",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "pvz_db_pool_waiting_requests",
    "Requests waiting for a pooled connection right now.",
    multiprocess_mode="livesum",
)
POOL_CHECKOUTS = Counter("pvz_db_pool_checkouts", "Connections handed out by the pool.")
POOL_WAITS = Counter("pvz_db_pool_waits", "Connection requests that had to wait for a free connection.")
POOL_WAIT_SECONDS = Counter("pvz_db_pool_wait_seconds", "Time spent waiting for a pooled connection.")
POOL_ERRORS = Counter(
    "pvz_db_pool_errors",
    "Pool failures: timeout (no connection within PVZ_DB_POOL_TIMEOUT), connect (a new connection failed), "
    "lost (a connection found broken when checked).",
    ["kind"],
)

# psycopg_pool's cumulative statistics → (counter, scale).
_POOL_COUNTERS: dict[str, tuple[Any, float]] = {
    "requests_num": (POOL_CHECKOUTS, 1.0),
    "requests_queued": (POOL_WAITS, 1.0),
    "requests_wait_ms": (POOL_WAIT_SECONDS, 0.001),
    "requests_errors": (POOL_ERRORS.labels("timeout"), 1.0),
    "connections_errors": (POOL_ERRORS.labels("connect"), 1.0),
    "connections_lost": (POOL_ERRORS.labels("lost"), 1.0),
}
POOL_SAMPLE_SECONDS = 1.0

_pool_lock = threading.Lock()
_pool_seen: dict[str, float] = {}
_pool_next_sample = 0.0


def pool_sample() -> None:
    """Copies the pool's figures into the metrics (counters grow by what grew since the last sample)."""
    pool = getattr(connections["default"], "pool", None)
    if pool is None:  # SQLite, or PostgreSQL without a pool
        return
    if not _pool_lock.acquire(blocking=False):
        return  # another thread of this process is sampling right now
    try:
        stats = pool.get_stats()
        POOL_CONNECTIONS.labels("open").set(stats.get("pool_size", 0))
        POOL_CONNECTIONS.labels("idle").set(stats.get("pool_available", 0))
        POOL_CONNECTIONS.labels("max").set(stats.get("pool_max", 0))
        POOL_WAITING.set(stats.get("requests_waiting", 0))
        for name, (counter, scale) in _POOL_COUNTERS.items():
            value = float(stats.get(name, 0))
            grown = value - _pool_seen.get(name, 0.0)
            if grown > 0:
                counter.inc(grown * scale)
            _pool_seen[name] = value
    finally:
        _pool_lock.release()


def pool_sample_due() -> None:
    global _pool_next_sample
    now = time.monotonic()
    if now >= _pool_next_sample:
        _pool_next_sample = now + POOL_SAMPLE_SECONDS
        pool_sample()


if MULTIPROCESS:
    # The live-sum gauges drop a process's figures once it is marked dead (a graceful exit; the directory
    # is emptied at each start of the service, docs/deploy.md).
    atexit.register(lambda: multiprocess.mark_process_dead(os.getpid()))  # type: ignore[no-untyped-call]
