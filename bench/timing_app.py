"""The project's ASGI application with a stopwatch around every HTTP request, for `bench/acceptance.py`.

Each uvicorn worker appends one line per request to `timing-<pid>.tsv` in `$PVZ_BENCH_TIMING_DIR`:
wall-clock start (s), duration (ms), method, path, status. The duration runs from the moment uvicorn hands
the parsed request to the application until the application has handed over the last byte of the
response: Django's middleware, the view and every query, the hand-over to the request's own sync thread
(Django's ASGI handler gives each request a thread of its own) and any wait for the GIL or the database.
Socket I/O and HTTP parsing in uvicorn, and time queued before uvicorn reads the request, are not in it.
"""

from __future__ import annotations

import os
import time
from typing import Any, TextIO

from pvz.config.asgi import application as _project_application

_DIRECTORY = os.environ["PVZ_BENCH_TIMING_DIR"]
_out: TextIO | None = None


def _timing_file() -> TextIO:
    global _out
    if _out is None:
        # Line-buffered: the benchmark reads the files while the server is still running.
        _out = open(os.path.join(_DIRECTORY, f"timing-{os.getpid()}.tsv"), "a", buffering=1)  # noqa: SIM115
    return _out


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        await _project_application(scope, receive, send)
        return
    started_wall = time.time()
    started = time.perf_counter()
    status = 0

    async def timed_send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            elapsed_ms = (time.perf_counter() - started) * 1000
            _timing_file().write(
                f"{started_wall:.6f}\t{elapsed_ms:.3f}\t{scope['method']}\t{scope['path']}\t{status}\n"
            )

    await _project_application(scope, receive, timed_send)
