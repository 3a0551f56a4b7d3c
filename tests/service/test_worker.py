"""The service desk's jobs in real `voronka worker` processes, with their SQLite queue, a
database of their own and a real SMTP server: each e-mail to a client goes once, and an
SLA breach is reported once however many workers sweep."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.activities import conftest as activities
from tests.activities.conftest import wait_until
from tests.cli import query, voronka
from tests.core import conftest as core

# The real-process fixtures of tests/activities, and the `env` they build on.
env = core.env
worker_env = activities.worker_env
workers = activities.workers

pytestmark = pytest.mark.xdist_group("cli")

PEOPLE = """
from voronka.accounts.models import Team
from voronka.accounts.services import user_create
from voronka.clients.models import Company, Contact
north = Team.objects.create(name="North")
lev = user_create(username="lev", password="long-enough-1", team=north, email="lev@example.com",
                  language="en")
north.lead = lev
north.save()
alice = user_create(username="alice", password="long-enough-1", team=north,
                    email="alice@example.com", language="en")
company = Company.objects.create(name="ООО «Ромашка»", owner=alice)
contact = Contact.objects.create(first_name="Пётр", last_name="Клиентов", company=company,
                                 email="petr@romashka.example", owner=alice)
"""

# Alice takes down a request (she keeps it: no notice to anyone), answers and resolves it.
ANSWERED = (
    PEOPLE
    + """
from voronka.service.models import Survey
from voronka.service.services import request_create, request_reply, request_set_status
request = request_create(actor=alice, data={"subject": "Заказ не доставлен", "company": company,
                                            "contact": contact}, message="Где заказ?")
reply = request_reply(actor=alice, request=request, body="Курьер приедет завтра до 12:00")
request_set_status(actor=alice, request=request, status="resolved")
print(request.pk, reply.pk, Survey.objects.get(request=request).pk)
"""
)

AGAIN = """
from voronka.service.tasks import resend_stuck_client_emails, send_reply_email, send_survey_email
for _ in range(2):
    send_reply_email({reply})
    send_survey_email({survey})
resend_stuck_client_emails()
"""

# A request two hours old whose first response was due within a minute.
LATE = (
    PEOPLE
    + """
from datetime import timedelta
from django.utils import timezone
from voronka.service.services import policy_create, request_create
admin = user_create(username="admin", password="long-enough-1", role="admin")
policy_create(actor=admin, data={"name": "Быстро", "first_response_minutes": 1,
                                 "clock": "calendar", "warn_minutes_before": 0})
request = request_create(actor=alice, data={"subject": "Заказ не доставлен", "company": company,
                                            "contact": contact},
                         received_at=timezone.now() - timedelta(hours=2))
print(request.pk)
"""
)
# Each side queues sweeps for the workers and sweeps once itself, so that sweeps race.
SWEEPS = """
from voronka.service import sla, tasks
for _ in range(3):
    tasks.check_sla_deadlines()
sla.sweep()
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """One migrated database for the module; each test works on a copy."""
    import os

    where = tmp_path_factory.mktemp("service-worker-db")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    environ.update(
        VORONKA_VAR_DIR=str(where), DATABASE_URL=f"sqlite:///{where / 'crm.sqlite3'}",
        VORONKA_TESTING="0", HUEY_IMMEDIATE="0", SECRET_KEY="cli-test-key",
    )  # fmt: skip
    voronka(environ, "migrate", "-v", "0")
    return where / "crm.sqlite3"


@pytest.fixture
def service_env(worker_env, migrated):
    shutil.copy(migrated, worker_env["DATABASE_URL"].removeprefix("sqlite:///"))
    return worker_env


def shell(environ: dict[str, str], script: str) -> str:
    return voronka(environ, "manage", "shell", "--no-imports", "-c", script).stdout.strip()


def huey_queue_length(environ: dict[str, str]) -> int:
    import sqlite3

    with sqlite3.connect(Path(environ["VORONKA_VAR_DIR"]) / "huey.sqlite3") as conn:
        return conn.execute("select count(*) from task").fetchone()[0]


