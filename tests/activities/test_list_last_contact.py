"""Last contact and next step on the company, contact and deal lists, and the
"no contact for N days" filter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from voronka.activities import services
from voronka.clients import queries as client_queries
from voronka.sales import queries as sales_queries

COMPANIES = reverse("clients:company-list")
CONTACTS = reverse("clients:contact-list")
DEALS = reverse("sales:deal-list")


def contacted(actor, days_ago: int, **record):
    return services.activity_log(
        actor=actor,
        data={"kind": "call", "occurred_at": timezone.now() - timedelta(days=days_ago), **record},
    )


def linked_names(response, path: str) -> list[str]:
    """The text of the record links of a list, in page order."""
    html = response.content.decode()
    return re.findall(rf'<a (?:class="fw-semibold" )?href="{path}\d+/"[^>]*>([^<]+)</a>', html)


@pytest.fixture
def companies(personas):
    alice = personas.alice
    never = factories.company(alice, name="Никогда")
    old = factories.company(alice, name="Давно")
    recent = factories.company(alice, name="Недавно")
    contacted(alice, 40, company=old)
    contacted(alice, 10, company=recent)
    return {"never": never, "old": old, "recent": recent}


# --- Queries --------------------------------------------------------------------------------


def test_the_company_list_keeps_those_not_contacted_for_n_days_and_never(personas, companies):
    rows = client_queries.company_list(personas.alice, no_contact_days=30).order_by("name")
    fresh = client_queries.company_list(personas.alice, no_contact_days=7).order_by("name")
    every = client_queries.company_list(personas.alice, no_contact_days=None).order_by("name")

    assert [c.name for c in rows] == ["Давно", "Никогда"]
    assert [c.name for c in fresh] == ["Давно", "Недавно", "Никогда"]
    assert [c.name for c in every] == ["Давно", "Недавно", "Никогда"]


def test_the_filter_counts_days_back_from_now(personas, companies):
    later = timezone.now() + timedelta(days=25)

    rows = client_queries.company_list(personas.alice, no_contact_days=14, now=later)

    assert sorted(c.name for c in rows) == ["Давно", "Недавно", "Никогда"]


def test_the_contact_list_filters_by_last_contact(personas):
    alice = personas.alice
    factories.contact(alice, last_name="Молчанов")
    talked = factories.contact(alice, last_name="Болтунов")
    contacted(alice, 2, contact=talked)

    rows = client_queries.contact_list(alice, no_contact_days=7)

    assert [c.last_name for c in rows] == ["Молчанов"]


def test_the_deal_list_filters_by_last_contact(personas, stages):
    alice = personas.alice
    quiet = factories.deal(alice, title="Тихая")
    busy = factories.deal(alice, title="Живая")
    stale = factories.deal(alice, title="Заброшенная")
    contacted(alice, 1, deal=busy)
    contacted(alice, 100, deal=stale)

    rows = sales_queries.deal_list(alice, no_contact_days=90).order_by("title")

    assert [d.title for d in rows] == ["Заброшенная", "Тихая"]
    assert quiet.last_contact_at is None


# --- Pages ----------------------------------------------------------------------------------


def test_the_company_list_page_filters_by_no_contact(client, personas, companies):
    client.force_login(personas.alice)

    response = client.get(COMPANIES, {"no_contact": "30", "sort": "name"})

    assert linked_names(response, "/clients/companies/") == ["Давно", "Никогда"]
    assert response.context["filters"].is_filtered


def test_a_bad_no_contact_value_does_not_filter(client, personas, companies):
    client.force_login(personas.alice)

    response = client.get(COMPANIES, {"no_contact": "abc", "sort": "name"})

    assert linked_names(response, "/clients/companies/") == ["Давно", "Недавно", "Никогда"]


def test_the_contact_list_page_filters_by_no_contact(client, personas):
    factories.contact(personas.alice, last_name="Молчанов", first_name="Иван")
    talked = factories.contact(personas.alice, last_name="Болтунов", first_name="Пётр")
    contacted(personas.alice, 3, contact=talked)
    client.force_login(personas.alice)

    response = client.get(CONTACTS, {"no_contact": "7"})

    assert linked_names(response, "/clients/contacts/") == ["Молчанов Иван"]


def test_the_deal_list_page_filters_by_no_contact(client, personas, stages):
    factories.deal(personas.alice, title="Тихая")
    busy = factories.deal(personas.alice, title="Живая")
    contacted(personas.alice, 1, deal=busy)
    client.force_login(personas.alice)

    response = client.get(DEALS, {"no_contact": "14"})

    assert [d.title for d in response.context["page"].items] == ["Тихая"]


def test_the_lists_show_last_contact_and_the_next_step(client, personas, stages):
    alice = personas.alice
    company = factories.company(alice, name="Ромашка")
    deal = factories.deal(alice, client=company, title="Поставка")
    call = contacted(alice, 3, deal=deal)
    due = timezone.now() + timedelta(days=2)
    services.task_create(actor=alice, data={"title": "Отправить КП", "due_at": due, "deal": deal})
    services.task_create(
        actor=alice, data={"title": "Позже", "due_at": due + timedelta(days=1), "deal": deal}
    )
    client.force_login(alice)
    last = timezone.localtime(call.occurred_at).strftime("%d.%m.%Y")
    next_due = timezone.localtime(due).strftime("%d.%m.%Y %H:%M")

    for url in (COMPANIES, DEALS):
        html = client.get(url).content.decode()
        row = html.split("last-contact-cell")[1]
        assert f">{last}</time>" in row
        step = html.split("next-step-cell")[1].split("</td>")[0]
        assert 'title="Отправить КП">Отправить КП</div>' in step
        assert next_due in step
        assert "Позже" not in step


def test_a_client_nobody_talked_to_reads_never(client, personas):
    factories.company(personas.alice, name="Ромашка")
    client.force_login(personas.alice)

    html = client.get(COMPANIES).content.decode()

    assert "никогда" in html.split("last-contact-cell")[1].split("</td>")[0]


def _fill(personas, n: int) -> None:
    alice = personas.alice
    for i in range(n):
        company = factories.company(alice, name=f"Компания {i:02d}")
        contact = factories.contact(alice, last_name=f"Контактов{i:02d}", company=company)
        deal = factories.deal(alice, client=company)
        for record in ({"company": company}, {"contact": contact}, {"deal": deal}):
            contacted(alice, 10 + i, **record)
            services.task_create(
                actor=alice,
                data={"title": f"Шаг {i}", "due_at": timezone.now() + timedelta(days=1), **record},
            )


@pytest.mark.parametrize("url", [COMPANIES, CONTACTS, DEALS])
def test_last_contact_and_next_step_cost_no_query_per_row(
    client, personas, stages, url, django_assert_max_num_queries
):
    from django.db import connection

    client.force_login(personas.lead)
    _fill(personas, 2)
    client.get(url)  # the organisation's settings are read once and cached
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"no_contact": "7"})
    _fill(personas, 28)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"no_contact": "7"})

    assert len(response.context["page"].items) == 30
