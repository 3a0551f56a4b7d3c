from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for a `voronka` process with its own SQLite database and queue."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    environ.update(
        VORONKA_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        VORONKA_TESTING="0",
        HUEY_IMMEDIATE="0",
        SECRET_KEY="cli-test-key",
    )
    return environ
