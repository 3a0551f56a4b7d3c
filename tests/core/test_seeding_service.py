"""The service desk's demo data: requests, threads, SLA deadlines and alerts, surveys.

The generator writes plain rows around the services for speed; these tests hold it to
what the services and the SLA sweep would have left, checked with their own functions
(``sla.set_deadlines``, ``sla.next_due``, ``sla.sweep``) rather than the generator's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Avg, Q

from voronka.accounts.models import User
from voronka.activities.models import Activity, Task
from voronka.analytics import engine
from voronka.analytics.periods import Period
from voronka.clients.models import Company, Contact
from voronka.core import organisation
from voronka.core.models import CalendarDay
from voronka.sales.models import Deal, Lead
from voronka.service import sla
from voronka.service.models import (
    OPEN_STATUSES,
    Category,
    Message,
    Request,
    SlaAlert,
    SlaPolicy,
    Survey,
)

DEALS = 300
SERVICE_KPIS = [
    "requests_new", "first_response_minutes", "request_handling_hours", "sla_breach_rate",
    "complaints_resolution_rate", "csat",
]  # fmt: skip


def seed(**options):
    call_command("seed", deals=options.pop("deals", DEALS), seed=options.pop("seed", 42), **options)


def wipe():
    from voronka.orders.models import Order

    for model in (Order, Request, Task, Activity, Deal, Lead, Contact, Company):
        model.all_objects.all().delete()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One demo seed of ``DEALS`` deals shared by the module's tests that only read it.

    It is made inside a transaction held open for the module and rolled back after, so
    each test's own transaction (a savepoint within it) sees it and nothing outlives
    the module.
    """
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        yield
        transaction.set_rollback(True)


def history_end():
    """Where the seeded history stops: the start of today in the organisation's zone."""
    tz = organisation.current().tz
    return datetime.combine(datetime.now(tz).date(), time.min, tzinfo=tz)


# --- reference data ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_desk_is_set_up_with_agents_categories_policies_calendar_and_surveys():
    seed(deals=50)

    agents = sorted(User.objects.filter(role="support").values_list("username", flat=True))
    assert agents == ["support", "support2", "support3"]
    assert User.objects.get(username="support3").check_password("demo12345")
    assert list(Category.objects.values_list("name", flat=True)[:6]) == [
        "Доставка", "Оплата и счета", "Качество товара", "Гарантия и возврат", "Консультация",
        "Технические вопросы",
    ]  # fmt: skip
    targets = {
        (p.kind, p.priority): (p.first_response_minutes, p.resolution_minutes, p.clock)
        for p in SlaPolicy.objects.all()
    }
    assert targets[("", "urgent")] == (30, 240, "working")
    assert targets[("", "high")] == (60, 480, "working")
    assert targets[("", "normal")] == (240, 2 * 540, "working")
    assert targets[("complaint", "normal")] == (120, 540, "working")
    assert targets[("order_problem", "normal")][2] == "calendar"
    assert targets[("", "")] is not None  # a catch-all, so every request has an SLA
    org = organisation.current()
    assert (org.work_days, org.work_starts, org.work_ends) == (
        (0, 1, 2, 3, 4), time(9), time(18),
    )  # fmt: skip
    assert (org.surveys_enabled, org.survey_valid_days, org.survey_follow_up_max_score) == (
        True, 14, 2,
    )  # fmt: skip


@pytest.mark.django_db
def test_the_calendar_has_russia_s_2026_holidays_and_moved_days_off():
    seed(deals=50)

    days = dict(CalendarDay.objects.filter(day__year=2026).values_list("day", "is_working"))
    holidays = {dt.date(2026, 1, d) for d in range(1, 10)} | {
        dt.date(2026, 2, 23), dt.date(2026, 3, 9), dt.date(2026, 5, 1), dt.date(2026, 5, 11),
        dt.date(2026, 6, 12), dt.date(2026, 11, 4), dt.date(2026, 12, 31),
    }  # fmt: skip
    assert set(days) == holidays
    assert not any(days.values())
    assert CalendarDay.objects.get(day=dt.date(2025, 11, 1)).is_working  # a working Saturday


