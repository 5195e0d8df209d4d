"""Several processes (granian's workers) with PROMETHEUS_MULTIPROC_DIR: `/metrics`, whichever process
answers it, adds up what every process counted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COUNT_ONE_REQUEST = """
import django
django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
from pvz.core.metrics import MULTIPROCESS, MetricsMiddleware
assert MULTIPROCESS
MetricsMiddleware(lambda request: HttpResponse(status=204))(RequestFactory().get("/healthz"))
"""

SCRAPE = """
import django
django.setup()
from django.test import RequestFactory
from pvz.config.metrics import metrics
response = metrics(RequestFactory().get("/metrics", REMOTE_ADDR="127.0.0.1"))
assert response.status_code == 200
print(response.content.decode())
"""


def _run(code: str, directory: Path) -> str:
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "pvz.config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_processes_counts_are_added_up(tmp_path: Path) -> None:
    _run(COUNT_ONE_REQUEST, tmp_path)
    _run(COUNT_ONE_REQUEST, tmp_path)

    text = _run(SCRAPE, tmp_path)

    assert 'pvz_http_requests_total{method="GET",route="healthz",status="2xx"} 2.0' in text
    assert 'pvz_http_request_duration_seconds_count{method="GET",route="healthz"} 2.0' in text
    assert "pvz_backlog_up" in text  # the scrape-time figures come with them
    assert len(list(tmp_path.glob("*.db"))) >= 2  # each process wrote its own file
