"""What every KPI function receives: the reader's scope, the period, the grouping."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.analytics.periods import TIME_GROUPS, Period
from voronka.analytics.scope import Scope
from voronka.core import organisation

GROUPINGS = (
    "manager", "team", "source", "product", "pipeline", "stage", "client", "category",
    "day", "week", "month", "quarter",
)  # fmt: skip
TIME_GROUPINGS = frozenset(TIME_GROUPS)


@dataclass(frozen=True)
class Ctx:
    scope: Scope
    period: Period
    by: str | None = None
    now: datetime = field(default_factory=timezone.now)
    # Read the records themselves instead of the rollups (tests compare both).
    direct: bool = False
    # Medians read every value of the period; a comparison or a ranking may go without.
    medians: bool = True
    # Sums already read for this report: several KPIs share them (won revenue, average check).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def knows(self, key: Any) -> bool:
        return (key, self.by, self.period, self.scope) in self.memo

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        full = (key, self.by, self.period, self.scope)
        if full not in self.memo:
            self.memo[full] = compute()
        return self.memo[full]

    @property
    def tz(self) -> Any:
        return organisation.current().tz

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return self.period.bounds(self.tz)

    @property
    def as_of(self) -> datetime:
        return self.period.as_of(self.now)

    @property
    def as_of_date(self) -> date:
        return timezone.localtime(self.as_of, self.tz).date()

    def rollups_serve(self, groupings: Iterable[str]) -> bool:
        """Whether the rollups can answer: no product filter, a grouping they carry."""
        if self.direct or self.scope.uses_product:
            return False
        return self.by is None or self.by in groupings


# The field a grouping reads, on a record and on a rollup row ----------------------------------


def owner_field(by: str, owner: str = "owner") -> str | None:
    return {"manager": f"{owner}_id", "team": f"{owner}__team_id"}.get(by)


def record_group(by: str, *, owner: str = "owner", when: str = "", tz: Any = None) -> Any:
    """An expression for the group of a record (deal, lead, request or survey); ``when`` is
    its date field. Products are a deal's lines; a request names its product itself."""
    simple = {
        "manager": F(f"{owner}_id"),
        "team": F(f"{owner}__team_id"),
        "source": F("source_id"),
        "pipeline": F("pipeline_id"),
        "stage": F("stage_id"),
        "product": F("lines__product_id"),
        "category": F("category_id"),
    }
    if by in simple:
        return simple[by]
    if by == "client":
        return Coalesce("company_id", -F("contact_id"))  # contacts as negative ids
    truncate = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
    if by in truncate:
        return truncate[by](when, tzinfo=tz)
    raise ValueError(by)


def fold_key(by: str | None, raw: Any) -> str | None:
    """The stable key of a group value: an id as text, or ``2017-03`` for a month."""
    if by is None or raw is None:
        return None
    if by in TIME_GROUPINGS:
        day = raw.date() if isinstance(raw, datetime) else raw
        return TIME_GROUPS[by](day)[0]
    if by == "client":
        return f"company:{raw}" if raw > 0 else f"contact:{-raw}"
    return str(raw)


def labels(by: str, keys: Iterable[str | None], period: Period | None = None) -> dict[Any, str]:
    """What a person reads for each group key."""
    from voronka.accounts.models import Team, User
    from voronka.clients.models import Company, Contact
    from voronka.sales.models import LeadSource, Pipeline, Product, Stage
    from voronka.service.models import Category

    present = [k for k in keys if k is not None]
    out: dict[Any, str] = {None: _none_label(by)}
    if by in TIME_GROUPINGS:
        fold = TIME_GROUPS[by]
        for k in present:
            out[k] = _time_label(by, k, fold)
        return out
    if by == "client":
        companies = [int(k.split(":")[1]) for k in present if k.startswith("company:")]
        contacts = [int(k.split(":")[1]) for k in present if k.startswith("contact:")]
        for c in Company.all_objects.filter(pk__in=companies).only("name"):
            out[f"company:{c.pk}"] = c.name
        for p in Contact.all_objects.filter(pk__in=contacts):
            out[f"contact:{p.pk}"] = str(p)
        return out
    model: Any = {
        "manager": User, "team": Team, "source": LeadSource, "pipeline": Pipeline,
        "stage": Stage, "product": Product, "category": Category,
    }[by]  # fmt: skip
    manager = getattr(model, "all_objects", model.objects)
    for obj in manager.filter(pk__in=[int(k) for k in present]):
        out[str(obj.pk)] = str(obj)
    return out


def _time_label(by: str, key: str, fold: Callable[[date], tuple[str, str]]) -> str:
    if by == "month":
        return fold(date.fromisoformat(key + "-01"))[1]
    if by == "day":
        return fold(date.fromisoformat(key))[1]
    if by == "week":
        return fold(date.fromisocalendar(int(key[:4]), int(key[6:]), 1))[1]
    year, quarter = int(key[:4]), int(key[-1])
    return fold(date(year, 3 * quarter - 2, 1))[1]


def _none_label(by: str) -> str:
    return {
        "team": _("No team"),
        "source": _("No source"),
        "manager": _("No manager"),
        "product": _("No products"),
        "client": _("No client"),
        "category": _("No category"),
    }.get(by, "—")
