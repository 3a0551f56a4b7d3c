"""SLA deadlines: which policy applies, when each target is due, and the sweep that
warns before a deadline and reports a breach, to the right people, exactly once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.concurrency import run_together
from voronka.activities.models import Notification, NotificationKind
from voronka.core import events
from voronka.core.workcalendar import current as work_calendar
from voronka.service import sla
from voronka.service.models import Kind, Priority, Request, SlaAlert, SlaPolicy, Status
from voronka.service.services import (
    policy_create,
    policy_update,
    request_client_message,
    request_delete,
    request_reply,
    request_set_status,
    request_update,
)

MSK = ZoneInfo("Europe/Moscow")
MINUTE = dt.timedelta(minutes=1)
# A Tuesday morning, well inside working hours.
TUESDAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=MSK)


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def english(personas):
    """Notices are written in each person's language: these people read English."""
    from voronka.accounts.models import User

    User.objects.update(language="en")
    for person in personas.all().values():
        person.refresh_from_db()
    return personas


@pytest.fixture
def policy(personas):
    """``policy(**fields)``: an SLA policy made by the administrator."""

    def make(**data):
        data.setdefault("name", "Policy")
        data.setdefault("clock", SlaPolicy.Clock.CALENDAR)
        return policy_create(actor=personas.admin, data=data)

    return make


@pytest.fixture
def heard(monkeypatch):
    """Domain events delivered to subscribers, as (name, payload), in order."""
    got: list[tuple[str, dict]] = []
    for name in (events.REQUEST_SLA_BREACHED,):
        listener = lambda name=name, **payload: got.append((name, payload))  # noqa: E731
        monkeypatch.setitem(events._handlers, name, [*events._handlers[name], listener])
    return got


def notices(kind: str | None = None) -> list[tuple[str, str]]:
    """(recipient's username, title) of every notice of ``kind``, sorted."""
    rows = Notification.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("recipient__username", "title"))


def alerts() -> list[tuple[int, str, str, dt.datetime]]:
    return sorted(
        SlaAlert.objects.values_list("request_id", "target", "stage", "due_at"),
        key=lambda row: (row[0], row[1], row[2], row[3]),
    )


def fresh(request: Request) -> Request:
    return Request.all_objects.get(pk=request.pk)


# --- Which policy applies --------------------------------------------------------------------


def test_the_most_specific_active_policy_applies(policy):
    anything = policy(name="Any", first_response_minutes=480)
    complaints = policy(name="Complaints", kind=Kind.COMPLAINT, first_response_minutes=240)
    urgent = policy(name="Urgent", priority=Priority.URGENT, first_response_minutes=60)
    urgent_complaints = policy(
        name="Urgent complaints", kind=Kind.COMPLAINT, priority=Priority.URGENT,
        first_response_minutes=30,
    )  # fmt: skip

    assert sla.policy_for(Kind.COMPLAINT, Priority.URGENT) == urgent_complaints
    # Priority goes before kind: an urgent question is urgent before it is a question.
    assert sla.policy_for(Kind.QUESTION, Priority.URGENT) == urgent
    assert sla.policy_for(Kind.COMPLAINT, Priority.LOW) == complaints
    assert sla.policy_for(Kind.QUESTION, Priority.LOW) == anything


def test_a_priority_policy_beats_a_kind_policy_for_a_request_matching_both(policy):
    complaints = policy(name="Complaints", kind=Kind.COMPLAINT, first_response_minutes=240)
    high = policy(name="High", priority=Priority.HIGH, first_response_minutes=60)

    assert sla.policy_for(Kind.COMPLAINT, Priority.HIGH) == high
    assert sla.policy_for(Kind.COMPLAINT, Priority.NORMAL) == complaints


def test_inactive_and_deleted_policies_do_not_apply(personas, policy):
    anything = policy(name="Any", first_response_minutes=480)
    switched_off = policy(name="Old urgent", priority=Priority.URGENT, first_response_minutes=60)
    policy_update(actor=personas.admin, policy=switched_off, version=switched_off.version,
                  data={"is_active": False})  # fmt: skip
    deleted = policy(name="Complaints", kind=Kind.COMPLAINT, first_response_minutes=240)
    SlaPolicy.objects.filter(pk=deleted.pk).update(deleted_at=TUESDAY)

    assert sla.policy_for(Kind.COMPLAINT, Priority.URGENT) == anything


