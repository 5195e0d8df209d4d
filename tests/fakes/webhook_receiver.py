"""A local partner webhook receiver, run in a thread on a free port: it verifies each request's Standard
Webhooks signature with the endpoint's secret, records it, and answers as told: accept (204), error_500,
stall (answers nothing until the client gives up), or down (the port refuses connections)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pvz.webhooks.signing import SignatureInvalid, signature_verify


@dataclass
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int | None  # the status code sent back; None when the receiver stalled

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeWebhookReceiver:
    secret: str = ""
    url: str = ""
    # "accept", "error_500" or "stall"; `down()` / `up()` close and reopen the port.
    mode: str = "accept"
    stall_seconds: float = 2.0
    # Unix seconds the signature's timestamp is checked against (tests pass their frozen clock).
    now: Callable[[], float] = time.time
    received: list[ReceivedWebhook] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def accepted(self) -> list[ReceivedWebhook]:
        """Requests answered 204 (mode accept and a valid signature), in the order they arrived."""
        return [r for r in self.received if r.answered == 204]

    def up(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self.port = server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _handler(fake: FakeWebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                signature_verify(secret=fake.secret, headers=headers, body=body, now=fake.now())
                verified = True
            except SignatureInvalid:
                verified = False
            if fake.mode == "stall":
                fake.received.append(ReceivedWebhook(headers, body, verified, None))
                time.sleep(fake.stall_seconds)
                return  # the client has given up by now: answer nothing
            status = 500 if fake.mode == "error_500" else 204 if verified else 400
            fake.received.append(ReceivedWebhook(headers, body, verified, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def fake_webhook_receiver(
    *, secret: str = "", now: Callable[[], float] = time.time
) -> Iterator[FakeWebhookReceiver]:
    fake = FakeWebhookReceiver(secret=secret, now=now)
    fake.up()
    try:
        yield fake
    finally:
        fake.down()
