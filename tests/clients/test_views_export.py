"""Company and contact lists download as CSV and XLSX: exactly the rows the list shows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from tests.core.test_exporting import by_header, csv_rows, naive, xlsx_book, xlsx_rows
from voronka.activities import services as activity_services
from voronka.clients import services
from voronka.clients.models import Company

MOSCOW = ZoneInfo("Europe/Moscow")
COMPANY_HEADER = [
    "ID", "Name", "INN", "Industry", "Website", "Phone", "E-mail", "Address", "Life-cycle stage",
    "Source", "Responsible manager", "Tags", "Last contact", "Next task due", "Created", "Notes",
]  # fmt: skip
CONTACT_HEADER = [
    "ID", "Last name", "First name", "Middle name", "Company", "Position", "Phone", "E-mail",
    "Address", "Life-cycle stage", "Source", "Responsible manager", "Tags", "Last contact",
    "Next task due", "Created", "Notes",
]  # fmt: skip


def export(client, user, kind, fmt, params=None, lang="en"):
    client.force_login(user)
    url = reverse(f"clients:{kind}-export", kwargs={"fmt": fmt})
    return client.get(url, params or {}, headers={"Accept-Language": lang})


def local(moment: datetime) -> str:
    return moment.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def clients(personas, source):
    alice = personas.alice
    vector = services.company_create(
        actor=alice,
        data={
            "name": "ООО «Вектор»", "tax_id": "7701234567", "industry": "Логистика",
            "website": "vector.ru", "phone": "+7 (495) 123-45-67", "email": "info@vector.ru",
            "address": "Москва, ул. Ленина, 1", "lifecycle_stage": "customer", "source": source,
            "owner": alice, "notes": "Платят в срок,\nзвонить после 14:00",
        },
        tags=["опт", "звонить после 14:00"],
    )  # fmt: skip
    romashka = factories.company(alice, name="Ромашка", lifecycle_stage="customer")
    lead_stage = factories.company(alice, name="Альфа", lifecycle_stage="lead")
    factories.company(personas.bob, name="Компания Боба", lifecycle_stage="customer")
    petrov = services.contact_create(
        actor=alice,
        data={
            "last_name": "Петров", "first_name": "Пётр", "middle_name": "Ильич",
            "company": vector, "position": "Директор", "phone": "89120000001", "owner": alice,
            "lifecycle_stage": "negotiation",
        },
        tags=["опт"],
    )  # fmt: skip
    ivanova = factories.contact(alice, first_name="Анна", last_name="Иванова", company=romashka)
    factories.contact(personas.bob, first_name="Борис", last_name="Контактов")
    activity_services.activity_log(
        actor=alice,
        data={"kind": "call", "company": vector, "subject": "Звонок",
              "occurred_at": datetime(2026, 3, 2, 10, 15, tzinfo=MOSCOW)},
    )  # fmt: skip
    activity_services.task_create(
        actor=alice,
        data={
            "title": "Счёт",
            "company": vector,
            "due_at": datetime(2026, 12, 1, 9, tzinfo=MOSCOW),
        },
    )
    return {"vector": vector, "romashka": romashka, "alpha": lead_stage, "petrov": petrov,
            "ivanova": ivanova}  # fmt: skip


def test_the_company_csv_holds_the_filtered_rows_with_tags_and_dates(client, personas, clients):
    response = export(client, personas.alice, "company", "csv", {"stage": "customer"})

    assert response["Content-Disposition"].startswith('attachment; filename="voronka-companies-')
    header, *rows = csv_rows(response)
    assert header == COMPANY_HEADER
    vector, romashka = clients["vector"], clients["romashka"]
    assert rows == [
        [
            str(vector.pk), "ООО «Вектор»", "7701234567", "Логистика", "vector.ru",
            "+7 (495) 123-45-67", "info@vector.ru", "Москва, ул. Ленина, 1", "Customer", "Сайт",
            "Алиса Иванова", "звонить после 14:00, опт", "2026-03-02 10:15", "2026-12-01 09:00",
            local(vector.created_at), "Платят в срок,\nзвонить после 14:00",
        ],
        [
            str(romashka.pk), "Ромашка", "", "", "", "", "", "", "Customer", "", "Алиса Иванова",
            "", "", "", local(romashka.created_at), "",
        ],
    ]  # fmt: skip


def test_the_company_xlsx_keeps_the_lists_sort_and_real_dates(client, personas, clients):
    response = export(client, personas.alice, "company", "xlsx", {"sort": "-created"})
    book = xlsx_book(response)
    sheet = book.worksheets[0]
    rows = by_header([list(r) for r in sheet.iter_rows(values_only=True)])

    assert sheet.title == "Companies"
    assert [r["Name"] for r in rows] == ["Альфа", "Ромашка", "ООО «Вектор»"]
    vector = rows[2]
    assert vector["Last contact"] == naive(2026, 3, 2, 10, 15)
    assert vector["Tags"] == "звонить после 14:00, опт"
    assert sheet["M4"].number_format == "DD.MM.YYYY HH:MM"


def test_a_tag_filter_exports_only_the_tagged_clients(client, personas, clients):
    companies = csv_rows(export(client, personas.alice, "company", "csv", {"tag": "опт"}))
    contacts = csv_rows(export(client, personas.alice, "contact", "csv", {"tag": "опт"}))

    assert [r[1] for r in companies[1:]] == ["ООО «Вектор»"]
    assert [r[1] for r in contacts[1:]] == ["Петров"]


def test_the_contact_csv_holds_the_filtered_rows(client, personas, clients):
    response = export(client, personas.alice, "contact", "csv", {"company": clients["vector"].pk})

    header, *rows = csv_rows(response)
    petrov = clients["petrov"]
    assert header == CONTACT_HEADER
    assert rows == [
        [
            str(petrov.pk), "Петров", "Пётр", "Ильич", "ООО «Вектор»", "Директор", "89120000001",
            "", "", "Negotiation", "", "Алиса Иванова", "опт", "", "", local(petrov.created_at), "",
        ]
    ]  # fmt: skip
    assert response["Content-Disposition"].startswith('attachment; filename="voronka-contacts-')


def test_the_contact_xlsx_is_sorted_as_the_list(client, personas, clients):
    rows = by_header(xlsx_rows(export(client, personas.alice, "contact", "xlsx", {"sort": "name"})))
    assert [(r["Last name"], r["Company"]) for r in rows] == [
        ("Иванова", "Ромашка"), ("Петров", "ООО «Вектор»"),
    ]  # fmt: skip


def test_the_export_is_scoped_like_the_list(client, personas, clients):
    alice = csv_rows(export(client, personas.alice, "company", "csv"))
    support = csv_rows(export(client, personas.support, "company", "csv"))
    outsider = csv_rows(export(client, personas.outsider, "contact", "csv"))
    bob = csv_rows(export(client, personas.bob, "contact", "csv"))

    assert sorted(r[1] for r in alice[1:]) == ["Альфа", "ООО «Вектор»", "Ромашка"]
    assert len(support) == 5  # support agents read every client, as on the list
    assert outsider == [CONTACT_HEADER]
    assert [r[1] for r in bob[1:]] == ["Контактов"]


def test_the_headers_follow_the_users_language(client, personas, clients):
    rows = csv_rows(export(client, personas.alice, "company", "csv", {"q": "вектор"}, lang="ru"))
    assert rows[0][:3] == ["ID", "Название", "ИНН"]
    assert rows[1][8] == "Покупатель"


def test_an_unknown_format_is_not_found_and_nothing_changes(client, personas, clients):
    before = Company.objects.count()
    assert export(client, personas.head, "company", "ods").status_code == 404
    assert export(client, personas.head, "contact", "CSV").status_code == 404
    assert Company.objects.count() == before


def test_the_client_exports_read_a_fixed_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    for n in range(30):
        services.company_create(
            actor=personas.alice, data={"name": f"Компания {n}", "owner": personas.alice},
            tags=[f"метка {n % 3}"],
        )  # fmt: skip
        factories.contact(personas.alice)
    client.force_login(personas.alice)
    for kind in ("company", "contact"):
        with django_assert_max_num_queries(8):
            rows = csv_rows(client.get(reverse(f"clients:{kind}-export", kwargs={"fmt": "csv"})))
        assert len(rows) == 31


def test_the_list_offers_the_export_with_its_filters(client, personas, clients):
    client.force_login(personas.alice)
    html = client.get(reverse("clients:company-list"), {"stage": "customer"}).content.decode()
    assert reverse("clients:company-export", kwargs={"fmt": "xlsx"}) + "?stage=customer" in html