def test_without_any_policy_a_request_has_no_deadlines(make_request):
    request = fresh(make_request(received_at=TUESDAY))

    assert sla.policy_for(Kind.QUESTION, Priority.NORMAL) is None
    assert (request.sla_policy, request.first_response_due_at, request.resolution_due_at) == (
        None, None, None,
    )  # fmt: skip
    assert request.next_due_at is None


# --- Deadlines -------------------------------------------------------------------------------


def test_calendar_time_counts_every_hour(policy, make_request):
    chosen = policy(first_response_minutes=60, resolution_minutes=240)
    friday_evening = msk(2026, 11, 27, 19, 30)

    request = fresh(make_request(received_at=friday_evening))

    assert request.sla_policy == chosen
    assert request.created_at == friday_evening
    assert request.first_response_due_at == msk(2026, 11, 27, 20, 30)
    assert request.resolution_due_at == msk(2026, 11, 27, 23, 30)
    assert request.next_due_at == msk(2026, 11, 27, 20, 30)


def test_working_hours_count_only_the_organisations_working_time(policy, make_request):
    policy(first_response_minutes=120, resolution_minutes=9 * 60, clock=SlaPolicy.Clock.WORKING)

    request = fresh(make_request(received_at=msk(2026, 11, 27, 19, 30)))  # Friday evening

    assert request.first_response_due_at == msk(2026, 11, 30, 11, 0)
    assert request.resolution_due_at == msk(2026, 11, 30, 18, 0)


def test_working_hours_skip_the_holidays_in_the_organisations_calendar(db, policy, make_request):
    from voronka.core import organisation
    from voronka.core.models import CalendarDay

    CalendarDay.objects.bulk_create(
        CalendarDay(day=dt.date(2026, 1, d), name="Новогодние каникулы") for d in range(1, 9)
    )
    organisation.forget()
    policy(first_response_minutes=120, clock=SlaPolicy.Clock.WORKING)

    request = fresh(make_request(received_at=msk(2025, 12, 31, 17, 0)))

    assert request.first_response_due_at == msk(2026, 1, 9, 10, 0)


def test_a_calendar_without_working_time_falls_back_to_calendar_time(db, policy, make_request):
    from voronka.core import organisation
    from voronka.core.models import Organisation

    organisation.current()
    Organisation.objects.update(work_days=[])
    organisation.forget()
    policy(first_response_minutes=120, clock=SlaPolicy.Clock.WORKING)

    request = fresh(make_request(received_at=TUESDAY))

    assert request.first_response_due_at == TUESDAY + dt.timedelta(minutes=120)


def test_a_target_the_policy_does_not_set_has_no_deadline(policy, make_request):
    policy(resolution_minutes=240)

    request = fresh(make_request(received_at=TUESDAY))

    assert request.first_response_due_at is None
    assert request.resolution_due_at == TUESDAY + dt.timedelta(minutes=240)
    assert request.next_due_at == request.resolution_due_at


def test_a_change_of_priority_moves_the_deadlines(personas, policy, make_request):
    policy(name="Normal", first_response_minutes=240, resolution_minutes=2880)
    urgent = policy(name="Urgent", priority=Priority.URGENT, first_response_minutes=30,
                    resolution_minutes=240)  # fmt: skip
    request = fresh(make_request(received_at=TUESDAY))

    request_update(actor=personas.support, request=request, version=request.version,
                   data={"priority": Priority.URGENT})  # fmt: skip

    request = fresh(request)
    assert request.sla_policy == urgent
    assert request.first_response_due_at == TUESDAY + dt.timedelta(minutes=30)
    assert request.resolution_due_at == TUESDAY + dt.timedelta(minutes=240)
    assert request.next_due_at == TUESDAY + dt.timedelta(minutes=30)


def test_a_change_of_kind_to_one_without_a_policy_clears_the_deadlines(
    personas, policy, make_request
):
    policy(kind=Kind.QUESTION, first_response_minutes=60)
    request = fresh(make_request(received_at=TUESDAY))

    request_update(actor=personas.support, request=request, version=request.version,
                   data={"kind": Kind.OTHER})  # fmt: skip

    request = fresh(request)
    assert (request.sla_policy, request.first_response_due_at, request.next_due_at) == (
        None, None, None,
    )  # fmt: skip


