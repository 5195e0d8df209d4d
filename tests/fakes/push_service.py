"""A local stand-in for a browser vendor's Web Push service, run in a thread on a free port: it records
every message (path, headers, body) and answers 201, or the status it is told to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class PushedMessage:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakePushService:
    url: str = ""
    status: int = 201
    received: list[PushedMessage] = field(default_factory=list)


def _handler(fake: FakePushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.received.append(
                PushedMessage(
                    path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body
                )
            )
            self.send_response(fake.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def fake_push_service() -> Iterator[FakePushService]:
    fake = FakePushService()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