def settled(environ: dict[str, str], running: list, jobs: dict[str, int]) -> bool:
    """Every job queued so far (``jobs``: at least this many runs each, besides those the
    workers' own schedulers queued) has run to its end, and nothing waits."""
    return (
        all(
            sum(w.executed(job) - w.scheduled(job) for w in running) >= count
            for job, count in jobs.items()
        )
        and not any(w.busy() for w in running)
        and huey_queue_length(environ) == 0
    )


def test_a_reply_and_a_survey_each_reach_the_client_once(
    service_env, mail_server, workers, tmp_path
):
    environ = service_env
    request_id, reply_id, survey_id = map(int, shell(environ, ANSWERED).split())
    worker = workers.start(environ, tmp_path / "worker.log")

    wait_until(
        lambda: len(mail_server.received()) == 2 and settled(
            environ, [worker], {"send_reply_email": 1, "send_survey_email": 1}
        ),
        what="the reply and the survey to be e-mailed",
    )  # fmt: skip
    shell(environ, AGAIN.format(reply=reply_id, survey=survey_id))
    wait_until(
        lambda: settled(
            environ, [worker],
            {"send_reply_email": 3, "send_survey_email": 3, "resend_stuck_client_emails": 1},
        ),
        what="the repeated jobs to run",
    )  # fmt: skip

    reply_mid = f"<request-{request_id}-message-{reply_id}@voronka>"
    survey_mid = f"<survey-{survey_id}@voronka>"
    assert mail_server.message_ids() == sorted([reply_mid, survey_mid])
    by_id = {str(r.message["Message-ID"]): r for r in mail_server.received()}
    reply, survey = by_id[reply_mid], by_id[survey_mid]
    assert reply.rcpt_tos == survey.rcpt_tos == ["petr@romashka.example"]
    assert str(reply.message["Subject"]) == f"[#{request_id}] Заказ не доставлен"
    assert reply.message.get_content().splitlines()[0] == "Курьер приедет завтра до 12:00"
    assert str(survey.message["In-Reply-To"]) == f"<request-{request_id}@voronka>"
    assert "http://127.0.0.1:8000/service/survey/" in survey.message.get_content()
    assert query(environ, "select email_status, email_attempts from service_message"
                      " where kind = 'reply'") == [("sent", 1)]  # fmt: skip
    assert query(environ, "select email_status, email_attempts from service_survey") == [
        ("sent", 1)
    ]


def test_two_workers_report_an_sla_breach_once(service_env, mail_server, workers, tmp_path):
    environ = service_env
    request_id = int(shell(environ, LATE))
    pair = [workers.start(environ, tmp_path / f"worker-{n}.log") for n in (1, 2)]

    sides = [
        subprocess.Popen(
            [sys.executable, "-m", "voronka.cli", "manage", "shell", "--no-imports", "-c", SWEEPS],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for side in sides:
        _, err = side.communicate(timeout=120)
        assert side.returncode == 0, err
    wait_until(
        lambda: settled(environ, pair, {"check_sla_deadlines": 6, "send_notification_email": 2}),
        what="both workers to run every sweep and send what it found",
    )

    notices = query(
        environ,
        "select n.id, u.username, n.email_status from activities_notification n"
        " join accounts_user u on u.id = n.recipient_id where n.kind = 'sla_breached'",
    )
    assert sorted((user, status) for _, user, status in notices) == [
        ("alice", "sent"), ("lev", "sent"),
    ]  # fmt: skip
    assert query(environ, "select count(*) from activities_notification") == [(2,)]
    assert sorted(
        (str(r.message["Message-ID"]), r.rcpt_tos) for r in mail_server.received()
    ) == sorted(
        (f"<notification-{pk}@voronka>", [f"{user}@example.com"]) for pk, user, _ in notices
    )
    assert query(environ, "select request_id, target, stage from service_slaalert") == [
        (request_id, "first_response", "breach")
    ]
    assert query(environ, "select first_response_breached from service_request") == [(1,)]