def test_a_change_of_subject_keeps_the_deadlines(personas, policy, make_request):
    policy(first_response_minutes=60)
    request = fresh(make_request(received_at=TUESDAY))
    # A policy edited later does not move deadlines already given.
    SlaPolicy.objects.update(first_response_minutes=10)

    request_update(actor=personas.support, request=request, version=request.version,
                   data={"subject": "Доставка опоздала"})  # fmt: skip

    assert fresh(request).first_response_due_at == TUESDAY + dt.timedelta(minutes=60)


def test_a_reopened_request_restarts_the_resolution_clock(personas, policy, make_request):
    policy(first_response_minutes=60, resolution_minutes=240)
    request = make_request(received_at=TUESDAY)
    request_set_status(actor=personas.support, request=request, status=Status.RESOLVED)
    wrote_again = msk(2026, 11, 26, 15, 0)

    request_client_message(actor=personas.support, request=fresh(request),
                           body="Курьер так и не приехал", at=wrote_again)  # fmt: skip

    request = fresh(request)
    assert request.status == Status.REOPENED
    assert request.reopened_at == wrote_again
    assert request.resolution_due_at == wrote_again + dt.timedelta(minutes=240)
    # The first response is counted from the request's arrival, as before.
    assert request.first_response_due_at == TUESDAY + dt.timedelta(minutes=60)


def test_a_change_of_priority_after_a_reopening_counts_resolution_from_the_reopening(
    personas, policy, make_request
):
    policy(name="Normal", resolution_minutes=2880)
    policy(name="Urgent", priority=Priority.URGENT, resolution_minutes=120)
    request = make_request(received_at=TUESDAY)
    request_set_status(actor=personas.support, request=request, status=Status.RESOLVED)
    wrote_again = msk(2026, 11, 26, 15, 0)
    request_client_message(actor=personas.support, request=fresh(request), body="Снова",
                           at=wrote_again)  # fmt: skip
    request = fresh(request)

    request_update(actor=personas.support, request=request, version=request.version,
                   data={"priority": Priority.URGENT})  # fmt: skip

    assert fresh(request).resolution_due_at == wrote_again + dt.timedelta(minutes=120)


# --- Late or on time -------------------------------------------------------------------------


def unsaved(**fields) -> Request:
    fields.setdefault("status", Status.IN_PROGRESS)
    return Request(**fields)


def test_a_first_response_after_the_deadline_is_late_and_at_the_deadline_is_not():
    on_time = unsaved(first_response_due_at=TUESDAY)
    late = unsaved(first_response_due_at=TUESDAY)

    assert sla.mark_first_response(on_time, TUESDAY) == ["first_response_breached", "next_due_at"]
    sla.mark_first_response(late, TUESDAY + dt.timedelta(microseconds=1))

    assert on_time.first_response_breached is False
    assert late.first_response_breached is True


def test_a_resolution_after_the_deadline_is_late_and_before_it_is_not():
    on_time = unsaved(resolution_due_at=TUESDAY)
    late = unsaved(resolution_due_at=TUESDAY)

    assert sla.mark_resolution(on_time, TUESDAY - MINUTE) == ["resolution_breached", "next_due_at"]
    sla.mark_resolution(late, TUESDAY + MINUTE)

    assert on_time.resolution_breached is False
    assert late.resolution_breached is True


def test_without_a_deadline_nothing_is_late():
    request = unsaved()

    sla.mark_first_response(request, TUESDAY)
    sla.mark_resolution(request, TUESDAY)

    assert (request.first_response_breached, request.resolution_breached) == (False, False)


def test_a_late_mark_is_not_taken_back_by_a_later_answer_on_time():
    request = unsaved(first_response_due_at=TUESDAY, first_response_breached=True)

    sla.mark_first_response(request, TUESDAY - MINUTE)

    assert request.first_response_breached is True


def test_a_late_reply_and_a_late_resolution_are_remembered(personas, policy, make_request):
    policy(first_response_minutes=60, resolution_minutes=120)
    request = make_request(received_at=TUESDAY)  # long past: every deadline missed

    request_reply(actor=personas.support, request=request, body="Разбираемся", status="resolved")

    request = fresh(request)
    assert (request.first_response_breached, request.resolution_breached) == (True, True)
    assert request.next_due_at is None


