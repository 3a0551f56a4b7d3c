"""The timeline of a client or deal: activities and stage changes, merged, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from tests import factories
from voronka.activities import queries, services
from voronka.sales import services as sales_services

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def log(actor, kind: str, hours: float, **links):
    return services.activity_log(
        actor=actor,
        data={"kind": kind, "occurred_at": at(hours), "subject": f"{kind}@{hours}", **links},
    )


def move(actor, deal, stage, hours: float):
    with mock.patch("django.utils.timezone.now", return_value=at(hours)):
        deal.refresh_from_db()
        return sales_services.deal_move_stage(
            actor=actor, deal=deal, stage=stage, version=deal.version
        )


@pytest.fixture
def story(personas, stages):
    """Alice's company «Ромашка» with a deal and a week of interactions."""
    alice = personas.alice
    company = factories.company(alice, name="Ромашка")
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        deal = factories.deal(alice, client=company, title="Поставка")
    call = log(alice, "call", 1, company=company)
    note = log(alice, "note", 2, deal=deal)
    move(alice, deal, stages["qualification"], 3)
    meeting = log(alice, "meeting", 4, company=company)
    email = log(alice, "email", 5, company=company)
    move(alice, deal, stages["won"], 6)
    other = factories.company(alice, name="Чужая")
    log(alice, "call", 7, company=other)
    return {
        "company": company, "deal": deal, "call": call, "note": note, "meeting": meeting,
        "email": email,
    }  # fmt: skip


def describe(entries) -> list[str]:
    """Each entry as «kind subject» or «stage from→to»."""
    out = []
    for e in entries:
        if e.activity is not None:
            out.append(f"{e.kind} {e.activity.subject}")
        else:
            m = e.stage_change
            out.append(f"stage {m.from_stage.name if m.from_stage else '·'}→{m.to_stage.name}")
    return out


def test_a_company_timeline_merges_its_activities_and_its_deals_stage_changes_newest_first(
    personas, story
):
    entries, next_before = queries.timeline(personas.alice, company=story["company"])

    assert describe(entries) == [
        "stage Квалификация→Успешно реализовано",
        "email email@5",
        "meeting meeting@4",
        "stage Новая→Квалификация",
        "note note@2",
        "call call@1",
        "stage ·→Новая",
    ]
    assert next_before is None


def test_a_deal_timeline_holds_only_what_happened_with_the_deal(personas, story):
    entries, _next = queries.timeline(personas.alice, deal=story["deal"])

    assert describe(entries) == [
        "stage Квалификация→Успешно реализовано",
        "stage Новая→Квалификация",
        "note note@2",
        "stage ·→Новая",
    ]


def test_the_timeline_filters_by_kind(personas, story):
    calls, _n = queries.timeline(personas.alice, company=story["company"], kinds=["call"])
    moves, _n = queries.timeline(personas.alice, company=story["company"], kinds=["stage"])

    assert describe(calls) == ["call call@1"]
    assert describe(moves) == [
        "stage Квалификация→Успешно реализовано",
        "stage Новая→Квалификация",
        "stage ·→Новая",
    ]


def test_the_timeline_pages_through_older_entries_with_next_before(personas, story):
    company = story["company"]

    first, before = queries.timeline(personas.alice, company=company, limit=3)
    second, before2 = queries.timeline(personas.alice, company=company, limit=3, before=before)
    third, before3 = queries.timeline(personas.alice, company=company, limit=3, before=before2)

    assert describe(first) == [
        "stage Квалификация→Успешно реализовано",
        "email email@5",
        "meeting meeting@4",
    ]
    assert before == at(4)
    assert describe(second) == ["stage Новая→Квалификация", "note note@2", "call call@1"]
    assert before2 == at(1)
    assert describe(third) == ["stage ·→Новая"]
    assert before3 is None


def test_entries_of_the_same_instant_stay_on_one_page(personas, stages):
    company = factories.company(personas.alice)
    for n in range(3):
        services.activity_log(
            actor=personas.alice,
            data={"kind": "note", "body": f"n{n}", "occurred_at": at(1), "company": company},
        )
    log(personas.alice, "call", 0, company=company)

    page, before = queries.timeline(personas.alice, company=company, limit=2)
    rest, end = queries.timeline(personas.alice, company=company, limit=2, before=before)

    assert [e.activity.body for e in page] == ["n2", "n1", "n0"]
    assert before == at(1)
    assert describe(rest) == ["call call@0"]
    assert end is None
