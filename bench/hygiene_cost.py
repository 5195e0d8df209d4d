"""CPU each request pays for the input hygiene check (`pvz.core.hygiene.InputHygieneMiddleware`), measured
in process: `process_view` on a request whose body Django has already read (the view reads it anyway, so
the read is not the check's cost), against a no-op in alternating rounds; medians compared. Cases: a GET
without and with a query, an acceptance scan's JSON body, a manifest of almost 20 MB (the largest body
checked: a search of its bytes), and a scan body that does carry an escape (decoded and walked, then refused).

    .venv/bin/python bench/hygiene_cost.py

Prints its figures; a benchmark, not a test (STYLE rule 8). Results go to docs/performance.md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvz.config.settings")
os.environ.pop("DATABASE_URL", None)

import django

django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402 -- after django.setup()
from django.test import RequestFactory  # noqa: E402 -- after django.setup()
from django.test.utils import override_settings  # noqa: E402 -- after django.setup()

from pvz.core.hygiene import InputHygieneMiddleware  # noqa: E402 -- after django.setup()

ROUNDS = 7
JSON = "application/json"
ESCAPED = '{"code": "ii\\u0041", "n": "\\ud83d\\udce6"}'  # escapes, a surrogate pair among them
SCAN = {"code": "ii11807135000", "scan_id": "0f6c1d2e-3b4a-5968-7766-554433221100", "auto_place": True}


def manifest_body(target: int) -> bytes:
    line = {
        "barcode": "ii11807135000",
        "posting_number": "59982352-1597-1",
        "customer_phone": "+79161234567",
        "customer_name": "Анна Петрова",  # \u escapes in JSON as most clients send it
    }
    lines = [line] * (target // len(json.dumps(line)))
    return json.dumps({"carriage_number": "CAR-1", "point": "msk-1", "shipments": lines}).encode()


def prepared(request: HttpRequest) -> HttpRequest:
    request.body  # noqa: B018 -- read as the view would, before timing
    return request


def per_request_us(check: Callable[[HttpRequest], object], request: HttpRequest, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        check(request)
    return (time.process_time() - started) / count * 1e6


def main() -> None:
    factory = RequestFactory()
    middleware = InputHygieneMiddleware(lambda request: HttpResponse())
    big = manifest_body(18 * 1024 * 1024)
    assert len(big) <= 20 * 1024 * 1024, "must stay within the largest body checked"
    cases: dict[str, tuple[HttpRequest, int]] = {
        "GET, no query": (factory.get("/api/v1/points/1/carriages"), 50_000),
        "GET ?q=…&limit=50": (factory.get("/api/v1/shipments/search?q=ii118071&limit=50"), 50_000),
        "POST scan (JSON)": (factory.post("/a/", SCAN, content_type="application/json"), 50_000),
        "POST scan with \\u escape": (
            factory.post(
                "/a/", '{"code": "ii\\u0041", "n": "\\ud83d\\udce6"}', content_type="application/json"
            ),
            50_000,
        ),
        f"POST {len(big) / 2**20:.1f} MB manifest": (factory.post("/a/", big, content_type=JSON), 20),
    }

    def checked(request: HttpRequest) -> object:
        return middleware.process_view(request, lambda: None, (), {})

    def bare(request: HttpRequest) -> object:
        return None

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):
        requests = {name: (prepared(request), count) for name, (request, count) in cases.items()}
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cases}
    for request, count in requests.values():  # warm up
        per_request_us(checked, request, max(1, count // 10))
    for _ in range(ROUNDS):
        for name, (request, count) in requests.items():
            results[name][0].append(per_request_us(bare, request, count))
            results[name][1].append(per_request_us(checked, request, count))
    print(f"{ROUNDS} rounds; CPU µs per request, median of the rounds (min–max of the checked)")
    for name, (without, with_check) in results.items():
        added = statistics.median(with_check) - statistics.median(without)
        spread = f"{min(with_check):.2f}–{max(with_check):.2f}"
        print(f"  {name:28} added {added:10.2f}  ({spread})")


if __name__ == "__main__":
    main()
