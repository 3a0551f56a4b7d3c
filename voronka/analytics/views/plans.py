"""Sales plans: the grid of targets per manager and team, and plan vs fact with the forecast."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from voronka.analytics import engine, plans
from voronka.analytics.models import SalesPlan
from voronka.analytics.periods import Period, add_months
from voronka.analytics.services import PlanCell, PlanGridError, may_plan_for, plans_set_many
from voronka.analytics.values import Value
from voronka.core import organisation
from voronka.core.templatetags.voronka import money


@dataclass(frozen=True)
class Choice:
    """What the grid shows: a metric, a year, and a quarter's months, the year's months or
    the year's quarters."""

    metric: str
    year: int
    kind: str  # month | quarter
    quarter: int | None  # with months: one quarter, or None for the whole year
    focus: date | None  # plan vs fact for one column; None: the whole grid

    def query(self, **changes: Any) -> str:
        data = {"metric": self.metric, "year": self.year, "kind": self.kind,
                "q": self.quarter or "all", "focus": self.focus or ""}  # fmt: skip
        data.update(changes)
        return urlencode({k: v for k, v in data.items() if v not in ("", None)})

    @property
    def grid_query(self) -> str:
        """The grid's address parameters without the plan-vs-fact focus."""
        return self.query(focus="")


