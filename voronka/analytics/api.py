"""API: KPI reports in the one JSON shape of the KPI catalogue, and the catalogue itself.

The handlers only read and check the query, then ask :func:`engine.compute` as the
requesting user: the engine counts only what that user may see. The checks are
shared with the ``voronka kpi`` command, so both refuse the same input with the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import NinjaJSONEncoder
from pydantic import ConfigDict

from voronka.analytics import engine
from voronka.analytics.context import GROUPINGS
from voronka.analytics.periods import Period
from voronka.analytics.scope import FILTER_NAMES, Filters
from voronka.core.api import Id, actor, responses

router = Router(tags=["kpis"])

# A report reads every day of its period; five years is more than any dashboard asks for.
MAX_PERIOD_DAYS = 1830
# Far enough apart for any real report, and well inside what dates and databases can hold.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)

Grouping = Literal[GROUPINGS]  # type: ignore[valid-type]


# --- Checks shared with the command line ------------------------------------------------------


class BadInput(ValueError):
    """Input refused, naming the parameter it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_ids(values: Iterable[str] | None) -> list[str]:
    """KPI ids from comma-separated, possibly repeated values; none given means all KPIs."""
    ids = [part.strip() for value in values or () for part in value.split(",")]
    ids = [i for i in ids if i]
    if not ids:
        return list(engine.KPIS)
    unknown = [i for i in dict.fromkeys(ids) if i not in engine.KPIS]
    if unknown:
        raise BadInput(
            "ids",
            _("Unknown KPI: %(unknown)s. Valid ids: %(valid)s.")
            % {"unknown": ", ".join(unknown), "valid": ", ".join(engine.KPIS)},
        )
    return list(dict.fromkeys(ids))


def check_grouping(by: str | None) -> str | None:
    if by is not None and by not in GROUPINGS:
        raise BadInput(
            "by",
            _("Unknown grouping: %(by)s. Valid: %(valid)s.")
            % {"by": by, "valid": ", ".join(GROUPINGS)},
        )
    return by


