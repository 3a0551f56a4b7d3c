"""The KPI catalogue: every KPI by its stable id, and computing a report of several.

Dashboards, the API, the CLI and exports all call :func:`compute`; a new KPI is
one function (taking a :class:`Ctx`, returning a :class:`Result`) and one entry in
:data:`KPIS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.analytics import clients, orders, sales, service, work
from voronka.analytics.context import GROUPINGS, Ctx
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters, Scope
from voronka.analytics.values import Result

DEAL_GROUPS = frozenset(GROUPINGS) - {"category"}  # request categories: service KPIs only
LEAD_GROUPS = frozenset({"manager", "team", "source", "product", "day", "week", "month", "quarter"})
POINT_GROUPS = frozenset({"manager", "team", "source", "product", "pipeline", "stage", "client"})
PEOPLE_GROUPS = frozenset({"manager", "team", "day", "week", "month", "quarter"})
OWNER_GROUPS = frozenset({"manager", "team"})
NO_GROUPS: frozenset[str] = frozenset()
SERVICE_GROUPS = service.SERVICE_GROUPS
ORDER_GROUPS = orders.ORDER_GROUPS


@dataclass(frozen=True)
class Kpi:
    id: str
    label: Any  # lazy translation
    unit: str  # count, money, ratio, days, hours, minutes, score (a mean of 1–5), table
    fn: Callable[[Ctx], Result]
    groupings: frozenset[str] = NO_GROUPS
    # What a drill-down lists: "won", "lost", "closed", "created", "open", "overdue",
    # "leads", "leads_with_deal", "leads_won", "tasks_overdue", "tasks_done", "activities",
    # "requests_created", "requests_responded", "requests_resolved", "requests_breached",
    # "requests_complaints", "requests_surveyed", "orders_created", "orders_delivered",
    # "orders_revenue", "orders_status".
    records: str = ""
    help: Any = ""


KPIS: dict[str, Kpi] = {
    k.id: k
    for k in [
        Kpi("leads_new", _("New leads"), "count", sales.leads_new, LEAD_GROUPS, "leads"),
        Kpi("lead_to_deal_rate", _("Leads to deals"), "ratio", sales.lead_to_deal_rate,
            LEAD_GROUPS, "leads_with_deal"),
        Kpi("lead_conversion_rate", _("Lead conversion"), "ratio", sales.lead_conversion_rate,
            LEAD_GROUPS, "leads_won"),
        Kpi("deals_won", _("Deals won"), "count", sales.deals_won, DEAL_GROUPS, "won"),
        Kpi("deals_lost", _("Deals lost"), "count", sales.deals_lost, DEAL_GROUPS, "lost"),
        Kpi("win_rate", _("Win rate"), "ratio", sales.win_rate, DEAL_GROUPS, "closed"),
        Kpi("won_revenue", _("Won revenue"), "money", sales.won_revenue, DEAL_GROUPS, "won"),
        Kpi("avg_deal_size", _("Average check"), "money", sales.avg_deal_size, DEAL_GROUPS,
            "won"),
        Kpi("sales_cycle_days", _("Sales cycle, days"), "days", sales.sales_cycle_days,
            DEAL_GROUPS, "won"),
        Kpi("lead_to_win_days", _("Lead to sale, days"), "days", sales.lead_to_win_days,
            DEAL_GROUPS, "won"),
        Kpi("open_deals", _("Open deals"), "count", sales.open_deals, POINT_GROUPS, "open"),
        Kpi("open_pipeline_value", _("Open pipeline"), "money", sales.open_pipeline_value,
            POINT_GROUPS, "open"),
        Kpi("weighted_pipeline_value", _("Expected revenue"), "money",
            sales.weighted_pipeline_value, POINT_GROUPS, "open"),
        Kpi("overdue_deals", _("Overdue deals"), "count", sales.overdue_deals, POINT_GROUPS,
            "overdue"),
        Kpi("deals_closed_late", _("Deals closed late"), "count", sales.deals_closed_late,
            DEAL_GROUPS, "closed"),
        Kpi("funnel", _("Sales funnel"), "table", sales.funnel, NO_GROUPS, "created"),
        Kpi("revenue_per_client", _("Revenue per client"), "money", sales.revenue_per_client,
            DEAL_GROUPS, "won"),
        Kpi("active_clients", _("Active clients"), "count", clients.active_clients),
        Kpi("new_customers", _("New customers"), "count", clients.new_customers),
        Kpi("customer_lifetime_days", _("Customer lifetime, days"), "days",
            clients.customer_lifetime_days),
        Kpi("customer_ltv", _("Customer lifetime value"), "money", clients.customer_ltv),
        Kpi("repeat_purchase_rate", _("Repeat purchases"), "ratio", clients.repeat_purchase_rate),
        Kpi("lifecycle_stage_counts", _("Clients by life-cycle stage"), "table",
            clients.lifecycle_stage_counts),
        Kpi("tasks_overdue", _("Overdue tasks"), "count", work.tasks_overdue, OWNER_GROUPS,
            "tasks_overdue"),
        Kpi("tasks_on_time_rate", _("Tasks done on time"), "ratio", work.tasks_on_time_rate,
            PEOPLE_GROUPS, "tasks_done"),
        Kpi("activities_logged", _("Interactions logged"), "count", work.activities_logged,
            PEOPLE_GROUPS, "activities"),
        Kpi("requests_new", _("Requests received"), "count", service.requests_new,
            SERVICE_GROUPS, "requests_created"),
        Kpi("first_response_minutes", _("Response time, minutes"), "minutes",
            service.first_response_minutes, SERVICE_GROUPS, "requests_responded"),
        Kpi("request_handling_hours", _("Handling time, hours"), "hours",
            service.request_handling_hours, SERVICE_GROUPS, "requests_resolved"),
        Kpi("sla_breach_rate", _("SLA breaches"), "ratio", service.sla_breach_rate,
            SERVICE_GROUPS, "requests_breached"),
        Kpi("complaints_resolution_rate", _("Complaints resolved"), "ratio",
            service.complaints_resolution_rate, SERVICE_GROUPS, "requests_complaints"),
        Kpi("csat", _("Customer satisfaction (CSAT)"), "score", service.csat, SERVICE_GROUPS,
            "requests_surveyed"),
        Kpi("orders_new", _("New orders"), "count", orders.orders_new, ORDER_GROUPS,
            "orders_created"),
        Kpi("order_fulfilment_hours", _("Order fulfilment, hours"), "hours",
            orders.order_fulfilment_hours, ORDER_GROUPS, "orders_delivered"),
        Kpi("order_revenue", _("Delivered order revenue"), "money", orders.order_revenue,
            ORDER_GROUPS, "orders_revenue"),
        Kpi("orders_by_status", _("Orders by status"), "table", orders.orders_by_status,
            orders.STATUS_GROUPS, "orders_status"),
    ]
}  # fmt: skip


def register(kpi: Kpi) -> None:
    """Add a KPI of a capability that lives in another module (plans, service, orders)."""
    KPIS[kpi.id] = kpi


class UnknownKpi(ValueError):
    pass


class UnsupportedGrouping(ValueError):
    pass


@dataclass
class Report:
    period: Period
    by: str | None
    filters: Filters
    results: dict[str, Result] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The one JSON shape of the API and the CLI."""
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "by": self.by,
            "filters": self.filters.as_json(),
            "kpis": {kpi_id: r.as_json() for kpi_id, r in self.results.items()},
        }

    def __getitem__(self, kpi_id: str) -> Result:
        return self.results[kpi_id]


