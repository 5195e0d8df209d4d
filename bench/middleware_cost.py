"""CPU each request pays for the request id and the metrics (`pvz.core.requestid.RequestIdMiddleware`,
`pvz.core.metrics.MetricsMiddleware`), measured in process: the same request (an acceptance scan's route,
already routed, as Django has it when the middleware sees the answer) through an inner handler that does
nothing, with and without the two middlewares, in alternating rounds; the medians are compared.

    .venv/bin/python bench/middleware_cost.py
    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python bench/middleware_cost.py   # several processes

Prints its figures; a benchmark, not a test (STYLE rule 8). Results go to docs/performance.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvz.config.settings")
os.environ.pop("DATABASE_URL", None)  # SQLite: no pool to sample, the rest is the same work

import django

django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402 -- after django.setup()
from django.test import RequestFactory  # noqa: E402 -- after django.setup()
from django.urls import resolve  # noqa: E402 -- after django.setup()

from pvz.core.metrics import MULTIPROCESS, MetricsMiddleware  # noqa: E402 -- after django.setup()
from pvz.core.requestid import RequestIdMiddleware  # noqa: E402 -- after django.setup()

ROUNDS = 7
PER_ROUND = 50_000
PATH = "/api/v1/acceptances/12345/scans"


def answer(request: HttpRequest) -> HttpResponse:
    return ANSWER


ANSWER = HttpResponse(status=200)


def request_for(headers: dict[str, str]) -> HttpRequest:
    request = RequestFactory().post(PATH, headers=headers)
    request.resolver_match = resolve(PATH)
    return request


def per_request_us(handler, request: HttpRequest) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    for _ in range(PER_ROUND):
        handler(request)
    return (time.process_time() - started) / PER_ROUND * 1e6


def main() -> None:
    bare = answer
    wrapped = RequestIdMiddleware(MetricsMiddleware(answer))
    cases = {
        "bare": (bare, request_for({})),
        "id made here": (wrapped, request_for({})),
        "id from the proxy": (wrapped, request_for({"X-Request-ID": "0f6c1d2e3b4a59687766554433221100"})),
    }
    for handler, request in cases.values():  # warm up: labelled children, caches
        per_request_us(handler, request)
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, (handler, request) in cases.items():
            results[name].append(per_request_us(handler, request))
    base = statistics.median(results["bare"])
    print(f"multiprocess mode: {MULTIPROCESS}; {ROUNDS} rounds × {PER_ROUND} requests; CPU µs per request")
    for name, values in results.items():
        mid = statistics.median(values)
        spread = f"(min {min(values):6.2f}, max {max(values):6.2f})"
        print(f"  {name:18} median {mid:6.2f}  {spread}  added {mid - base:5.2f}")


if __name__ == "__main__":
    main()