@pytest.mark.django_db
def test_a_second_seed_keeps_what_an_administrator_changed_in_the_desk_s_settings():
    seed(deals=50)
    SlaPolicy.objects.filter(kind="", priority="urgent").update(first_response_minutes=15)
    CalendarDay.objects.filter(day=dt.date(2026, 6, 12)).delete()

    seed(deals=50, seed=3)

    assert SlaPolicy.objects.get(kind="", priority="urgent").first_response_minutes == 15
    assert SlaPolicy.objects.count() == 6
    assert Category.objects.count() == 9
    assert User.objects.filter(role="support").count() == 3
    assert not CalendarDay.objects.filter(day=dt.date(2026, 6, 12)).exists()


# --- requests -----------------------------------------------------------------------------
# The tests that seed on their own come first: those after them share one seed that
# stays in place until the module ends.


@pytest.mark.django_db
def test_the_queue_holds_recent_open_requests_some_of_them_late():
    # the demo's size: its queue must have work in it
    seed(deals=1000)
    end = history_end()

    queue = Request.all_objects.filter(status__in=OPEN_STATUSES)
    assert 20 <= queue.count() <= 60
    assert queue.filter(next_due_at__lt=end).count() >= 3
    assert queue.filter(next_due_at__gte=end).count() >= 3
    assert queue.filter(created_at__gte=end - timedelta(days=7)).count() >= 5
    assert set(queue.values_list("status", flat=True)) >= {"in_progress", "waiting"}


