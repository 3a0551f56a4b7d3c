"""The demo-data generator: counts, consistency with the services' rules, repeatability."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from voronka.accounts.models import Team, User
from voronka.clients.models import Company, Contact
from voronka.core.text import normalize_email, normalize_phone, search_text
from voronka.sales.models import Deal, DealLine, Lead, StageHistory

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
    return deals, leads, companies, history


def wipe():
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