def test_a_reply_and_a_resolution_in_time_are_not_late(personas, policy, make_request):
    from django.utils import timezone

    policy(first_response_minutes=60, resolution_minutes=120)
    request = make_request(received_at=timezone.now() - dt.timedelta(minutes=5))

    request_reply(actor=personas.support, request=request, body="Разбираемся")
    request = fresh(request)
    assert request.first_response_breached is False
    assert request.next_due_at == request.resolution_due_at

    request_set_status(actor=personas.support, request=request, status=Status.RESOLVED)
    request = fresh(request)
    assert (request.first_response_breached, request.resolution_breached) == (False, False)
    assert request.next_due_at is None


# --- The nearest deadline ---------------------------------------------------------------------

FIRST, RESOLVE = TUESDAY + dt.timedelta(hours=1), TUESDAY + dt.timedelta(hours=8)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, FIRST),
        ({"first_response_due_at": RESOLVE, "resolution_due_at": FIRST}, FIRST),
        ({"first_response_at": TUESDAY}, RESOLVE),
        ({"first_response_due_at": None}, RESOLVE),
        ({"first_response_at": TUESDAY, "resolution_due_at": None}, None),
        ({"status": Status.WAITING}, FIRST),
        ({"status": Status.REOPENED, "first_response_at": TUESDAY}, RESOLVE),
        ({"status": Status.RESOLVED, "resolved_at": TUESDAY}, None),
        ({"status": Status.CLOSED}, None),
        ({"first_response_due_at": None, "resolution_due_at": None}, None),
    ],
)
def test_the_nearest_deadline_is_the_earliest_target_still_to_meet(fields, expected):
    values = {"first_response_due_at": FIRST, "resolution_due_at": RESOLVE}
    values.update(fields)

    assert sla.next_due(unsaved(**values)) == expected


# --- The sweep --------------------------------------------------------------------------------


@pytest.fixture
def watched(english, policy, make_request):
    """Alice's request received on Tuesday at 10:00: first response due at 11:00 (warned
    from 10:30), resolution at 18:00 (warned from 17:30), in calendar time."""
    policy(first_response_minutes=60, resolution_minutes=480, warn_minutes_before=30)
    return make_request(received_at=TUESDAY, assignee=english.alice)


def at(hours: int, minutes: int = 0) -> dt.datetime:
    return msk(2026, 11, 24, hours, minutes)


def test_nothing_is_said_before_the_warning_time(watched):
    Notification.objects.all().delete()  # the notice of the assignment

    assert sla.sweep(now=at(10, 29)) == 0
    assert notices() == []
    assert alerts() == []


def test_a_warning_at_the_warning_time_goes_to_the_assignee_and_the_team_lead(watched):
    request = watched

    assert sla.sweep(now=at(10, 30)) == 1

    title = (
        f"Request #{request.pk} “Заказ не доставлен” needs a first response by 11/24/2026 11 a.m."
    )
    assert notices(NotificationKind.SLA_WARNING) == [("alice", title), ("lead", title)]
    assert alerts() == [(request.pk, "first_response", "warning", at(11))]
    url = Notification.objects.filter(kind=NotificationKind.SLA_WARNING).values_list("url")
    assert set(url) == {(f"/service/requests/{request.pk}/",)}
    assert fresh(request).first_response_breached is False


def test_a_breach_after_the_deadline_goes_to_the_assignee_and_the_team_lead(
    watched, heard, django_capture_on_commit_callbacks
):
    request = watched
    sla.sweep(now=at(10, 30))

    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sweep(now=at(11, 0) + MINUTE) == 1

    title = f"Request #{request.pk} “Заказ не доставлен” missed its first-response deadline"
    assert notices(NotificationKind.SLA_BREACHED) == [
        ("alice", f"{title} (11/24/2026 11 a.m.)"), ("lead", f"{title} (11/24/2026 11 a.m.)"),
    ]  # fmt: skip
    assert alerts() == [
        (request.pk, "first_response", "breach", at(11)),
        (request.pk, "first_response", "warning", at(11)),
    ]
    request = fresh(request)
    assert (request.first_response_breached, request.resolution_breached) == (True, False)
    assert heard == [
        (events.REQUEST_SLA_BREACHED, {"request_id": request.pk, "target": "first_response"})
    ]