# --- threads ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_come_in_proportion_from_the_clients_of_deals_and_after_they_existed(seeded):
    requests = Request.all_objects.select_related("company", "contact", "deal")
    # a small demo gets three requests a deal (less the ones that would come after today)
    assert 0.85 * 3 * DEALS <= requests.count() <= 3 * DEALS
    for r in requests:
        assert r.company_id or r.contact_id
        if r.contact_id and r.company_id:
            assert r.contact.company_id == r.company_id
        client = r.company or r.contact
        assert client.created_at <= r.created_at
        if r.deal_id:
            assert (r.deal.company_id or None) == r.company_id
            assert r.deal.created_at < r.created_at
        # who wrote, as request_create copies it from the contact; a letter without one
        # came from the company's address
        email = r.contact.email if r.contact else ""
        if not email and r.company and r.channel == "email":
            email = r.company.email
        assert r.client_email == email
        assert r.client_name == (r.contact.full_name if r.contact else "")
    assert requests.filter(deleted_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_kinds_channels_and_people_are_spread_as_on_a_real_desk(seeded):
    requests = Request.all_objects.all()
    n = requests.count()
    kinds = Counter(requests.values_list("kind", flat=True))
    assert 0.5 <= kinds["question"] / n <= 0.7
    assert 0.13 <= kinds["complaint"] / n <= 0.27
    assert 0.07 <= kinds["order_problem"] / n <= 0.17
    assert 0.04 <= kinds["other"] / n <= 0.12
    assert set(requests.values_list("channel", flat=True)) == {
        "phone", "email", "web_form", "api", "in_person",
    }  # fmt: skip
    assert set(requests.values_list("priority", flat=True)) == {"low", "normal", "high", "urgent"}
    roles = Counter(requests.values_list("assignee__role", flat=True))
    assert roles["support"] > 0.7 * n
    assert roles["manager"] > 0.05 * n
    assert requests.filter(category__isnull=True).count() == 0
    assert requests.values("category").distinct().count() == 9
    reopened = requests.filter(reopen_count__gt=0).count()
    assert 0.02 * n <= reopened <= 0.09 * n
    # calls come while the desk works, letters any time, fewest on days off
    tz = organisation.current().tz
    calls = [r.astimezone(tz) for r in requests.filter(channel="phone").values_list(
        "created_at", flat=True)]  # fmt: skip
    assert all(9 <= c.hour < 18 for c in calls)
    days = Counter(
        c.astimezone(tz).weekday() for c in requests.values_list("created_at", flat=True)
    )
    assert days[5] + days[6] < 0.1 * n


@pytest.mark.django_db
def test_every_request_s_moments_and_status_agree_as_the_services_leave_them(seeded):
    end = history_end()

    requests = Request.all_objects.all()
    assert requests.count() > 0
    for r in requests:
        assert r.created_at <= end
        if r.first_response_at:
            assert r.created_at <= r.first_response_at <= end
            assert r.first_response_by_id is not None
        if r.resolved_at:
            assert r.created_at <= r.resolved_at <= end
            assert r.first_response_at is None or r.first_response_at <= r.resolved_at
            assert r.resolved_by_id is not None
        if r.closed_at:
            assert r.resolved_at is not None and r.resolved_at <= r.closed_at <= end
        if r.status in OPEN_STATUSES:
            assert (r.resolved_at, r.closed_at) == (None, None)
        else:
            assert r.resolved_at is not None
            assert (r.closed_at is not None) == (r.status == "closed")
        if r.status == "new":
            assert r.first_response_at is None
        else:
            assert r.assignee_id is not None
        if r.reopen_count:
            assert r.reopened_at is not None
            assert r.resolved_at is None or r.reopened_at <= r.resolved_at
        assert r.created_at <= r.updated_at <= end
        assert r.version >= 1


@pytest.mark.django_db
def test_deadlines_flags_and_the_queue_key_are_what_sla_computes(seeded):
    end = history_end()

    for r in Request.all_objects.select_related("sla_policy"):
        copy = Request(kind=r.kind, priority=r.priority, created_at=r.created_at)
        sla.set_deadlines(copy, since=r.reopened_at)
        assert r.sla_policy_id == copy.sla_policy_id
        assert r.first_response_due_at == copy.first_response_due_at
        assert r.resolution_due_at == copy.resolution_due_at
        assert r.next_due_at == sla.next_due(r)
        # late answers are remembered; a deadline passed while waiting was seen by the sweep
        answered_or_gave_up = r.first_response_at or r.resolved_at or end
        assert r.first_response_breached == (answered_or_gave_up > r.first_response_due_at)
        resolved_late = (r.resolved_at or end) > r.resolution_due_at
        if r.reopen_count:
            assert r.resolution_breached >= resolved_late  # an earlier round may have been late
        else:
            assert r.resolution_breached == resolved_late
    breached = Request.all_objects.filter(
        Q(first_response_breached=True) | Q(resolution_breached=True)
    ).count()
    assert 0.1 < breached / Request.all_objects.count() < 0.45


@pytest.mark.django_db
def test_the_sla_sweep_finds_nothing_left_to_report_at_the_end_of_the_history(seeded):
    flags = list(
        Request.all_objects.order_by("pk").values_list(
            "first_response_breached", "resolution_breached"
        )
    )
    alerts = SlaAlert.objects.count()
    assert alerts > 0

    assert sla.sweep(now=history_end()) == 0

    assert SlaAlert.objects.count() == alerts
    assert flags == list(
        Request.all_objects.order_by("pk").values_list(
            "first_response_breached", "resolution_breached"
        )
    )
    for a in SlaAlert.objects.select_related("request"):
        assert a.request.created_at <= a.created_at <= history_end()
        if a.stage == "breach":
            assert a.due_at <= a.created_at
            assert getattr(a.request, f"{a.target}_breached")


@pytest.mark.django_db
def test_each_thread_opens_with_the_client_s_message_and_follows_the_request(seeded):
    threads: dict[int, list[Message]] = {}
    for m in Message.objects.order_by("request_id", "created_at", "pk"):
        threads.setdefault(m.request_id, []).append(m)
    for r in Request.all_objects.all():
        thread = threads[r.pk]
        assert thread[0].kind == "client"
        assert thread[0].created_at == r.created_at
        assert thread[0].author_id is None
        assert all(m.body for m in thread)
        replies = [m for m in thread if m.kind == "reply"]
        if r.first_response_at:
            assert replies[0].created_at == r.first_response_at
            assert replies[0].author_id == r.first_response_by_id
        else:
            assert replies == []
        assert 1 <= len(thread) - 1 <= 8 or r.status == "new"
        for m in thread:
            if m.kind == "reply" and r.client_email:
                assert (m.email_to, m.email_status) == (r.client_email, "sent")
                assert m.created_at < m.email_sent_at
            else:
                assert (m.email_to, m.email_status) == ("", "none")
            if m.kind in ("reply", "note"):
                assert m.author_id is not None
    notes = Message.objects.filter(kind="note").count()
    assert notes > 0
    assert "{" not in "".join(Message.objects.values_list("body", flat=True))


# --- surveys ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_surveys_follow_resolutions_and_answers_lean_to_satisfied(seeded):
    end = history_end()

    surveys = Survey.objects.select_related("request")
    resolved = Request.all_objects.filter(resolved_at__isnull=False).exclude(client_email="")
    assert 0.3 * resolved.count() <= surveys.count() <= 0.8 * resolved.count()
    answered = surveys.filter(answered_at__isnull=False)
    assert 0.3 * surveys.count() <= answered.count() <= 0.6 * surveys.count()
    for s in surveys:
        r = s.request
        assert s.email_to == r.client_email
        assert (s.company_id, s.contact_id, s.product_id, s.category_id) == (
            r.company_id, r.contact_id, r.product_id, r.category_id,
        )  # fmt: skip
        if r.reopen_count:
            assert s.created_at <= r.reopened_at  # sent at the first resolution
        else:
            assert s.created_at == r.resolved_at
        assert s.expires_at == s.created_at + timedelta(days=14)
        assert s.email_status == "sent"
        if s.answered_at:
            assert s.created_at <= s.answered_at <= min(s.expires_at, end)
            assert 1 <= s.score <= 5
        else:
            assert (s.score, s.comment) == (None, "")
    assert len(set(surveys.values_list("nonce", flat=True))) == surveys.count()
    scores = Counter(answered.values_list("score", flat=True))
    assert scores[4] + scores[5] > 0.6 * answered.count()
    mean = dict(answered.values_list("request__kind").annotate(m=Avg("score")).order_by())
    assert mean["complaint"] < mean["question"]


@pytest.mark.django_db
def test_low_scores_leave_a_follow_up_task_for_the_client_s_manager(seeded):
    end = history_end()

    low = Survey.objects.filter(score__lte=2).select_related("follow_up")
    assert low.count() > 0
    assert low.filter(follow_up__isnull=True).count() == 0
    assert Survey.objects.filter(score__gt=2, follow_up__isnull=False).count() == 0
    for s in low:
        task = s.follow_up
        client = Company.all_objects.get(pk=s.company_id) if s.company_id else (
            Contact.all_objects.get(pk=s.contact_id)
        )  # fmt: skip
        assert task.assignee_id == client.owner_id
        assert (task.company_id, task.contact_id) == (s.company_id, s.contact_id)
        assert task.created_at == s.answered_at
        assert task.due_at == s.answered_at + timedelta(days=1)
        assert task.priority == "high"
        assert str(s.request_id) in task.title
        if task.status == "done":
            assert task.created_at <= task.completed_at <= end
        else:
            assert task.status == "open" and task.completed_at is None
    assert Task.all_objects.filter(pk__in=low.values("follow_up")).count() == low.count()


# --- the numbers --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_service_kpi_has_a_value_on_the_demo_data(seeded):
    today = history_end().date()
    head = User.objects.get(username="rop")

    report = engine.compute(
        actor=head, ids=SERVICE_KPIS, period=Period(today - timedelta(days=30), today)
    )

    values = {kpi: report[kpi].total.value for kpi in SERVICE_KPIS}
    assert all(value is not None for value in values.values()), values
    assert values["requests_new"] > 30
    assert 0 < values["sla_breach_rate"] < 0.6
    assert 3.5 <= values["csat"] <= 4.8


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_requests(seeded):
    def snapshot():
        return (
            list(
                Request.all_objects.order_by("pk").values_list(
                    "subject", "kind", "status", "created_at", "resolved_at", "assignee_id",
                    "company__name", "first_response_breached", "next_due_at",
                )
            ),
            list(Message.objects.order_by("pk").values_list("kind", "body", "created_at")),
            list(Survey.objects.order_by("pk").values_list("score", "answered_at")),
        )  # fmt: skip

    first = snapshot()
    wipe()

    seed()

    assert snapshot() == first
