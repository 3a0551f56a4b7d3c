"""When things happen: the season curve and a deal's walk through its stages."""

from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from voronka.core.seeding import catalog

DAY = 86_400.0
_HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 0, 1, 3, 8, 10, 10, 7, 8, 10, 9, 8, 6, 3, 2, 1, 1, 0, 0]
_HOURS = list(range(24))


def _day_factor(d: date) -> float:
    f = catalog.MONTH_WEIGHT[d.month] * catalog.WEEKDAY_WEIGHT[d.weekday()]
    if d.month == 1 and d.day <= 8:
        f *= 0.08  # New Year holidays
    elif d.month == 5 and d.day <= 10:
        f *= 0.35  # May holidays
    elif d.month == 12 and 10 <= d.day <= 28:
        f *= 1.3  # year-end budgets are spent
    elif d.month == 12 and d.day >= 29:
        f *= 0.3
    return f


class Clock:
    """Day starts in the organisation's time zone and a season-weighted sampler.

    The window ends at the start of today, so a seed run twice on one day
    gives the same timestamps.
    """

    def __init__(self, rng: random.Random, tz_name: str, today: date) -> None:
        self.rng = rng
        self.tz = ZoneInfo(tz_name)
        self.today = today
        days = [
            today - timedelta(days=catalog.HISTORY_DAYS - i) for i in range(catalog.HISTORY_DAYS)
        ]
        self.day_dates = days
        self.day_starts = [
            datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp() for d in days
        ]
        self.now = datetime(today.year, today.month, today.day, tzinfo=self.tz).timestamp()
        weights = []
        for i, d in enumerate(days):
            growth = 0.8 + 0.4 * i / len(days)  # the business grows about 25 % a year
            weights.append(_day_factor(d) * growth)
        self.cum = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def moment(self) -> float:
        """A working-hours moment on a day drawn by the season curve."""
        rng = self.rng
        i = bisect.bisect_left(self.cum, rng.random() * self.total)
        i = min(i, len(self.cum) - 1)
        hour = rng.choices(_HOURS, _HOUR_WEIGHTS)[0]
        return float(int(self.day_starts[i] + hour * 3600 + rng.randrange(3600)))

    def as_dt(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    def as_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()


def _gap(rng: random.Random, median_days: float) -> float:
    return rng.lognormvariate(math.log(median_days), 0.85) * DAY


def walk(
    rng: random.Random,
    *,
    created: float,
    n_open: int,
    won: bool,
    lost_at: int,
    step_days: float,
    now: float,
) -> tuple[list[tuple[int, float]], float]:
    """The stages a deal enters, as (stage index, moment), cut at ``now``.

    Stage indexes: 0..n_open-1 are the open stages, ``n_open`` is won and
    ``n_open + 1`` lost. Also returns the planned length of the whole cycle,
    from which the expected close date is set.
    """
    if won:
        planned = [0]
        skipped = False
        for i in range(1, n_open):
            if not skipped and 0 < i < n_open - 1 and rng.random() < 0.12:
                skipped = True
                continue
            planned.append(i)
        planned.append(n_open)
    else:
        planned = [*range(lost_at + 1), n_open + 1]
    if len(planned) > 3 and rng.random() < 0.05:
        # the client hesitates: one step back, then on again
        at = rng.randrange(2, len(planned) - 1)
        planned[at:at] = [planned[at - 1] - 1 if planned[at - 1] > 0 else 0, planned[at - 1]]
    stall = rng.randrange(1, len(planned)) if rng.random() < 0.14 else -1
    entries = [(planned[0], created)]
    t = created
    cycle = 0.0
    reached = True
    for k in range(1, len(planned)):
        gap = _gap(rng, step_days)
        cycle += gap
        if k == stall:
            gap += rng.uniform(45, 220) * DAY
        t += gap
        reached = reached and t <= now
        if reached:
            entries.append((planned[k], float(int(t))))
    # collapse a back step that landed on the same stage as before it
    cleaned = [entries[0]]
    for stage, moment in entries[1:]:
        if stage != cleaned[-1][0]:
            cleaned.append((stage, moment))
    return cleaned, cycle
