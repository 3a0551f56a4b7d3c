"""The organisation's working time: deadlines counted in working hours only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.core.workcalendar import NoWorkingTime, WorkCalendar

MSK = ZoneInfo("Europe/Moscow")
UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")

# Russia's New Year holidays of 2026 (1–8 January), as the admin enters them.
NEW_YEAR_2026 = frozenset(dt.date(2026, 1, d) for d in range(1, 9))


def office(**changes: Any) -> WorkCalendar:
    """Monday to Friday, 9:00 to 18:00 in Moscow, unless told otherwise."""
    fields: dict[str, Any] = {
        "tz": MSK, "days": frozenset(range(5)), "starts": dt.time(9), "ends": dt.time(18),
    }  # fmt: skip
    fields.update(changes)
    return WorkCalendar(**fields)


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


def minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


# --- Examples ---------------------------------------------------------------------------------


def test_friday_evening_plus_two_working_hours_is_monday_eleven():
    friday_evening = msk(2026, 11, 27, 19, 30)

    assert office().add(friday_evening, 120) == msk(2026, 11, 30, 11, 0)


def test_the_hour_left_on_friday_counts_and_the_rest_goes_to_monday():
    assert office().add(msk(2026, 11, 27, 17, 0), 120) == msk(2026, 11, 30, 10, 0)


def test_a_request_at_three_at_night_counts_from_nine():
    cal = office()
    night = msk(2026, 11, 24, 3, 0)  # Tuesday

    assert cal.add(night, 60) == msk(2026, 11, 24, 10, 0)
    assert cal.add(night, 0) == msk(2026, 11, 24, 9, 0)
    assert cal.between(night, msk(2026, 11, 24, 9, 0)) == dt.timedelta(0)
    assert cal.between(night, msk(2026, 11, 24, 9, 45)) == dt.timedelta(minutes=45)


def test_a_deadline_ending_exactly_at_closing_time_stays_that_day():
    assert office().add(msk(2026, 11, 24, 17, 0), 60) == msk(2026, 11, 24, 18, 0)


def test_a_whole_working_day_is_nine_hours():
    cal = office()

    assert cal.add(msk(2026, 11, 24, 9, 0), 9 * 60) == msk(2026, 11, 24, 18, 0)
    assert cal.add(msk(2026, 11, 24, 9, 0), 9 * 60 + 1) == msk(2026, 11, 25, 9, 1)
    assert cal.between(msk(2026, 11, 23, 0, 0), msk(2026, 11, 30, 0, 0)) == dt.timedelta(hours=45)


def test_the_new_year_holidays_are_skipped():
    cal = office(holidays=NEW_YEAR_2026)
    new_years_eve = msk(2025, 12, 31, 17, 0)  # Wednesday

    # One hour on the 31st, the next on Friday the 9th: across the month and the year.
    assert cal.add(new_years_eve, 120) == msk(2026, 1, 9, 10, 0)
    assert cal.between(new_years_eve, msk(2026, 1, 9, 10, 0)) == dt.timedelta(hours=2)
    assert not cal.is_working_day(dt.date(2026, 1, 5))  # a Monday, but a holiday
    assert cal.is_working_day(dt.date(2026, 1, 9))


def test_without_the_holidays_the_same_request_is_due_on_the_first_of_january():
    assert office().add(msk(2025, 12, 31, 17, 0), 120) == msk(2026, 1, 1, 10, 0)


def test_a_working_saturday_counts():
    cal = office(working_weekends=frozenset({dt.date(2025, 11, 1)}))
    friday = msk(2025, 10, 31, 17, 0)

    assert cal.is_working_day(dt.date(2025, 11, 1))
    assert not cal.is_working_day(dt.date(2025, 11, 2))
    assert cal.add(friday, 120) == msk(2025, 11, 1, 10, 0)
    assert cal.between(friday, msk(2025, 11, 3, 10, 0)) == dt.timedelta(hours=11)


def test_a_deadline_crosses_the_end_of_the_month():
    assert office().add(msk(2026, 7, 31, 17, 30), 60) == msk(2026, 8, 3, 9, 30)


def test_a_deadline_crosses_the_end_of_the_year():
    assert office().add(msk(2026, 12, 31, 17, 0), 9 * 60) == msk(2027, 1, 1, 17, 0)
    assert office().add(msk(2026, 12, 31, 17, 0), 10 * 60) == msk(2027, 1, 1, 18, 0)
    assert office().add(msk(2026, 12, 31, 17, 0), 10 * 60 + 1) == msk(2027, 1, 4, 9, 1)


def test_moments_in_utc_mean_the_same_moments_in_moscow():
    cal = office()
    friday_evening_utc = dt.datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 19:30 in Moscow

    due = cal.add(friday_evening_utc, 120)

    assert due == dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert due.tzinfo == MSK
    assert (due.hour, due.minute) == (11, 0)
    assert cal.between(friday_evening_utc, dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) == (
        dt.timedelta(hours=2)
    )


def test_a_utc_moment_late_in_the_evening_is_already_the_next_day_in_moscow():
    cal = office()
    # Sunday 22:30 UTC is Monday 01:30 in Moscow: not yet working, counts from 09:00 Monday.
    sunday_utc = dt.datetime(2026, 11, 29, 22, 30, tzinfo=UTC)

    assert cal.add(sunday_utc, 30) == msk(2026, 11, 30, 9, 30)


def test_working_hours_are_the_organisations_own_time_zone():
    cal = office(tz=ZoneInfo("Asia/Vladivostok"))  # UTC+10
    monday_utc = dt.datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # 10:30 in Vladivostok

    assert cal.add(monday_utc, 60) == dt.datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    # Seven and a half hours on Monday, the last half hour from 09:00 on Tuesday there.
    assert cal.add(monday_utc, 8 * 60) == dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


def test_the_summer_time_switch_at_night_does_not_change_working_time():
    cal = office(tz=BERLIN)
    friday = dt.datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)  # winter time

    due = cal.add(friday, 120)

    assert due == dt.datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)  # summer time
    assert due.utcoffset() == dt.timedelta(hours=2)
    assert cal.between(friday, due) == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("night", "due_utc", "wall_clock"),
    [
        # Summer time starts: 02:00 becomes 03:00, so three real hours end at 04:00.
        (dt.datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN), dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
         (4, 0)),
        # Summer time ends: 03:00 becomes 02:00 again, so three real hours end at (the
        # second) 02:00.
        (dt.datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN), dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
         (2, 0)),
    ],
)  # fmt: skip
def test_a_desk_working_round_the_clock_counts_real_hours_across_the_summer_time_switch(
    night, due_utc, wall_clock
):
    cal = office(tz=BERLIN, days=frozenset(range(7)), starts=dt.time(0), ends=dt.time(23, 59))

    due = cal.add(night, 180)

    # (A moment in a repeated hour never equals one of another zone: PEP 495.)
    assert due.astimezone(UTC) == due_utc
    assert (due.hour, due.minute) == wall_clock
    assert cal.between(night, due) == dt.timedelta(hours=3)
    assert cal.between(night.astimezone(UTC), due_utc) == dt.timedelta(hours=3)


def test_between_is_zero_when_the_end_is_not_after_the_start():
    cal = office()
    moment = msk(2026, 11, 24, 12, 0)

    assert cal.between(moment, moment) == dt.timedelta(0)
    assert cal.between(moment, moment - dt.timedelta(hours=1)) == dt.timedelta(0)


def test_between_a_weekend_is_zero():
    assert office().between(msk(2026, 11, 27, 18, 0), msk(2026, 11, 30, 9, 0)) == dt.timedelta(0)


def test_a_calendar_without_working_days_raises_no_working_time():
    with pytest.raises(NoWorkingTime):
        office(days=frozenset()).add(msk(2026, 11, 24, 10, 0), 1)


def test_a_calendar_whose_only_working_days_are_past_raises_no_working_time():
    cal = office(days=frozenset(), working_weekends=frozenset({dt.date(2026, 11, 28)}))

    assert cal.add(msk(2026, 11, 28, 12, 0), 60) == msk(2026, 11, 28, 13, 0)
    with pytest.raises(NoWorkingTime):
        cal.add(msk(2026, 11, 28, 12, 0), 6 * 60 + 1)


# --- The organisation's calendar, from the database ------------------------------------------


def test_the_current_calendar_is_the_organisations_with_its_exceptions(db):
    from voronka.core import organisation
    from voronka.core.models import CalendarDay, Organisation
    from voronka.core.workcalendar import current

    organisation.current()
    Organisation.objects.update(
        time_zone="Asia/Yekaterinburg", work_days=[0, 1, 2, 3], work_starts=dt.time(8, 30),
        work_ends=dt.time(17, 0),
    )  # fmt: skip
    CalendarDay.objects.bulk_create(
        [CalendarDay(day=day, name="Новогодние каникулы") for day in sorted(NEW_YEAR_2026)]
        + [CalendarDay(day=dt.date(2025, 11, 1), name="Перенос", is_working=True)]
    )
    organisation.forget()

    cal = current()

    assert cal == WorkCalendar(
        ZoneInfo("Asia/Yekaterinburg"), frozenset({0, 1, 2, 3}), dt.time(8, 30), dt.time(17),
        NEW_YEAR_2026, frozenset({dt.date(2025, 11, 1)}),
    )  # fmt: skip
    assert not cal.is_working_day(dt.date(2026, 11, 27))  # Fridays are off here


def test_a_new_holiday_is_seen_once_the_cache_is_forgotten(db):
    from voronka.core import organisation
    from voronka.core.models import CalendarDay
    from voronka.core.workcalendar import current

    assert current().is_working_day(dt.date(2026, 11, 4))
    CalendarDay.objects.create(day=dt.date(2026, 11, 4), name="День народного единства")
    assert current().is_working_day(dt.date(2026, 11, 4))  # still the cached calendar

    organisation.forget()

    assert not current().is_working_day(dt.date(2026, 11, 4))


# --- Properties -------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [MSK, UTC, BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Asia/Vladivostok")]
)


@st.composite
def calendars(draw) -> WorkCalendar:
    # At least an hour a day, so that every target below is within the calendar's reach.
    starts = draw(st.integers(min_value=0, max_value=22 * 60))
    ends = draw(st.integers(min_value=starts + 60, max_value=24 * 60 - 1))
    base = dt.date(2026, 1, 1)
    exceptions = draw(st.sets(st.integers(min_value=0, max_value=120), max_size=15))
    working = (
        draw(st.sets(st.sampled_from(sorted(exceptions)), max_size=5)) if exceptions else set()
    )
    return WorkCalendar(
        tz=draw(ZONES),
        days=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
        starts=dt.time(starts // 60, starts % 60),
        ends=dt.time(ends // 60, ends % 60),
        holidays=frozenset(base + dt.timedelta(days=d) for d in exceptions - working),
        working_weekends=frozenset(base + dt.timedelta(days=d) for d in working),
    )


# Naive wall-clock times placed in one of the zones (hypothesis draws naive datetimes).
moments = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(
        min_value=dt.datetime(2025, 12, 1),  # noqa: DTZ001 - a bound of naive draws
        max_value=dt.datetime(2026, 6, 1),  # noqa: DTZ001
    ),
    ZONES,
)
TARGETS = st.integers(min_value=0, max_value=60 * 24 * 5)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cal=calendars(), start=moments, target=TARGETS)
def test_the_working_time_between_a_start_and_its_deadline_is_the_target(cal, start, target):
    due = cal.add(start, target)

    assert due >= start
    assert cal.between(start, due) == dt.timedelta(minutes=target)


@PROPERTY
@given(cal=calendars(), start=moments, a=TARGETS, b=TARGETS)
def test_a_longer_target_is_never_due_earlier(cal, start, a, b):
    shorter, longer = sorted((a, b))

    assert cal.add(start, shorter) <= cal.add(start, longer)


@PROPERTY
@given(cal=calendars(), a=moments, b=moments, target=TARGETS)
def test_a_later_start_is_never_due_earlier(cal, a, b, target):
    early, late = sorted((a, b))

    assert cal.add(early, target) <= cal.add(late, target)


@PROPERTY
@given(cal=calendars(), a=moments, b=moments, c=moments)
def test_working_time_adds_up_over_consecutive_spans(cal, a, b, c):
    first, middle, last = sorted((a, b, c))

    assert cal.between(first, last) == cal.between(first, middle) + cal.between(middle, last)
    assert cal.between(first, last) <= last - first


@PROPERTY
@given(cal=calendars(), start=moments, target=st.integers(min_value=1, max_value=60 * 24 * 5))
def test_a_deadline_falls_within_working_hours_of_a_working_day(cal, start, target):
    local = cal.add(start, target).astimezone(cal.tz)
    day = local.date()
    opens, closes = cal.hours_of(day)

    assert cal.is_working_day(day)
    assert opens < local <= closes
