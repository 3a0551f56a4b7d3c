"""The start page, the shared layout, money and history rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests import factories
from voronka.clients import services
from voronka.core.history import entries_for

pytestmark = pytest.mark.django_db


def test_the_home_page_starts_a_managers_day_with_my_day(personas, client):
    client.force_login(personas.alice)

    response = client.get(reverse("core:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("activities:my-day")


@pytest.mark.parametrize("persona", ["head", "admin"])
def test_the_home_page_sends_the_head_of_sales_to_the_dashboard(personas, client, persona):
    client.force_login(getattr(personas, persona))

    response = client.get(reverse("core:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:dashboard")


def test_the_home_page_sends_support_to_the_board(personas, client):
    client.force_login(personas.support)

    response = client.get(reverse("core:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("sales:board")


def test_the_home_page_sends_a_visitor_to_log_in(client):
    response = client.get(reverse("core:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_trash_is_in_the_menu_only_for_those_who_may_restore(personas, client):
    client.force_login(personas.head)
    head_page = client.get(reverse("clients:company-list")).content.decode()
    client.force_login(personas.alice)
    alice_page = client.get(reverse("clients:company-list")).content.decode()

    assert f'href="{reverse("core:trash")}"' in head_page
    assert f'href="{reverse("core:trash")}"' not in alice_page


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("ru", Decimal("1234567.891"), "RUB", "1\xa0234\xa0567,89\xa0₽"),
        ("ru", Decimal("0"), "RUB", "0,00\xa0₽"),
        ("ru", Decimal("1500.5"), "USD", "1\xa0500,50\xa0$"),
        ("en", Decimal("1234567.891"), "RUB", "1,234,567.89\xa0₽"),
        ("en", Decimal("1500.5"), "USD", "$1,500.50"),
        ("ru", Decimal("10"), "XYZ", "10,00\xa0XYZ"),
    ],
)
def test_money_is_written_the_way_the_language_writes_it(language, amount, currency, expected):
    template = Template("{% load voronka %}{{ amount|money:currency }}")

    with translation.override(language):
        assert template.render(Context({"amount": amount, "currency": currency})) == expected


def test_the_history_block_lists_changes_newest_first_with_old_and_new_values(personas):
    company = factories.company(personas.alice, name="Альфа")
    services.company_update(
        actor=personas.lead, company=company, version=1, data={"name": "Альфа-Плюс"}
    )

    with translation.override("ru"):
        html = render_to_string("core/partials/_history.html", {"history": entries_for(company)})

    assert html.index("Изменено") < html.index("Создано")
    assert '<span class="history-old">Альфа</span>' in html
    assert '<span class="history-new">Альфа-Плюс</span>' in html
    assert "Лев Лидов" in html


def test_an_empty_history_says_so():
    with translation.override("en"):
        html = render_to_string("core/partials/_history.html", {"history": []})

    assert "No changes recorded yet." in html


def test_user_data_in_the_history_is_escaped(personas):
    company = factories.company(personas.alice, name="Альфа")
    services.company_update(
        actor=personas.alice, company=company, version=1, data={"name": "<script>alert(1)</script>"}
    )

    html = Template("{% load voronka %}{% history_block company %}").render(
        Context({"company": company})
    )

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
