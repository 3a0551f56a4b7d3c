"""Report periods: presets, the previous period, bounds in Moscow, time buckets."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.analytics.conftest import utc
from voronka.analytics.periods import PRESETS, Period, preset, time_buckets

WEDNESDAY = date(2026, 3, 18)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", date(2026, 3, 18), date(2026, 3, 18)),
        ("this_week", date(2026, 3, 16), date(2026, 3, 22)),
        ("this_month", date(2026, 3, 1), date(2026, 3, 31)),
        ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
        ("this_quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("last_quarter", date(2025, 10, 1), date(2025, 12, 31)),
        ("this_year", date(2026, 1, 1), date(2026, 12, 31)),
        # 30 days ending today: March 18 back 29 days is February 17.
        ("last_30_days", date(2026, 2, 17), date(2026, 3, 18)),
        # 90 days: 18 (March) + 28 (February) + 31 (January) + 13 (December 19..31).
        ("last_90_days", date(2025, 12, 19), date(2026, 3, 18)),
        ("last_12_months", date(2025, 4, 1), date(2026, 3, 18)),
    ],
)
def test_each_preset_is_the_calendar_period_it_names(name, start, end):
    assert preset(name, today=WEDNESDAY) == Period(start, end)


def test_every_listed_preset_is_understood_and_an_unknown_one_is_refused():
    assert set(PRESETS) == {
        "today", "this_week", "this_month", "last_month", "this_quarter", "last_quarter",
        "this_year", "last_30_days", "last_90_days", "last_12_months",
    }  # fmt: skip
    for name in PRESETS:
        preset(name, today=WEDNESDAY)
    with pytest.raises(ValueError, match="unknown period"):
        preset("next_century", today=WEDNESDAY)


def test_last_month_in_january_is_december_of_the_year_before():
    assert preset("last_month", today=date(2026, 1, 10)) == Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    assert preset("last_quarter", today=date(2026, 2, 1)) == Period(
        date(2025, 10, 1), date(2025, 12, 31)
    )


def test_today_is_the_organisations_date_not_utcs(db, clock):
    # 22:30 UTC on March 31st is 01:30 on April 1st in Moscow.
    clock.set(utc(2026, 3, 31, 22, 30))
    assert preset("today") == Period(date(2026, 4, 1), date(2026, 4, 1))
    assert preset("this_month") == Period(date(2026, 4, 1), date(2026, 4, 30))


@pytest.mark.parametrize(
    ("start", "end", "prev_start", "prev_end"),
    [
        # A whole month: the whole month before, however long.
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2024, 3, 1), date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2026, 1, 1), date(2026, 1, 31), date(2025, 12, 1), date(2025, 12, 31)),
        # Whole months: as many whole months before.
        (date(2026, 1, 1), date(2026, 3, 31), date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31), date(2025, 1, 1), date(2025, 12, 31)),
        # Anything else: the same number of days just before.
        (date(2026, 3, 16), date(2026, 3, 22), date(2026, 3, 9), date(2026, 3, 15)),
        (date(2026, 3, 1), date(2026, 3, 15), date(2026, 2, 14), date(2026, 2, 28)),
        (date(2026, 3, 15), date(2026, 3, 31), date(2026, 2, 26), date(2026, 3, 14)),
        (date(2026, 3, 18), date(2026, 3, 18), date(2026, 3, 17), date(2026, 3, 17)),
    ],
)
def test_the_previous_period_is_the_one_of_equal_length_just_before(
    start, end, prev_start, prev_end
):
    assert Period(start, end).previous() == Period(prev_start, prev_end)


def test_a_period_counts_both_its_days_and_may_not_end_before_it_starts():
    assert Period(date(2026, 3, 1), date(2026, 3, 31)).days == 31
    assert Period(date(2026, 3, 18), date(2026, 3, 18)).days == 1
    with pytest.raises(ValueError, match="ends before it starts"):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_bounds_cover_the_local_days_of_the_period_in_moscow(db):
    period = Period(date(2026, 4, 1), date(2026, 4, 30))
    first, after = period.bounds()
    # Moscow is UTC+3 all year: April 1st starts at 21:00 UTC on March 31st.
    assert first.astimezone(UTC) == datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 4, 30, 21, 0, tzinfo=UTC)
    assert period.bounds(ZoneInfo("UTC")) == (
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 5, 1, tzinfo=UTC),
    )


def test_the_as_of_moment_is_the_end_of_the_period_or_now_if_sooner(db):
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    end = datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
    assert period.as_of(utc(2026, 6, 1)) == end
    assert period.as_of(utc(2026, 3, 10, 8)) == utc(2026, 3, 10, 8)


def test_month_buckets_list_every_month_touched_by_the_period_in_order():
    period = Period(date(2026, 1, 15), date(2026, 3, 10))
    assert time_buckets(period, "month") == [
        ("2026-01", "January 2026"),
        ("2026-02", "February 2026"),
        ("2026-03", "March 2026"),
    ]


def test_quarter_buckets_are_keyed_year_and_quarter():
    period = Period(date(2025, 12, 1), date(2026, 4, 1))
    assert time_buckets(period, "quarter") == [
        ("2025-Q4", "Q4 2025"),
        ("2026-Q1", "Q1 2026"),
        ("2026-Q2", "Q2 2026"),
    ]


def test_week_buckets_are_iso_weeks_labelled_by_their_monday_across_the_new_year():
    # December 28th 2025 is a Sunday of ISO week 52; December 29th starts 2026's week 1.
    period = Period(date(2025, 12, 28), date(2026, 1, 12))
    assert time_buckets(period, "week") == [
        ("2025-W52", "22.12.2025"),
        ("2026-W01", "29.12.2025"),
        ("2026-W02", "05.01.2026"),
        ("2026-W03", "12.01.2026"),
    ]
    assert time_buckets(Period(date(2026, 2, 23), date(2026, 3, 1)), "week") == [
        ("2026-W09", "23.02.2026")
    ]


def test_day_buckets_list_every_day():
    assert time_buckets(Period(date(2026, 2, 27), date(2026, 3, 1)), "day") == [
        ("2026-02-27", "27.02.2026"),
        ("2026-02-28", "28.02.2026"),
        ("2026-03-01", "01.03.2026"),
    ]
