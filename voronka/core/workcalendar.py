"""The organisation's working time: which moments count for a target in working hours.

A day is a working day when it is one of the working week's days and not a holiday,
or when it is a weekend made a working day. Every working day has the same hours, in
the organisation's time zone. Targets measured in calendar time need none of this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from voronka.core.organisation import OrgSettings

# Beyond this a deadline is not worth computing: a calendar without working days.
MAX_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working hours within reach."""


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    days: frozenset[int]
    starts: dt.time
    ends: dt.time
    holidays: frozenset[dt.date] = frozenset()
    working_weekends: frozenset[dt.date] = frozenset()

    @classmethod
    def of(cls, org: OrgSettings, exceptions: Iterable[tuple[dt.date, bool]] = ()) -> WorkCalendar:
        """The calendar of ``org`` with its exceptions: (date, is a working day) pairs."""
        exceptions = list(exceptions)
        return cls(
            org.tz, frozenset(org.work_days), org.work_starts, org.work_ends,
            holidays=frozenset(day for day, working in exceptions if not working),
            working_weekends=frozenset(day for day, working in exceptions if working),
        )  # fmt: skip

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() in self.days and day not in self.holidays

    def hours_of(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The working hours of ``day`` as two aware moments."""
        return (
            dt.datetime.combine(day, self.starts, tzinfo=self.tz),
            dt.datetime.combine(day, self.ends, tzinfo=self.tz),
        )

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment ``minutes`` of working time after ``start``.

        Time outside working hours does not count: a request received on Friday
        evening with a target of two working hours is due at 11:00 on Monday.
        """
        left = dt.timedelta(minutes=minutes)
        cursor = start.astimezone(self.tz)
        day = cursor.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self.hours_of(day)
                cursor = max(cursor, opens)
                if cursor < closes:
                    room = _elapsed(cursor, closes)
                    if left <= room:
                        return (cursor.astimezone(dt.UTC) + left).astimezone(self.tz)
                    left -= room
            day += dt.timedelta(days=1)
            cursor = dt.datetime.combine(day, dt.time.min, tzinfo=self.tz)
        raise NoWorkingTime(start)

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from ``start`` to ``end`` (zero when ``end`` is earlier)."""
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        local_end = end.astimezone(self.tz)
        day = start.astimezone(self.tz).date()
        while day <= local_end.date():
            if self.is_working_day(day):
                opens, closes = self.hours_of(day)
                lo, hi = max(opens, start), min(closes, end)
                if hi > lo:
                    total += _elapsed(lo, hi)
            day += dt.timedelta(days=1)
        return total


def _elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Real time from ``start`` to ``end``. Python subtracts two moments of one zone by
    their wall clocks, which would count the hour skipped or repeated when summer time
    starts or ends (a desk working round the clock) as working time, or not at all."""
    return end.astimezone(dt.UTC) - start.astimezone(dt.UTC)


def current() -> WorkCalendar:
    """The organisation's calendar; its exceptions are cached with its settings."""
    from django.core.cache import cache

    from voronka.core import organisation
    from voronka.core.models import CalendarDay

    exceptions = cache.get(organisation.CALENDAR_CACHE_KEY)
    if exceptions is None:
        exceptions = list(CalendarDay.objects.values_list("day", "is_working"))
        cache.set(organisation.CALENDAR_CACHE_KEY, exceptions, 60)
    return WorkCalendar.of(organisation.current(), exceptions)