def _int(raw: Any, default: int, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def parse_choice(params: QueryDict, today: date) -> Choice:
    metric = params.get("metric", "")
    if metric not in plans.METRICS:
        metric = plans.DEFAULT_METRIC
    kind = params.get("kind", "")
    if kind not in SalesPlan.PeriodKind.values:
        kind = SalesPlan.PeriodKind.MONTH
    year = _int(params.get("year"), today.year, 2000, 2100)
    quarter: int | None = None
    if kind == SalesPlan.PeriodKind.MONTH and params.get("q") != "all":
        quarter = _int(params.get("q"), (today.month - 1) // 3 + 1, 1, 4)
    focus: date | None = None
    try:
        focus = date.fromisoformat(params.get("focus", ""))
    except ValueError:
        focus = None
    return Choice(metric, year, kind, quarter, focus)


@dataclass(frozen=True)
class Column:
    start: date
    end: date
    label: str
    started: bool

    @property
    def key(self) -> str:
        return self.start.isoformat()


def columns_of(choice: Choice, today: date) -> list[Column]:
    if choice.kind == SalesPlan.PeriodKind.QUARTER:
        starts = [date(choice.year, m, 1) for m in (1, 4, 7, 10)]
        step = 3
    elif choice.quarter is None:
        starts = [date(choice.year, m, 1) for m in range(1, 13)]
        step = 1
    else:
        first = 3 * choice.quarter - 2
        starts = [date(choice.year, m, 1) for m in range(first, first + 3)]
        step = 1
    out = []
    for start in starts:
        end = add_months(start, step) - timedelta(days=1)
        if step == 3:
            label = f"Q{(start.month - 1) // 3 + 1} {start.year}"
        else:
            label = formats.date_format(start, "F Y")
        out.append(Column(start, end, label, start <= today))
    return out


@dataclass
class Shown:
    """A number as a person reads it; a null one shows "—" and its reason."""

    text: str
    reason: str = ""
    percent: float | None = None


def show(value: Value | None, unit: str, currency: str) -> Shown:
    if value is None:
        return Shown("")
    if value.value is None:
        return Shown("—", str(value.reason))
    if unit == "ratio":
        pct = float(value.value) * 100
        return Shown(formats.number_format(pct, 1, use_l10n=True) + "\xa0%", percent=pct)
    if unit == "money":
        return Shown(money(value.value, currency))
    number = Decimal(str(value.value))
    places = 0 if number == number.to_integral_value() else 2
    return Shown(formats.number_format(number, places, use_l10n=True, force_grouping=True))


@dataclass
class Cell:
    name: str  # the form fields' suffix
    column: Column
    value: str = ""  # what the input shows
    original: str = ""
    version: int = 0
    fact: Shown | None = None
    fulfilment: Shown | None = None
    error: str = ""


@dataclass
class Row:
    kind: str  # team | manager
    obj: Any
    key: str
    editable: bool
    cells: list[Cell] = field(default_factory=list)


def _input_text(target: Decimal) -> str:
    return str(target.quantize(Decimal(1)) if target == target.to_integral_value() else target)


def build_rows(user: Any, choice: Choice, columns: list[Column], currency: str) -> list[Row]:
    """Teams with their members under them, each with a cell per column."""
    teams, managers = plans.planned_people(user)
    stored = {
        (p.manager_id and f"m{p.manager_id}" or f"t{p.team_id}", p.period_start): p
        for p in plans.plans_visible_to(user).filter(
            metric=choice.metric,
            period_kind=choice.kind,
            period_start__in=[c.start for c in columns],
        )
    }
    facts = _facts(user, choice, columns)
    unit = engine.KPIS[choice.metric].unit
    rows: list[Row] = []
    members: dict[int | None, list[Any]] = {}
    shown_teams = {t.pk for t in teams}
    for manager in managers:
        # A manager whose team is not on the grid is listed after the teams.
        team_id = manager.team_id if manager.team_id in shown_teams else None
        members.setdefault(team_id, []).append(manager)
    for team in [*teams, None]:
        if team is not None:
            rows.append(Row("team", team, f"t{team.pk}", may_plan_for(user, team=team)))
        for manager in members.get(team.pk if team else None, []):
            editable = may_plan_for(user, manager=manager)
            rows.append(Row("manager", manager, f"m{manager.pk}", editable))
    for row in rows:
        for column in columns:
            plan = stored.get((row.key, column.start))
            cell = Cell(f"{row.key}-{column.key}", column)
            if plan is not None:
                cell.value = cell.original = _input_text(plan.target)
                cell.version = plan.version
            if column.started:
                actual = facts.get((row.kind, column.start), {}).get(str(row.obj.pk))
                actual = actual or Value(0)
                cell.fact = show(actual, unit, currency)
                if plan is not None:
                    cell.fulfilment = show(
                        plans.fulfilment_value(actual, plan.target), "ratio", currency
                    )
            row.cells.append(cell)
    return rows


def _facts(user: Any, choice: Choice, columns: list[Column]) -> dict[tuple[str, date], Any]:
    """The metric's actual value per manager and per team for each column already begun."""
    out: dict[tuple[str, date], dict[str | None, Value]] = {}
    for column in columns:
        if not column.started:
            continue
        for kind, by in (("manager", "manager"), ("team", "team")):
            report = engine.compute(
                actor=user, ids=[choice.metric], period=Period(column.start, column.end), by=by
            )
            out[(kind, column.start)] = {g.key: g.value for g in report[choice.metric].groups or []}
    return out


def plan_vs_fact(user: Any, choice: Choice, columns: list[Column], currency: str) -> dict[str, Any]:
    """Target, fact, fulfilment, forecast and the pace needed, per manager, per team and in all."""
    focused = [c for c in columns if c.start == choice.focus]
    period = (
        Period(focused[0].start, focused[0].end)
        if focused
        else Period(columns[0].start, columns[-1].end)
    )
    m = choice.metric
    ids = [plans.kpi_id("plan_target", m), m, plans.kpi_id("plan_fulfilment", m),
           plans.kpi_id("plan_forecast", m)]  # fmt: skip
    unit = engine.KPIS[m].unit
    sections = []
    total = None
    for by, title in (("team", _("Teams")), ("manager", _("Managers"))):
        report = engine.compute(actor=user, ids=ids, period=period, by=by)
        target, fact, fulfilment, forecast = (report[i] for i in ids)
        if total is None:
            total = _pvf_line(_("Total"), target.total, fact.total, fulfilment.total,
                              forecast.total, unit, currency)  # fmt: skip
        facts = {g.key: g.value for g in fact.groups or []}
        fulfilments = {g.key: g.value for g in fulfilment.groups or []}
        forecasts = {g.key: g.value for g in forecast.groups or []}
        lines = [
            _pvf_line(
                g.label,
                g.value,
                facts.get(g.key, Value(0)),
                fulfilments.get(g.key),
                forecasts.get(g.key),
                unit,
                currency,
            )  # fmt: skip
            for g in target.groups or []
        ]
        sections.append({"by": by, "title": title, "lines": lines})
    return {"period": period, "total": total, "sections": sections, "focused": bool(focused)}


def _pvf_line(label: str, target: Value, fact: Value, fulfilment: Value | None,
              forecast: Value | None, unit: str, currency: str) -> dict[str, Any]:  # fmt: skip
    extra = forecast.extra if forecast is not None else {}
    needed = extra.get("needed_per_working_day")
    shown_fulfilment = show(fulfilment, "ratio", currency)
    return {
        "label": label,
        "target": show(target, unit, currency),
        "fact": show(fact, unit, currency),
        "fulfilment": shown_fulfilment,
        "bar": min(shown_fulfilment.percent or 0, 100),
        "forecast": show(forecast, unit, currency),
        "needed": show(Value(None if needed is None else Decimal(str(needed)),
                             reason=_("no target or no working days left")), unit, currency),
        "days_left": extra.get("working_days_left"),
    }  # fmt: skip


def _cells_posted(data: QueryDict, rows: list[Row]) -> tuple[list[PlanCell], dict[str, str], bool]:
    """The changed cells of the posted grid, and every posted value (to show them again)."""
    posted: dict[str, str] = {}
    cells: list[PlanCell] = []
    foreign = False
    for row in rows:
        for cell in row.cells:
            if f"t-{cell.name}" not in data:
                continue
            value = data.get(f"t-{cell.name}", "").strip()
            posted[cell.name] = value
            if value == data.get(f"o-{cell.name}", "").strip():
                continue
            if not row.editable:
                foreign = True
                continue
            who = {"manager": row.obj} if row.kind == "manager" else {"team": row.obj}
            version = _int(data.get(f"v-{cell.name}"), 0, 0, 2**31)
            cells.append(PlanCell(cell.name, cell.column.start, value, version, **who))
    return cells, posted, foreign


@login_required
@require_http_methods(["GET", "POST"])
def plan_grid(request: HttpRequest) -> HttpResponse:
    """The plan grid: editable by the head of sales and team leads, read-only for others."""
    user: Any = request.user
    today = timezone.localdate(timezone=organisation.current().tz)
    params = request.POST if request.method == "POST" else request.GET
    choice = parse_choice(params, today)
    columns = columns_of(choice, today)
    currency = organisation.current().base_currency
    rows = build_rows(user, choice, columns, currency)
    may_edit = any(r.editable for r in rows)
    status = 200
    conflict = False
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("Only the head of sales or a team lead sets targets."))
        cells, posted, foreign = _cells_posted(request.POST, rows)
        if foreign:
            raise PermissionDenied(_("Only the head of sales or the team lead sets this target."))
        try:
            saved = plans_set_many(
                actor=user, metric=choice.metric, period_kind=choice.kind, cells=cells
            )
        except PlanGridError as exc:
            errors, conflict = exc.errors, exc.stale
            status = 409 if exc.stale else 422
            for row in rows:
                for cell in row.cells:
                    cell.value = posted.get(cell.name, cell.value)
                    cell.error = errors.get(cell.name, "")
        else:
            text = _("Plan saved: %(count)d changed.") % {"count": len(saved)}
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, text)
                return redirect(f"{reverse('analytics:plans')}?{choice.query()}")
            rows = build_rows(user, choice, columns, currency)
            context = _context(user, choice, columns, rows, currency, saved_text=text)
            return render(request, "analytics/partials/_plan_grid.html", context)
    context = _context(user, choice, columns, rows, currency, errors=errors, conflict=conflict)
    template = (
        "analytics/partials/_plan_grid.html"
        if request.htmx and request.method == "POST"  # type: ignore[attr-defined]
        else "analytics/plans.html"
    )
    return render(request, template, context, status=status)


def _context(user: Any, choice: Choice, columns: list[Column], rows: list[Row], currency: str,
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    year_options = range(choice.year - 2, choice.year + 3)
    return {
        "choice": choice,
        "columns": columns,
        "rows": rows,
        "may_edit": any(r.editable for r in rows),
        "metrics": SalesPlan.Metric.choices,
        "unit": engine.KPIS[choice.metric].unit,
        "years": year_options,
        "quarters": [1, 2, 3, 4],
        "pvf": plan_vs_fact(user, choice, columns, currency) if rows else None,
        **extra,
    }
