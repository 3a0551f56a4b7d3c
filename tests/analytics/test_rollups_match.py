"""On random sales history made through the services, the KPIs read from the rollups equal
the KPIs read from the records, and a rebuild leaves the rollups exactly as the services kept
them.

The history is plain seeded ``random.Random`` (several seeds), so a failure names its seed and
replays exactly.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.analytics.conftest import assert_rollups_exact, fresh, msk
from voronka.analytics import engine
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.sales import services
from voronka.sales.models import LeadSource, Pipeline, Product

START = msk(2026, 1, 1, 0)
NOW = msk(2026, 5, 20, 12)
# Sales KPIs with a rollup path, and the open pipeline (read from the board totals now).
COMPARED = [
    k for k, spec in engine.KPIS.items()
    if spec.fn.__module__ == "voronka.analytics.sales"
]  # fmt: skip
OTHER_STAGES = [
    {"name": "Заявка", "probability": 20}, {"name": "Договор", "probability": 60},
    {"name": "Оплачено", "probability": 100, "kind": "won"},
    {"name": "Отказ", "probability": 0, "kind": "lost"},
]  # fmt: skip


def _amount(rnd: random.Random) -> Decimal:
    # Any amount down to the kopeck: fractions of a rouble weighted by a stage probability
    # and half-kopeck roundings must agree between the two paths.
    return Decimal(rnd.randrange(1, 1_000_000)) / 100


def _later(rnd: random.Random, when, days: int = 12):
    return when + timedelta(days=rnd.randrange(0, days), seconds=rnd.randrange(1, 86_400))


def _history(world, rnd: random.Random, n_deals: int, n_leads: int) -> None:
    p = world.people
    head = p.head
    owners = [p.alice, p.bob, p.lead, p.outsider, p.head]
    second_source = LeadSource.objects.create(name="Выставка", kind="event")
    sources = [None, world.source, second_source]
    other = services.pipeline_create(actor=p.admin, name="Партнёры", stages=OTHER_STAGES)
    pipelines = {
        world.pipeline.pk: list(world.pipeline.stages.order_by("position")),
        other.pk: list(other.stages.order_by("position")),
    }
    world.at(START - timedelta(days=1))
    products = [factories.product(p.admin, price=Decimal(rnd.randrange(1, 200) * 20))
                for _ in range(3)]  # fmt: skip
    clients = {o.pk: [factories.company(o), factories.company(o), factories.contact(o)]
               for o in owners}  # fmt: skip

    for _ in range(n_leads):
        when = START + timedelta(days=rnd.randrange(0, 130), seconds=rnd.randrange(86_400))
        lead = world.lead(rnd.choice(owners), when, source=rnd.choice(sources))
        if rnd.random() < 0.15:
            world.delete(lead, _later(rnd, when))
            if rnd.random() < 0.5:
                world.restore(lead, _later(rnd, when + timedelta(days=12)))

    for _ in range(n_deals):
        owner = rnd.choice(owners)
        when = START + timedelta(days=rnd.randrange(0, 120), seconds=rnd.randrange(86_400))
        pipeline_id = rnd.choice(list(pipelines))
        stages = pipelines[pipeline_id]
        opens = [s for s in stages if s.kind == "open"]
        won = next(s for s in stages if s.kind == "won")
        lost = next(s for s in stages if s.kind == "lost")
        if rnd.random() < 0.3:
            lead = world.lead(owner, when, source=rnd.choice(sources))
            when = _later(rnd, when, 5)
            deal = world.qualify(lead, when, str(_amount(rnd)), pipeline=stages[0].pipeline)
        else:
            data = {
                "pipeline": stages[0].pipeline, "source": rnd.choice(sources),
                "client": rnd.choice(clients[owner.pk]),
            }  # fmt: skip
            if rnd.random() < 0.3:
                data["expected_close_date"] = (when + timedelta(days=rnd.randrange(40))).date()
            if rnd.random() < 0.2:
                data.update(currency="USD", exchange_rate=Decimal(rnd.randrange(80, 100)))
            if rnd.random() < 0.15:
                data["lines"] = [{"product": rnd.choice(products), "quantity": rnd.randrange(1, 4)}]
            deal = world.deal(owner, when, str(_amount(rnd)), **data)
        for _step in range(rnd.randrange(0, 6)):
            when = _later(rnd, when)
            world.at(when)
            current = fresh(deal)
            roll = rnd.random()
            if current.deleted_at is not None:
                if roll < 0.5:
                    services.deal_restore(actor=head, deal=current)
                continue
            if roll < 0.25:
                stage = rnd.choice([s for s in opens if s.pk != current.stage_id] or opens)
                services.deal_move_stage(actor=head, deal=current, stage=stage,
                                         version=current.version)  # fmt: skip
            elif roll < 0.55:
                services.deal_move_stage(actor=head, deal=current, stage=won,
                                         version=current.version)  # fmt: skip
            elif roll < 0.65:
                services.deal_move_stage(
                    actor=head,
                    deal=current,
                    stage=lost,
                    version=current.version,
                    lost_reason=world.lost_reason,
                )
            elif roll < 0.75:
                services.deal_update(actor=head, deal=current, version=current.version,
                                     data={"owner": rnd.choice(owners)})  # fmt: skip
            elif roll < 0.82 and not current.lines.exists():
                services.deal_update(actor=head, deal=current, version=current.version,
                                     data={"amount": _amount(rnd)})  # fmt: skip
            elif roll < 0.9:
                line = current.lines.first()
                if line is None:
                    services.deal_line_add(actor=head, deal=current, version=current.version,
                                           line={"product": rnd.choice(products)})  # fmt: skip
                else:
                    services.deal_line_remove(
                        actor=head, deal=current, version=current.version, line_id=line.pk
                    )
            else:
                services.deal_delete(actor=head, deal=current, version=current.version)
    world.at(NOW)


def _combinations(world):
    p = world.people
    jan, feb, mar, apr = (Period(date(2026, m, 1), date(2026, m + 1, 1) - timedelta(days=1))
                          for m in (1, 2, 3, 4))  # fmt: skip
    q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
    all_time = Period(date(2025, 12, 1), date(2026, 6, 30))
    one_day = Period(date(2026, 2, 14), date(2026, 2, 14))
    week = Period(date(2026, 3, 9), date(2026, 3, 15))
    second = Pipeline.objects.get(name="Партнёры")
    product = Product.objects.order_by("pk").first()
    yield p.head, all_time, None, Filters()
    for by in ("manager", "team", "source", "pipeline", "month", "week", "quarter"):
        yield p.head, q1, by, Filters()
    yield p.head, mar, "day", Filters()
    yield p.head, jan, "stage", Filters()
    yield p.head, feb, "client", Filters()
    yield p.head, apr, "product", Filters()
    yield p.head, one_day, None, Filters()
    yield p.alice, week, "month", Filters()
    yield p.lead, all_time, "manager", Filters()
    yield p.outsider, q1, "source", Filters()
    yield p.head, all_time, "month", Filters(manager=p.bob.pk)
    yield p.head, q1, "source", Filters(pipeline=second.pk)
    yield p.lead, all_time, "team", Filters(source=world.source.pk)
    yield p.head, q1, None, Filters(product=product.pk)


@pytest.mark.parametrize("seed", [11, 22])
def test_rollups_and_records_give_the_same_kpis_on_random_history(world, seed):
    rnd = random.Random(seed)
    _history(world, rnd, n_deals=45, n_leads=15)
    assert_rollups_exact()
    for actor, period, by, filters in _combinations(world):
        args = {"actor": actor, "ids": COMPARED, "period": period, "by": by, "filters": filters}
        kept = engine.compute(**args).as_json()
        direct = engine.compute(**args, direct=True).as_json()
        differ = {k: (v, direct["kpis"][k]) for k, v in kept["kpis"].items()
                  if v != direct["kpis"][k]}  # fmt: skip
        assert not differ, (seed, actor.username, str(period), by, filters, differ)
    # Something was compared: the history is not empty.
    everything = engine.compute(actor=world.people.head, ids=["deals_won", "leads_new"],
                                period=Period(date(2025, 12, 1), date(2026, 6, 30)))  # fmt: skip
    assert everything["deals_won"].total.value >= 3
    assert everything["leads_new"].total.value > 15
