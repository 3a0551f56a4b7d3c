"""The ``voronka`` command, run as a real process against its own SQLite database."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.cli import query, voronka

pytestmark = pytest.mark.xdist_group("cli")


def test_migrate_and_createuser_make_a_user_who_can_log_in(env):
    voronka(env, "migrate", "-v", "0")
    out = voronka(env, "createuser", "olga", "--role", "head_of_sales", "--team", "Москва",
                  "--password", "long-enough-1")  # fmt: skip
    assert out.stdout.strip() == "Created olga (head_of_sales)"
    assert query(env, "select username, role from accounts_user") == [("olga", "head_of_sales")]
    assert query(env, "select name from accounts_team") == [("Москва",)]


def test_createuser_names_the_field_when_it_refuses(env):
    voronka(env, "migrate", "-v", "0")
    voronka(env, "createuser", "olga", "--password", "long-enough-1")
    out = voronka(env, "createuser", "olga", "--password", "long-enough-1", check=False)
    assert out.returncode == 2
    assert (
        out.stderr.strip()
        == "voronka createuser: error: username: a user named 'olga' already exists"
    )
    short = voronka(env, "createuser", "ivan", "--password", "short", check=False)
    assert (
        short.stderr.strip() == "voronka createuser: error: password: must be at least 8 characters"
    )
    assert query(env, "select count(*) from accounts_user") == [(1,)]


def test_the_worker_runs_a_job_queued_by_the_application(env):
    """A won deal queues a job; the separate worker process picks it up and does it."""
    voronka(env, "migrate", "-v", "0")
    script = """
from decimal import Decimal
from voronka.accounts.services import user_create
from voronka.clients.services import company_create
from voronka.sales import services
admin = user_create(username="a", password="long-enough-1", role="admin")
services.pipeline_create(actor=admin, name="P", stages=[{"name": "Новая"}, {"name": "Won", "kind": "won"}])
company = company_create(actor=admin, data={"name": "ООО Тест", "owner": admin})
deal = services.deal_create(actor=admin, data={"title": "D", "company": company, "amount": Decimal(5)})
services.deal_move_stage(actor=admin, deal=deal, stage=deal.pipeline.stages.get(kind="won"), version=1)
"""
    voronka(env, "manage", "shell", "-c", script)
    assert query(env, "select lifecycle_stage from clients_company") == [("lead",)]
    worker = subprocess.Popen(
        [sys.executable, "-m", "voronka.cli", "worker"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if query(env, "select lifecycle_stage from clients_company") == [("customer",)]:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
    assert query(env, "select lifecycle_stage from clients_company") == [("customer",)]