def check_period(start: date, end: date) -> Period:
    for field, day in (("from", start), ("to", end)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise BadInput(
                field,
                _("The date must be between %(first)s and %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            )
    if end < start:
        raise BadInput("to", _("The period ends before it starts."))
    period = Period(start, end)
    if period.days > MAX_PERIOD_DAYS:
        raise BadInput(
            "to", _("The period is longer than %(days)d days.") % {"days": MAX_PERIOD_DAYS}
        )
    return period


def filter_choices(user: Any) -> dict[str, QuerySet[Any]]:
    """What ``user`` may filter a report by: the records they may name elsewhere."""
    from voronka.accounts.models import Team, User
    from voronka.accounts.queries import users_visible_to
    from voronka.core.visibility import sees_everything
    from voronka.sales.queries import (
        lead_sources_visible_to,
        pipelines_in_settings_for,
        products_visible_to,
    )

    people = users_visible_to(user)
    # A report may look back at a colleague who has since left; a manager never sees
    # their records anyway, so only those who see everything may name them.
    if sees_everything(user):
        people = User.objects.all()
    return {
        "team": Team.objects.all() if people.exists() else Team.objects.none(),
        "manager": people,
        "pipeline": pipelines_in_settings_for(user),
        "source": lead_sources_visible_to(user),
        "product": products_visible_to(user),
    }


_NO_SUCH = {
    "team": gettext_lazy("No such team."),
    "manager": gettext_lazy("No such user."),
    "pipeline": gettext_lazy("No such pipeline."),
    "source": gettext_lazy("No such source."),
    "product": gettext_lazy("No such product."),
}


def check_filters(user: Any, ids: dict[str, int | None]) -> Filters:
    """Filters of existing records ``user`` may see; another id is refused as if missing."""
    given = {name: pk for name, pk in ids.items() if pk is not None}
    choices = filter_choices(user) if given else {}
    for name, pk in given.items():
        if not choices[name].filter(pk=pk).exists():
            raise BadInput(name, str(_NO_SUCH[name]))
    return Filters(**{name: ids.get(name) for name in FILTER_NAMES})


# --- Shapes ------------------------------------------------------------------------------------


class KpiValueOut(Schema):
    """A KPI's value; more fields (a funnel's stages) follow where the KPI has them."""

    model_config = ConfigDict(extra="allow")

    value: int | float | None = Field(
        description="The headline number: a count, money, a ratio (0.4521) or a mean."
    )
    reason: str | None = Field(None, description="Why the value is null (only then).")
    numerator: int | float | None = None
    denominator: int | float | None = None
    mean: float | None = None
    median: float | None = None
    count: int | None = None


class KpiGroupOut(KpiValueOut):
    key: str | None = Field(description="Stable: an id, 2026-03, 2026-Q1, 2026-W09; null: none.")
    label: str


class KpiResultOut(Schema):
    total: KpiValueOut
    groups: list[KpiGroupOut] | None = Field(None, description="Only with `by`.")


class FiltersOut(Schema):
    team: int | None
    manager: int | None
    pipeline: int | None
    source: int | None
    product: int | None


class ReportOut(Schema):
    from_: date = Field(alias="from")
    to: date
    by: str | None
    filters: FiltersOut
    kpis: dict[str, KpiResultOut]


class KpiParams(Schema):
    ids: list[str] | None = Field(
        None,
        description="KPI ids, comma separated or repeated; all KPIs when left out.",
        examples=[["won_revenue,win_rate"]],
    )
    from_: date = Field(alias="from", ge=FIRST_DAY, le=LAST_DAY, description="First day.")
    to: date = Field(ge=FIRST_DAY, le=LAST_DAY, description="Last day, included.")
    by: Grouping | None = Field(None, description="Group every KPI that supports it.")
    team: Id | None = None
    manager: Id | None = Field(None, description="A user's id.")
    pipeline: Id | None = None
    source: Id | None = None
    product: Id | None = None


class KpiInfoOut(Schema):
    id: str
    label: str
    unit: str = Field(
        description="count, money, ratio, days, hours, minutes, score (a mean of 1–5) or table."
    )
    groupings: list[str]


# --- Operations --------------------------------------------------------------------------------

REPORT_DOC = """The KPIs of a period, counted over the records you may see (a manager: their own;
a team lead: the team's; admin and head of sales: everything).

`GET /api/v1/kpis?ids=won_revenue,win_rate&from=2026-01-01&to=2026-03-31&by=manager` →

```json
{"from": "2026-01-01", "to": "2026-03-31", "by": "manager",
 "filters": {"team": null, "manager": null, "pipeline": null, "source": null, "product": null},
 "kpis": {
   "won_revenue": {"total": {"value": 600.0},
                   "groups": [{"key": "4", "label": "Алиса Иванова", "value": 600.0}]},
   "win_rate": {"total": {"value": 0.75, "numerator": 3, "denominator": 4},
                "groups": [{"key": "4", "label": "Алиса Иванова", "value": 0.75,
                            "numerator": 3, "denominator": 4}]}}}
```

Ratios are fractions; money has at most two decimals; an undefined value is `null` with a
`reason`. A KPI that cannot be grouped by `by` has an empty `groups`. The period is at most
1830 days. An unknown KPI, grouping or filter id answers 422 naming the parameter."""


def _refuse(error: BadInput) -> NinjaValidationError:
    return NinjaValidationError(
        [{"loc": ["query", error.field], "msg": error.message, "type": "value_error"}]
    )


@router.get(
    "/kpis",
    response=responses({200: ReportOut}),
    summary="KPI report",
    description=REPORT_DOC,
    by_alias=True,
)
def kpi_report(request: HttpRequest, params: Query[KpiParams]) -> Any:
    user = actor(request)
    try:
        ids = parse_ids(params.ids)
        period = check_period(params.from_, params.to)
        filters = check_filters(user, {name: getattr(params, name) for name in FILTER_NAMES})
    except BadInput as error:
        raise _refuse(error) from error
    report = engine.compute(actor=user, ids=ids, period=period, by=params.by, filters=filters)
    # Answered as the engine shapes it, untouched: the schema above documents it, but a
    # KPI's own fields (a funnel's stages) must not be dropped on the way out.
    return JsonResponse(report.as_json(), encoder=NinjaJSONEncoder)


@router.get(
    "/kpis/catalogue",
    response=responses({200: list[KpiInfoOut]}),
    summary="KPI catalogue",
    description="Every KPI the report knows: its id, name, unit and the groupings it supports.",
)
def kpi_catalogue(request: HttpRequest) -> Any:
    return catalogue()


def catalogue() -> list[dict[str, Any]]:
    return [
        {
            "id": kpi.id,
            "label": str(kpi.label),
            "unit": kpi.unit,
            "groupings": [g for g in GROUPINGS if g in kpi.groupings],
        }
        for kpi in engine.KPIS.values()
    ]
