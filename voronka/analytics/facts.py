"""Each deal's and lead's contribution to the KPI rollups, and keeping the rollups exact.

A record contributes a few numbers to a few rollup rows (its creation day, its
closing day, every stage it reached). A service that changes a deal or a lead
takes the record's contributions before and after the change and applies the
difference in its own transaction (:func:`snapshot`, :func:`settle`); the rebuild sums the same
contributions over every record, so both paths agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from voronka.analytics import spells
from voronka.analytics.models import (
    ActivityDayTotal,
    DealDayTotal,
    FunnelDayTotal,
    LeadDayTotal,
)
from voronka.analytics.spells import ClientKey, client_key
from voronka.core import increments, organisation
from voronka.core.money import cents

CENT = Decimal("0.01")

# (rollup, dimensions...) → {field: amount}
Key = tuple[Any, ...]
Facts = dict[Key, dict[str, Any]]


@dataclass(frozen=True)
class DealRow:
    created_at: datetime
    closed_at: datetime | None
    status: str
    owner_id: int
    pipeline_id: int
    source_id: int | None
    amount: Decimal  # in the base currency, rounded to cents
    expected_close_date: date | None
    lead_created_at: datetime | None


@dataclass(frozen=True)
class LeadRow:
    created_at: datetime
    owner_id: int | None
    source_id: int | None
    with_deal: bool
    with_won_deal: bool


def micros(delta: Any) -> int:
    """A time difference in whole microseconds (how the rollups sum durations exactly)."""
    return int(delta.total_seconds() * 1_000_000) if delta.days >= 0 else -micros(-delta)


def deal_facts(row: DealRow, entries: Iterable[tuple[int, datetime]], tz: ZoneInfo) -> Facts:
    """What one alive deal adds to the rollups; ``entries`` are its stage entries in order."""
    facts: Facts = {}
    dims = (row.owner_id, row.pipeline_id, row.source_id)
    created_day = row.created_at.astimezone(tz).date()
    facts[("deal", created_day, DealDayTotal.Event.CREATED, *dims)] = {
        "count": 1,
        "amount": row.amount,
    }
    if row.status in ("won", "lost") and row.closed_at is not None:
        closed_day = row.closed_at.astimezone(tz).date()
        closed: dict[str, Any] = {
            "count": 1,
            "amount": row.amount,
            "cycle_us": micros(row.closed_at - row.created_at),
        }
        if row.lead_created_at is not None:
            closed["with_lead"] = 1
            closed["lead_cycle_us"] = micros(row.closed_at - row.lead_created_at)
        if row.expected_close_date is not None:
            closed["with_expected"] = 1
            closed["late"] = int(closed_day > row.expected_close_date)
        facts[("deal", closed_day, row.status, *dims)] = closed
    ordered = list(entries)
    for i, (stage_id, entered) in enumerate(ordered):
        key = ("funnel", created_day, *dims, stage_id)
        part = facts.setdefault(key, {"reached": 1, "left": 0, "stay_us": 0})
        if i + 1 < len(ordered):
            part["left"] = 1
            part["stay_us"] += micros(ordered[i + 1][1] - entered)
    return facts


def lead_facts(row: LeadRow, tz: ZoneInfo) -> Facts:
    day = row.created_at.astimezone(tz).date()
    return {
        ("lead", day, row.owner_id, row.source_id): {
            "count": 1,
            "with_deal": int(row.with_deal),
            "with_won_deal": int(row.with_won_deal),
        }
    }


# Reading a record's current state -------------------------------------------------------------


def current_facts(*, deal_ids: Iterable[int] = (), lead_ids: Iterable[int] = ()) -> Facts:
    """The contributions of these records as the database holds them now."""
    from voronka.sales.models import Deal, Lead

    tz = organisation.current().tz
    total: Facts = {}
    deal_ids = sorted(set(deal_ids))
    lead_ids = sorted(set(lead_ids))
    for i in range(0, len(deal_ids), 500):
        for part in _deal_parts(tz, Deal.objects.filter(pk__in=deal_ids[i : i + 500]), by_ids=True):
            _merge(total, part)
    for i in range(0, len(lead_ids), 500):
        for part in _lead_parts(tz, Lead.objects.filter(pk__in=lead_ids[i : i + 500])):
            _merge(total, part)
    return total


def _merge(into: Facts, facts: Facts, sign: int = 1) -> None:
    for key, values in facts.items():
        slot = into.setdefault(key, {})
        for name, amount in values.items():
            slot[name] = slot.get(name, 0) + sign * amount


# Applying differences ------------------------------------------------------------------------

_ROLLUPS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "deal": (DealDayTotal, ("day", "event", "owner_id", "pipeline_id", "source_id")),
    "lead": (LeadDayTotal, ("day", "owner_id", "source_id")),
    "funnel": (FunnelDayTotal, ("day", "owner_id", "pipeline_id", "source_id", "stage_id")),
    "activity": (ActivityDayTotal, ("day", "author_id")),
}


def _key_fields(key: Key) -> tuple[Any, dict[str, Any]]:
    model, names = _ROLLUPS[key[0]]
    return model, dict(zip(names, key[1:], strict=True))


def apply(before: Facts, after: Facts, *, known: dict[Any, int] | None = None) -> None:
    """Move the records' contributions from ``before`` to ``after``.

    Rows change by increments (``count = count + 1``), so two transactions moving the
    same row both count (see :mod:`voronka.core.increments`).
    """
    change: Facts = {}
    _merge(change, after)
    _merge(change, before, -1)
    by_model: dict[Any, dict[tuple[Any, ...], dict[str, Any]]] = defaultdict(dict)
    for key, values in change.items():
        model, names = _ROLLUPS[key[0]]
        by_model[key[0]][tuple(key[1:])] = values
    for kind, changes in by_model.items():
        model, names = _ROLLUPS[kind]
        increments.add(model, names, changes, by="day", known=known)


@dataclass
class Snapshot:
    """A deal's or a lead's contributions before a change (see :func:`snapshot`)."""

    deal_ids: list[int]
    lead_ids: set[int]
    facts: Facts
    clients: set[ClientKey]


def snapshot(*, deal: Any = None, lead: Any = None) -> Snapshot:
    """Read the record's contributions (and its lead's) before a service changes it.

    Call inside the service's transaction, before the change; :func:`settle`
    after it applies the difference. A record not saved yet contributes nothing.
    """
    deal_ids = [deal.pk] if deal is not None and deal.pk else []
    lead_ids: set[int] = set()
    clients: set[ClientKey] = set()
    if lead is not None and lead.pk:
        lead_ids.add(lead.pk)
    if deal_ids:
        from voronka.sales.models import Deal

        row = Deal.all_objects.filter(pk=deal.pk).values("lead_id", "company_id", "contact_id")[0]
        if row["lead_id"]:
            lead_ids.add(row["lead_id"])
        clients.add(client_key(row["company_id"], row["contact_id"]))
    facts = current_facts(deal_ids=deal_ids, lead_ids=lead_ids)
    return Snapshot(deal_ids, lead_ids, facts, clients)


def settle(before: Snapshot, *, deal: Any = None, lead: Any = None) -> None:
    """Apply the difference between ``before`` and the records as they are now."""
    deal_ids = list(before.deal_ids)
    lead_ids = set(before.lead_ids)
    clients = set(before.clients)
    if deal is not None:
        deal_ids = [deal.pk]
        if deal.lead_id:
            lead_ids.add(deal.lead_id)
        clients.add(client_key(deal.company_id, deal.contact_id))
    if lead is not None:
        lead_ids.add(lead.pk)
    apply(before.facts, current_facts(deal_ids=deal_ids, lead_ids=lead_ids))
    spells.refresh_deals(deal_ids)
    spells.refresh_clients(clients)


# Interactions: counted per author and day; they also make their client active ---------------


def activity_facts(activity: Any, tz: ZoneInfo) -> Facts:
    day = activity.occurred_at.astimezone(tz).date()
    return {("activity", day, activity.author_id): {"count": 1}}


def activity_logged(activity: Any) -> None:
    """An activity was logged (or restored): count it, and recompute its client's spells."""
    apply({}, activity_facts(activity, organisation.current().tz))
    spells.refresh_clients({client_key(activity.company_id, activity.contact_id)})


