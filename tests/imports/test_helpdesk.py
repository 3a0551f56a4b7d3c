"""Importing client requests: their status from their moments, SLA only when asked, no
duplicates on a second import — and the real help-desk event log (4,580 tickets of an
Italian software company) with the response and handling times of the raw CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import fmean, median
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from voronka.imports.engine import import_file
from voronka.imports.plans import run_plan
from voronka.imports.spec import load_plan, parse_mapping

ROOT = Path(__file__).resolve().parents[2]
HELPDESK = ROOT.parent / "shared" / "data" / "helpdesk-italian-eventlog"
PLAN = ROOT / "examples" / "import" / "helpdesk-italian-eventlog" / "plan.json"
ROME = ZoneInfo("Europe/Rome")
MOSCOW = ZoneInfo("Europe/Moscow")

needs_dataset = pytest.mark.skipif(
    not (HELPDESK / "helpdesk.csv").is_file(),
    reason=f"the help-desk dataset is not at {HELPDESK} (see the project's shared data)",
)
# Tests that import a whole dataset run on one worker, like those of test_datasets.py.
datasets = pytest.mark.xdist_group("datasets")

# An old help desk's export, one row per request; times in the organisation's zone.
HEADER = "id;Тема;Клиент;Оператор;Вид;Приоритет;Категория;Продукт;Получено;Ответ;Решено;Закрыто\n"
FLAT = {
    "entity": "requests",
    "system": "old-desk",
    "external_id": "id",
    "date_format": "%d.%m.%Y %H:%M",
    "fields": {
        "subject": "Тема",
        "company": {"column": "Клиент", "create": True},
        "assignee": {"column": "Оператор", "lookup": "full_name", "create": True},
        "kind": {"column": "Вид", "values": {"Жалоба": "complaint", "Вопрос": "question"}},
        "priority": {"column": "Приоритет", "values": {"Срочно": "urgent", "Обычный": "normal"}},
        "category": {"column": "Категория", "create": True},
        "product": {"column": "Продукт", "create": True},
        "created_at": "Получено",
        "first_response_at": "Ответ",
        "resolved_at": "Решено",
        "closed_at": "Закрыто",
    },
}  # fmt: skip
ROWS = (
    "R1;Не пришёл заказ;ООО Ромашка;Ирина Операторова;Жалоба;Срочно;Доставка;Станок;"
    "02.03.2026 10:00;;;\n"
    "R2;Как оплатить;ООО Ромашка;Ирина Операторова;Вопрос;Обычный;Оплата;;"
    "02.03.2026 11:00;02.03.2026 11:30;;\n"
    "R3;Сломался станок;ООО Лютик;Пётр Сменщиков;Жалоба;Обычный;Качество;Станок;"
    "02.03.2026 12:00;02.03.2026 12:05;03.03.2026 12:00;\n"
    "R4;Спасибо;ООО Лютик;;Вопрос;Обычный;;;"
    "02.03.2026 13:00;;;02.03.2026 14:00\n"
)


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=MOSCOW)


def write(tmp_path: Path, text: str, name: str = "requests.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, spec: dict[str, Any], actor: Any, **kwargs: Any) -> Any:
    report = io.StringIO()
    outcome = import_file(path, parse_mapping(spec), actor=actor, report_to=report, **kwargs)
    outcome.report_text = report.getvalue()
    return outcome


def rejections(outcome: Any) -> list[tuple[int, str, str]]:
    return [(line, column, reason) for line, result, _, column, reason in outcome.sample
            if result == "rejected"]  # fmt: skip


def by_key(system: str = "old-desk") -> dict[str, Any]:
    from voronka.imports.models import ExternalKey
    from voronka.service.models import Request

    keys = dict(
        ExternalKey.objects.filter(entity="requests", system=system).values_list("object_id", "key")
    )
    return {keys[r.pk]: r for r in Request.objects.select_related(
        "assignee", "first_response_by", "company", "category", "product")}  # fmt: skip


# --- The requests target, on small files --------------------------------------------------------


def test_requests_take_their_status_from_their_moments(tmp_path, personas):
    from voronka.accounts.models import User
    from voronka.service.models import Category
    from voronka.service.queries import queue
    from voronka.service.services import may_take_requests

    outcome = run(write(tmp_path, HEADER + ROWS), FLAT, personas.admin)

    assert (outcome.created, outcome.rejected, outcome.failed) == (4, 0, "")
    r = by_key()
    assert {k: r[k].status for k in r} == {
        "R1": "new", "R2": "in_progress", "R3": "resolved", "R4": "closed",
    }  # fmt: skip
    assert (r["R1"].created_at, r["R1"].first_response_at, r["R1"].resolved_at) == (
        msk(2, 10), None, None,
    )  # fmt: skip
    assert (r["R3"].first_response_at, r["R3"].resolved_at, r["R3"].closed_at) == (
        msk(2, 12, 5), msk(3, 12), None,
    )  # fmt: skip
    # Closing an open request resolves it, as the services do.
    assert (r["R4"].resolved_at, r["R4"].closed_at) == (msk(2, 14), msk(2, 14))
    # Who answered first is the assignee; people the file names come in as support agents.
    irina = User.objects.get(first_name="Ирина", last_name="Операторова")
    assert (irina.role, irina.has_usable_password(), may_take_requests(irina)) == (
        "support", False, True,
    )  # fmt: skip
    assert (r["R2"].assignee, r["R2"].first_response_by) == (irina, irina)
    assert (r["R1"].assignee, r["R1"].first_response_by) == (irina, None)
    assert r["R4"].assignee is None
    assert (r["R1"].kind, r["R1"].priority, r["R2"].kind) == ("complaint", "urgent", "question")
    assert r["R1"].company.name == "ООО Ромашка"
    assert r["R3"].company.name == r["R4"].company.name == "ООО Лютик"
    assert sorted(Category.objects.values_list("name", flat=True)) == [
        "Доставка", "Качество", "Оплата",
    ]  # fmt: skip
    assert r["R1"].product == r["R3"].product
    assert r["R1"].product.name == "Станок"
    assert (r["R2"].product, r["R4"].category) == (None, None)
    assert r["R1"].created_by == personas.admin
    # No SLA unless the mapping asks for it; only the open ones are in the queue.
    assert {(x.sla_policy_id, x.first_response_due_at, x.next_due_at) for x in r.values()} == {
        (None, None, None)
    }
    assert [x.pk for x in queue(personas.support)] == [r["R1"].pk, r["R2"].pk]
    assert r["R1"].history.count() == 1


def test_the_files_times_are_read_in_the_time_zone_the_mapping_names(tmp_path, personas):
    outcome = run(write(tmp_path, HEADER + ROWS), {**FLAT, "time_zone": "Europe/Rome"},
                  personas.admin)  # fmt: skip

    assert outcome.created == 4
    assert by_key()["R1"].created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_moment_before_the_request_arrived_or_a_status_against_the_moments_is_refused(
    tmp_path, personas
):
    from voronka.service.models import Request

    text = HEADER.replace(";Закрыто", ";Закрыто;Статус") + (
        "R1;Тема;ООО Ромашка;;Вопрос;Обычный;;;02.03.2026 10:00;02.03.2026 09:00;;;\n"
        "R2;Тема;ООО Ромашка;;Вопрос;Обычный;;;02.03.2026 10:00;;;;Решено\n"
        "R3;Тема;ООО Ромашка;;Вопрос;Обычный;;;02.03.2026 10:00;;02.03.2026 12:00;;В работе\n"
        "R4;Тема;;;Вопрос;Обычный;;;02.03.2026 10:00;;;;\n"
        "R5;Тема;ООО Ромашка;;Вопрос;Обычный;;;02.03.2026 10:00;;02.03.2026 12:00;;Решено\n"
    )  # fmt: skip
    spec = {**FLAT, "fields": {**FLAT["fields"], "status": {
        "column": "Статус", "values": {"Решено": "resolved", "В работе": "in_progress"},
    }}}  # fmt: skip

    outcome = run(write(tmp_path, text), spec, personas.admin)

    assert rejections(outcome) == [
        (2, "Ответ", "earlier than the request was received"),
        (3, "Решено", "a resolved request needs the time it was resolved"),
        (4, "Статус", "an open request cannot have been resolved or closed"),
        (5, "Клиент", "Say who the client is: a company, a contact or an e-mail."),
    ]
    assert outcome.created == 1
    assert list(Request.objects.values_list("subject", "status")) == [("Тема", "resolved")]


def test_a_request_from_a_contact_is_from_their_company_and_names_them(tmp_path, personas):
    from voronka.clients.services import company_create, contact_create
    from voronka.service.models import Request

    company = company_create(actor=personas.alice, data={"name": "ООО Ромашка"})
    contact_create(actor=personas.alice, data={
        "first_name": "Пётр", "last_name": "Клиентов", "company": company,
        "email": "petr@romashka.example",
    })  # fmt: skip
    spec = {"entity": "requests", "fields": {
        "subject": "subject", "contact": {"column": "email", "lookup": "email"},
        "created_at": "at",
    }}  # fmt: skip
    text = "subject,email,at\nВопрос,PETR@romashka.example,2026-03-02 10:00\n"

    outcome = run(write(tmp_path, text), spec, personas.admin)

    assert outcome.created == 1
    request = Request.objects.get()
    assert (request.company, request.client_email, request.client_name) == (
        company, "petr@romashka.example", "Клиентов Пётр",
    )  # fmt: skip


def test_importing_again_updates_and_never_duplicates(tmp_path, personas):
    from voronka.imports.models import ExternalKey
    from voronka.service.models import Request

    first = run(write(tmp_path, HEADER + ROWS), FLAT, personas.admin)
    before = by_key()
    # The old help desk answered R1 and took R3's resolution back.
    later = ROWS.replace("Станок;02.03.2026 10:00;;;", "Станок;02.03.2026 10:00;02.03.2026 10:20;;")
    later = later.replace(";02.03.2026 12:05;03.03.2026 12:00;", ";02.03.2026 12:05;;")

    again = run(write(tmp_path, HEADER + later, "later.csv"), FLAT, personas.admin)

    assert (first.created, again.created, again.updated, again.skipped) == (4, 0, 2, 2)
    assert Request.objects.count() == ExternalKey.objects.filter(entity="requests").count() == 4
    after = by_key()
    assert {k: after[k].pk for k in after} == {k: before[k].pk for k in before}
    assert (after["R1"].status, after["R1"].first_response_at) == ("in_progress", msk(2, 10, 20))
    assert after["R1"].first_response_by == after["R1"].assignee
    assert (after["R3"].status, after["R3"].resolved_at, after["R3"].resolved_by) == (
        "in_progress", None, None,
    )  # fmt: skip
    assert after["R1"].version == before["R1"].version + 1
    assert after["R2"].version == before["R2"].version
    assert [h.history_type for h in after["R3"].history.order_by("history_id")] == ["+", "~"]


def test_a_dry_run_writes_nothing(tmp_path, personas):
    from voronka.accounts.models import User
    from voronka.clients.models import Company
    from voronka.service.models import Category, Request

    users = User.objects.count()
    outcome = run(write(tmp_path, HEADER + ROWS), FLAT, personas.admin, dry_run=True)

    assert (outcome.created, outcome.rejected) == (4, 0)
    assert (Request.objects.count(), Company.objects.count(), Category.objects.count()) == (0, 0, 0)
    assert User.objects.count() == users


def test_sla_is_given_only_when_the_mapping_asks_and_the_files_moments_are_judged(
    tmp_path, personas
):
    from voronka.service.models import SlaPolicy
    from voronka.service.services import policy_create

    policy = policy_create(actor=personas.admin, data={
        "name": "Жалобы", "kind": "complaint", "first_response_minutes": 60,
        "resolution_minutes": 24 * 60, "clock": SlaPolicy.Clock.CALENDAR,
    })  # fmt: skip
    # R3, a complaint, is answered after 90 minutes and resolved after 25 hours: late twice.
    # R1, a complaint too, still waits for its answer.
    late = ROWS.replace(
        ";02.03.2026 12:05;03.03.2026 12:00;", ";02.03.2026 13:30;03.03.2026 13:00;"
    )
    spec = {**FLAT, "fields": {**FLAT["fields"], "sla": {"default": True}}}

    outcome = run(write(tmp_path, HEADER + late), spec, personas.admin)

    assert outcome.created == 4
    r = by_key()
    assert (r["R1"].sla_policy, r["R1"].first_response_due_at, r["R1"].resolution_due_at) == (
        policy, msk(2, 11), msk(3, 10),
    )  # fmt: skip
    assert r["R1"].next_due_at == msk(2, 11)
    assert (r["R3"].first_response_breached, r["R3"].resolution_breached) == (True, True)
    assert (r["R2"].sla_policy, r["R2"].next_due_at) == (None, None)  # a question: no policy
    assert (r["R1"].first_response_breached, r["R1"].resolution_breached) == (False, False)

    # Without "sla", a second import leaves the deadlines as they are.
    again = run(write(tmp_path, HEADER + late), FLAT, personas.admin)
    assert (again.updated, again.skipped) == (0, 4)


def test_the_clients_of_imported_requests_have_their_active_spells_refreshed(
    tmp_path, personas, monkeypatch
):
    from voronka.analytics import spells
    from voronka.clients.models import Company

    refreshed: list[Any] = []
    real = spells.refresh_clients

    def spy(keys: Any) -> None:
        keys = set(keys)
        refreshed.extend(keys)
        real(keys)

    monkeypatch.setattr(spells, "refresh_clients", spy)

    run(write(tmp_path, HEADER + ROWS), FLAT, personas.admin)

    companies = Company.objects.order_by("name").values_list("pk", flat=True)
    assert sorted(refreshed) == sorted(("company", pk) for pk in companies)
    assert len(refreshed) == 2


# --- The real help-desk event log -----------------------------------------------------------------


def wall_clock(text: str) -> datetime:
    """A time of the log as written: Italian local time, no zone."""
    return datetime.strptime(text, "%Y/%m/%d %H:%M:%S.%f")  # noqa: DTZ007 - local on purpose


def rome_to_utc(text: str) -> datetime:
    """A time of the log as the moment it was, in UTC."""
    return wall_clock(text).replace(tzinfo=ROME).astimezone(UTC)


def raw_cases() -> dict[str, dict[str, Any]]:
    """Per case, straight from the CSV: its first event, its first take-in-charge (and by
    whom), its last resolution and last closure; ties in time go by the file's order."""
    events: dict[str, list[tuple[datetime, int, str, str, str]]] = defaultdict(list)
    with (HELPDESK / "helpdesk.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        case, activity, resource, stamp = (
            header.index(name) for name in ("Case ID", "Activity", "Resource", "Complete Timestamp")
        )
        for n, row in enumerate(reader):
            events[row[case]].append(
                (rome_to_utc(row[stamp]), n, row[activity], row[resource], row[stamp])
            )
    cases = {}
    for key, evs in events.items():
        evs.sort()
        takes = [e for e in evs if e[2] == "Take in charge ticket"]
        resolves = [e for e in evs if e[2] == "Resolve ticket"]
        closes = [e for e in evs if e[2] == "Closed"]
        cases[key] = {
            "received": evs[0][0], "received_text": evs[0][4],
            "taken": takes[0][0] if takes else None,
            "taken_by": takes[0][3] if takes else None,
            "resolved": resolves[-1][0] if resolves else None,
            "resolved_text": resolves[-1][4] if resolves else None,
            "closed": closes[-1][0] if closes else None,
        }  # fmt: skip
    return cases