def test_at_the_very_moment_of_the_deadline_the_target_is_not_missed_yet(watched):
    """A reply at the deadline is in time, so a sweep at that moment reports no breach."""
    sla.sweep(now=at(11, 0))

    assert notices(NotificationKind.SLA_BREACHED) == []
    assert fresh(watched).first_response_breached is False


def test_a_missed_deadline_nobody_was_warned_of_is_still_reported(watched):
    """The worker was down during the warning time: the breach is reported, not a
    warning about a deadline already past."""
    Notification.objects.all().delete()  # the notice of the assignment

    assert sla.sweep(now=at(12, 0)) == 1

    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("alice", "sla_breached"), ("lead", "sla_breached"),
    ]  # fmt: skip
    assert [(t, s) for _, t, s, _ in alerts()] == [("first_response", "breach")]


def test_a_sweep_run_twice_says_everything_once(watched):
    request = watched
    for moment in (at(10, 30), at(10, 31), at(11, 1), at(11, 2), at(17, 30), at(18, 1)):
        sla.sweep(now=moment)
    for moment in (at(10, 30), at(11, 1), at(17, 30), at(18, 1), at(19)):
        assert sla.sweep(now=moment) == 0

    assert sorted(Notification.objects.filter(kind__startswith="sla_").values_list(
        "recipient__username", "kind"
    )) == sorted(
        [(person, kind) for person in ("alice", "lead") for kind in ("sla_warning", "sla_breached")]
        * 2
    )  # fmt: skip
    assert alerts() == [
        (request.pk, "first_response", "breach", at(11)),
        (request.pk, "first_response", "warning", at(11)),
        (request.pk, "resolution", "breach", at(18)),
        (request.pk, "resolution", "warning", at(18)),
    ]
    request = fresh(request)
    assert (request.first_response_breached, request.resolution_breached) == (True, True)


def test_a_request_answered_before_the_deadline_gets_no_breach(english, policy, make_request):
    from django.utils import timezone

    policy(first_response_minutes=60, resolution_minutes=480, warn_minutes_before=30)
    arrived = timezone.now() - dt.timedelta(minutes=10)
    request = make_request(received_at=arrived, assignee=english.alice)
    request_reply(actor=english.alice, request=request, body="Уже выясняем")

    assert sla.sweep(now=arrived + dt.timedelta(minutes=61)) == 0
    assert sla.sweep(now=arrived + dt.timedelta(minutes=455)) == 1  # the resolution's warning

    assert notices(NotificationKind.SLA_BREACHED) == []
    assert [(r, t, s) for r, t, s, _ in alerts()] == [(request.pk, "resolution", "warning")]
    assert fresh(request).first_response_breached is False


def test_a_resolved_request_gets_nothing(watched, english):
    request_set_status(actor=english.alice, request=watched, status=Status.RESOLVED)
    Notification.objects.all().delete()

    assert sla.sweep(now=at(10, 30)) == 0
    assert sla.sweep(now=at(19)) == 0
    assert notices() == []
    assert fresh(watched).first_response_breached is False


def test_a_request_waiting_for_the_client_is_still_on_the_clock(watched, english):
    request_set_status(actor=english.alice, request=watched, status=Status.WAITING)

    assert sla.sweep(now=at(11, 1)) == 1
    assert fresh(watched).first_response_breached is True


def test_a_deleted_request_gets_nothing(watched, english):
    request_delete(actor=english.support, request=watched, version=fresh(watched).version)

    assert sla.sweep(now=at(19)) == 0
    assert SlaAlert.objects.count() == 0


def test_an_unassigned_request_tells_nobody_but_is_marked_late(english, policy, make_request):
    policy(first_response_minutes=60, warn_minutes_before=30)
    request = make_request(received_at=TUESDAY)
    assert request.assignee is None

    assert sla.sweep(now=at(10, 30)) == 1
    assert sla.sweep(now=at(11, 1)) == 1
    assert sla.sweep(now=at(11, 2)) == 0

    assert notices() == []
    assert fresh(request).first_response_breached is True
    assert [(t, s) for _, t, s, _ in alerts()] == [
        ("first_response", "breach"),
        ("first_response", "warning"),
    ]


