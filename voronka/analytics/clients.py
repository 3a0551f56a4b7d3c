"""Client KPIs: activity, new customers, lifetime, lifetime value, repeat purchases, life cycle.

A client is a company, or a contact with no company on the record. A purchase is a
won deal or a delivered order (one returned since is not). An order made of a deal is
the same sale as that deal: while the deal stands won, the deal is the purchase and the
order is not counted again. Only purchases the reader may see count, under the same
filters as the sales KPIs (orders belong to no pipeline and no source).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy

from voronka.analytics import values as v
from voronka.analytics.context import Ctx, fold_key, record_group
from voronka.analytics.deal_sums import amount_base
from voronka.analytics.orders import base_total
from voronka.analytics.spells import ACTIVE_WINDOW
from voronka.analytics.values import Result, Value

CHURN_DAYS = 365
NO_PURCHASES = gettext_lazy("no client has bought anything up to the end of the period")


@dataclass
class Purchases:
    first: date
    last: date
    count: int
    revenue: Decimal


def purchases_by_client(ctx: Ctx) -> dict[str, Purchases]:
    """Every visible client's won deals and delivered orders up to the end of the period, by
    local day: the day a deal was won, the day an order was delivered."""
    return ctx.remember("purchases", lambda: _purchases(ctx))  # type: ignore[no-any-return]


def _purchases(ctx: Ctx) -> dict[str, Purchases]:
    from voronka.sales.models import Deal

    end = ctx.bounds[1]
    deals = Deal.all_objects.filter(ctx.scope.deals(), status="won", closed_at__lt=end)
    out: dict[str, Purchases] = {}
    _add_purchases(out, ctx, deals, "closed_at", amount_base())
    _add_purchases(out, ctx, delivered_orders(ctx, end), "delivered_at", base_total())
    return out


def delivered_orders(ctx: Ctx, end: Any) -> QuerySet[Any]:
    """The visible orders delivered before ``end`` and still delivered, but for those made of
    a deal that stands won: that deal is the same sale, counted as the deal."""
    from voronka.orders.models import Order, Status
    from voronka.sales.models import Deal

    deals_sale = Deal.all_objects.filter(
        pk=OuterRef("deal_id"), status="won", deleted_at__isnull=True
    )
    return Order.all_objects.filter(
        ctx.scope.orders(), status=Status.DELIVERED, delivered_at__lt=end
    ).exclude(Exists(deals_sale))


def _add_purchases(
    out: dict[str, Purchases], ctx: Ctx, qs: QuerySet[Any], when: str, amount: Any
) -> None:
    """Add the purchases of ``qs`` (deals or orders) to ``out``, per client."""
    qs = qs.order_by().annotate(client_key=record_group("client"),
                                day=TruncDate(when, tzinfo=ctx.tz))  # fmt: skip
    for row in (
        qs.exclude(client_key=None)
        .values("client_key")
        .annotate(first=Min("day"), last=Max("day"), n=Count("pk"), revenue=Sum(amount))
    ):
        key = str(fold_key("client", row["client_key"]))
        found = Purchases(row["first"], row["last"], row["n"], row["revenue"] or Decimal(0))
        known = out.get(key)
        if known is None:
            out[key] = found
        else:
            known.first, known.last = min(known.first, found.first), max(known.last, found.last)
            known.count += found.count
            known.revenue += found.revenue


def new_customers(ctx: Ctx) -> Result:
    """Clients whose first purchase falls in the period."""
    found = purchases_by_client(ctx)
    n = sum(1 for p in found.values() if ctx.period.start <= p.first <= ctx.period.end)
    return Result(v.count(n))


def customer_lifetime_days(ctx: Ctx) -> Result:
    """Customer lifetime: last purchase date − first purchase date, over clients who bought."""
    found = purchases_by_client(ctx)
    spans = [(p.last - p.first).days for p in found.values()]
    if not spans:
        return Result(v.duration(None, None, 0, NO_PURCHASES))
    return Result(v.duration(statistics.fmean(spans), statistics.median(spans), len(spans), ""))


def customer_ltv(ctx: Ctx) -> Result:
    """Lifetime value: mean revenue per client who bought, over all history up to the end."""
    found = purchases_by_client(ctx)
    revenue = sum((p.revenue for p in found.values()), Decimal(0))
    return Result(v.mean_money(revenue, len(found), NO_PURCHASES))


def repeat_purchase_rate(ctx: Ctx) -> Result:
    """Repeat sale: clients with two or more purchases ÷ clients with at least one."""
    found = purchases_by_client(ctx)
    repeat = sum(1 for p in found.values() if p.count >= 2)
    return Result(v.ratio(repeat, len(found), NO_PURCHASES))


def _spells_serve(ctx: Ctx) -> bool:
    """The clients' active spells carry the person, so they answer for any reader and any
    manager or team; a pipeline, source or product filter narrows only the deals, which a
    spell does not tell apart."""
    f = ctx.scope.filters
    return not ctx.direct and not (f.pipeline or f.source or f.product)


def _touched_clients(ctx: Ctx, since: Any, until: Any) -> set[str]:
    """Clients with an interaction in [since, until): activity, deal created or moved,
    request received (for its assignee, as the spells count it), order received or moved
    (for its manager)."""
    from voronka.activities.models import Activity
    from voronka.sales.models import Deal, StageHistory
    from voronka.service.models import Request

    clients: set[str] = set()
    deals = Deal.all_objects.filter(ctx.scope.deals()).order_by()
    for raw in (
        deals.filter(created_at__gte=since, created_at__lt=until)
        .annotate(c=record_group("client")).values_list("c", flat=True).distinct()
    ):  # fmt: skip
        if raw is not None:
            clients.add(str(fold_key("client", raw)))
    moved = StageHistory.objects.filter(
        deal__in=deals.values("pk"), moved_at__gte=since, moved_at__lt=until
    ).order_by()
    for company, contact in moved.values_list("deal__company_id", "deal__contact_id").distinct():
        clients.add(f"company:{company}" if company else f"contact:{contact}")
    activities = Activity.objects.filter(
        ctx.scope.people("author"), occurred_at__gte=since, occurred_at__lt=until
    ).order_by()
    for company, contact in activities.values_list("company_id", "contact_id").distinct():
        if company or contact:
            clients.add(f"company:{company}" if company else f"contact:{contact}")
    requests = Request.objects.filter(
        ctx.scope.people("assignee"), created_at__gte=since, created_at__lt=until
    ).order_by()
    for company, contact in requests.values_list("company_id", "contact_id").distinct():
        if company or contact:
            clients.add(f"company:{company}" if company else f"contact:{contact}")
    clients |= _order_clients(ctx, since, until)
    return clients


def _order_clients(ctx: Ctx, since: Any, until: Any) -> set[str]:
    """Clients whose order arrived or changed status in [since, until), for its manager."""
    from voronka.orders.models import Order, StatusChange

    orders = Order.all_objects.filter(ctx.scope.orders()).order_by()
    received = orders.filter(created_at__gte=since, created_at__lt=until)
    changed = StatusChange.objects.filter(
        order__in=orders.values("pk"), changed_at__gte=since, changed_at__lt=until
    ).order_by()
    clients: set[str] = set()
    for pairs in (
        received.values_list("company_id", "contact_id").distinct(),
        changed.values_list("order__company_id", "order__contact_id").distinct(),
    ):
        for company, contact in pairs:
            if company or contact:
                clients.add(f"company:{company}" if company else f"contact:{contact}")
    return clients


def active_clients(ctx: Ctx) -> Result:
    """Active clients: distinct clients with an interaction (activity logged, deal created or
    moved, request received, order received or changing status) in the 90 days up to the
    as-of date."""
    until = ctx.as_of
    if _spells_serve(ctx):
        from voronka.analytics.models import ClientSpell
        from voronka.core.visibility import sees_everything

        # Active at M: an interaction at t with t < M ≤ t + 90 days, i.e. a spell holding M.
        holding = ClientSpell.objects.filter(after__lt=until, until__gte=until)
        f = ctx.scope.filters
        if sees_everything(ctx.scope.actor) and not (f.manager or f.team):
            # Everyone's interactions merged: one row per client holding M.
            return Result(v.count(holding.filter(person__isnull=True).count()))
        # The people the reader may see; a client counts once whoever touched it.
        spells = holding.filter(ctx.scope.people("person"), person__isnull=False)
        clients = spells.order_by().values("company_id", "contact_id").distinct()
        return Result(v.count(clients.count()))
    return Result(v.count(len(_touched_clients(ctx, until - ACTIVE_WINDOW, until))))


def lifecycle_stage_counts(ctx: Ctx) -> Result:
    """Client life cycle now: visible companies and contacts (without a company) by stage; a
    customer with no interaction (activity logged, deal created or moved, order received or
    moved, purchase) in the last 365 days counts as churned. Stages are not historised, so this
    is always as of now."""
    from voronka.clients.models import Company, Contact
    from voronka.core.visibility import Family, owner_q
    from voronka.orders.models import Order
    from voronka.sales.models import Deal

    cutoff = ctx.now - timedelta(days=CHURN_DAYS)
    counts: dict[str, int] = defaultdict(int)
    visible = owner_q(ctx.scope.actor, Family.CLIENTS) & ctx.scope.owners()
    buyers = ("customer", "repeat_customer")
    for link, qs in (
        ("company", Company.objects.filter(visible)),
        ("contact", Contact.objects.filter(visible, company__isnull=True)),
    ):
        for row in qs.order_by().values("lifecycle_stage").annotate(n=Count("pk")):
            counts[row["lifecycle_stage"]] += row["n"]
        recent_deal = Deal.objects.filter(**{link: OuterRef("pk")}).filter(
            Q(created_at__gte=cutoff) | Q(stage_entered_at__gte=cutoff)
        )
        recent_order = Order.objects.filter(**{link: OuterRef("pk")}).filter(
            Q(created_at__gte=cutoff) | Q(status_entered_at__gte=cutoff)
        )
        quiet = qs.filter(lifecycle_stage__in=buyers).exclude(
            Q(last_contact_at__gte=cutoff) | Exists(recent_deal) | Exists(recent_order)
        )
        for row in quiet.order_by().values("lifecycle_stage").annotate(n=Count("pk")):
            counts[row["lifecycle_stage"]] -= row["n"]
            counts["churned"] += row["n"]
    stages = {k: n for k, n in sorted(counts.items()) if n}
    return Result(Value(sum(stages.values()), extra={"stages": stages}))
