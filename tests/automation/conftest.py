"""A real HTTP receiver on 127.0.0.1 that checks signatures, and webhook helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: Any  # the request's header block; names are looked up ignoring case
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers with ``answers`` in turn (the last one repeats)."""

    secret: str = ""
    answers: list[int] = field(default_factory=lambda: [200])
    answer_body: bytes = b"ok"
    answer_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/voronka"

    def verify(self, headers: Any, body: bytes) -> bool:
        """What a receiver does: recompute the HMAC over "timestamp.body" and compare."""
        timestamp = headers.get("X-Voronka-Timestamp", "")
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", headers.get("X-Voronka-Signature", ""))

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        headers = handler.headers
        with self._lock:
            self.requests.append(Received(handler.path, headers, body, self.verify(headers, body)))
            status = self.answers[min(len(self.requests), len(self.answers)) - 1]
        handler.send_response(status)
        for name, value in self.answer_headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(self.answer_body)))
        handler.end_headers()
        handler.wfile.write(self.answer_body)


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            receiver.handle(self)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def receiver():
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(found))
    found.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    """An address on 127.0.0.1 where nobody listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    """No waits between attempts; a short limit before a webhook is switched off."""
    settings.VORONKA_WEBHOOK_RETRY_DELAYS = [0]
    settings.VORONKA_WEBHOOK_DISABLE_AFTER = 3
    settings.VORONKA_BASE_URL = "https://crm.example.com"
    return settings


def make_webhook(actor, url, events, receiver: Receiver | None = None, **data):
    from voronka.automation.services import webhook_create

    data.setdefault("name", "Учёт")
    webhook = webhook_create(actor=actor, data={"url": url, "events": list(events), **data})
    if receiver is not None:
        receiver.secret = webhook.secret
    return webhook
