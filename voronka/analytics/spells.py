"""Stretches of time the point-in-time KPIs read: when a client is active, when a deal
sits in an open stage.

"Active clients" and "open pipeline as of a past moment" are questions about a moment,
not a period, so they cannot be summed from day rows. Instead every client keeps the
spells in which it counts as active, and every deal the stays in which it was open; a
KPI as of ``M`` counts the rows whose (after, until] holds ``M``. Each row is a pure
function of its records, recomputed by the services that change them and by
:func:`rebuild`, so the answer equals the one read from the records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Max, Q

from voronka.analytics.models import ClientSpell, OpenSpell
from voronka.core.money import cents

ACTIVE_WINDOW = timedelta(days=90)
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
CHUNK = 20_000

ClientKey = tuple[str, int] | None


def client_key(company_id: int | None, contact_id: int | None) -> ClientKey:
    """A client is its company, or the contact of a record without a company."""
    if company_id:
        return ("company", company_id)
    if contact_id:
        return ("contact", contact_id)
    return None


def active_spells(times: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """The union of (t, t + 90 days] over the interactions ``times``, as disjoint spells.

    Active at M means an interaction in [M − 90 days, M), that is t < M ≤ t + 90 days.
    """
    spells: list[tuple[datetime, datetime]] = []
    for t in sorted(times):
        if spells and t <= spells[-1][1]:
            spells[-1] = (spells[-1][0], max(spells[-1][1], t + ACTIVE_WINDOW))
        else:
            spells.append((t, t + ACTIVE_WINDOW))
    return spells


def open_stays(
    entries: list[tuple[int, datetime]], open_stages: set[int]
) -> list[tuple[int, datetime, datetime]]:
    """A deal's stays in open stages as (stage, after, until]: the stage it was in at M is
    the last one entered before M."""
    stays = []
    for i, (stage_id, entered) in enumerate(entries):
        if stage_id in open_stages:
            until = entries[i + 1][1] if i + 1 < len(entries) else FAR_FUTURE
            stays.append((stage_id, entered, until))
    return stays


# Keeping them ---------------------------------------------------------------------------------


def _client_times(kind: str, which: dict[str, Any]) -> dict[tuple[int, int | None], list[datetime]]:
    """Every interaction time of the clients of ``kind`` whose id matches the lookups
    ``which`` (``{"id__in": [...]}``), by client id and person: an activity's author, a
    deal's owner (for its creation and its moves), a request's assignee (for its arrival;
    no one while it waits unassigned), an order's manager (for its arrival and each change
    of its status)."""
    from voronka.activities.models import Activity
    from voronka.orders.models import Order, StatusChange
    from voronka.sales.models import Deal, StageHistory
    from voronka.service.models import Request

    def on(prefix: str) -> Q:
        # The same condition on the client's id, reached through ``prefix``.
        return Q(**{f"{prefix}{kind}_{name}": value for name, value in which.items()})

    no_company = Q() if kind == "company" else Q(company__isnull=True)
    times: dict[tuple[int, int | None], list[datetime]] = defaultdict(list)
    activities = Activity.objects.filter(on(""), no_company)
    deals = Deal.objects.filter(on(""), no_company)
    requests = Request.objects.filter(on(""), no_company)
    moves = StageHistory.objects.filter(
        on("deal__"),
        Q() if kind == "company" else Q(deal__company__isnull=True),
        deal__deleted_at__isnull=True,
    )
    owner, deal_owner = f"{kind}_id", f"deal__{kind}_id"
    for pk, person, at in activities.order_by().values_list(owner, "author_id", "occurred_at"):
        times[(pk, person)].append(at)
    for pk, person, at in deals.order_by().values_list(owner, "owner_id", "created_at"):
        times[(pk, person)].append(at)
    for pk, person, at in moves.order_by().values_list(deal_owner, "deal__owner_id", "moved_at"):
        times[(pk, person)].append(at)
    for pk, person, at in requests.order_by().values_list(owner, "assignee_id", "created_at"):
        times[(pk, person)].append(at)
    orders = Order.objects.filter(on(""), no_company)
    changes = StatusChange.objects.filter(
        on("order__"),
        Q() if kind == "company" else Q(order__company__isnull=True),
        order__deleted_at__isnull=True,
    )
    for pk, person, at in orders.order_by().values_list(owner, "owner_id", "created_at"):
        times[(pk, person)].append(at)
    order_owner = f"order__{kind}_id"
    for pk, person, at in changes.order_by().values_list(order_owner, "order__owner_id",
                                                         "changed_at"):  # fmt: skip
        times[(pk, person)].append(at)
    return times


def _client_rows(kind: str, which: dict[str, Any]) -> list[ClientSpell]:
    rows = []
    everyone: dict[int, list[datetime]] = defaultdict(list)
    for (pk, person), times in _client_times(kind, which).items():
        everyone[pk] += times
        if person is None:
            # Touched by no one in particular (a request nobody took yet): it counts in the
            # rows of everyone's interactions only, which carry no person either.
            continue
        for after, until in active_spells(times):
            rows.append(
                ClientSpell(**{f"{kind}_id": pk}, person_id=person, after=after, until=until)
            )
    for pk, times in everyone.items():
        for after, until in active_spells(times):
            rows.append(ClientSpell(**{f"{kind}_id": pk}, person_id=None, after=after, until=until))
    return rows


def refresh_clients(keys: Iterable[ClientKey]) -> None:
    """Recompute the active spells of these clients from their records."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key in set(keys):
        if key is not None:
            by_kind[key[0]].append(key[1])
    for kind, ids in by_kind.items():
        ClientSpell.objects.filter(**{f"{kind}_id__in": ids}).delete()
        ClientSpell.objects.bulk_create(_client_rows(kind, {"id__in": ids}))