def test_the_team_lead_who_is_the_assignee_is_told_once(english, policy, make_request):
    policy(first_response_minutes=60)
    make_request(received_at=TUESDAY, assignee=english.lead)

    sla.sweep(now=at(11, 1))

    assert [who for who, _ in notices(NotificationKind.SLA_BREACHED)] == ["lead"]


def test_an_assignee_without_a_team_lead_is_told_alone(english, policy, make_request):
    policy(first_response_minutes=60)
    make_request(received_at=TUESDAY, assignee=english.bob)  # team South has no lead

    sla.sweep(now=at(11, 1))

    assert [who for who, _ in notices(NotificationKind.SLA_BREACHED)] == ["bob"]


def test_a_switched_off_assignee_is_not_told_but_the_team_lead_is(watched, english):
    english.alice.is_active = False
    english.alice.save(update_fields=["is_active"])

    sla.sweep(now=at(11, 1))

    assert [who for who, _ in notices(NotificationKind.SLA_BREACHED)] == ["lead"]


def test_a_policy_without_a_warning_time_only_reports_breaches(english, policy, make_request):
    policy(first_response_minutes=60, warn_minutes_before=0)
    make_request(received_at=TUESDAY, assignee=english.alice)

    assert sla.sweep(now=at(10, 59)) == 0
    assert sla.sweep(now=at(11, 1)) == 1
    assert notices(NotificationKind.SLA_WARNING) == []


def test_each_request_is_warned_by_its_own_policys_warning_time(english, policy, make_request):
    policy(name="Normal", first_response_minutes=60, warn_minutes_before=10)
    policy(name="Urgent", priority=Priority.URGENT, first_response_minutes=60,
           warn_minutes_before=45)  # fmt: skip
    normal = make_request(received_at=TUESDAY, assignee=english.alice)
    urgent = make_request(received_at=TUESDAY, assignee=english.bob, priority=Priority.URGENT)

    sla.sweep(now=at(10, 20))
    assert [r for r, *_ in alerts()] == [urgent.pk]
    sla.sweep(now=at(10, 50))
    assert sorted(r for r, *_ in alerts()) == sorted([normal.pk, urgent.pk])


def test_a_switched_off_policy_still_warns_of_the_deadlines_it_gave(english, policy, make_request):
    """Requests keep the deadlines they were given, and the warning time that came with them."""
    given = policy(first_response_minutes=60, warn_minutes_before=30)
    make_request(received_at=TUESDAY, assignee=english.alice)
    policy_update(actor=english.admin, policy=given, version=given.version,
                  data={"is_active": False})  # fmt: skip

    assert sla.sweep(now=at(10, 30)) == 1
    assert [who for who, _ in notices(NotificationKind.SLA_WARNING)] == ["alice", "lead"]


def test_a_new_deadline_after_a_change_of_priority_is_warned_of_again(
    english, policy, make_request
):
    policy(name="Normal", first_response_minutes=240, warn_minutes_before=60)
    policy(name="High", priority=Priority.HIGH, first_response_minutes=200, warn_minutes_before=60)
    request = make_request(received_at=TUESDAY, assignee=english.alice)
    assert sla.sweep(now=at(13, 0)) == 1  # warned of 14:00

    request = fresh(request)
    request_update(actor=english.support, request=request, version=request.version,
                   data={"priority": Priority.HIGH})  # fmt: skip
    assert fresh(request).first_response_due_at == at(13, 20)

    assert sla.sweep(now=at(13, 1)) == 1  # warned of 13:20
    assert sla.sweep(now=at(13, 21)) == 1  # and its breach
    assert sla.sweep(now=at(14, 1)) == 0  # the old deadline is not the request's any more

    assert [(t, s, due) for _, t, s, due in alerts()] == [
        ("first_response", "breach", at(13, 20)),
        ("first_response", "warning", at(13, 20)),
        ("first_response", "warning", at(14, 0)),
    ]
    assert len(notices(NotificationKind.SLA_WARNING)) == 4
    assert len(notices(NotificationKind.SLA_BREACHED)) == 2