def compute(
    *,
    actor: Any,
    ids: Iterable[str],
    period: Period,
    by: str | None = None,
    filters: Filters | None = None,
    now: datetime | None = None,
    direct: bool = False,
    medians: bool = True,
) -> Report:
    """Compute the KPIs ``ids`` for ``actor``: only records they may see count.

    A KPI that cannot be grouped by ``by`` returns its total and an empty list of
    groups with a reason, rather than failing the whole report. ``medians=False`` leaves
    the medians of durations out (a dashboard's comparison or ranking shows the means).
    """
    ids = list(dict.fromkeys(ids))
    unknown = [i for i in ids if i not in KPIS]
    if unknown:
        raise UnknownKpi(", ".join(unknown))
    if by is not None and by not in GROUPINGS:
        raise UnsupportedGrouping(by)
    filters = filters or Filters()
    scope = Scope(actor, filters)
    report = Report(period, by, filters)
    now = now or timezone.now()
    memo: dict[Any, Any] = {}
    for kpi_id in ids:
        kpi = KPIS[kpi_id]
        grouped = by is not None and by in kpi.groupings
        ctx = Ctx(
            scope, period, by if grouped else None, now=now, direct=direct, medians=medians,
            memo=memo,
        )  # fmt: skip
        outcome = kpi.fn(ctx)
        if by is not None and not grouped:
            outcome = Result(outcome.total, [])
        report.results[kpi_id] = outcome
    return report