def activity_removed(activity: Any) -> None:
    """An activity was deleted: it counts no more, and its client may not have been active."""
    apply(activity_facts(activity, organisation.current().tz), {})
    spells.refresh_clients({client_key(activity.company_id, activity.contact_id)})


# Rebuilding from the records -----------------------------------------------------------------


def _deal_parts(
    tz: ZoneInfo, deals_qs: Any, *, by_ids: bool = False, chunk: int = 20_000
) -> Iterator[Facts]:
    """The contributions of the alive deals of ``deals_qs``, a chunk at a time."""
    from voronka.sales.models import StageHistory

    last = 0
    while True:
        deals = list(
            deals_qs.filter(pk__gt=last)
            .order_by("pk")
            .values(
                "pk", "created_at", "closed_at", "status", "owner_id", "pipeline_id",
                "source_id", "amount", "exchange_rate", "expected_close_date",
                "lead__created_at",
            )[:chunk]
        )  # fmt: skip
        if not deals:
            break
        last = deals[-1]["pk"]
        history = StageHistory.objects.order_by("deal_id", "moved_at", "pk")
        if by_ids:
            history = history.filter(deal_id__in=[d["pk"] for d in deals])
        else:
            history = history.filter(deal_id__gte=deals[0]["pk"], deal_id__lte=last)
        entries: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for deal_id, stage_id, moved_at in history.values_list(
            "deal_id", "to_stage_id", "moved_at"
        ):
            entries[deal_id].append((stage_id, moved_at))
        part: Facts = {}
        for d in deals:
            row = DealRow(
                d["created_at"], d["closed_at"], d["status"], d["owner_id"], d["pipeline_id"],
                d["source_id"], cents(d["amount"] * d["exchange_rate"]),
                d["expected_close_date"], d["lead__created_at"],
            )  # fmt: skip
            _merge(part, deal_facts(row, entries.get(d["pk"], ()), tz))
        yield part
        if len(deals) < chunk:
            break


