"""A local stand-in for SMS.ru's HTTP API (`POST /sms/send`), run in a thread on a free port: it records
every request and answers as told (accept, refuse the number, fail with 500, or stall)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class FakeSmsRu:
    url: str = ""
    # "accept", "refuse_number", "refuse_key", "error_500" or "stall"
    mode: str = "accept"
    stall_seconds: float = 2.0
    received: list[dict[str, str]] = field(default_factory=list)


def _handler(fake: FakeSmsRu) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            fake.received.append(form)
            if fake.mode == "stall":
                time.sleep(fake.stall_seconds)
                return  # the client has given up by now: answer nothing
            if fake.mode == "error_500":
                self.send_response(500)
                self.end_headers()
                return
            number = form.get("to", "")
            if fake.mode == "refuse_key":
                answer = {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}
            elif fake.mode == "refuse_number":
                answer = {
                    "status": "OK",
                    "status_code": 100,
                    "sms": {number: {"status": "ERROR", "status_code": 207, "status_text": "Нельзя"}},
                }
            else:
                answer = {
                    "status": "OK",
                    "status_code": 100,
                    "sms": {
                        number: {"status": "OK", "status_code": 100, "sms_id": f"000-{len(fake.received)}"}
                    },
                    "balance": 100.5,
                }
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def fake_smsru() -> Iterator[FakeSmsRu]:
    fake = FakeSmsRu()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
