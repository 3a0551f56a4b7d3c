"""Deals with their product lines and stage history, in creation order.

Each deal gets a client, an owner, products, and an outcome decided by the
manager's skill and the source; then it walks through the stages with
realistic pauses and stops where "today" finds it. Clients remember what
their deals did, which later sets their owner, source and life-cycle stage.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from voronka.core.seeding import catalog
from voronka.core.seeding.clients import Clients
from voronka.core.seeding.leads import LeadPlan
from voronka.core.seeding.reference import Reference
from voronka.core.seeding.timeline import DAY, Clock, walk
from voronka.core.text import search_text

_CENT = Decimal("0.01")
_HUNDRED = Decimal("100")
_LOST_COMMENTS = [
    "", "", "", "Цена у конкурента ниже на 10–15 %", "Вернуться к разговору в следующем квартале",
    "Бюджет урезали", "Нужна была поставка за неделю", "Решение принял головной офис",
]  # fmt: skip


@dataclass
class ClientStats:
    """What the deals did to each client; indexes follow Clients.companies/contacts."""

    owner: list[int | None]
    source: list[int | None]
    first: list[float]
    won: list[int]
    open: list[int]
    lost: list[int]
    last_won: list[float]

    @classmethod
    def empty(cls, n: int) -> ClientStats:
        return cls([None] * n, [None] * n, [float("inf")] * n, [0] * n, [0] * n, [0] * n, [0.0] * n)

    def record(self, i: int, owner: int, source: int | None, created: float, status: str,
               closed: float) -> None:  # fmt: skip
        if self.owner[i] is None:
            self.owner[i] = owner
        if self.source[i] is None:
            self.source[i] = source
        self.first[i] = min(self.first[i], created)
        if status == "won":
            self.won[i] += 1
            self.last_won[i] = max(self.last_won[i], closed)
        elif status == "lost":
            self.lost[i] += 1
        else:
            self.open[i] += 1


@dataclass
class DealBatch:
    deals: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DealSpec:
    created: float
    lead: int  # lead index, or -1 for a deal made directly
    repeat: bool


def specs(rng: random.Random, clock: Clock, leads: LeadPlan, n_deals: int) -> list[DealSpec]:
    """Deals from qualified leads plus direct and repeat deals, ``n_deals`` in all."""
    out = [DealSpec(at, i, False) for i, at in enumerate(leads.qualified_at) if at is not None]
    for _ in range(n_deals - len(out)):
        out.append(DealSpec(clock.moment(), -1, rng.random() < 0.45))
    out.sort(key=lambda s: (s.created, s.lead))
    return out


def _lines(rng: random.Random, ref: Reference) -> tuple[str, Decimal, list[dict[str, Any]]]:
    main = rng.randrange(len(ref.products))
    product, category, typical = ref.products[main]
    title = f"{rng.choice(catalog.CATEGORY_TITLE[category])} {product.name}"
    if rng.random() < 0.22:
        amount = max(Decimal(1000), Decimal(round(float(product.price) * typical
                                                  * rng.uniform(0.4, 2.5), -3)))  # fmt: skip
        return title, amount.quantize(_CENT), []
    picks = [main]
    for _ in range(rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0]):
        extra = rng.randrange(len(ref.products))
        if extra not in picks:
            picks.append(extra)
    lines, amount = [], Decimal(0)
    for k in picks:
        product, _, typical = ref.products[k]
        quantity = Decimal(max(1, round(typical * rng.lognormvariate(0, 0.5))))
        discount = rng.choice(catalog.DISCOUNTS)
        price = product.price
        total = (quantity * price * (_HUNDRED - discount) / _HUNDRED).quantize(_CENT)
        amount += total
        lines.append(
            {"product_id": product.pk, "quantity": quantity, "price": price,
             "discount_percent": discount}
        )  # fmt: skip
    return title, amount, lines


def generate(
    *,
    rng: random.Random,
    clock: Clock,
    ref: Reference,
    clients: Clients,
    leads: LeadPlan,
    plan: list[DealSpec],
    base_id: int,
    company_stats: ClientStats,
    contact_stats: ClientStats,
    chunk: int,
) -> Iterator[DealBatch]:
    """Deal rows, their lines and stage history, ``chunk`` deals at a time."""
    managers = ref.managers
    manager_w = [m.weight for m in managers]
    source_ids = [ref.sources[s[0]].pk for s in catalog.SOURCES]
    win_factor = [catalog.SOURCE_WIN_FACTOR[s[0]] for s in catalog.SOURCES]
    direct_sources = [catalog.SOURCES.index(s) for s in catalog.SOURCES if s[1] != "import"]
    lost_ids = [r for r, _ in ref.lost_reasons]
    lost_w = [w for _, w in ref.lost_reasons]
    pipes = {False: ref.pipelines["sales"], True: ref.pipelines["repeat"]}
    n_companies = len(clients.companies)
    customers: list[int] = []
    wins: list[tuple[float, int]] = []  # (won at, company index), promoted as time passes
    batch = DealBatch()
    for n, spec in enumerate(plan):
        deal_id = base_id + n
        created = spec.created
        while wins and wins[0][0] <= created:
            customers.append(heapq.heappop(wins)[1])
        repeat = spec.repeat and bool(customers)
        if spec.lead >= 0:
            owner_i: int | None = leads.owner[spec.lead]
            source_i: int | None = leads.source[spec.lead]
        else:
            owner_i = source_i = None
        # the client
        contact_i = -1
        if repeat:
            company_i = rng.choice(customers)
        elif rng.random() < 0.08:
            company_i = -1
            contact_i = rng.choice(clients.individuals)
        else:
            # a few clients buy again and again: their cards have long histories
            company_i = int(n_companies * rng.random() ** 2.2)
        if company_i >= 0 and rng.random() < 0.93:
            contact_i = rng.choice(clients.company_contacts[company_i])
        stats_i = company_i if company_i >= 0 else contact_i
        stats = company_stats if company_i >= 0 else contact_stats
        if owner_i is None:
            known = stats.owner[stats_i]
            owner_i = (
                known
                if known is not None and rng.random() < 0.8
                else (rng.choices(range(len(managers)), manager_w)[0])
            )
        if source_i is None:
            source_i = stats.source[stats_i]
            if source_i is None and not repeat:
                source_i = rng.choice(direct_sources)
        manager = managers[owner_i]
        pipeline, stages = pipes[repeat]
        n_open = sum(1 for s in stages if s.kind == "open")
        title, amount, lines = _lines(rng, ref)
        p_win = 0.29 * manager.skill * (win_factor[source_i] if source_i is not None else 1.0)
        if repeat:
            p_win *= 1.7
        if amount > 1_500_000:
            p_win *= 0.8
        won = rng.random() < min(0.9, max(0.04, p_win))
        lost_at = rng.choices(range(n_open), (28, 26, 20, 16, 10)[:n_open])[0]
        step_days = (2.5 + min(12.0, float(amount) / 150_000)) * rng.uniform(0.6, 1.4)
        if repeat:
            step_days *= 0.7
        entries, cycle = walk(
            rng, created=created, n_open=n_open, won=won, lost_at=lost_at,
            step_days=step_days, now=clock.now,
        )  # fmt: skip
        last_stage = stages[entries[-1][0]]
        last_at = entries[-1][1]
        status = last_stage.kind
        company = clients.companies[company_i] if company_i >= 0 else None
        contact = clients.contacts[contact_i] if contact_i >= 0 else None
        deal = {
            "id": deal_id,
            "title": title,
            "pipeline_id": pipeline.pk,
            "stage_id": last_stage.pk,
            "status": status,
            "company_id": company["id"] if company else None,
            "contact_id": contact["id"] if contact else None,
            "lead_id": leads.base_id + spec.lead if spec.lead >= 0 else None,
            "owner_id": manager.id,
            "amount": amount,
            "expected_close_date": clock.as_date(
                created + cycle * rng.uniform(0.8, 1.25) + 3 * DAY
            ),
            "closed_at": clock.as_dt(last_at) if status != "open" else None,
            "stage_entered_at": clock.as_dt(last_at),
            "source_id": source_ids[source_i] if source_i is not None else None,
            "created_at": clock.as_dt(created),
            "updated_at": clock.as_dt(last_at),
            "created_by_id": manager.id,
            "version": len(entries),
            # the same arguments as sales.services._deal_search_text
            "search_text": search_text(
                title, company["name"] if company else "", contact["full_name"] if contact else ""
            ),
        }
        if status == "lost":
            deal["lost_reason_id"] = rng.choices(lost_ids, lost_w)[0]
            deal["lost_comment"] = rng.choice(_LOST_COMMENTS)
        batch.deals.append(deal)
        for line in lines:
            line["deal_id"] = deal_id
            batch.lines.append(line)
        previous = None
        for stage_i, at in entries:
            stage = stages[stage_i]
            batch.history.append(
                {"deal_id": deal_id, "from_stage_id": previous, "to_stage_id": stage.pk,
                 "moved_by_id": manager.id, "moved_at": clock.as_dt(at)}
            )  # fmt: skip
            previous = stage.pk
        stats.record(stats_i, owner_i, source_i, created, status, last_at)
        if company_i >= 0 and contact_i >= 0:
            contact_stats.record(contact_i, owner_i, source_i, created, status, last_at)
        if status == "won" and company_i >= 0:
            heapq.heappush(wins, (last_at, company_i))
        if spec.lead >= 0:
            leads.deal_of[spec.lead] = (deal_id, company_i, contact_i)
        if len(batch.deals) >= chunk:
            yield batch
            batch = DealBatch()
    if batch.deals:
        yield batch
