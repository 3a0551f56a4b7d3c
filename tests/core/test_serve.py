"""``voronka serve`` as a real gunicorn process: port from PORT, static files by WhiteNoise."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.cli import voronka

pytestmark = pytest.mark.xdist_group("cli")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


def test_serve_listens_on_port_from_the_environment_and_serves_hashed_static_files(env):
    voronka(env, "migrate", "-v", "0")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "voronka.cli", "serve"], env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        status, page = 0, ""
        while time.monotonic() < deadline and status != 200:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/accounts/login/")
            except OSError:
                time.sleep(0.3)
        assert status == 200
        assert 'name="csrfmiddlewaretoken"' in page
        script = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{12}\.js)"', page)
        assert script, "static files are served under their hashed names"
        assert _get(f"http://127.0.0.1:{port}{script.group(1)}")[0] == 200
        assert _get(f"http://127.0.0.1:{port}/sales/deals/")[0] == 200  # the login page, redirected
    finally:
        server.terminate()
        server.wait(timeout=15)