def _lead_parts(tz: ZoneInfo, leads_qs: Any, chunk: int = 20_000) -> Iterator[Facts]:
    """The contributions of the alive leads of ``leads_qs``, a chunk at a time."""
    from voronka.sales.models import Deal

    last = 0
    while True:
        leads = list(
            leads_qs.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "created_at", "owner_id", "source_id")[:chunk]
        )
        if not leads:
            break
        last = leads[-1][0]
        statuses: dict[int, set[str]] = defaultdict(set)
        ids = [pk for pk, *_ in leads]
        for i in range(0, len(ids), 5000):
            for lead_id, status in (
                Deal.objects.filter(lead_id__in=ids[i : i + 5000])
                .values_list("lead_id", "status")
                .distinct()
            ):
                statuses[lead_id].add(status)
        part: Facts = {}
        for pk, created_at, owner_id, source_id in leads:
            known = statuses.get(pk, set())
            lead = LeadRow(created_at, owner_id, source_id, bool(known), "won" in known)
            _merge(part, lead_facts(lead, tz))
        yield part
        if len(leads) < chunk:
            break


def _all_facts(tz: ZoneInfo) -> Iterator[Facts]:
    from voronka.activities.models import Activity
    from voronka.sales.models import Deal, Lead

    yield from _deal_parts(tz, Deal.objects.all())
    part: Facts = {}
    for day, author_id, n in (
        Activity.objects.annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .order_by()
        .values_list("day", "author_id")
        .annotate(n=Count("pk"))
    ):
        part[("activity", day, author_id)] = {"count": n}
    yield part
    yield from _lead_parts(tz, Lead.objects.all())


@transaction.atomic
def rebuild() -> int:
    """Recompute every KPI rollup from the records; returns the number of rows written."""
    tz = organisation.current().tz
    total: Facts = {}
    for part in _all_facts(tz):
        _merge(total, part)
    for model, _names in _ROLLUPS.values():
        model.objects.all().delete()
    batches: dict[Any, list[Any]] = defaultdict(list)
    for key, values in total.items():
        model, where = _key_fields(key)
        batches[model].append(model(**where, **values))
    written = 0
    for model, rows in batches.items():
        model.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written + spells.rebuild()
