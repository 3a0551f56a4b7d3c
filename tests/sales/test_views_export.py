"""Deal and lead lists download as CSV and XLSX: exactly the rows the list shows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from tests.core.test_exporting import by_header, csv_rows, naive, xlsx_book, xlsx_rows
from voronka.activities import services as activity_services
from voronka.sales import services
from voronka.sales.models import Deal, Lead

MOSCOW = ZoneInfo("Europe/Moscow")
DEAL_HEADER = [
    "ID", "Title", "Pipeline", "Stage", "Status", "Amount", "Currency", "Amount, RUB",
    "Responsible manager", "Company", "Contact", "Source", "Expected close date", "Created",
    "Closed", "Lost reason", "Next task due",
]  # fmt: skip


def export(client, user, name, fmt, params=None, lang="en"):
    client.force_login(user)
    url = reverse(f"sales:{name}-export", kwargs={"fmt": fmt})
    return client.get(url, params or {}, headers={"Accept-Language": lang})


def local(moment: datetime) -> str:
    return moment.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M")


def local_naive(moment: datetime) -> datetime:
    return moment.astimezone(MOSCOW).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def deals(personas, stages, source, lost_reason):
    """Three deals of Alice's (one lost, one in dollars) and one of Bob's."""
    alice, bob = personas.alice, personas.bob
    romashka = factories.company(alice, name="ООО «Ромашка»")
    sidorov = factories.contact(
        alice, first_name="Иван", last_name="Сидоров", middle_name="Петрович"
    )
    big = factories.deal(
        alice, title="Внедрение, этап 1", client=romashka, amount=Decimal("250000.50"),
        source=source, expected_close_date=date(2026, 12, 20),
    )  # fmt: skip
    dollars = factories.deal(
        alice, title="Лицензия", client=sidorov, amount=Decimal("1000"), currency="USD",
        exchange_rate=Decimal("90.5"),
    )  # fmt: skip
    lost = factories.deal(alice, title="Обучение", client=romashka, amount=Decimal("40000"))
    lost = services.deal_move_stage(
        actor=alice, deal=lost, stage=stages["lost"], version=lost.version,
        lost_reason=lost_reason,
    )  # fmt: skip
    bobs = factories.deal(bob, title="Поставка Боба", amount=Decimal("70000"))
    task = activity_services.task_create(
        actor=alice,
        data={
            "title": "Позвонить",
            "deal": big,
            "due_at": datetime(2026, 12, 1, 10, 30, tzinfo=MOSCOW),
        },
    )
    return {"big": big, "dollars": dollars, "lost": lost, "bobs": bobs, "task": task}


def test_the_deal_csv_holds_the_filtered_rows_with_readable_values(client, personas, deals):
    response = export(client, personas.alice, "deal", "csv", {"status": "open", "sort": "-amount"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="voronka-deals-')
    assert response["Content-Disposition"].endswith('.csv"')
    header, *rows = csv_rows(response)
    assert header == DEAL_HEADER
    big, dollars = deals["big"], deals["dollars"]
    assert rows == [
        [
            str(big.pk), "Внедрение, этап 1", "Продажи", "Новая", "Open", "250000.50", "RUB",
            "250000.50", "Алиса Иванова", "ООО «Ромашка»", "", "Сайт", "2026-12-20",
            local(big.created_at), "", "", "2026-12-01 10:30",
        ],
        [
            str(dollars.pk), "Лицензия", "Продажи", "Новая", "Open", "1000.00", "USD", "90500.00",
            "Алиса Иванова", "", "Сидоров Иван Петрович", "", "", local(dollars.created_at), "",
            "", "",
        ],
    ]  # fmt: skip


def test_the_deal_xlsx_has_money_as_numbers_and_dates_as_date_cells(client, personas, deals):
    response = export(client, personas.alice, "deal", "xlsx", {"status": "lost"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = xlsx_book(response)
    sheet = book.worksheets[0]
    assert sheet.title == "Deals"
    rows = by_header([list(r) for r in sheet.iter_rows(values_only=True)])
    lost = Deal.objects.get(pk=deals["lost"].pk)
    assert rows == [
        {
            "ID": lost.pk, "Title": "Обучение", "Pipeline": "Продажи",
            "Stage": "Закрыто и не реализовано", "Status": "Lost", "Amount": 40000,
            "Currency": "RUB", "Amount, RUB": 40000, "Responsible manager": "Алиса Иванова",
            "Company": "ООО «Ромашка»", "Contact": None, "Source": None,
            "Expected close date": None, "Created": local_naive(lost.created_at),
            "Closed": local_naive(lost.closed_at), "Lost reason": "Дорого", "Next task due": None,
        }
    ]  # fmt: skip
    assert sheet["F2"].number_format == "#,##0.00"
    assert sheet["N2"].number_format == "DD.MM.YYYY HH:MM"


def test_a_date_cell_holds_the_day_with_a_date_format(client, personas, deals):
    sheet = xlsx_book(
        export(client, personas.alice, "deal", "xlsx", {"q": "внедрение"})
    ).worksheets[0]
    assert sheet["M2"].value == naive(2026, 12, 20)
    assert sheet["M2"].number_format == "DD.MM.YYYY"


def test_the_export_has_every_page_not_just_the_first(client, personas, deals, settings):
    settings.VORONKA_PAGE_SIZE = 1
    rows = csv_rows(export(client, personas.alice, "deal", "csv"))
    # The list's own order: newest first.
    assert [r[1] for r in rows[1:]] == ["Обучение", "Лицензия", "Внедрение, этап 1"]


def test_a_manager_does_not_get_another_managers_deals(client, personas, deals):
    alice = {r[1] for r in csv_rows(export(client, personas.alice, "deal", "csv"))[1:]}
    head = {r[1] for r in csv_rows(export(client, personas.head, "deal", "csv"))[1:]}
    # Even asking for Bob's deals by name gives Alice nothing of his.
    asked = csv_rows(export(client, personas.alice, "deal", "csv", {"owner": personas.bob.pk}))

    assert alice == {"Внедрение, этап 1", "Лицензия", "Обучение"}
    assert head == alice | {"Поставка Боба"}
    assert asked == [DEAL_HEADER]


def test_who_may_read_deals_gets_what_the_list_shows_and_the_outsider_nothing(
    client, personas, deals
):
    support = csv_rows(export(client, personas.support, "deal", "csv"))
    outsider = csv_rows(export(client, personas.outsider, "deal", "csv"))

    assert len(support) == 5  # support agents read every deal, as on the list
    assert outsider == [DEAL_HEADER]


def test_the_headers_follow_the_users_language(client, personas, deals):
    rows = csv_rows(export(client, personas.alice, "deal", "csv", {"q": "внедрение"}, lang="ru"))
    assert rows[0][:6] == ["ID", "Название", "Воронка", "Этап", "Статус", "Сумма"]
    assert rows[1][4] == "В работе"


def test_an_unknown_format_is_not_found(client, personas, deals):
    assert export(client, personas.head, "deal", "pdf").status_code == 404
    assert export(client, personas.head, "lead", "json").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, deals):
    response = client.get(reverse("sales:deal-export", kwargs={"fmt": "csv"}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_deal_export_reads_a_fixed_number_of_queries(
    client, personas, stages, django_assert_max_num_queries
):
    company = factories.company(personas.alice)
    for n in range(30):
        factories.deal(personas.alice, title=f"Сделка {n}", client=company)
    client.force_login(personas.alice)
    url = reverse("sales:deal-export", kwargs={"fmt": "csv"})
    with django_assert_max_num_queries(9):
        response = client.get(url, {"sort": "title"})
        rows = csv_rows(response)
    assert len(rows) == 31
    with django_assert_max_num_queries(9):
        assert (
            len(xlsx_rows(client.get(reverse("sales:deal-export", kwargs={"fmt": "xlsx"})))) == 31
        )


def test_the_list_offers_the_export_with_its_filters(client, personas, deals):
    client.force_login(personas.alice)
    page = client.get(reverse("sales:deal-list"), {"status": "open", "cursor": "x"})
    html = page.content.decode()
    assert reverse("sales:deal-export", kwargs={"fmt": "csv"}) + "?status=open" in html
    assert reverse("sales:deal-export", kwargs={"fmt": "xlsx"}) + "?status=open" in html
    assert "cursor=x" not in html.split("export-menu", 1)[1].split("</div>", 1)[0]


# --- Leads ---------------------------------------------------------------------------------------

LEAD_HEADER = [
    "ID", "Title", "Status", "Contact name", "Company name", "Phone", "E-mail", "Source",
    "Responsible manager", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "Created", "Qualified", "Rejected", "Rejection reason", "Rejection comment",
]  # fmt: skip


@pytest.fixture
def leads(personas, source, lost_reason):
    alice = personas.alice
    web = factories.lead(
        alice, title="Заявка с сайта", contact_name="Пётр Смирнов", company_name="ООО «Вектор»",
        phone="+7 (912) 345-67-89", email="petr@vector.ru", source=source,
        utm_source="yandex", utm_medium="cpc", utm_campaign="весна",
    )  # fmt: skip
    call = factories.lead(alice, title="Звонок", phone="89120000000")
    rejected = factories.lead(alice, title="Спам")
    rejected = services.lead_reject(
        actor=alice, lead=rejected, version=rejected.version, reason=lost_reason, comment="Не наш"
    )
    factories.lead(personas.bob, title="Заявка Боба")
    return {"web": web, "call": call, "rejected": rejected}


def test_the_lead_csv_holds_the_filtered_rows_with_readable_values(client, personas, leads):
    response = export(client, personas.alice, "lead", "csv", {"status": "new", "sort": "title"})

    header, *rows = csv_rows(response)
    assert header == LEAD_HEADER
    web, call = leads["web"], leads["call"]
    assert rows == [
        [
            str(web.pk), "Заявка с сайта", "New", "Пётр Смирнов", "ООО «Вектор»",
            "+7 (912) 345-67-89", "petr@vector.ru", "Сайт", "Алиса Иванова", "yandex", "cpc",
            "весна", "", "", local(web.created_at), "", "", "", "",
        ],
        [
            str(call.pk), "Звонок", "New", "", "", "89120000000", "", "", "Алиса Иванова", "", "",
            "", "", "", local(call.created_at), "", "", "", "",
        ],
    ]  # fmt: skip
    assert response["Content-Disposition"].startswith('attachment; filename="voronka-leads-')


def test_the_lead_xlsx_names_the_rejection(client, personas, leads):
    rows = by_header(
        xlsx_rows(export(client, personas.alice, "lead", "xlsx", {"status": "rejected"}))
    )
    rejected = Lead.objects.get(pk=leads["rejected"].pk)
    assert len(rows) == 1
    assert rows[0]["Status"] == "Rejected"
    assert rows[0]["Rejected"] == local_naive(rejected.rejected_at)
    assert rows[0]["Rejection reason"] == "Дорого"
    assert rows[0]["Rejection comment"] == "Не наш"


def test_support_agents_may_not_export_leads_as_they_may_not_list_them(client, personas, leads):
    assert export(client, personas.support, "lead", "csv").status_code == 403
    assert export(client, personas.support, "lead", "xlsx").status_code == 403


def test_the_lead_export_is_scoped_like_the_list(client, personas, leads):
    alice = [r[1] for r in csv_rows(export(client, personas.alice, "lead", "csv"))[1:]]
    outsider = csv_rows(export(client, personas.outsider, "lead", "csv"))

    assert sorted(alice) == ["Заявка с сайта", "Звонок", "Спам"]
    assert outsider == [LEAD_HEADER]


def test_the_lead_export_reads_a_fixed_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    for n in range(30):
        factories.lead(personas.alice, title=f"Лид {n}")
    client.force_login(personas.alice)
    with django_assert_max_num_queries(8):
        rows = csv_rows(client.get(reverse("sales:lead-export", kwargs={"fmt": "csv"})))
    assert len(rows) == 31