def durations(cases: dict[str, dict[str, Any]]) -> tuple[list[float], list[float]]:
    """First-response minutes (cases taken in charge) and handling hours (cases resolved)."""
    minutes = [(c["taken"] - c["received"]).total_seconds() / 60 for c in cases.values()
               if c["taken"] is not None]  # fmt: skip
    hours = [(c["resolved"] - c["received"]).total_seconds() / 3600 for c in cases.values()
             if c["resolved"] is not None]  # fmt: skip
    return minutes, hours


def import_helpdesk(actor: Any) -> Any:
    plan = load_plan(PLAN)
    [result] = run_plan(plan, HELPDESK, actor=actor, say=lambda _: None)
    assert not result.outcome.failed, result.outcome.failed
    assert result.outcome.rejected == 0, result.outcome.sample[:5]
    return result.outcome


@needs_dataset
@datasets
def test_the_helpdesk_event_log_imports_with_the_moments_of_the_raw_csv_and_its_kpis(personas):
    """One import of the whole log (it takes seconds), checked record by record, imported
    again, and measured by the KPI engine."""
    from voronka.accounts.models import User
    from voronka.analytics.engine import compute
    from voronka.analytics.periods import Period
    from voronka.clients.models import Company
    from voronka.service.models import OPEN_STATUSES, Request
    from voronka.service.queries import queue

    cases = raw_cases()

    outcome = import_helpdesk(personas.admin)

    assert (outcome.rows, outcome.created) == (len(cases), len(cases)) == (4580, 4580)
    requests = by_key("helpdesk-italian")
    assert set(requests) == set(cases)
    # Every moment to the second, in UTC: the log's Italian wall clock is read as such.
    for key, c in cases.items():
        r = requests[key]
        assert (r.created_at, r.first_response_at, r.resolved_at, r.closed_at) == (
            c["received"], c["taken"], c["resolved"], c["closed"],
        ), key  # fmt: skip
        taken_by = f"Оператор {c['taken_by']}" if c["taken_by"] else None
        assert (r.assignee.get_full_name() if r.assignee else None) == taken_by, key
        assert r.first_response_by_id == (r.assignee_id if c["taken"] else None), key
        expected = ("closed" if c["closed"] else "resolved" if c["resolved"]
                    else "in_progress" if c["taken"] else "new")  # fmt: skip
        assert r.status == expected, key
    minutes, hours = durations(cases)
    assert (len(minutes), len(hours)) == (4285, 4569)
    stored = Request.objects.filter(first_response_at__isnull=False)
    assert sorted((r.first_response_at - r.created_at).total_seconds() / 60 for r in stored) == (
        sorted(minutes)
    )

    # Durations are real elapsed time: a ticket open across a change of summer time took an
    # hour more or less than its wall-clock times say.
    across = 0
    for key, c in cases.items():
        if c["resolved"] is None:
            continue
        wall = wall_clock(c["resolved_text"]) - wall_clock(c["received_text"])
        took = requests[key].resolved_at - requests[key].created_at
        assert abs(wall - took) in (timedelta(0), timedelta(hours=1)), key
        across += wall != took
    assert across == 273

    # Only the tickets still open are in the queue.
    still_open = {k for k, c in cases.items() if not c["resolved"] and not c["closed"]}
    assert len(still_open) == 11
    assert {r.pk for r in queue(personas.support)} == {requests[k].pk for k in still_open}
    assert Request.objects.filter(status__in=OPEN_STATUSES).count() == 11
    assert {r.sla_policy_id for r in requests.values()} == {None}
    operators = User.objects.filter(last_name__startswith="Value ", first_name="Оператор")
    assert {u.role for u in operators} == {"support"}
    clients = Company.objects.filter(name__startswith="Клиент Value ")
    assert clients.count() == Company.objects.count()

    # The same plan again changes nothing and doubles nothing.
    users, companies = User.objects.count(), Company.objects.count()
    again = import_helpdesk(personas.admin)
    assert (again.created, again.updated, again.skipped) == (0, 0, 4580)
    assert (Request.objects.count(), User.objects.count(), Company.objects.count()) == (
        4580, users, companies,
    )  # fmt: skip

    # The service KPIs (voronka.analytics.service) over the imported log agree with the
    # CSV computed here with the csv module; the engine gives 4 decimal places.
    report = compute(
        actor=personas.head,
        ids=["requests_new", "first_response_minutes", "request_handling_hours"],
        period=Period(date(2010, 1, 1), date(2014, 12, 31)),
    )
    assert report["requests_new"].total.value == len(cases) == 4580
    response = report["first_response_minutes"].total
    assert response.count == len(minutes)
    assert response.mean == pytest.approx(fmean(minutes), abs=5e-5)
    assert response.median == pytest.approx(median(minutes), abs=5e-5)
    handling = report["request_handling_hours"].total
    assert handling.count == len(hours)
    assert handling.mean == pytest.approx(fmean(hours), abs=5e-5)
    assert handling.median == pytest.approx(median(hours), abs=5e-5)
