"""Report periods: a pair of local calendar dates, both inclusive, and how to group by time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from voronka.core import organisation


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """Aware datetimes [start, end) covering the local days of the period."""
        tz = tz or organisation.current().tz
        first = datetime.combine(self.start, time.min, tzinfo=tz)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
        return first, after

    def as_of(self, now: datetime | None = None) -> datetime:
        """The moment point-in-time KPIs are evaluated at: the end of ``end``, or now."""
        return min(self.bounds()[1], now or timezone.now())

    def previous(self) -> Period:
        """The period of equal length just before this one (a whole month for a month)."""
        if self.start.day == 1 and self.end == month_end(self.end) and self.start <= self.end:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            start = add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def month_end(day: date) -> date:
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


PRESETS: dict[str, object] = {
    "today": _("Today"),
    "this_week": _("This week"),
    "this_month": _("This month"),
    "last_month": _("Last month"),
    "this_quarter": _("This quarter"),
    "last_quarter": _("Last quarter"),
    "this_year": _("This year"),
    "last_30_days": _("Last 30 days"),
    "last_90_days": _("Last 90 days"),
    "last_12_months": _("Last 12 months"),
}


def preset(name: str, today: date | None = None) -> Period:
    """A named period relative to today (in the organisation's time zone)."""
    today = today or timezone.localdate(timezone=organisation.current().tz)
    if name == "today":
        return Period(today, today)
    if name == "this_week":
        monday = today - timedelta(days=today.weekday())
        return Period(monday, monday + timedelta(days=6))
    if name == "this_month":
        return Period(today.replace(day=1), month_end(today))
    if name == "last_month":
        start = add_months(today.replace(day=1), -1)
        return Period(start, month_end(start))
    if name == "this_quarter":
        start = quarter_start(today)
        return Period(start, add_months(start, 3) - timedelta(days=1))
    if name == "last_quarter":
        start = add_months(quarter_start(today), -3)
        return Period(start, add_months(start, 3) - timedelta(days=1))
    if name == "this_year":
        return Period(date(today.year, 1, 1), date(today.year, 12, 31))
    if name == "last_30_days":
        return Period(today - timedelta(days=29), today)
    if name == "last_90_days":
        return Period(today - timedelta(days=89), today)
    if name == "last_12_months":
        return Period(add_months(today.replace(day=1), -11), today)
    raise ValueError(f"unknown period {name!r}")


# Time groupings: a stable key and what a person reads, from a local date.
def _month(day: date) -> tuple[str, str]:
    return f"{day:%Y-%m}", date_format(day, "F Y")


def _quarter(day: date) -> tuple[str, str]:
    q = (day.month - 1) // 3 + 1
    return f"{day.year}-Q{q}", f"Q{q} {day.year}"


def _week(day: date) -> tuple[str, str]:
    year, week, _weekday = day.isocalendar()
    monday = day - timedelta(days=day.weekday())
    return f"{year}-W{week:02d}", date_format(monday, "d.m.Y")


def _day(day: date) -> tuple[str, str]:
    return day.isoformat(), date_format(day, "d.m.Y")


TIME_GROUPS: dict[str, Callable[[date], tuple[str, str]]] = {
    "day": _day,
    "week": _week,
    "month": _month,
    "quarter": _quarter,
}


def time_buckets(period: Period, by: str) -> list[tuple[str, str]]:
    """Every bucket of the period in order, so a chart shows empty weeks as zero."""
    fold = TIME_GROUPS[by]
    seen: dict[str, str] = {}
    day = period.start
    while day <= period.end:
        key, label = fold(day)
        seen.setdefault(key, label)
        day += timedelta(days=1)
    return list(seen.items())
