"""A reminder travels the whole way: the real `voronka worker`, its SQLite queue, the
database of its own, and a real SMTP server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.activities.conftest import wait_until
from tests.cli import query, voronka

pytestmark = pytest.mark.xdist_group("cli")

SETUP = """
from datetime import timedelta
from django.utils import timezone
from voronka.accounts.services import user_create
from voronka.activities.services import task_create
olga = user_create(username="olga", password="long-enough-1", email="olga@example.com",
                   language="en")
task = task_create(actor=olga, data={"title": "Call Romashka back",
                                     "due_at": timezone.now() + timedelta(minutes=5)})
print(task.pk)
"""


def huey_queue_length(env):
    with sqlite3.connect(Path(env["VORONKA_VAR_DIR"]) / "huey.sqlite3") as conn:
        return conn.execute("select count(*) from task").fetchone()[0]


ENQUEUE_CHECK = "from voronka.activities.tasks import check_task_deadlines; check_task_deadlines()"


def test_the_worker_sends_the_reminder_once_even_after_a_restart(
    worker_env, mail_server, workers, tmp_path
):
    voronka(worker_env, "migrate", "-v", "0")
    task_id = int(
        voronka(worker_env, "manage", "shell", "--no-imports", "-c", SETUP).stdout.strip()
    )

    first = workers.start(worker_env, tmp_path / "worker-1.log")
    voronka(
        worker_env, "manage", "shell", "--no-imports", "-c", ENQUEUE_CHECK
    )  # onto the queue, not run here
    wait_until(
        lambda: (
            query(worker_env, "select email_status from activities_notification") == [("sent",)]
        ),
        what="the reminder e-mail to be sent",
    )
    [(note_id, kind, recipient)] = query(
        worker_env, "select id, kind, recipient_id from activities_notification"
    )
    assert kind == "task_reminder"
    [got] = mail_server.received()
    assert got.rcpt_tos == ["olga@example.com"]
    assert str(got.message["Message-ID"]) == f"<notification-{note_id}@voronka>"
    assert str(got.message["Subject"]).strip().startswith("Reminder: «Call Romashka back» is due")
    assert got.message.get_content().splitlines()[-1] == (
        f"http://127.0.0.1:8000/activities/tasks/{task_id}/"
    )

    first.stop()
    second = workers.start(worker_env, tmp_path / "worker-2.log")
    voronka(worker_env, "manage", "shell", "--no-imports", "-c", ENQUEUE_CHECK)
    wait_until(
        lambda: (
            second.executed("check_task_deadlines") >= 1 + second.scheduled("check_task_deadlines")
            and not second.busy()
            and huey_queue_length(worker_env) == 0
        ),
        what="the restarted worker to run every check and what they queued",
    )
    assert mail_server.message_ids() == [f"<notification-{note_id}@voronka>"]
    assert query(worker_env, "select id, kind, email_status from activities_notification") == [
        (note_id, "task_reminder", "sent")
    ]
