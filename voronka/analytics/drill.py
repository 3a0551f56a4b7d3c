"""Drill-down: from a KPI number to the list of the records behind it.

:func:`drill_url` turns a number of a report (a KPI, its period, its filters and, for
a group row, the grouping and the group's key) into the URL of the deal, lead or
task list showing exactly the records the number counts. The lists are scoped by
the reader's visibility as always, so a link never shows more than the report did.

What a list shows for each kind of KPI (``Kpi.records``):

* counts and sums (deals won, won revenue, open deals, …): the records counted;
  the amounts of a money KPI add up to it;
* averages (average check, sales cycle, revenue per client): the records averaged
  over, so the list's total is the denominator (for revenue per client, the deals
  whose amounts make the numerator);
* ratios list what the catalogue names as their records:
  ``win_rate`` → the deals closed (won or lost), its denominator;
  ``lead_to_deal_rate`` → the leads that became a deal, its numerator;
  ``lead_conversion_rate`` → the leads with a deal won, its numerator;
  ``tasks_on_time_rate`` → the tasks completed, its denominator;
* ``deals_closed_late`` lists the late deals themselves, ``lead_to_win_days`` the won
  deals that came from a lead (the only ones it measures);
* the funnel lists the deals created in the period in its pipeline, and for a stage
  (``key`` = stage id) those of them that reached the stage.

Service KPIs open the "All requests" list (``service:request-list``) with its agreed
GET filters (dates are local days, ``*_to`` included, as for deals):

* ``requests_new`` → the requests received in the period (``created_from``/``created_to``);
* ``first_response_minutes`` → those of them answered (``responded=1``), the ones it averages;
* ``request_handling_hours`` → the requests resolved in the period (``resolved_from``/``_to``);
* ``sla_breach_rate`` → the requests received that missed a target (``breached=1``), its
  numerator; the list judges "missed" as of now, the KPI as of the end of its period, so
  for a past period the list may show a request that was late only after the period;
* ``complaints_resolution_rate`` → the complaints received (``kind=complaint``), its
  denominator, with their statuses;
* ``csat`` → the requests whose survey was answered in the period
  (``surveyed_from``/``surveyed_to``); by manager, the request's current assignee stands
  for the survey's manager (the same person unless the request was given to another since).

A manager, team and product filter and group become ``assignee``, ``team``, ``product``;
a category ``category``; a client ``company`` or ``contact``.

Order KPIs open the orders list (``orders:order-list``) with its agreed GET filters:

* ``orders_new`` → the orders received in the period (``created_from``/``created_to``);
* ``order_fulfilment_hours`` → the orders delivered in the period
  (``delivered_from``/``delivered_to``), the ones it averages, returned ones included;
* ``order_revenue`` → those of them still delivered (``status=delivered``), whose totals
  make the sum;
* ``orders_by_status`` → the orders received by the end of the period (``created_to``), and
  for a status (``key`` = the status, as for a funnel stage) the orders that had it then
  (``status`` and ``status_at`` = the period's last day).

A manager, team, product filter and group become ``owner``, ``team``, ``product``; a client
``company`` or ``contact``; pipeline and source filters do not apply to orders. Like the
requests, a manager's list also shows her clients' orders that others run: the KPIs count
the orders she is responsible for, so her links name her as the ``owner`` (the dashboards
do, through their manager filter).

Groups with no value for the grouping (no manager, no team, no product, no client, no
category) have no list to show and get no link; "no source" does (``no_source``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from voronka.analytics.periods import Period, add_months
from voronka.analytics.scope import Filters
from voronka.core import organisation

# The list each kind of record is shown in, and the date field a period narrows.
DEAL_RECORDS = {"won", "lost", "closed", "created", "open", "overdue"}
LEAD_RECORDS = {"leads", "leads_with_deal", "leads_won"}
TASK_RECORDS = {"tasks_overdue", "tasks_done"}
REQUEST_RECORDS = {
    "requests_created", "requests_responded", "requests_resolved", "requests_breached",
    "requests_complaints", "requests_surveyed",
}  # fmt: skip
ORDER_RECORDS = {"orders_created", "orders_delivered", "orders_revenue", "orders_status"}

# KPIs that measure only some of their records: the filter that keeps those.
NARROWER: dict[str, dict[str, str]] = {
    "lead_to_win_days": {"has_lead": "1"},
    "deals_closed_late": {"closed_late": "1"},
}


def drill_url(
    kpi_id: str,
    period: Period,
    filters: Filters,
    *,
    by: str | None = None,
    key: str | None = None,
) -> str | None:
    """The URL of the list of the records behind a KPI number, or None if it has none.

    ``by`` and ``key`` name a group row of a grouped report; for the funnel, ``key``
    alone is a stage id. Raises ``engine.UnknownKpi`` for an id not in the catalogue.
    """
    target = drill_target(kpi_id, period, filters, by=by, key=key)
    if target is None:
        return None
    name, params = target
    try:
        path = reverse(name)
    except NoReverseMatch:  # no page lists these records (yet)
        return None
    return f"{path}?{urlencode(params)}"


def drill_target(
    kpi_id: str,
    period: Period,
    filters: Filters,
    *,
    by: str | None = None,
    key: str | None = None,
) -> tuple[str, dict[str, str]] | None:
    """The URL name of the list and its query parameters behind a KPI number (see
    :func:`drill_url`), or None when the number has no records to list."""
    from voronka.analytics.engine import KPIS, UnknownKpi

    kpi = KPIS.get(kpi_id)
    if kpi is None:
        raise UnknownKpi(kpi_id)
    if not kpi.records or (by is not None and by not in kpi.groupings):
        return None
    if key == "null":  # the group of records with no value, as the JSON writes its key
        key = None
    records = kpi.records
    params: dict[str, str] | None
    if records in DEAL_RECORDS:
        params = _deal_params(kpi_id, records, period, filters, by, key)
        name = "sales:deal-list"
    elif records in LEAD_RECORDS:
        params = _lead_params(records, period, filters, by, key)
        name = "sales:lead-list"
    elif records in TASK_RECORDS:
        params = _task_params(records, period, filters, by, key)
        name = "activities:task-list"
    elif records == "activities":
        params = _activity_params(period, filters, by, key)
        name = "activities:activity-list"
    elif records in REQUEST_RECORDS:
        params = _request_params(records, period, filters, by, key)
        name = "service:request-list"
    elif records in ORDER_RECORDS:
        params = _order_params(records, period, filters, by, key)
        name = "orders:order-list"
    else:
        return None
    return None if params is None else (name, params)


# Deals ---------------------------------------------------------------------------------------


def _deal_params(
    kpi_id: str,
    records: str,
    period: Period,
    filters: Filters,
    by: str | None,
    key: str | None,
) -> dict[str, str] | None:
    params = _compact(
        team=filters.team,
        owner=filters.manager,
        pipeline=filters.pipeline,
        source=filters.source,
        product=filters.product,
    )
    if records in ("open", "overdue"):
        # Point-in-time: as of the end of the period, which is now while it lasts.
        as_of_now = period.end >= _today()
        if records == "open":
            params.update({"status": "open"} if as_of_now else {"open_on": str(period.end)})
        else:
            params.update({"overdue": "1"} if as_of_now else {"overdue_on": str(period.end)})
        return _with_group(params, by, key, _DEAL_GROUPS, period=None, dates=None)
    if records == "created":  # the funnel: one pipeline's deals created in the period
        pipeline = filters.pipeline or _default_pipeline()
        if pipeline is None:
            return None
        params["pipeline"] = str(pipeline)
        params.update(_days("created", period))
        if key is not None:
            if not key.isdigit():
                return None
            params["reached_stage"] = key
        return params
    params["status"] = records
    params.update(_days("closed", period))
    params.update(NARROWER.get(kpi_id, {}))
    return _with_group(params, by, key, _DEAL_GROUPS, period=period, dates="closed")


def _default_pipeline() -> int | None:
    """The pipeline the funnel shows when the report names none."""
    from voronka.sales.models import Pipeline

    return (
        Pipeline.objects.filter(is_active=True)
        .order_by("-is_default", "position", "pk")
        .values_list("pk", flat=True)
        .first()
    )


_DEAL_GROUPS = {
    "manager": "owner",
    "team": "team",
    "source": "source",
    "pipeline": "pipeline",
    "stage": "stage",
    "product": "product",
}


# Leads ---------------------------------------------------------------------------------------


def _lead_params(
    records: str, period: Period, filters: Filters, by: str | None, key: str | None
) -> dict[str, str] | None:
    if filters.pipeline:
        return None  # leads belong to no pipeline: the KPI has no value, nothing to list
    params = _compact(
        team=filters.team, owner=filters.manager, source=filters.source, product=filters.product
    )
    params.update(_days("created", period))
    if records == "leads_with_deal":
        params["with_deal"] = "1"
    elif records == "leads_won":
        params["with_won_deal"] = "1"
    groups = {"manager": "owner", "team": "team", "source": "source", "product": "product"}
    return _with_group(params, by, key, groups, period=period, dates="created")


# Tasks and activities ------------------------------------------------------------------------


def _task_params(
    records: str, period: Period, filters: Filters, by: str | None, key: str | None
) -> dict[str, str] | None:
    # Work KPIs count people's tasks: pipeline, source and product do not apply to them.
    params = _compact(assignee=filters.manager, team=filters.team)
    groups = {"manager": "assignee", "team": "team"}
    if records == "tasks_done":
        params["status"] = "done"
        params.update(_days("completed", period))
        return _with_group(params, by, key, groups, period=period, dates="completed")
    if period.end >= _today():
        params["overdue"] = "1"
    else:
        params.update({"status": "all", "overdue_on": str(period.end)})
    # Overdue tasks fall in a time group by their deadline, which may lie before the period.
    return _with_group(params, by, key, groups, period=None, dates="due")


def _activity_params(
    period: Period, filters: Filters, by: str | None, key: str | None
) -> dict[str, str] | None:
    params = _compact(author=filters.manager, team=filters.team)
    params.update(_days("", period))
    groups = {"manager": "author", "team": "team"}
    return _with_group(params, by, key, groups, period=period, dates="")


# Client requests -----------------------------------------------------------------------------

# The date a request KPI attributes its records by, as the list's parameter prefix.
_REQUEST_DATES = {"requests_resolved": "resolved", "requests_surveyed": "surveyed"}
_REQUEST_NARROWER = {
    "requests_responded": {"responded": "1"},
    "requests_breached": {"breached": "1"},
    "requests_complaints": {"kind": "complaint"},
}
_REQUEST_GROUPS = {"manager": "assignee", "team": "team", "product": "product",
                   "category": "category"}  # fmt: skip


def _request_params(
    records: str, period: Period, filters: Filters, by: str | None, key: str | None
) -> dict[str, str] | None:
    # Requests belong to no pipeline and no lead source: those filters do not apply.
    params = _compact(assignee=filters.manager, team=filters.team, product=filters.product)
    dates = _REQUEST_DATES.get(records, "created")
    params.update(_days(dates, period))
    params.update(_REQUEST_NARROWER.get(records, {}))
    return _client_or_group(params, by, key, _REQUEST_GROUPS, period=period, dates=dates)


# Orders --------------------------------------------------------------------------------------

_ORDER_GROUPS = {"manager": "owner", "team": "team", "product": "product"}


def _order_params(
    records: str, period: Period, filters: Filters, by: str | None, key: str | None
) -> dict[str, str] | None:
    # Orders belong to no pipeline and no lead source: those filters do not apply.
    params = _compact(owner=filters.manager, team=filters.team, product=filters.product)
    if records == "orders_status":
        params["created_to"] = period.end.isoformat()
        if by is None and key is not None:
            from voronka.orders.models import Status

            if key not in Status.values:
                return None
            params.update(status=key, status_at=period.end.isoformat())
            return params
        return _client_or_group(params, by, key, _ORDER_GROUPS, dates=None, period=None)
    dates = "created" if records == "orders_created" else "delivered"
    params.update(_days(dates, period))
    if records == "orders_revenue":
        params["status"] = "delivered"
    return _client_or_group(params, by, key, _ORDER_GROUPS, dates=dates, period=period)


def _client_or_group(
    params: dict[str, str],
    by: str | None,
    key: str | None,
    groups: Mapping[str, str],
    *,
    dates: str | None,
    period: Period | None,
) -> dict[str, str] | None:
    """A client group becomes ``company`` or ``contact``, any other group its list filter."""
    if by == "client" and key is not None:
        kind, _sep, pk = key.partition(":")
        if kind not in ("company", "contact") or not pk.isdigit():
            return None
        params[kind] = pk
        return params
    return _with_group(params, by, key, groups, period=period, dates=dates)


# Groups and dates ----------------------------------------------------------------------------


def _with_group(
    params: dict[str, str],
    by: str | None,
    key: str | None,
    groups: Mapping[str, str],
    *,
    period: Period | None,
    dates: str | None,
) -> dict[str, str] | None:
    """Narrow ``params`` to the group ``key`` of ``by``; None when no list filter fits.

    A time group narrows the ``dates`` range to the bucket, within ``period`` when given.
    """
    if by is None:
        return params
    if by in ("day", "week", "month", "quarter"):
        if dates is None or key is None:
            return None
        bucket = bucket_days(by, key)
        if bucket is None:
            return None
        first, last = bucket
        if period is not None:
            first, last = max(first, period.start), min(last, period.end)
            if last < first:
                return None
        params.update(_days(dates, Period(first, last)))
        return params
    if key is None:
        if by == "source" and "source" in groups:
            params.pop("source", None)
            params["no_source"] = "1"
            return params
        return None
    if by == "client":
        kind, _sep, pk = key.partition(":")
        if kind not in ("company", "contact") or not pk.isdigit():
            return None
        params["client"] = key
        return params
    field = groups.get(by)
    if field is None or not key.isdigit():
        return None
    params[field] = key
    return params


def bucket_days(by: str, key: str) -> tuple[date, date] | None:
    """The first and last day of a time group's key (``2026-03``, ``2026-Q1``, …)."""
    try:
        if by == "day":
            day = date.fromisoformat(key)
            return day, day
        if by == "week":
            year, _w, week = key.partition("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
            return monday, monday + timedelta(days=6)
        if by == "month":
            first = date.fromisoformat(f"{key}-01")
            return first, add_months(first, 1) - timedelta(days=1)
        if by == "quarter":
            year, _q, quarter = key.partition("-Q")
            first = date(int(year), 3 * int(quarter) - 2, 1)
            return first, add_months(first, 3) - timedelta(days=1)
    except ValueError:
        return None
    return None


def _days(prefix: str, period: Period) -> dict[str, str]:
    """The list parameters of a date range: ``closed_from``/``closed_to`` or ``from``/``to``."""
    sep = "_" if prefix else ""
    return {
        f"{prefix}{sep}from": period.start.isoformat(),
        f"{prefix}{sep}to": period.end.isoformat(),
    }


def _compact(**values: int | None) -> dict[str, str]:
    return {name: str(value) for name, value in values.items() if value is not None}


def _today() -> date:
    return timezone.localdate(timezone=organisation.current().tz)


# The lists' side: what a list filtered by a report shows above its rows ----------------------


def filter_chips(
    form: Any,
    names: Iterable[str],
    describe: Mapping[str, Callable[[Any], Any]] | None = None,
) -> list[dict[str, Any]]:
    """One chip per set filter of ``names``: its label, value and the query without it.

    ``describe`` turns a raw value (an id) into what a person reads; a chip of a yes/no
    filter has no value, only its label. The form must have been validated.
    """
    describe = describe or {}
    cleaned = getattr(form, "cleaned_data", {})
    chips = []
    for name in names:
        value = cleaned.get(name)
        if value in (None, "", False) or name in form.errors:
            continue
        shown: Any = None if value is True else value
        if name in describe:
            shown = describe[name](value)
            if shown is None:
                shown = value
        chips.append(
            {
                "name": name,
                "label": form.fields[name].label,
                "value": shown,
                "is_date": isinstance(shown, date),
                "remove": _query_without(form.data, name),
            }
        )
    return chips


def _query_without(data: Any, name: str) -> str:
    pairs: list[tuple[str, Any]] = []
    for field in data:
        if field in (name, "cursor"):
            continue
        values = data.getlist(field) if hasattr(data, "getlist") else [data[field]]
        pairs.extend((field, v) for v in values if v not in ("", None))
    return urlencode(pairs)
