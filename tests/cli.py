"""Running the ``voronka`` command as a real process against its own SQLite database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys


def voronka(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voronka.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=check,
    )  # fmt: skip


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()
