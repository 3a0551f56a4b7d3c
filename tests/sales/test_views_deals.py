"""Deal pages: the list with search, filters and pages; the card; the forms."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from voronka.sales import services
from voronka.sales.models import Deal

LIST = reverse("sales:deal-list")


def login(client, user):
    client.force_login(user)
    return client


def titles(response):
    return [deal.title for deal in response.context["page"].items]


@pytest.fixture
def alice_deals(personas, stages, source):
    """Three deals of Alice's and one of Bob's, created in this order."""
    alice, bob = personas.alice, personas.bob
    romashka = factories.company(alice, name="ООО Ромашка", phone="+7 (912) 345-67-89")
    ivanov = factories.contact(
        alice, first_name="Иван", last_name="Сидоров", email="ivan@vector.ru"
    )
    return {
        "cheap": factories.deal(alice, title="Лицензия", client=romashka, amount=Decimal("5000")),
        "big": factories.deal(
            alice,
            title="Внедрение",
            client=ivanov,
            amount=Decimal("250000"),
            source=source,
            expected_close_date=timezone.localdate() - timedelta(days=2),
        ),
        "mid": factories.deal(
            alice,
            title="Обучение",
            client=factories.company(alice, name="ЗАО Прогресс"),
            amount=Decimal("40000"),
        ),
        "bobs": factories.deal(
            bob,
            title="Поставка Боба",
            client=factories.company(bob, name="ИП Кузнецов"),
            amount=Decimal("70000"),
        ),
    }


def test_a_manager_sees_only_their_own_deals_newest_first(client, personas, alice_deals):
    response = login(client, personas.alice).get(LIST)
    assert response.status_code == 200
    assert titles(response) == ["Обучение", "Внедрение", "Лицензия"]


def test_the_head_of_sales_sees_every_deal(client, personas, alice_deals):
    response = login(client, personas.head).get(LIST)
    assert titles(response) == ["Поставка Боба", "Обучение", "Внедрение", "Лицензия"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("внедр", ["Внедрение"]),
        ("ромаш", ["Лицензия"]),
        ("89123456789", ["Лицензия"]),
        ("+7 912 345-67-89", ["Лицензия"]),
        ("IVAN@vector.ru", ["Внедрение"]),
        ("сидоров", ["Внедрение"]),
        ("нет такого", []),
    ],
)
def test_the_search_finds_deals_by_title_client_phone_and_email(
    client, personas, alice_deals, q, expected
):
    response = login(client, personas.alice).get(LIST, {"q": q})
    assert titles(response) == expected


def test_the_filters_narrow_the_list(client, personas, alice_deals, stages, source):
    big = alice_deals["big"]
    services.deal_move_stage(
        actor=personas.alice, deal=big, stage=stages["proposal"], version=big.version
    )
    c = login(client, personas.head)
    assert titles(c.get(LIST, {"stage": stages["proposal"].pk})) == ["Внедрение"]
    assert titles(c.get(LIST, {"owner": personas.bob.pk})) == ["Поставка Боба"]
    assert titles(c.get(LIST, {"team": personas.alice.team_id})) == [
        "Обучение",
        "Внедрение",
        "Лицензия",
    ]
    assert titles(c.get(LIST, {"source": source.pk})) == ["Внедрение"]
    assert titles(c.get(LIST, {"overdue": "on"})) == ["Внедрение"]
    assert titles(c.get(LIST, {"amount_min": "30000", "amount_max": "100000"})) == [
        "Поставка Боба",
        "Обучение",
    ]
    assert titles(c.get(LIST, {"status": "won"})) == []
    assert titles(c.get(LIST, {"sort": "-amount"})) == [
        "Внедрение",
        "Поставка Боба",
        "Обучение",
        "Лицензия",
    ]


def test_nonsense_filter_values_are_ignored_not_an_error(client, personas, alice_deals):
    response = login(client, personas.alice).get(
        LIST, {"stage": "abc", "amount_min": "много", "sort": "hack", "cursor": "!!"}
    )
    assert response.status_code == 200
    assert titles(response) == ["Обучение", "Внедрение", "Лицензия"]


def test_the_list_pages_forwards_and_back_with_a_cursor(client, personas, stages, settings):
    settings.VORONKA_PAGE_SIZE = 2
    for n in (3, 0, 4, 1, 2):
        factories.deal(personas.alice, title=f"Сделка {n}")
    c = login(client, personas.alice)
    first = c.get(LIST, {"sort": "title"})
    assert titles(first) == ["Сделка 0", "Сделка 1"]
    assert first.context["page"].prev_cursor is None
    second = c.get(LIST, {"sort": "title", "cursor": first.context["page"].next_cursor})
    assert titles(second) == ["Сделка 2", "Сделка 3"]
    third = c.get(LIST, {"sort": "title", "cursor": second.context["page"].next_cursor})
    assert titles(third) == ["Сделка 4"]
    assert third.context["page"].next_cursor is None
    back = c.get(LIST, {"sort": "title", "cursor": third.context["page"].prev_cursor})
    assert titles(back) == ["Сделка 2", "Сделка 3"]


def test_the_total_is_capped_and_shown_as_more_than(client, personas, stages, settings):
    settings.VORONKA_COUNT_LIMIT = 3
    for _n in range(4):
        factories.deal(personas.alice)
    response = login(client, personas.alice).get(LIST)
    assert (response.context["page"].total, response.context["page"].total_capped) == (3, True)
    assert "Найдено: 3+" in response.content.decode()


def test_the_list_shows_money_the_russian_way_and_marks_overdue_dates(
    client, personas, alice_deals
):
    body = login(client, personas.alice).get(LIST).content.decode()
    assert "250\xa0000,00\xa0₽" in body
    overdue = (timezone.localdate() - timedelta(days=2)).strftime("%d.%m.%Y")
    assert f'<i class="bi bi-exclamation-triangle-fill"></i> {overdue}' in body


def test_an_htmx_request_gets_only_the_table(client, personas, alice_deals):
    response = login(client, personas.alice).get(LIST, {"q": "обуч"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="deal-table">')
    assert "<html" not in body
    assert titles(response) == ["Обучение"]


def test_an_empty_list_says_so(client, personas, stages):
    body = login(client, personas.alice).get(LIST).content.decode()
    assert "Сделок пока нет." in body


def test_the_deal_list_costs_the_same_queries_for_forty_deals(
    client, personas, stages, django_assert_max_num_queries
):
    for _n in range(40):
        factories.deal(personas.alice)
    c = login(client, personas.lead)
    c.get(reverse("core:home"))  # the organisation's settings are read once and cached
    with django_assert_max_num_queries(12):
        response = c.get(LIST)
    assert len(response.context["page"].items) == 40


# --- The card ---------------------------------------------------------------------------


def test_the_card_shows_client_stages_lines_and_history(client, personas, stages):
    product = factories.product(personas.admin, name="Лицензия CRM", price=Decimal("48000"))
    company = factories.company(personas.alice, name="ООО Ромашка")
    deal = factories.deal(
        personas.alice,
        client=company,
        title="Внедрение CRM",
        lines=[{"product": product, "quantity": Decimal("2")}],
    )
    services.deal_move_stage(
        actor=personas.alice, deal=deal, stage=stages["qualification"], version=deal.version
    )
    response = login(client, personas.alice).get(reverse("sales:deal-detail", args=[deal.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("clients:company-detail", args=[company.pk]) in body
    assert [s.name for s in response.context["open_stages"]] == [
        "Новая",
        "Квалификация",
        "Предложение",
        "Переговоры",
    ]
    assert [(h.from_stage and h.from_stage.name, h.to_stage.name) for h in response.context[
        "stage_history"
    ]] == [("Новая", "Квалификация"), (None, "Новая")]  # fmt: skip
    assert "96\xa0000,00\xa0₽" in body
    assert 'id="history-heading"' in body
    assert response.context["may_edit"] is True


def test_a_deal_of_another_team_is_not_found(client, personas, stages):
    deal = factories.deal(personas.bob)
    response = login(client, personas.alice).get(reverse("sales:deal-detail", args=[deal.pk]))
    assert response.status_code == 404


# --- Create and edit ---------------------------------------------------------------------


def test_a_manager_creates_a_deal_for_a_company(client, personas, stages, pipeline):
    company = factories.company(personas.alice, name="ООО Вектор")
    response = login(client, personas.alice).post(
        reverse("sales:deal-create"),
        {
            "title": "Поставка серверов",
            "client": f"company:{company.pk}",
            "pipeline": pipeline.pk,
            "owner": personas.alice.pk,
            "amount": "150000.50",
            "currency": "RUB",
            "exchange_rate": "1",
            "expected_close_date": "2026-12-26",
        },
    )
    deal = Deal.objects.get(title="Поставка серверов")
    assert response.status_code == 302
    assert response.url == reverse("sales:deal-detail", args=[deal.pk])
    assert (deal.company, deal.contact, deal.stage, deal.owner, deal.amount) == (
        company,
        None,
        stages["new"],
        personas.alice,
        Decimal("150000.50"),
    )
    assert str(deal.expected_close_date) == "2026-12-26"


def test_the_create_form_shows_field_errors_and_keeps_the_input(client, personas, stages):
    others = factories.company(personas.bob, name="Чужая компания")
    response = login(client, personas.alice).post(
        reverse("sales:deal-create"),
        {
            "title": "",
            "client": f"company:{others.pk}",
            "owner": personas.bob.pk,
            "amount": "-5",
            "currency": "RUB",
            "exchange_rate": "1",
            "notes": "Позвонить в пятницу",
        },
    )
    form = response.context["form"]
    assert response.status_code == 422
    assert set(form.errors) == {"title", "client", "owner", "amount"}
    assert "Позвонить в пятницу" in response.content.decode()
    assert Deal.objects.count() == 0


def test_a_contact_can_be_the_client(client, personas, stages):
    contact = factories.contact(personas.alice, first_name="Пётр", last_name="Смирнов")
    login(client, personas.alice).post(
        reverse("sales:deal-create"),
        {
            "title": "Консультация",
            "client": f"contact:{contact.pk}",
            "owner": personas.alice.pk,
            "amount": "0",
            "currency": "RUB",
            "exchange_rate": "1",
        },
    )
    deal = Deal.objects.get(title="Консультация")
    assert (deal.company, deal.contact) == (None, contact)


def test_the_client_options_offer_only_visible_clients(client, personas, stages):
    mine = factories.company(personas.alice, name="ООО Ромашка")
    factories.company(personas.bob, name="ООО Ромашка-Юг")
    response = login(client, personas.alice).get(
        reverse("sales:client-options"), {"client_q": "ромаш"}
    )
    assert response.context["options"] == [(f"company:{mine.pk}", "ООО Ромашка · компания")]


def deal_form_data(deal, **changes):
    data = {
        "title": deal.title,
        "client": f"company:{deal.company_id}",
        "owner": deal.owner_id,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "exchange_rate": str(deal.exchange_rate),
        "expected_close_date": "",
        "notes": deal.notes,
        "version": deal.version,
    }
    data.update(changes)
    return data


def test_a_manager_edits_their_deal(client, personas, stages):
    deal = factories.deal(personas.alice, title="Старое название")
    response = login(client, personas.alice).post(
        reverse("sales:deal-edit", args=[deal.pk]),
        deal_form_data(deal, title="Новое название", amount="777.00"),
    )
    deal.refresh_from_db()
    assert response.status_code == 302
    assert (deal.title, deal.amount, deal.version) == ("Новое название", Decimal("777.00"), 2)


def test_a_deal_with_lines_keeps_the_sum_of_its_lines_when_edited(client, personas, stages):
    product = factories.product(personas.admin, price=Decimal("1000"))
    deal = factories.deal(personas.alice, lines=[{"product": product, "quantity": Decimal("2")}])
    response = login(client, personas.alice).post(
        reverse("sales:deal-edit", args=[deal.pk]),
        deal_form_data(deal, title="С товарами", amount="5"),
    )
    deal.refresh_from_db()
    assert response.status_code == 302
    assert (deal.title, deal.amount) == ("С товарами", Decimal("2000.00"))


def test_a_stale_edit_is_refused_and_the_input_kept(client, personas, stages):
    deal = factories.deal(personas.alice, title="Исходное")
    stale = deal_form_data(deal, title="Моя правка")
    services.deal_update(
        actor=personas.lead, deal=deal, version=deal.version, data={"title": "Правка Льва"}
    )
    response = login(client, personas.alice).post(reverse("sales:deal-edit", args=[deal.pk]), stale)
    body = response.content.decode()
    deal.refresh_from_db()
    assert response.status_code == 422
    assert "изменил кто-то другой" in body
    assert 'value="Моя правка"' in body
    assert (deal.title, deal.version) == ("Правка Льва", 2)


# --- Product lines and delete ------------------------------------------------------------


def test_adding_and_removing_a_line_recomputes_the_amount(client, personas, stages):
    product = factories.product(personas.admin, price=Decimal("1000"))
    deal = factories.deal(personas.alice, amount=Decimal("0"))
    c = login(client, personas.alice)
    response = c.post(
        reverse("sales:deal-line-add", args=[deal.pk]),
        {"product": product.pk, "quantity": "3", "discount_percent": "10", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    deal.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 200
    assert (deal.amount, deal.version) == (Decimal("2700.00"), 2)
    assert 'id="deal-amount" class="money fs-5 fw-semibold" hx-swap-oob="true"' in body
    assert 'id="deal-stagebar" class="mb-4" hx-swap-oob="true"' in body
    line = deal.lines.get()
    c.post(
        reverse("sales:deal-line-remove", args=[deal.pk]),
        {"line": line.pk, "version": 2},
        HTTP_HX_REQUEST="true",
    )
    deal.refresh_from_db()
    assert (deal.amount, deal.lines.count(), deal.version) == (Decimal("0"), 0, 3)


def test_a_line_with_a_stale_version_is_refused(client, personas, stages):
    product = factories.product(personas.admin)
    deal = factories.deal(personas.alice)
    response = login(client, personas.alice).post(
        reverse("sales:deal-line-add", args=[deal.pk]),
        {"product": product.pk, "quantity": "1", "version": 7},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert deal.lines.count() == 0


def test_deleting_a_deal_hides_it_from_the_list(client, personas, stages):
    deal = factories.deal(personas.alice)
    c = login(client, personas.alice)
    response = c.post(reverse("sales:deal-delete", args=[deal.pk]), {"version": deal.version})
    assert response.status_code == 302
    assert Deal.objects.filter(pk=deal.pk).exists() is False
    assert Deal.all_objects.get(pk=deal.pk).deleted_at is not None
