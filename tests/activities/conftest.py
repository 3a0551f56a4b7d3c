"""A real SMTP server for the notification tests, and real `voronka worker` processes."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.core.conftest import env  # noqa: F401 - the end-to-end tests use it here


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailServer:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it is given."""

    port: int
    messages: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.messages)

    def message_ids(self) -> list[str]:
        return sorted(str(r.message["Message-ID"]) for r in self.received())


@pytest.fixture
def mail_server():
    server = MailServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, mail_server):
    """Django's real SMTP backend (pytest-django swaps in locmem) aimed at the test server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.VORONKA_BASE_URL = "https://crm.example.com"
    return settings


@pytest.fixture
def worker_env(env, mail_server):  # noqa: F811 - the fixture imported above
    """The `env` of tests/core plus the test SMTP server, for real `voronka` processes."""
    env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(mail_server.port), LOG_LEVEL="INFO")
    return env


# --- Real `voronka worker` processes ---------------------------------------------------------


class Worker:
    """A `voronka worker` subprocess whose log is kept in a file, to count finished jobs."""

    def __init__(self, environ: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voronka.cli", "worker"], env=environ,
            stdout=self._out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def _text(self) -> str:
        return self.log.read_text(errors="replace")

    def executed(self, job: str) -> int:
        """How many runs of ``job`` (its function name) finished without an error."""
        return len(re.findall(rf"\.{re.escape(job)}: \S+.* executed in ", self._text()))

    def scheduled(self, job: str) -> int:
        """How many runs of the periodic ``job`` this worker's own scheduler queued."""
        return len(re.findall(rf"Enqueueing periodic task \S+\.{re.escape(job)}:", self._text()))

    def busy(self) -> bool:
        """Whether a job this worker started has not ended yet."""
        text = self._text()
        ended = len(re.findall(r" executed in |Unhandled exception in task|not run, ", text))
        return text.count(":Executing ") > ended

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._out.close()


@pytest.fixture
def workers():
    """Start workers with ``workers.start(env, log_path)``; all are stopped after the test."""
    started: list[Worker] = []

    class Workers:
        def start(self, environ: dict[str, str], log: Path) -> Worker:
            worker = Worker(environ, log)
            started.append(worker)
            return worker

    yield Workers()
    for worker in started:
        worker.stop()


def wait_until(condition, *, timeout: float = 60.0, what: str = "the condition") -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.2)
