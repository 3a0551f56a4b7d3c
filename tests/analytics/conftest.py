"""Shared helpers of the KPI tests: a frozen clock, datasets built through the real services,
computing a KPI both ways, and comparing the kept rollups with a rebuild.

How time is controlled: every timestamp the KPIs read is written by a service from
``django.utils.timezone.now()`` — ``created_at`` is ``auto_now_add``, ``closed_at``,
``stage_entered_at`` and the stage history's ``moved_at`` come from ``_enter_stage``,
``completed_at`` from ``task_complete``, ``deleted_at`` from ``soft_delete``. The ``clock``
fixture patches that one function for the whole test, and every helper of :class:`World`
sets the clock to the moment given before it calls a service. So each record, its stage
history and the rollups the services keep all carry exactly the moments the test names, and
no row is edited behind the services' backs (no ``QuerySet.update()``, hence no rebuild is
needed to make the rollups right — which is itself what the rollup tests check).

Moments are written in the organisation's time zone (Europe/Moscow, UTC+3) with :func:`msk`,
or in UTC with :func:`utc` where a test is about the day boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.conftest import Personas
from voronka.analytics import engine
from voronka.analytics.models import (
    ActivityDayTotal,
    ClientSpell,
    DealDayTotal,
    FunnelDayTotal,
    LeadDayTotal,
    OpenSpell,
)
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.analytics.values import Result

MOSCOW = ZoneInfo("Europe/Moscow")


def msk(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment on the organisation's wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def utc(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Clock:
    """What ``timezone.now()`` returns while the test runs; moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def set(self, when: datetime) -> datetime:
        self.now = when.astimezone(UTC)
        return self.now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock(msk(2026, 1, 5, 9))
    monkeypatch.setattr("django.utils.timezone.now", frozen)
    return frozen


def fresh(record: Any) -> Any:
    """The record as the database holds it now (services check its version)."""
    return type(record).all_objects.get(pk=record.pk)


@dataclass
class World:
    """Writes through the services at given moments; the head of sales acts unless told."""

    people: Personas
    stages: dict[str, Any]
    pipeline: Any
    lost_reason: Any
    source: Any
    clock: Clock

    def at(self, when: datetime) -> None:
        self.clock.set(when)

    def deal(self, owner: Any, when: datetime, amount: str | Decimal = "10000", **data: Any) -> Any:
        self.at(when)
        data.setdefault("actor", self.people.head)
        return factories.deal(owner, amount=Decimal(amount), **data)

    def move(self, deal: Any, stage: str, when: datetime, **extra: Any) -> Any:
        from voronka.sales.services import deal_move_stage

        self.at(when)
        current = fresh(deal)
        if self.stages[stage].kind == "lost":
            extra.setdefault("lost_reason", self.lost_reason)
        return deal_move_stage(
            actor=self.people.head, deal=current, stage=self.stages[stage],
            version=current.version, **extra,
        )  # fmt: skip

    def win(self, deal: Any, when: datetime, **extra: Any) -> Any:
        return self.move(deal, "won", when, **extra)

    def lose(self, deal: Any, when: datetime) -> Any:
        return self.move(deal, "lost", when)

    def won_deal(
        self, owner: Any, created: datetime, won: datetime, amount: str = "10000", **data: Any
    ) -> Any:
        return self.win(self.deal(owner, created, amount, **data), won)

    def update(self, deal: Any, when: datetime, **data: Any) -> Any:
        from voronka.sales.services import deal_update

        self.at(when)
        current = fresh(deal)
        return deal_update(actor=self.people.head, deal=current, version=current.version, data=data)

    def delete(self, record: Any, when: datetime) -> Any:
        from voronka.sales import services

        self.at(when)
        current = fresh(record)
        remove = services.deal_delete if type(record).__name__ == "Deal" else services.lead_delete
        return remove(actor=self.people.head, **{_name(record): current}, version=current.version)

    def restore(self, record: Any, when: datetime) -> Any:
        from voronka.sales import services

        self.at(when)
        current = fresh(record)
        bring_back = (
            services.deal_restore if type(record).__name__ == "Deal" else services.lead_restore
        )
        return bring_back(actor=self.people.head, **{_name(record): current})

    def lead(self, owner: Any, when: datetime, **data: Any) -> Any:
        self.at(when)
        data.setdefault("actor", self.people.head)
        return factories.lead(owner, **data)

    def qualify(self, lead: Any, when: datetime, amount: str = "10000", **extra: Any) -> Any:
        from voronka.sales.services import lead_qualify

        self.at(when)
        current = fresh(lead)
        return lead_qualify(
            actor=self.people.head, lead=current, version=current.version,
            amount=Decimal(amount), **extra,
        )  # fmt: skip


def _name(record: Any) -> str:
    return type(record).__name__.lower()


@pytest.fixture
def world(personas, pipeline, stages, lost_reason, source, clock) -> World:
    return World(personas, stages, pipeline, lost_reason, source, clock)


def report(
    actor: Any,
    ids: Iterable[str],
    start: date,
    end: date,
    *,
    by: str | None = None,
    filters: Filters | None = None,
    now: datetime | None = None,
) -> engine.Report:
    """A report from the rollups; the same report read from the records must be identical."""
    args: dict[str, Any] = {
        "actor": actor, "ids": list(ids), "period": Period(start, end), "by": by,
        "filters": filters, "now": now,
    }  # fmt: skip
    kept = engine.compute(**args)
    direct = engine.compute(**args, direct=True)
    assert kept.as_json() == direct.as_json()
    return kept


def kpi(actor: Any, kpi_id: str, start: date, end: date, **kwargs: Any) -> Result:
    """One KPI of :func:`report`."""
    return report(actor, [kpi_id], start, end, **kwargs)[kpi_id]


def groups(result: Result) -> dict[str | None, Any]:
    """The groups' headline values by key."""
    return {g.key: g.value.value for g in result.groups or []}


# The rollups, row by row -----------------------------------------------------------------------

_ROLLUP_FIELDS = {
    DealDayTotal: (
        "day", "event", "owner_id", "pipeline_id", "source_id", "count", "amount", "cycle_us",
        "with_lead", "lead_cycle_us", "with_expected", "late",
    ),
    LeadDayTotal: ("day", "owner_id", "source_id", "count", "with_deal", "with_won_deal"),
    FunnelDayTotal: (
        "day", "owner_id", "pipeline_id", "source_id", "stage_id", "reached", "left", "stay_us",
    ),
    ActivityDayTotal: ("day", "author_id", "count"),
    ClientSpell: ("company_id", "contact_id", "person_id", "after", "until"),
    OpenSpell: (
        "deal_id", "owner_id", "pipeline_id", "source_id", "stage_id", "after", "until",
        "amount", "expected_close_date",
    ),
}  # fmt: skip
_KEY_LENGTH = {
    DealDayTotal: 5, LeadDayTotal: 3, FunnelDayTotal: 5, ActivityDayTotal: 2, ClientSpell: 3,
    OpenSpell: 7,
}  # fmt: skip


def rollup_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row that holds something, as sorted tuples (a row of zeros says nothing)."""
    out = {}
    for model, names in _ROLLUP_FIELDS.items():
        rows = []
        for row in model.objects.values_list(*names):
            amounts = row[_KEY_LENGTH[model] :]
            if any(amounts):
                rows.append(row)
        out[model.__name__] = sorted(rows, key=repr)
    return out


def assert_rollups_exact() -> None:
    """What the services kept equals what a rebuild from the records writes."""
    from voronka.analytics import facts

    kept = rollup_rows()
    facts.rebuild()
    assert rollup_rows() == kept
