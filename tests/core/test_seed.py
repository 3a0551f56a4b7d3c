"""The demo-data generator: counts, consistency with the services' rules, repeatability."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max, Q
from django.db.models import F as models_f

from voronka.accounts.models import Team, User
from voronka.activities.models import Activity, Task
from voronka.clients.models import Company, Contact
from voronka.core import organisation
from voronka.core.text import normalize_email, normalize_phone, search_text
from voronka.sales.models import Deal, DealLine, Lead, StageHistory
from voronka.service.models import Request, Survey

DEALS = 300


def seed(**options):
    call_command("seed", deals=options.pop("deals", DEALS), seed=options.pop("seed", 42), **options)


def snapshot():
    deals = list(
        Deal.all_objects.order_by("pk").values_list(
            "pk", "title", "status", "amount", "stage__name", "created_at", "closed_at",
            "company__name", "contact__last_name", "owner__username", "lead_id",
        )
    )  # fmt: skip
    leads = list(Lead.all_objects.order_by("pk").values_list("title", "status", "created_at"))
    companies = list(Company.all_objects.order_by("pk").values_list("name", "tax_id", "phone"))
    history = list(
        StageHistory.objects.order_by("deal_id", "moved_at", "pk").values_list(
            "deal_id", "from_stage__name", "to_stage__name", "moved_at"
        )
    )
    activities = list(
        Activity.all_objects.order_by("pk").values_list(
            "kind", "subject", "occurred_at", "deal_id", "lead_id", "author_id", "outcome"
        )
    )
    tasks = list(
        Task.all_objects.order_by("pk").values_list("title", "status", "due_at", "deal_id")
    )
    return deals, leads, companies, history, activities, tasks


def wipe():
    from voronka.orders.models import Order

    Order.all_objects.all().delete()  # its client is protected
    Request.all_objects.all().delete()  # its contact and company are protected
    Task.all_objects.all().delete()
    Activity.all_objects.all().delete()
    Deal.all_objects.all().delete()
    Lead.all_objects.all().delete()
    Contact.all_objects.all().delete()
    Company.all_objects.all().delete()


@pytest.mark.django_db
def test_it_creates_exactly_the_deals_asked_for_with_clients_and_leads_in_proportion():
    seed()

    assert Deal.all_objects.count() == DEALS
    assert Lead.all_objects.count() == 450
    assert Company.all_objects.count() == 60
    assert 80 <= Contact.all_objects.count() <= 100
    assert StageHistory.objects.count() >= DEALS


@pytest.mark.django_db
def test_every_deal_history_starts_from_nowhere_and_ends_at_the_deal_s_stage():
    seed()

    entries = defaultdict(list)
    for row in StageHistory.objects.order_by("moved_at", "pk"):
        entries[row.deal_id].append(row)
    for deal in Deal.all_objects.select_related("stage"):
        rows = entries[deal.pk]
        assert rows[0].from_stage_id is None
        assert rows[0].moved_at == deal.created_at
        assert all(b.from_stage_id == a.to_stage_id for a, b in zip(rows, rows[1:], strict=False))
        assert all(r.from_stage_id != r.to_stage_id for r in rows)
        assert all(r.to_stage.pipeline_id == deal.pipeline_id for r in rows)
        assert rows[-1].to_stage_id == deal.stage_id
        assert deal.stage_entered_at == rows[-1].moved_at
        assert deal.status == deal.stage.kind
        assert deal.version == len(rows)


@pytest.mark.django_db
def test_closed_deals_were_closed_when_they_entered_won_or_lost_and_open_ones_were_not():
    seed()

    closed = Deal.all_objects.exclude(status="open")
    assert closed.count() > 0
    for deal in closed:
        last = deal.stage_history.order_by("-moved_at", "-pk").first()
        assert deal.closed_at == last.moved_at
        assert (deal.lost_reason_id is not None) == (deal.status == "lost")
    assert Deal.all_objects.filter(status="open").count() > 0
    assert Deal.all_objects.filter(status="open", closed_at__isnull=False).count() == 0
    won = Deal.all_objects.filter(status="won").count()
    assert 0.2 <= won / closed.count() <= 0.4


@pytest.mark.django_db
def test_a_deal_with_product_lines_is_worth_the_sum_of_its_lines():
    seed()

    with_lines = Deal.all_objects.filter(lines__isnull=False).distinct()
    assert with_lines.count() > DEALS // 2
    for deal in with_lines.prefetch_related("lines"):
        assert deal.amount == sum((line.total for line in deal.lines.all()), Decimal("0"))
    assert DealLine.objects.filter(deal__amount__lte=0).count() == 0


@pytest.mark.django_db
def test_normalised_and_search_columns_are_filled_as_the_services_fill_them():
    seed()

    for c in Company.all_objects.all():
        assert c.phone_normalized == normalize_phone(c.phone)
        assert c.email_normalized == normalize_email(c.email)
        assert c.search_text == search_text(c.name, c.tax_id, c.email_normalized)
    for c in Contact.all_objects.all():
        assert c.phone_normalized == normalize_phone(c.phone)
        assert c.search_text == search_text(
            c.last_name, c.first_name, c.middle_name, c.email_normalized
        )
    for lead in Lead.all_objects.all():
        assert lead.phone_normalized == normalize_phone(lead.phone)
        assert lead.email_normalized == normalize_email(lead.email)
        assert lead.search_text == search_text(
            lead.title, lead.contact_name, lead.company_name, lead.email_normalized
        )
    for deal in Deal.all_objects.select_related("company", "contact"):
        assert deal.search_text == search_text(
            deal.title,
            deal.company.name if deal.company else "",
            deal.contact.full_name if deal.contact else "",
        )
    assert Company.all_objects.filter(phone_normalized__startswith="7").count() > 50


@pytest.mark.django_db
def test_qualified_leads_lead_to_their_deals_and_rejected_ones_say_why():
    seed()

    qualified = Lead.all_objects.filter(status="qualified")
    assert qualified.count() > 0
    for lead in qualified:
        deal = lead.deals.get()
        assert lead.qualified_at == deal.created_at
        assert (lead.company_id, lead.contact_id) == (deal.company_id, deal.contact_id)
        assert lead.owner_id == deal.owner_id
    assert Lead.all_objects.filter(status="rejected", rejection_reason__isnull=True).count() == 0
    assert Lead.all_objects.filter(status="rejected").count() > 0
    web = Lead.all_objects.filter(source__kind__in=["web_form", "advertising"])
    assert web.exclude(utm_source="").count() == web.count()
    assert Lead.all_objects.filter(source__kind="phone").exclude(utm_source="").count() == 0


@pytest.mark.django_db
def test_every_deal_has_a_client_and_its_contact_works_for_its_company():
    seed()

    assert Deal.all_objects.filter(company__isnull=True, contact__isnull=True).count() == 0
    for deal in Deal.all_objects.filter(
        company__isnull=False, contact__isnull=False
    ).select_related("contact"):
        assert deal.contact.company_id == deal.company_id


@pytest.mark.django_db
def test_the_demo_logins_exist_with_their_roles_and_the_demo_password():
    seed()

    roles = dict(User.objects.values_list("username", "role"))
    assert roles["admin"] == "admin"
    assert roles["rop"] == "head_of_sales"
    assert roles["support"] == "support"
    managers = sorted(u for u, r in roles.items() if r == "manager")
    assert managers == [f"manager{i}" for i in range(1, 9)]
    for username in ("admin", "rop", "manager1", "support"):
        assert User.objects.get(username=username).check_password("demo12345")
    leads = dict(Team.objects.values_list("name", "lead__username"))
    assert sorted(leads.values()) == ["manager1", "manager2", "manager3"]
    assert User.objects.get(username="manager1").team.lead.username == "manager1"
    assert User.objects.get(username="rop").first_name == "Ольга"


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_deals_alone():
    seed()
    before = snapshot()

    seed(if_empty=True)

    assert Deal.all_objects.count() == DEALS
    assert snapshot() == before


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    seed()
    first = snapshot()
    wipe()

    seed()
    again = snapshot()
    wipe()
    seed(seed=7)
    other = snapshot()

    assert again == first
    assert other[0] != first[0]


@pytest.mark.django_db
def test_a_small_seed_gives_the_cards_their_created_history_entries():
    seed()

    deal = Deal.all_objects.order_by("pk").first()
    record = deal.history.get()
    assert record.history_type == "+"
    assert record.history_date == deal.created_at
    assert record.history_user_id == deal.owner_id
    assert Company.history.count() == Company.all_objects.count()
    assert Lead.history.count() == Lead.all_objects.count()


@pytest.mark.django_db
def test_seeding_twice_without_if_empty_adds_a_second_batch_after_the_first():
    seed(deals=50)
    seed(deals=50, seed=3)

    assert Deal.all_objects.count() == 100
    assert StageHistory.objects.values("deal").distinct().count() == 100
    assert User.objects.filter(username="rop").count() == 1


@pytest.mark.django_db
def test_search_columns_have_trigram_indexes_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist only on PostgreSQL")
    seed(deals=50)

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM sales_deal WHERE search_text LIKE '%ромаш%'")
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s ORDER BY indexname",
            ["%_trgm"],
        )
        names = [row[0] for row in cursor.fetchall()]

    assert "sales_deal_search_trgm" in plan
    assert names == [
        "clients_company_phone_trgm",
        "clients_company_search_trgm",
        "clients_contact_phone_trgm",
        "clients_contact_search_trgm",
        "sales_deal_search_trgm",
        "sales_lead_phone_trgm",
        "sales_lead_search_trgm",
    ]


# --- interactions and tasks --------------------------------------------------------------


def deal_and_lead_tasks():
    """Tasks of deals and leads: not the follow-ups of low satisfaction scores (see
    test_seeding_service.py)."""
    follow_ups = Survey.objects.filter(follow_up__isnull=False).values("follow_up")
    return Task.all_objects.exclude(pk__in=follow_ups)


def local_today():
    return datetime.now(organisation.current().tz).date()


def local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=organisation.current().tz)


@pytest.mark.django_db
def test_deals_and_leads_get_interactions_and_tasks_in_proportion():
    seed()

    deal_activities = Activity.all_objects.filter(deal__isnull=False).count()
    assert 3 * DEALS <= deal_activities <= 8 * DEALS
    assert Activity.all_objects.filter(deal__isnull=True, lead__isnull=False).count() > 100
    assert Activity.all_objects.filter(deal__isnull=True, lead__isnull=True).count() == 0
    kinds = set(Activity.all_objects.values_list("kind", flat=True).distinct())
    assert kinds == {"call", "meeting", "email", "message", "note"}
    assert Task.all_objects.filter(status="done").count() > DEALS // 2
    assert Task.all_objects.filter(status="cancelled").count() > 0
    assert Task.all_objects.filter(status__in=["open", "in_progress"]).count() > 0
    assert Activity.all_objects.filter(deleted_at__isnull=False).count() == 0
    assert Task.all_objects.filter(deleted_at__isnull=False).count() == 0
    assert Task.all_objects.exclude(version=1).count() == 0


@pytest.mark.django_db
def test_every_interaction_happens_within_its_deal_s_life_and_is_written_by_its_owner():
    seed()
    today = local_midnight(local_today())

    deals = {d.pk: d for d in Deal.all_objects.all()}
    activities = Activity.all_objects.filter(deal__isnull=False)
    for a in activities:
        deal = deals[a.deal_id]
        assert deal.created_at <= a.occurred_at <= (deal.closed_at or today)
        assert a.author_id == deal.owner_id
        assert a.created_by_id == deal.owner_id
        assert a.occurred_at <= a.created_at
    tz = organisation.current().tz
    working = sum(1 for a in activities if 9 <= a.occurred_at.astimezone(tz).hour < 19)
    assert working / activities.count() > 0.8


@pytest.mark.django_db
def test_interactions_carry_the_client_of_their_deal_or_lead():
    seed()

    clients = {d.pk: (d.company_id, d.contact_id) for d in Deal.all_objects.all()}
    for a in Activity.all_objects.filter(deal__isnull=False):
        assert (a.company_id, a.contact_id) == clients[a.deal_id]
    for t in Task.all_objects.filter(deal__isnull=False):
        assert (t.company_id, t.contact_id) == clients[t.deal_id]
    leads = {lead.pk: lead for lead in Lead.all_objects.all()}
    for a in Activity.all_objects.filter(lead__isnull=False):
        lead = leads[a.lead_id]
        assert (a.company_id, a.contact_id) == (lead.company_id, lead.contact_id)
        assert a.author_id == lead.owner_id
        assert lead.created_at <= a.occurred_at
        assert lead.status != "new"


@pytest.mark.django_db
def test_calls_and_meetings_are_filled_as_a_manager_logs_them():
    seed()

    calls = Activity.all_objects.filter(kind="call")
    reached = calls.filter(outcome="reached")
    assert reached.count() > calls.count() // 2
    assert calls.filter(outcome="no_answer").count() > 0
    assert calls.filter(outcome="busy").count() > 0
    assert calls.filter(direction="in").count() > 0
    assert calls.exclude(direction__in=["in", "out"]).count() == 0
    assert (
        reached.filter(
            Q(duration_seconds__lt=60) | Q(duration_seconds__gt=1200) | Q(duration_seconds=None)
        ).count()
        == 0
    )
    assert calls.exclude(outcome="reached").exclude(duration_seconds=None).count() == 0
    assert Activity.all_objects.exclude(kind="call").exclude(outcome="").count() == 0
    meetings = Activity.all_objects.filter(kind="meeting")
    assert meetings.count() > 0
    for m in meetings:
        assert m.ends_at > m.occurred_at
        assert m.place != ""
        assert m.participants != ""
    assert Activity.all_objects.filter(subject="").count() == 0


@pytest.mark.django_db
def test_deals_and_clients_remember_their_newest_interaction():
    seed()

    for model, link in ((Deal, "deal"), (Company, "company"), (Contact, "contact")):
        newest = dict(
            Activity.all_objects.filter(**{f"{link}__isnull": False})
            .values_list(link)
            .annotate(at=Max("occurred_at"))
        )
        assert len(newest) > 0
        rows = model.all_objects.values_list("pk", "last_contact_at")
        assert {pk: at for pk, at in rows if at is not None} == newest
    assert Deal.all_objects.filter(last_contact_at=None).count() == 0


@pytest.mark.django_db
def test_open_tasks_are_next_steps_of_open_deals_and_some_open_deals_have_none():
    seed()

    active = deal_and_lead_tasks().filter(status__in=["open", "in_progress"])
    assert active.filter(deal__isnull=False).exclude(deal__status="open").count() == 0
    assert active.filter(deal__isnull=True, lead__isnull=True).count() == 0
    assert active.filter(lead__isnull=False).exclude(lead__status="in_progress").count() == 0
    assert active.filter(completed_at__isnull=False).count() == 0
    open_deals = Deal.all_objects.filter(status="open")
    next_steps = active.filter(deal__isnull=False).values("deal_id")
    assert open_deals.filter(pk__in=next_steps).count() > open_deals.count() // 2
    assert open_deals.exclude(pk__in=next_steps).count() > 0
    for task in active.filter(deal__isnull=False).select_related("deal"):
        assert task.assignee_id == task.deal.owner_id
        assert task.deal.created_at <= task.created_at < task.due_at
    assert active.values("deal_id").filter(deal__isnull=False).distinct().count() == (
        active.filter(deal__isnull=False).count()
    )


@pytest.mark.django_db
def test_manager1_has_overdue_today_s_and_upcoming_tasks_and_a_deal_without_a_next_step():
    # the demo's size: a manager has a dozen open deals, enough for every part of My day
    seed(deals=1000)
    manager = User.objects.get(username="manager1")
    today = local_today()
    tz = organisation.current().tz

    mine = Task.all_objects.filter(assignee=manager, status__in=["open", "in_progress"])
    days = [t.due_at.astimezone(tz).date() for t in mine]
    assert sum(1 for d in days if d < today) >= 1
    assert sum(1 for d in days if d == today) >= 3
    assert sum(1 for d in days if today < d <= today + timedelta(days=7)) >= 1
    assert min(days) >= today - timedelta(days=5)
    assert max(days) <= today + timedelta(days=14)
    bare = Deal.all_objects.filter(owner=manager, status="open").exclude(
        pk__in=mine.values("deal_id").filter(deal__isnull=False)
    )
    assert bare.count() >= 1


@pytest.mark.django_db
def test_done_and_cancelled_tasks_say_when_and_by_whom():
    seed()

    done = deal_and_lead_tasks().filter(status="done")
    assert done.filter(Q(completed_at=None) | Q(completed_by=None)).count() == 0
    for task in done.select_related("deal"):
        assert task.created_at <= task.completed_at
        assert task.completed_by_id == task.assignee_id == task.deal.owner_id
        assert task.deal.created_at <= task.created_at
        assert task.completed_at <= (task.deal.closed_at or local_midnight(local_today()))
    cancelled = Task.all_objects.filter(status="cancelled")
    assert cancelled.exclude(deal__status="lost").count() == 0
    assert cancelled.exclude(completed_at=None).count() == 0
    leads = dict(Team.objects.values_list("pk", "lead_id"))
    for task in Task.all_objects.select_related("assignee"):
        assert task.author_id in (task.assignee_id, leads.get(task.assignee.team_id))
        assert task.created_by_id == task.author_id
    assert Task.all_objects.exclude(author=models_f("assignee")).count() > 0
    priorities = dict(Task.all_objects.values_list("priority").annotate(n=Count("pk")).order_by())
    assert priorities["normal"] > sum(priorities.values()) / 2
    assert priorities["high"] > 0
    assert priorities["urgent"] > 0


@pytest.mark.django_db
def test_above_the_full_detail_size_closed_deals_keep_only_their_first_and_last_step(
    monkeypatch,
):
    monkeypatch.setattr("voronka.core.seeding.activities.FULL_DETAIL_UP_TO", 100)
    seed()

    counts = dict(
        Activity.all_objects.filter(deal__isnull=False)
        .values_list("deal")
        .annotate(n=Count("pk"))
        .order_by()
    )
    closed = list(Deal.all_objects.exclude(status="open").values_list("pk", flat=True))
    lean = [pk for pk in closed if counts[pk] <= 2]
    assert len(lean) > len(closed) // 2
    assert len(counts) == DEALS
    assert 1.5 * DEALS <= sum(counts.values()) <= 4 * DEALS
    assert (
        Task.all_objects.filter(status__in=["open", "in_progress"], deal__isnull=False).count() > 0
    )


@pytest.mark.django_db
def test_a_deal_s_story_opens_with_the_first_contact_and_ends_with_its_close():
    seed()

    story = defaultdict(list)
    for deal_id, subject in (
        Activity.all_objects.filter(deal__isnull=False)
        .order_by("occurred_at", "pk")
        .values_list("deal_id", "subject")
    ):
        story[deal_id].append(subject)
    closing = {
        "won": {"Оплата получена", "Подписанный договор"},
        "lost": {"Клиент отказался", "Сделка проиграна"},
    }
    for deal_id, status in Deal.all_objects.values_list("pk", "status"):
        assert story[deal_id][0] in {"Первый звонок", "Запрос с сайта"}
        if status != "open":
            assert story[deal_id][-1] in closing[status]