def test_a_reopened_request_can_miss_its_new_resolution_deadline(english, policy, make_request):
    policy(resolution_minutes=120, warn_minutes_before=0)
    request = make_request(received_at=TUESDAY, assignee=english.alice)
    request_set_status(actor=english.alice, request=request, status=Status.RESOLVED)
    wrote_again = msk(2026, 11, 26, 15, 0)
    request_client_message(actor=None, request=fresh(request), body="Снова не работает",
                           at=wrote_again)  # fmt: skip

    assert sla.sweep(now=wrote_again + dt.timedelta(minutes=119)) == 0
    assert sla.sweep(now=wrote_again + dt.timedelta(minutes=121)) == 1

    assert [(t, s, due) for _, t, s, due in alerts()] == [
        ("resolution", "breach", wrote_again + dt.timedelta(minutes=120))
    ]


def test_the_deadline_in_a_notice_is_in_the_organisations_time_zone(english, policy, make_request):
    from voronka.core import organisation
    from voronka.core.models import Organisation

    organisation.current()
    Organisation.objects.update(time_zone="Asia/Yekaterinburg")  # two hours ahead of Moscow
    organisation.forget()
    policy(first_response_minutes=60)
    make_request(received_at=TUESDAY, assignee=english.alice)

    sla.sweep(now=at(11, 1))

    [(_, title), _] = notices(NotificationKind.SLA_BREACHED)
    assert title.endswith("(11/24/2026 1 p.m.)")


def test_working_hours_deadlines_are_swept_at_their_moment(english, policy, make_request):
    policy(first_response_minutes=120, clock=SlaPolicy.Clock.WORKING, warn_minutes_before=30)
    request = make_request(received_at=msk(2026, 11, 27, 19, 30), assignee=english.alice)
    assert fresh(request).first_response_due_at == msk(2026, 11, 30, 11, 0)

    assert sla.sweep(now=msk(2026, 11, 28, 12, 0)) == 0
    assert sla.sweep(now=msk(2026, 11, 30, 10, 30)) == 1
    assert sla.sweep(now=msk(2026, 11, 30, 11, 1)) == 1


def test_an_idle_sweep_reads_a_fixed_number_of_queries(
    english, policy, make_request, django_assert_max_num_queries
):
    policy(first_response_minutes=60, resolution_minutes=480)
    for _ in range(5):
        make_request(received_at=TUESDAY, assignee=english.alice)

    with django_assert_max_num_queries(5):
        assert sla.sweep(now=TUESDAY) == 0


def test_the_sweep_uses_the_present_when_not_told_the_time(english, policy, make_request):
    from django.utils import timezone

    policy(first_response_minutes=60)
    make_request(received_at=timezone.now() - dt.timedelta(hours=2), assignee=english.alice)

    assert sla.sweep() == 1
    assert sla.sweep() == 0


def test_the_deadline_of_a_working_calendar_is_the_calendars(policy, make_request):
    """The sweep compares with the same deadlines the calendar computes."""
    policy(first_response_minutes=90, clock=SlaPolicy.Clock.WORKING)
    arrived = msk(2026, 11, 24, 17, 0)
    request = fresh(make_request(received_at=arrived))

    assert request.first_response_due_at == work_calendar().add(arrived, 90)
    assert work_calendar().between(arrived, request.first_response_due_at) == dt.timedelta(
        minutes=90
    )


# --- Concurrent sweeps (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweeps_at_once_say_everything_once(needs_postgres, english, policy, make_request):
    policy(first_response_minutes=60, resolution_minutes=480, warn_minutes_before=30)
    requests = [make_request(received_at=TUESDAY, assignee=english.alice) for _ in range(6)]

    sent = run_together(4, lambda _: sla.sweep(now=at(17, 45)))

    # Per request: the first response's breach and the resolution's warning.
    assert sum(sent) == 12
    assert sorted(
        Notification.objects.filter(kind__startswith="sla_").values_list(
            "recipient__username", "kind"
        )
    ) == sorted([("alice", "sla_breached"), ("alice", "sla_warning"), ("lead", "sla_breached"),
                 ("lead", "sla_warning")] * 6)  # fmt: skip
    assert SlaAlert.objects.count() == 12
    assert Request.objects.filter(first_response_breached=True).count() == len(requests)
