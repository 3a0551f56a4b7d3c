"""Importing crafted files: every bad row named by line, column and reason; nothing lost,
nothing doubled; the KPI rollups exact after an import."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.analytics.conftest import assert_rollups_exact
from voronka.imports.engine import import_file
from voronka.imports.spec import parse_mapping

DEALS = {
    "entity": "deals",
    "system": "old-crm",
    "external_id": "id",
    "date_format": "%d.%m.%Y",
    "fields": {
        "title": "Сделка",
        "stage": {"column": "Этап", "values": {"Выиграна": "Успешно реализовано",
                                                "Проиграна": "Закрыто и не реализовано",
                                                "В работе": "Квалификация"}},
        "company": {"column": "Клиент", "create": True},
        "owner": {"column": "Менеджер"},
        "amount": "Сумма",
        "created_at": "Создана",
        "closed_at": "Закрыта",
    },
}  # fmt: skip
HEADER = "id;Сделка;Этап;Клиент;Менеджер;Сумма;Создана;Закрыта\n"


def write(tmp_path: Path, text: str | bytes, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def run(path: Path, spec: dict, actor, **kwargs):  # type: ignore[no-untyped-def]
    report, rejected = io.StringIO(), io.StringIO()
    outcome = import_file(
        path, parse_mapping(spec), actor=actor, report_to=report, rejected_to=rejected, **kwargs
    )
    outcome.report_text = report.getvalue()  # type: ignore[attr-defined]
    outcome.rejected_text = rejected.getvalue()  # type: ignore[attr-defined]
    return outcome


def rejections(outcome) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(line, column, reason) for line, result, _, column, reason in outcome.sample
            if result == "rejected"]  # fmt: skip


@pytest.fixture
def alice_name(personas) -> str:
    return personas.alice.get_full_name()


def test_good_rows_go_in_with_their_history_and_bad_ones_are_named(
    tmp_path, personas, stages, alice_name
):
    from voronka.sales.models import Deal, StageHistory

    path = write(tmp_path, HEADER + (
        f"A1;Поставка станков;Выиграна;ООО Ромашка;{alice_name};150 000,50;01.02.2026;15.03.2026\n"
        f"A2;Сервис;В работе;ООО Ромашка;{alice_name};20000;05.02.2026;\n"
        f"A3;Плохая дата;В работе;ООО Ромашка;{alice_name};1;31.02.2026;\n"
        f"A4;Чужой этап;Заморожена;ООО Ромашка;{alice_name};1;01.02.2026;\n"
        f"A5;Нет менеджера;В работе;ООО Ромашка;Нет Такого;1;01.02.2026;\n"
        f"A6;Выиграна без даты;Выиграна;ООО Ромашка;{alice_name};1;01.02.2026;\n"
    ))  # fmt: skip
    outcome = run(path, DEALS, personas.admin)

    assert (outcome.created, outcome.rejected, outcome.failed) == (2, 4, "")
    assert rejections(outcome) == [
        (4, "Создана", "not a date like 31.03.2024: '31.02.2026'"),
        (5, "Этап", "unknown stage 'Заморожена' in the pipeline (translate it in the "
                    "mapping's values)"),
        (6, "Менеджер", "no user named 'Нет Такого' (map the value or allow creating it)"),
        (7, "Закрыта", "a won or lost deal needs the date it was closed"),
    ]  # fmt: skip
    won = Deal.objects.get(title="Поставка станков")
    assert won.status == "won"
    assert won.amount == Decimal("150000.50")
    assert won.owner == personas.alice
    assert won.company.name == "ООО Ромашка"
    msk = ZoneInfo("Europe/Moscow")  # the organisation's time zone
    assert won.created_at == datetime(2026, 2, 1, tzinfo=msk)
    assert won.closed_at == datetime(2026, 3, 15, tzinfo=msk)
    history = list(StageHistory.objects.filter(deal=won).order_by("moved_at"))
    assert [h.to_stage for h in history] == [stages["new"], stages["won"]]
    assert [h.moved_at for h in history] == [won.created_at, won.closed_at]
    rejected_lines = outcome.rejected_text.splitlines()
    assert rejected_lines[0].split(",")[:4] == ["line", "column", "reason", "id"]
    assert rejected_lines[1].startswith("4,Создана,")
    assert_rollups_exact()


def test_importing_the_same_file_again_updates_and_creates_nothing(
    tmp_path, personas, stages, alice_name
):
    from voronka.sales.models import Deal

    rows = f"B1;Сделка;В работе;ООО Лето;{alice_name};100;01.02.2026;\n"
    path = write(tmp_path, HEADER + rows)
    assert run(path, DEALS, personas.admin).created == 1
    again = run(path, DEALS, personas.admin)
    assert (again.created, again.updated, again.skipped) == (0, 0, 1)
    moved = write(tmp_path, HEADER + rows.replace("В работе", "Выиграна").replace(
        ";\n", ";20.02.2026\n"), "moved.csv")  # fmt: skip
    third = run(moved, DEALS, personas.admin)
    assert (third.created, third.updated) == (0, 1)
    deal = Deal.objects.get()
    assert deal.status == "won"
    assert deal.version == 2
    assert deal.stage_history.count() == 2
    assert_rollups_exact()


def test_a_file_without_a_mapped_column_is_refused_whole(tmp_path, personas, stages):
    from voronka.sales.models import Deal

    path = write(tmp_path, "id;Сделка;Этап\nC1;X;В работе\n")
    outcome = run(path, DEALS, personas.admin)
    assert outcome.failed.startswith("the file has no column 'Закрыта', 'Клиент'")
    assert Deal.objects.count() == 0


def test_an_empty_file_is_refused(tmp_path, personas, stages):
    outcome = run(write(tmp_path, b""), DEALS, personas.admin)
    assert outcome.failed == "the file is empty (0 bytes)"


def test_broken_bytes_reject_their_row_and_the_rest_stays_utf8(tmp_path, personas):
    from voronka.clients.models import Company

    data = "name;phone\nООО Альфа;+7 912 000-00-01\n".encode() + b"\xff\xfe bad;1\n"
    data += "ООО Бета;+7 912 000-00-02\n".encode()
    spec = {"entity": "companies", "fields": {"name": "name", "phone": "phone"}}
    outcome = run(write(tmp_path, data, "c.csv"), spec, personas.admin)
    assert (outcome.created, outcome.rejected) == (2, 1)
    assert rejections(outcome)[0][:2] == (3, "name")
    assert "not valid in the file's encoding" in rejections(outcome)[0][2]
    assert sorted(Company.objects.values_list("name", flat=True)) == ["ООО Альфа", "ООО Бета"]


def test_a_windows_1251_file_is_read_as_such(tmp_path, personas):
    from voronka.clients.models import Company

    data = "name;industry\nООО Гамма;Производство\n".encode("cp1251")
    spec = {"entity": "companies", "fields": {"name": "name", "industry": "industry"}}
    outcome = run(write(tmp_path, data, "c.csv"), spec, personas.admin)
    assert outcome.created == 1
    assert outcome.notices == ["The file is not UTF-8; it was read as Windows-1251."]
    assert Company.objects.get().industry == "Производство"


def test_a_huge_cell_rejects_only_its_row(tmp_path, personas, settings):
    from voronka.clients.models import Company

    settings.IMPORT_MAX_CELL = 10_000
    huge = "x" * 20_000
    long_name = "y" * 300
    data = f"name;notes\nООО Один;ok\n{long_name};n\nООО Два;{huge}\nООО Три;ok\n"
    spec = {"entity": "companies", "fields": {"name": "name", "notes": "notes"}}
    outcome = run(write(tmp_path, data, "c.csv"), spec, personas.admin)
    assert outcome.created == 2
    first, second = sorted(rejections(outcome))
    assert first == (3, "name", "300 characters; at most 250")
    assert second[:2] == (4, "")
    assert "field larger than field limit" in second[2]
    assert sorted(Company.objects.values_list("name", flat=True)) == ["ООО Один", "ООО Три"]


def test_all_or_nothing_keeps_the_file_out_when_one_row_is_bad(
    tmp_path, personas, stages, alice_name
):
    from voronka.sales.models import Deal

    path = write(tmp_path, HEADER + (
        f"D1;Хорошая;В работе;ООО Осень;{alice_name};1;01.02.2026;\n"
        f"D2;Плохая;В работе;ООО Осень;{alice_name};много;01.02.2026;\n"
    ))  # fmt: skip
    outcome = run(path, DEALS, personas.admin, all_or_nothing=True)
    assert outcome.failed == "1 rows were rejected; with “all or nothing” nothing was imported"
    assert rejections(outcome) == [(3, "Сумма", "not a number: 'много'")]
    assert Deal.objects.count() == 0


def test_a_dry_run_reports_what_would_happen_and_saves_nothing(
    tmp_path, personas, stages, alice_name
):
    from voronka.clients.models import Company
    from voronka.sales.models import Deal

    path = write(tmp_path, HEADER + f"E1;Пробная;В работе;ООО Зима;{alice_name};5;01.02.2026;\n")
    outcome = run(path, DEALS, personas.admin, dry_run=True)
    assert (outcome.created, outcome.rejected) == (1, 0)
    assert "2,created," in outcome.report_text
    assert Deal.objects.count() == 0
    assert Company.objects.count() == 0


def test_clients_are_matched_by_normalised_phone_email_or_tax_id(tmp_path, personas):
    from voronka.clients.models import Company
    from voronka.clients.services import company_create

    company_create(actor=personas.admin, data={"name": "ООО Север", "tax_id": "7707083893",
                                                "phone": "+7 (912) 345-67-89"})  # fmt: skip
    data = (
        "name;inn;phone;email\n"
        "Север (дубль по ИНН);7707083893;;\n"
        "Север (дубль по телефону);;8 912 345 67 89;\n"
        "ООО Юг;;;sales@yug.example\n"
        "Юг (дубль по почте);;;SALES@YUG.EXAMPLE\n"
    )
    spec = {"entity": "companies", "match": ["tax_id", "phone", "email"], "on_match": "skip",
            "fields": {"name": "name", "tax_id": "inn", "phone": "phone", "email": "email"}}  # fmt: skip  # noqa: E501
    outcome = run(write(tmp_path, data, "c.csv"), spec, personas.admin)
    assert (outcome.created, outcome.skipped) == (1, 3)
    assert Company.objects.count() == 2


def test_a_mapping_with_an_unknown_field_is_refused_naming_it(tmp_path, personas):
    spec = {"entity": "companies", "fields": {"name": "name", "colour": "c"}}
    outcome = run(write(tmp_path, "name;c\nX;red\n", "c.csv"), spec, personas.admin)
    assert outcome.failed.startswith("fields.colour: companies have no such field")


def test_leads_keep_their_source_system_id_and_link_to_a_known_contact(tmp_path, personas):
    from voronka.clients.services import contact_create
    from voronka.sales.models import Lead

    contact = contact_create(actor=personas.admin, data={"first_name": "Ирина",
                                                          "email": "irina@example.com"})  # fmt: skip
    data = "id;title;email;created\nL-1;Заявка;Irina@Example.com;2026-01-05 10:00:00\n"
    spec = {"entity": "leads", "system": "site", "external_id": "id",
            "fields": {"title": "title", "email": "email", "created_at": "created"}}  # fmt: skip
    assert run(write(tmp_path, data, "l.csv"), spec, personas.admin).created == 1
    lead = Lead.objects.get()
    assert lead.external_id == "L-1"
    assert lead.contact == contact
    assert lead.created_at == datetime.fromisoformat("2026-01-05 10:00:00+03:00")
    assert_rollups_exact()


def test_interactions_count_on_their_day_and_move_when_imported_again_with_another(
    tmp_path, personas
):
    from voronka.activities.models import Activity
    from voronka.clients.models import Company
    from voronka.clients.services import company_create

    company_create(actor=personas.admin, data={"name": "ООО Весна"})
    spec = {"entity": "activities", "system": "old", "external_id": "id", "date_format": "%d.%m.%Y %H:%M",
            "fields": {"kind": {"column": "type", "values": {"Звонок": "call", "Встреча": "meeting"}},
                       "subject": "subject", "occurred_at": "when", "company": "client",
                       "author": {"column": "who", "lookup": "full_name"}}}  # fmt: skip  # noqa: E501
    alice = personas.alice.get_full_name()
    first = write(tmp_path, (
        "id;type;subject;when;client;who\n"
        f"a1;Звонок;Первый звонок;03.02.2026 10:00;ООО Весна;{alice}\n"
        f"a2;Встреча;Встреча в офисе;04.02.2026 15:30;ООО Весна;{alice}\n"
    ), "a.csv")  # fmt: skip
    assert run(first, spec, personas.admin).created == 2
    assert_rollups_exact()
    moved = write(tmp_path, first.read_text().replace("04.02.2026 15:30", "06.02.2026 09:00"),
                  "b.csv")  # fmt: skip
    outcome = run(moved, spec, personas.admin)
    assert (outcome.created, outcome.updated, outcome.skipped) == (0, 1, 1)
    assert Activity.objects.count() == 2
    assert Company.objects.get().last_contact_at == datetime(
        2026, 2, 6, 9, tzinfo=ZoneInfo("Europe/Moscow")
    )
    assert_rollups_exact()


def test_a_deal_in_another_currency_needs_its_exchange_rate(tmp_path, personas, stages, alice_name):
    from voronka.sales.models import Deal

    spec = {**DEALS, "fields": {**DEALS["fields"], "currency": {"default": "USD"}}}
    path = write(tmp_path, HEADER + f"F1;Экспорт;В работе;ООО Море;{alice_name};100;01.02.2026;\n")
    outcome = run(path, spec, personas.admin)
    assert rejections(outcome) == [(2, "exchange_rate", "give the rate of USD to RUB")]
    assert Deal.objects.count() == 0
    rated = {**spec, "fields": {**spec["fields"], "exchange_rate": {"default": "92.5"}}}
    assert run(path, rated, personas.admin).created == 1
    deal = Deal.objects.get()
    assert (deal.currency, deal.exchange_rate, deal.amount) == ("USD", Decimal("92.5"), 100)
    assert_rollups_exact()
