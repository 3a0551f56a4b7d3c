"""The service dashboard: how fast and how well client requests are answered.

For support, the head of sales and the administrator every request counts; a manager
reads the numbers of the requests assigned to them (a team lead, their team's). Every
number comes from the KPI engine (``voronka.analytics.service``), with the period and
filter bar of the sales dashboard, and links to the requests behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as replaced
from datetime import datetime
from functools import partial
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from voronka.analytics import engine
from voronka.analytics.dashboard import (
    Cell,
    Change,
    Column,
    Links,
    Row,
    Table,
    Tile,
    change,
    group_key,
    label_of,
    show_number,
    unit_of,
)
from voronka.analytics.forms import CUSTOM, Choice, DashboardFilterForm, DateInput
from voronka.analytics.periods import PRESETS, Period
from voronka.analytics.scope import Filters, Scope
from voronka.analytics.values import Result, Value
from voronka.core.visibility import led_team_ids, sees_everything
from voronka.service.models import OPEN_STATUSES, Request
from voronka.service.services import may_take_requests

WORST_LIMIT = 10
TILES = (
    "requests_new", "first_response_minutes", "request_handling_hours", "sla_breach_rate",
    "complaints_resolution_rate", "csat",
)  # fmt: skip
# Slower answers and more breaches are bad news; more requests are neither good nor bad.
LOWER_IS_BETTER = {"first_response_minutes", "request_handling_hours", "sla_breach_rate"}
NEUTRAL = {"requests_new"}
TREND_IDS = (
    "requests_new", "first_response_minutes", "request_handling_hours", "sla_breach_rate",
    "complaints_resolution_rate",
)  # fmt: skip


# The filter bar --------------------------------------------------------------------------------


class ServiceFilterForm(DashboardFilterForm):
    """The sales dashboard's period and people, for requests: a product instead of a pipeline
    and a source (requests have neither), and support agents among the people to choose."""

    pipeline = None  # type: ignore[assignment]
    source = None  # type: ignore[assignment]
    product = forms.TypedChoiceField(label=gettext_lazy("Product or service"), required=False,
                                     coerce=int)  # fmt: skip

    def __init__(self, *args: Any, user: Any, today: Any = None, **kwargs: Any) -> None:
        # The sales form's own set-up reads pipelines and sources; only its parsing is shared.
        super(DashboardFilterForm, self).__init__(*args, **kwargs)
        from voronka.accounts.models import Team, User
        from voronka.sales.queries import products_visible_to

        self.today = today
        self.personal = False
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"), required=False, widget=DateInput()
        )
        self.fields["to"] = forms.DateField(
            label=gettext_lazy("To"), required=False, widget=DateInput()
        )
        self._choices("period").choices = [(name, label) for name, label in PRESETS.items()] + [
            (CUSTOM, _("Custom dates"))
        ]
        everyone = sees_everything(user) or user.role == "support"
        teams = [] if everyone else led_team_ids(user)
        active = User.objects.filter(is_active=True)
        if everyone:
            team_rows = list(Team.objects.order_by("name"))
            people = list(active.order_by("first_name", "last_name", "username"))
        elif teams:
            team_rows = list(Team.objects.filter(pk__in=teams).order_by("name"))
            people = list(
                active.filter(team_id__in=teams).order_by("first_name", "last_name", "username")
            )
        else:  # a manager reads the requests assigned to them, nobody else's
            team_rows, people = [], []
        self.people = people
        self._choices("team").choices = [("", _("All teams"))] + [(t.pk, t.name) for t in team_rows]
        self._choices("manager").label = _("Assignee")
        self._choices("manager").choices = [("", _("Everyone"))] + [(u.pk, str(u)) for u in people]
        products = products_visible_to(user).order_by("name").values_list("pk", "name")
        self._choices("product").choices = [("", _("All products and services"))] + list(products)
        if not team_rows:
            del self.fields["team"]
        if not people:
            del self.fields["manager"]
        self.order_fields(["period", "from", "to", "team", "manager", "product"])
        self.style_fields()
        for bound in self.fields.values():
            css = bound.widget.attrs.get("class", "")
            small = "form-select-sm" if "form-select" in css.split() else "form-control-sm"
            bound.widget.attrs["class"] = f"{css} {small}".strip()

    def choice(self) -> Choice:
        chosen = super().choice()
        product = None
        if self.is_bound and "product" in self.fields and "product" not in self.errors:
            product = self.cleaned_data.get("product") or None
        self.chosen = Choice(
            chosen.period, chosen.preset, chosen.filters.replace(product=product), chosen.bucket
        )
        return self.chosen


# The numbers -----------------------------------------------------------------------------------


@dataclass
class ServiceBoard:
    choice: Choice
    previous: Period
    tiles: list[Tile] = field(default_factory=list)
    trend: dict[str, Any] = field(default_factory=dict)
    complaints: dict[str, Any] = field(default_factory=dict)
    csat_products: Table | None = None
    csat_managers: Table | None = None
    worst: list[Request] = field(default_factory=list)
    worst_url: str | None = None
    quiet: bool = False

    @property
    def has_volume(self) -> bool:
        return any(self.trend.get("requests", ()))

    @property
    def has_times(self) -> bool:
        series = ("responseMean", "handlingMean")
        return any(x is not None for name in series for x in self.trend.get(name, ()))

    @property
    def has_sla(self) -> bool:
        return any(self.trend.get("slaTotal", ()))

    @property
    def has_complaints(self) -> bool:
        return bool(self.complaints.get("labels"))


def _also(kpi_id: str, value: Value) -> list[tuple[str, str]]:
    """What a tile shows in small print under its number."""
    if value.value is None:
        return []
    if kpi_id in ("first_response_minutes", "request_handling_hours") and value.median is not None:
        return [(_("median"), show_number(value.median, unit_of(kpi_id)))]
    if kpi_id == "sla_breach_rate":
        parts = {"n": value.numerator, "total": value.denominator}
        return [(_("missed"), _("%(n)s of %(total)s") % parts)]
    if kpi_id == "complaints_resolution_rate":
        parts = {"n": value.numerator, "total": value.denominator}
        return [(_("resolved"), _("%(n)s of %(total)s") % parts)]
    if kpi_id == "csat":
        share = show_number(value.extra.get("share_satisfied", 0), "ratio")
        return [(_("satisfied (4–5)"), share), (_("answers"), show_number(value.denominator, ""))]
    return []


def _change(kpi_id: str, now: Value, before: Value) -> Change | None:
    found = change(now, before, unit_of(kpi_id), lower_is_better=kpi_id in LOWER_IS_BETTER)
    if found is None:
        return None
    if kpi_id in NEUTRAL:
        return replaced(found, good=None)
    if kpi_id == "csat" and now.value is not None and before.value is not None:
        # A score moves by points, not by per cent.
        points = round(float(now.value) - float(before.value), 2)
        return replaced(found, amount=points, unit="score")
    return found


def _tiles(report: engine.Report, before: engine.Report, links: Links) -> list[Tile]:
    tiles = []
    for kpi_id in TILES:
        value, previous = report[kpi_id].total, before[kpi_id].total
        tiles.append(
            Tile(
                kpi=kpi_id, label=label_of(kpi_id), unit=unit_of(kpi_id), value=value,
                previous=previous, change=_change(kpi_id, value, previous), url=links(kpi_id),
                also=_also(kpi_id, value),
            )
        )  # fmt: skip
    return tiles


def _number(x: Any) -> float | None:
    return None if x is None else float(x)


def _trend(report: engine.Report, bucket: str, links: Links) -> dict[str, Any]:
    """Per week or month: volume, response and handling times, SLA compliance (a chart's data)."""

    def rows(kpi_id: str) -> dict[str | None, Value]:
        return {g.key: g.value for g in report[kpi_id].groups or []}

    received, response = rows("requests_new"), rows("first_response_minutes")
    handling, sla = rows("request_handling_hours"), rows("sla_breach_rate")
    complaints = rows("complaints_resolution_rate")
    labels = {g.key: g.label for g in report["requests_new"].groups or []}
    out: dict[str, Any] = {
        "labels": [], "requests": [], "requestUrls": [], "complaints": [], "complaintUrls": [],
        "responseMean": [], "responseMedian": [], "responseUrls": [],
        "handlingMean": [], "handlingMedian": [], "handlingUrls": [],
        "compliance": [], "slaMet": [], "slaTotal": [], "slaUrls": [],
        "names": {
            "requests": label_of("requests_new"), "complaints": _("Complaints"),
            "responseMean": _("Response time, mean (min)"),
            "responseMedian": _("Response time, median (min)"),
            "handlingMean": _("Handling time, mean (h)"),
            "handlingMedian": _("Handling time, median (h)"),
            "compliance": _("SLA met, %"), "met": _("met"),
        },
    }  # fmt: skip
    for key, label in labels.items():
        if key is None:
            continue
        url = partial(links, by=bucket, key=key)

        out["labels"].append(label)
        out["requests"].append(int(received[key].value or 0))
        out["requestUrls"].append(url("requests_new"))
        out["complaints"].append(int(complaints[key].denominator or 0))
        out["complaintUrls"].append(url("complaints_resolution_rate"))
        out["responseMean"].append(_number(response[key].mean))
        out["responseMedian"].append(_number(response[key].median))
        out["responseUrls"].append(url("first_response_minutes"))
        out["handlingMean"].append(_number(handling[key].mean))
        out["handlingMedian"].append(_number(handling[key].median))
        out["handlingUrls"].append(url("request_handling_hours"))
        rate, total = sla[key], int(sla[key].denominator or 0)
        missed = int(rate.numerator or 0)
        met = None if rate.value is None else round((1 - float(rate.value)) * 100, 1)
        out["compliance"].append(met)
        out["slaMet"].append(total - missed)
        out["slaTotal"].append(total)
        out["slaUrls"].append(url("sla_breach_rate"))
    return out


def _complaints(result: Result, links: Links) -> dict[str, Any]:
    """Complaints received and resolved per category, the most complained about first."""
    groups = sorted(result.groups or [], key=lambda g: (-(g.value.denominator or 0), g.label))
    return {
        "labels": [g.label for g in groups],
        "received": [int(g.value.denominator or 0) for g in groups],
        "resolved": [int(g.value.numerator or 0) for g in groups],
        "urls": [
            links("complaints_resolution_rate", by="category", key=group_key(g.key)) for g in groups
        ],
        "names": {"received": pgettext("request", "Received"), "resolved": _("Resolved")},
    }


def _csat_table(result: Result, by: str, links: Links, *, title: str, first: str) -> Table:
    rows = []
    for g in result.groups or []:
        url = links("csat", by=by, key=group_key(g.key))
        share = g.value.extra.get("share_satisfied")
        rows.append(
            Row(g.key, g.label, [
                Cell(g.value, "score", url),
                Cell(Value(share, reason=g.value.reason), "ratio"),
                Cell(Value(g.value.denominator or 0), "count", url),
            ])
        )  # fmt: skip
    columns = [
        Column("csat", _("Mean score"), "score"),
        Column("satisfied", _("Satisfied (4–5)"), "ratio"),
        Column("answers", _("Answers"), "count"),
    ]
    return Table(f"csat-{by}", title, first, columns, rows)


def worst_open_requests(actor: Any, filters: Filters, limit: int = WORST_LIMIT) -> list[Request]:
    """Open requests with a deadline, the most overdue first, then those due soonest."""
    return list(
        Request.objects.filter(
            Scope(actor, filters).requests(), status__in=OPEN_STATUSES, next_due_at__isnull=False
        )
        .select_related("assignee", "company", "contact", "category")
        .order_by("next_due_at", "pk")[:limit]
    )


def _list_url(params: dict[str, str]) -> str:
    return f"{reverse('service:request-list')}?{urlencode(params)}"


def link_filters(actor: Any, filters: Filters) -> Filters:
    """The filters a number's link carries. A manager's request list also shows the requests
    of their clients that others handle, while their numbers count only the requests assigned
    to them: their links name them as the assignee (a team lead's, their team)."""
    if filters.manager or filters.team or sees_everything(actor) or actor.role == "support":
        return filters
    teams = led_team_ids(actor)
    if not teams:
        return filters.replace(manager=actor.pk)
    return filters.replace(team=teams[0]) if len(teams) == 1 else filters


def build(actor: Any, choice: Choice, *, now: datetime | None = None) -> ServiceBoard:
    """Everything the page shows, each engine call made once."""
    now = now or timezone.now()
    period, filters = choice.period, choice.filters
    narrowed = link_filters(actor, filters)
    links = Links(period, narrowed)
    board = ServiceBoard(choice=choice, previous=period.previous())

    def compute(
        ids: Any, *, on: Period = period, by: str | None = None, medians: bool = True
    ) -> Any:
        return engine.compute(actor=actor, ids=ids, period=on, by=by, filters=filters, now=now,
                              medians=medians)  # fmt: skip

    current = compute(TILES)
    before = compute(TILES, on=board.previous, medians=False)
    board.tiles = _tiles(current, before, links)
    board.trend = _trend(compute(TREND_IDS, by=choice.bucket), choice.bucket, links)
    by_category = compute(["complaints_resolution_rate"], by="category")
    board.complaints = _complaints(by_category["complaints_resolution_rate"], links)
    board.csat_products = _csat_table(
        compute(["csat"], by="product")["csat"], "product", links,
        title=_("Satisfaction by product or service"), first=_("Product or service"),
    )  # fmt: skip
    board.csat_managers = _csat_table(
        compute(["csat"], by="manager")["csat"], "manager", links,
        title=_("Satisfaction by manager"), first=_("Manager"),
    )  # fmt: skip
    board.worst = worst_open_requests(actor, filters)
    people = {"assignee": narrowed.manager, "team": narrowed.team, "product": narrowed.product}
    board.worst_url = _list_url(
        {"open": "1", "breached": "1", **{k: str(v) for k, v in people.items() if v}}
    )
    board.quiet = (
        not current["requests_new"].total.value
        and current["request_handling_hours"].total.value is None
        and current["csat"].total.value is None
    )
    return board


# The page --------------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Tiles against the previous period, trends by week or month, complaints by category,
    satisfaction by product and manager, and the open requests most overdue."""
    user: Any = request.user
    if not may_take_requests(user):
        raise PermissionDenied
    form = ServiceFilterForm(request.GET or None, user=user)
    choice = form.choice()
    now = timezone.now()
    board = build(user, choice, now=now)
    query = choice.query()
    return render(
        request,
        "service/dashboard.html",
        {
            "form": form,
            "choice": choice,
            "board": board,
            "now": now,
            "week_url": urlencode({**query, "bucket": "week"}),
            "month_url": urlencode({**query, "bucket": "month"}),
            "wider_url": urlencode({**query, "period": "last_12_months"}),
        },
    )


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
