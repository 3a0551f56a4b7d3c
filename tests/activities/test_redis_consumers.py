"""Two `voronka worker` consumers sharing one Redis queue and one database: however the
jobs are doubled and split between them, every notice exists once and is e-mailed once."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from tests.activities.conftest import wait_until
from tests.cli import query as sqlite_query
from tests.cli import voronka

pytestmark = pytest.mark.xdist_group("cli")

REDIS_DB = 13  # a database number nothing else here uses; only this run's keys are removed
POSTGRES = "postgres://postgres@127.0.0.1:5432"

SETUP = """
from datetime import timedelta
from django.utils import timezone
from voronka.accounts.models import Team
from voronka.accounts.services import user_create
from voronka.activities.services import task_create
team = Team.objects.create(name="North")
lev = user_create(username="lev", password="long-enough-1", team=team,
                  email="lev@example.com", language="en")
team.lead = lev
team.save()
now = timezone.now()
for i in range(3):
    person = user_create(username=f"m{i}", password="long-enough-1", team=team,
                         email=f"m{i}@example.com", language="en")
    task_create(actor=person, data={"title": f"Soon {i}", "due_at": now + timedelta(minutes=5)})
    task_create(actor=person, data={"title": f"Late {i}", "due_at": now - timedelta(hours=25)})
"""
# Each side queues checks for the workers and also runs a pass itself, past the lock,
# so two passes really do race for the same inserts.
CHECKS = """
from voronka.activities import services, tasks
for _ in range(3):
    tasks.check_task_deadlines()
services.task_deadlines_run()
"""
RESENDS = """
from voronka.activities.models import Notification
from voronka.activities.tasks import check_task_deadlines, send_notification_email
for pk in Notification.objects.values_list("pk", flat=True):
    send_notification_email(pk)
    send_notification_email(pk)
check_task_deadlines()
"""
EXPECTED = sorted(
    [(f"m{i}", "task_reminder", f"Soon {i}") for i in range(3)]
    + [(f"m{i}", "task_overdue", f"Late {i}") for i in range(3)]
    + [("lev", "task_escalated", f"Late {i}") for i in range(3)]
)


def _redis():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis answers on 127.0.0.1:6379")
    return client


def _postgres_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


@pytest.fixture
def redis_env(worker_env):
    """The worker environment on a Redis queue of its own name, and PostgreSQL if here."""
    client = _redis()
    name = f"voronka_test_{uuid.uuid4().hex[:12]}"
    worker_env.update(REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}", HUEY_NAME=name)
    database = None
    if _postgres_reachable():
        import psycopg

        database = name
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'create database "{database}"')
        worker_env["DATABASE_URL"] = f"{POSTGRES}/{database}"
    yield worker_env
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)
    client.close()
    if database:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{database}" with (force)')


def _query(env, sql):
    if env["DATABASE_URL"].startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    return sqlite_query(env, sql)


def _queue_length(env) -> int:
    client = _redis()
    try:
        return client.llen(f"huey.redis.{env['HUEY_NAME']}")
    finally:
        client.close()


def _both_at_once(env, script):
    """Run ``script`` in two `voronka manage shell` processes at the same time."""
    sides = [
        subprocess.Popen(
            [sys.executable, "-m", "voronka.cli", "manage", "shell", "--no-imports", "-c", script],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    for side in sides:
        out, err = side.communicate(timeout=120)
        assert side.returncode == 0, err


def _settled(env, pair, *, checks: int, sends: int) -> bool:
    """Every job queued so far has run to its end in one of the two workers."""
    return (
        sum(w.executed("check_task_deadlines") - w.scheduled("check_task_deadlines") for w in pair)
        >= checks
        and sum(w.executed("send_notification_email") for w in pair) >= sends
        and not any(w.busy() for w in pair)
        and _queue_length(env) == 0
    )


def test_two_consumers_make_each_notice_once_and_send_each_e_mail_once(
    redis_env, mail_server, workers, tmp_path
):
    env = redis_env
    voronka(env, "migrate", "-v", "0")
    voronka(env, "manage", "shell", "--no-imports", "-c", SETUP)
    pair = [workers.start(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]

    _both_at_once(env, CHECKS)
    wait_until(
        lambda: (
            _query(env, "select count(*) from activities_notification where email_status = 'sent'")
            == [(9,)]
            and _settled(env, pair, checks=6, sends=9)
        ),
        what="both workers to make and send every notice",
    )
    _both_at_once(env, RESENDS)
    wait_until(
        lambda: _settled(env, pair, checks=8, sends=9 + 2 * 2 * 9),
        what="both workers to run every doubled job",
    )

    notices = _query(
        env,
        "select n.id, u.username, n.kind, t.title, n.email_status from activities_notification n"
        " join accounts_user u on u.id = n.recipient_id join activities_task t on t.id = n.task_id",
    )
    assert sorted((user, kind, title) for _, user, kind, title, _ in notices) == EXPECTED
    assert {status for *_, status in notices} == {"sent"}
    assert mail_server.message_ids() == sorted(f"<notification-{pk}@voronka>" for pk, *_ in notices)
    by_id = {f"<notification-{pk}@voronka>": f"{user}@example.com" for pk, user, *_ in notices}
    assert sorted(
        (str(r.message["Message-ID"]), r.rcpt_tos) for r in mail_server.received()
    ) == sorted((mid, [to]) for mid, to in by_id.items())
    # Both consumers took part: the queue really was shared.
    assert all(
        w.executed("send_notification_email") + w.executed("check_task_deadlines") for w in pair
    )
