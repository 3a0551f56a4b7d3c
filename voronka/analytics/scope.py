"""Who asks and what they filtered by: the rows a KPI may read.

A KPI counts only the records its reader may see (the same visibility rule as
every list), narrowed by the report's filters. The same filter is written for the
records themselves and for the rollups, whose rows carry the same owner,
pipeline and source. Client requests, survey answers and orders belong to no pipeline
and no lead source: those two filters do not narrow them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q

from voronka.core.visibility import Family, owner_q

FILTER_NAMES = ("team", "manager", "pipeline", "source", "product")


@dataclass(frozen=True)
class Filters:
    team: int | None = None
    manager: int | None = None
    pipeline: int | None = None
    source: int | None = None
    product: int | None = None

    def as_json(self) -> dict[str, int | None]:
        return asdict(self)

    def replace(self, **changes: Any) -> Filters:
        return Filters(**{**asdict(self), **changes})


@dataclass(frozen=True)
class Scope:
    actor: Any
    filters: Filters

    def deals(self, *, prefix: str = "") -> Q:
        """Visible, filtered deals; ``prefix`` reaches deals through a relation."""
        f = self.filters
        q = owner_q(self.actor, Family.DEALS, owner_field=f"{prefix}owner")
        q &= Q(**{f"{prefix}deleted_at__isnull": True})
        q &= self.owners(prefix)
        if f.pipeline:
            q &= Q(**{f"{prefix}pipeline_id": f.pipeline})
        if f.source:
            q &= Q(**{f"{prefix}source_id": f.source})
        if f.product:
            # A subquery, so a deal with two lines of the product is still one deal.
            from voronka.sales.models import DealLine

            with_product = DealLine.objects.filter(product_id=f.product).values("deal_id")
            q &= Q(**{f"{prefix}pk__in": with_product})
        return q

    def leads(self) -> Q:
        f = self.filters
        q = owner_q(self.actor, Family.LEADS) & Q(deleted_at__isnull=True) & self.owners("")
        if f.source:
            q &= Q(source_id=f.source)
        if f.product:
            from voronka.sales.models import DealLine

            with_product = DealLine.objects.filter(
                product_id=f.product, deal__deleted_at__isnull=True
            ).values("deal__lead_id")
            q &= Q(pk__in=with_product)
        return q

    def deal_rollup(self) -> Q:
        """The same as :meth:`deals` for a rollup keyed by owner, pipeline and source."""
        f = self.filters
        q = owner_q(self.actor, Family.DEALS) & self.owners("")
        if f.pipeline:
            q &= Q(pipeline_id=f.pipeline)
        if f.source:
            q &= Q(source_id=f.source)
        return q

    def lead_rollup(self) -> Q:
        f = self.filters
        q = owner_q(self.actor, Family.LEADS) & self.owners("")
        if f.source:
            q &= Q(source_id=f.source)
        return q

    def requests(self, prefix: str = "") -> Q:
        """Visible, filtered client requests, by their assignee; ``prefix`` reaches them
        through a relation. A manager counts the requests assigned to them (a team lead,
        the team's), support and the head of sales every request. Pipeline and source
        filters describe deals and leads and are ignored here."""
        f = self.filters
        q = owner_q(self.actor, Family.REQUESTS, owner_field=f"{prefix}assignee")
        q &= Q(**{f"{prefix}deleted_at__isnull": True})
        if f.manager:
            q &= Q(**{f"{prefix}assignee_id": f.manager})
        if f.team:
            q &= Q(**{f"{prefix}assignee__team_id": f.team})
        if f.product:
            q &= Q(**{f"{prefix}product_id": f.product})
        return q

    def orders(self, prefix: str = "") -> Q:
        """Visible, filtered orders, by their responsible manager; ``prefix`` reaches them
        through a relation. A manager counts the orders they are responsible for (a team
        lead, the team's), the head of sales, the administrator and support every order.
        A product filter keeps the orders with a line of the product; pipeline and source
        filters describe deals and leads and are ignored here. Deleted orders never count."""
        f = self.filters
        q = owner_q(self.actor, Family.ORDERS, owner_field=f"{prefix}owner")
        q &= Q(**{f"{prefix}deleted_at__isnull": True})
        q &= self.owners(prefix)
        if f.product:
            # A subquery, so an order with two lines of the product is still one order.
            from voronka.orders.models import OrderLine

            with_product = OrderLine.objects.filter(product_id=f.product).values("order_id")
            q &= Q(**{f"{prefix}pk__in": with_product})
        return q

    def surveys(self) -> Q:
        """Visible, filtered satisfaction surveys, by the manager they were sent for (copied
        from the request or order, so an answer stays with whoever handled it); the answers
        about a deleted request or order do not count."""
        f = self.filters
        q = owner_q(self.actor, Family.REQUESTS, owner_field="manager")
        q &= Q(request__isnull=True) | Q(request__deleted_at__isnull=True)
        q &= Q(order__isnull=True) | Q(order__deleted_at__isnull=True)
        if f.manager:
            q &= Q(manager_id=f.manager)
        if f.team:
            q &= Q(manager__team_id=f.team)
        if f.product:
            q &= Q(product_id=f.product)
        return q

    def people(self, field: str) -> Q:
        """Rows of tasks or activities whose person (``field``: assignee, author) may be shown."""
        f = self.filters
        q = owner_q(self.actor, Family.DEALS, owner_field=field)
        if f.manager:
            q &= Q(**{f"{field}_id": f.manager})
        if f.team:
            q &= Q(**{f"{field}__team_id": f.team})
        return q

    def owners(self, prefix: str = "") -> Q:
        f = self.filters
        q = Q()
        if f.manager:
            q &= Q(**{f"{prefix}owner_id": f.manager})
        if f.team:
            q &= Q(**{f"{prefix}owner__team_id": f.team})
        return q

    @property
    def uses_product(self) -> bool:
        return self.filters.product is not None