def _open_stages() -> set[int]:
    from voronka.sales.models import Stage

    return set(Stage.objects.filter(kind="open").values_list("pk", flat=True))


def _deal_rows(deals: list[dict[str, Any]], open_stages: set[int]) -> list[OpenSpell]:
    from voronka.sales.models import StageHistory

    if not deals:
        return []
    entries: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for deal_id, stage_id, moved_at in (
        StageHistory.objects.filter(deal_id__in=[d["pk"] for d in deals])
        .order_by("deal_id", "moved_at", "pk")
        .values_list("deal_id", "to_stage_id", "moved_at")
    ):
        entries[deal_id].append((stage_id, moved_at))
    rows = []
    for d in deals:
        amount = cents(d["amount"] * d["exchange_rate"])
        for stage_id, after, until in open_stays(entries.get(d["pk"], []), open_stages):
            rows.append(
                OpenSpell(
                    deal_id=d["pk"], owner_id=d["owner_id"], pipeline_id=d["pipeline_id"],
                    source_id=d["source_id"], stage_id=stage_id, amount=amount,
                    expected_close_date=d["expected_close_date"], after=after, until=until,
                )
            )  # fmt: skip
    return rows


DEAL_COLUMNS = (
    "pk", "owner_id", "pipeline_id", "source_id", "amount", "exchange_rate", "expected_close_date",
)  # fmt: skip


def refresh_deals(deal_ids: Iterable[int]) -> None:
    """Recompute the open stays of these deals (none for a deleted deal)."""
    from voronka.sales.models import Deal

    ids = list(set(deal_ids))
    if not ids:
        return
    OpenSpell.objects.filter(deal_id__in=ids).delete()
    deals = list(Deal.objects.filter(pk__in=ids).values(*DEAL_COLUMNS))
    OpenSpell.objects.bulk_create(_deal_rows(deals, _open_stages()))


def rebuild() -> int:
    """Recompute every spell from the records, a chunk of clients or deals at a time."""
    from voronka.clients.models import Company, Contact
    from voronka.sales.models import Deal

    ClientSpell.objects.all().delete()
    OpenSpell.objects.all().delete()
    written = 0
    for kind, model in (("company", Company), ("contact", Contact)):
        top = model.all_objects.aggregate(m=Max("pk"))["m"] or 0
        for start in range(0, top + 1, CHUNK):
            spells = _client_rows(kind, {"id__gte": start, "id__lt": start + CHUNK})
            ClientSpell.objects.bulk_create(spells, batch_size=5000)
            written += len(spells)
    open_stages = _open_stages()
    last = 0
    while True:
        deals = list(Deal.objects.filter(pk__gt=last).order_by("pk").values(*DEAL_COLUMNS)[:CHUNK])
        if not deals:
            break
        last = deals[-1]["pk"]
        rows = _deal_rows(deals, open_stages)
        OpenSpell.objects.bulk_create(rows, batch_size=5000)
        written += len(rows)
    return written
