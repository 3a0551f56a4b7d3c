"""The service desk's settings pages: SLA policies, categories, the work calendar, surveys.

Only the administrator and the head of sales get in; everybody else is refused every
page and every post, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.core import organisation
from voronka.core.models import CalendarDay, Organisation
from voronka.core.workcalendar import current as work_calendar
from voronka.service import services
from voronka.service.models import Category, SlaPolicy
from voronka.service.settings_forms import format_minutes, parse_minutes

REFUSED = ["lead", "alice", "bob", "support", "outsider"]
MSK = ZoneInfo("Europe/Moscow")
FRIDAY_EVENING = dt.datetime(2030, 3, 1, 17, 30, tzinfo=MSK)  # Friday; Saturday 2 March


def as_(client, personas, name):
    client.force_login(getattr(personas, name))
    return client


@pytest.fixture
def policy(personas):
    return services.policy_create(actor=personas.admin, data={
        "name": "Жалобы", "kind": "complaint", "priority": "", "first_response_minutes": 60,
        "resolution_minutes": 480, "clock": "working", "warn_minutes_before": 30,
    })  # fmt: skip


@pytest.fixture
def category(personas):
    return services.category_save(actor=personas.admin, category=None,
                                  data={"name": "Доставка", "position": 1})  # fmt: skip


@pytest.fixture
def holiday(db):
    return CalendarDay.objects.create(day=dt.date(2030, 3, 8), name="8 Марта")


def policy_post(**more):
    data = {
        "name": "Срочные", "kind": "", "priority": "urgent", "first_response_minutes": "30",
        "resolution_minutes": "4 h", "clock": "calendar", "warn_minutes_before": "15",
        "is_active": "on",
    }  # fmt: skip
    data.update(more)
    return data


def policy_state(policy):
    row = SlaPolicy.all_objects.get(pk=policy.pk)
    return (row.name, row.kind, row.priority, row.first_response_minutes,
            row.resolution_minutes, row.clock, row.is_active, row.version)  # fmt: skip


def org_state():
    org = Organisation.objects.get()
    return (org.work_days, org.work_starts, org.work_ends, org.surveys_enabled,
            org.survey_valid_days, org.survey_follow_up_max_score)  # fmt: skip


def everything(policy, category, holiday):
    return (
        policy_state(policy), list(SlaPolicy.all_objects.values_list("pk", flat=True)),
        list(Category.objects.values_list("pk", "name", "position", "is_active")),
        list(CalendarDay.objects.values_list("day", "name", "is_working")), org_state(),
    )  # fmt: skip


# --- Who gets in ---------------------------------------------------------------------------


def pages(policy):
    return [
        reverse("service:settings-policies"), reverse("service:settings-policy-create"),
        reverse("service:settings-policy-edit", args=[policy.pk]),
        reverse("service:settings-categories"), reverse("service:settings-calendar"),
        reverse("service:settings-surveys"),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["admin", "head"])
def test_the_administrator_and_the_head_of_sales_open_every_settings_page(
    client, personas, policy, who
):
    c = as_(client, personas, who)
    assert c.get(reverse("service:settings")).url == reverse("service:settings-policies")
    assert [c.get(url).status_code for url in pages(policy)] == [200] * 6


@pytest.mark.parametrize("who", REFUSED)
def test_everybody_else_is_refused_every_page_and_post_and_nothing_changes(
    client, personas, policy, category, holiday, who
):
    organisation.current()
    before = everything(policy, category, holiday)
    c = as_(client, personas, who)
    assert c.get(reverse("service:settings")).status_code == 403
    assert [c.get(url).status_code for url in pages(policy)] == [403] * 6
    posts = [
        (reverse("service:settings-policy-create"), policy_post()),
        (reverse("service:settings-policy-edit", args=[policy.pk]),
         policy_post(version=policy.version)),
        (reverse("service:settings-policy-active", args=[policy.pk]),
         {"is_active": "0", "version": policy.version}),
        (reverse("service:settings-categories"), {"new-name": "Оплата"}),
        (reverse("service:settings-category-edit", args=[category.pk]),
         {f"category-{category.pk}-name": "Другое"}),
        (reverse("service:settings-category-move", args=[category.pk]), {"direction": "down"}),
        (reverse("service:settings-calendar"),
         {"work_days": ["5", "6"], "work_starts": "10:00", "work_ends": "11:00"}),
        (reverse("service:settings-calendar-day-add"), {"day": "2030-05-01", "kind": "holiday"}),
        (reverse("service:settings-calendar-day-delete", args=[holiday.pk]), {}),
        (reverse("service:settings-surveys"),
         {"survey_valid_days": "3", "survey_follow_up_max_score": "5"}),
    ]  # fmt: skip
    assert [c.post(url, data).status_code for url, data in posts] == [403] * len(posts)
    assert everything(policy, category, holiday) == before


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client, policy):
    response = client.get(reverse("service:settings-policies"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_data_tabs_lead_the_head_of_sales_to_the_service_settings(client, personas):
    link = f'href="{reverse("service:settings")}"'
    head = as_(client, personas, "head").get(reverse("webforms:form-list"))
    assert link in head.content.decode()
    # The service tab is the current one on the settings pages.
    page = client.get(reverse("service:settings-surveys")).content.decode()
    assert f'active" aria-current="page" {link}' in page


# --- SLA policies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("90", 90), ("1:30", 90), ("1.5 h", 90), ("2 h 30 min", 150), ("2ч 30м", 150),
     ("8 часов", 480), ("45 мин", 45), (" 3H ", 180), ("", None)],
)  # fmt: skip
def test_a_target_is_typed_in_minutes_hours_and_minutes_or_with_units(typed, minutes):
    assert parse_minutes(typed) == minutes


@pytest.mark.parametrize("typed", ["two hours", "1:75", "2 h 30", "5 d", "-5", "1.5"])
def test_a_target_typed_otherwise_is_refused(typed):
    with pytest.raises(ValueError):
        parse_minutes(typed)


def test_a_target_is_shown_back_in_hours_and_minutes():
    assert [format_minutes(m) for m in (45, 60, 150, None)] == ["45 min", "1 h", "2 h 30 min", ""]


def test_the_policy_list_shows_each_policy_s_targets_in_a_few_queries(
    client, personas, policy, django_assert_max_num_queries
):
    for priority in ("low", "normal", "high"):
        services.policy_create(actor=personas.admin, data={
            "name": f"P {priority}", "priority": priority, "first_response_minutes": 90,
            "clock": "calendar",
        })  # fmt: skip
    services.policy_update(actor=personas.admin, policy=policy, version=policy.version,
                           data={"is_active": False})  # fmt: skip
    c = as_(client, personas, "head")
    with django_assert_max_num_queries(8):
        response = c.get(reverse("service:settings-policies"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = [p.name for p in response.context["policies"]]
    assert rows == ["P high", "P low", "P normal", "Жалобы"]  # active first, the rest after
    page = response.content.decode()
    row = page[page.index(f'id="policy-{policy.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in ("Complaint", "1 h", "8 h", "Working hours", "30 min", "switched off"):
        assert text in row


def test_a_new_policy_takes_friendly_targets_and_stores_minutes(client, personas):
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-policy-create"),
                      policy_post(first_response_minutes="1:30", resolution_minutes="2 ч 30 мин"))  # fmt: skip
    assert response.status_code == 302
    assert response.url == reverse("service:settings-policies")
    created = SlaPolicy.objects.get()
    assert (created.name, created.kind, created.priority, created.first_response_minutes,
            created.resolution_minutes, created.clock, created.warn_minutes_before,
            created.is_active, created.created_by) == (
        "Срочные", "", "urgent", 90, 150, "calendar", 15, True, personas.admin)  # fmt: skip


def test_a_target_that_cannot_be_read_is_refused_next_to_its_field(client, personas):
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-policy-create"),
                      policy_post(resolution_minutes="два дня"), HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["resolution_minutes"]
    assert "2 h 30 min" in response.context["form"].errors["resolution_minutes"][0]
    assert not SlaPolicy.objects.exists()


def test_a_policy_without_any_target_is_refused_naming_the_first_response(client, personas):
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-policy-create"),
                      policy_post(first_response_minutes="", resolution_minutes=""))  # fmt: skip
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["first_response_minutes"]
    assert not SlaPolicy.objects.exists()


def test_a_second_active_policy_for_the_same_kind_and_priority_is_refused(client, personas, policy):
    c = as_(client, personas, "head")
    response = c.post(reverse("service:settings-policy-create"),
                      policy_post(name="Ещё жалобы", kind="complaint", priority=""),
                      HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "priority": ["An active policy for this kind and priority exists already."]
    }
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Жалобы"]


def test_a_second_policy_for_the_same_kind_and_priority_may_be_kept_switched_off(
    client, personas, policy
):
    c = as_(client, personas, "head")
    data = policy_post(name="Запасная", kind="complaint", priority="")
    del data["is_active"]
    assert c.post(reverse("service:settings-policy-create"), data).status_code == 302
    assert sorted(SlaPolicy.objects.values_list("name", "is_active")) == [
        ("Жалобы", True), ("Запасная", False)]  # fmt: skip


def test_editing_a_policy_shows_its_targets_and_saves_the_change(client, personas, policy):
    c = as_(client, personas, "admin")
    url = reverse("service:settings-policy-edit", args=[policy.pk])
    form = c.get(url, HTTP_ACCEPT_LANGUAGE="en").context["form"]
    assert (form["first_response_minutes"].value(), form["resolution_minutes"].value()) == (
        "1 h", "8 h")  # fmt: skip
    response = c.post(url, policy_post(name="Жалобы", kind="complaint", priority="",
                                       resolution_minutes="8 h", version=policy.version))  # fmt: skip
    assert response.status_code == 302
    assert policy_state(policy) == (
        "Жалобы",
        "complaint",
        "",
        30,
        480,
        "calendar",
        True,
        policy.version + 1,
    )


def test_an_edit_based_on_a_stale_copy_is_refused_and_keeps_the_other_change(
    client, personas, policy
):
    services.policy_update(actor=personas.head, policy=SlaPolicy.objects.get(pk=policy.pk),
                           version=policy.version, data={"name": "Жалобы (РОП)"})  # fmt: skip
    before = policy_state(policy)
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-policy-edit", args=[policy.pk]),
                      policy_post(kind="complaint", priority="", version=policy.version),
                      HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 409
    assert "changed by someone else" in response.context["form"].non_field_errors()[0]
    assert response.context["form"]["name"].value() == "Срочные"  # the user's input stays
    assert policy_state(policy) == before


def test_a_policy_is_switched_off_and_on_from_the_list(client, personas, policy):
    c = as_(client, personas, "admin")
    url = reverse("service:settings-policy-active", args=[policy.pk])
    assert c.post(url, {"is_active": "0", "version": policy.version}).status_code == 302
    assert policy_state(policy)[6:] == (False, policy.version + 1)
    assert c.post(url, {"is_active": "1", "version": policy.version + 1}).status_code == 302
    assert policy_state(policy)[6:] == (True, policy.version + 2)


def test_switching_on_a_policy_that_has_an_active_twin_is_refused(client, personas, policy):
    twin = services.policy_create(actor=personas.admin, data={
        "name": "Старая", "kind": "complaint", "first_response_minutes": 10, "is_active": False,
    })  # fmt: skip
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-policy-active", args=[twin.pk]),
                      {"is_active": "1", "version": twin.version}, HTTP_ACCEPT_LANGUAGE="en",
                      follow=True)  # fmt: skip
    assert [str(m) for m in response.context["messages"]] == [
        "An active policy for this kind and priority exists already."]  # fmt: skip
    assert policy_state(twin)[6] is False


def test_switching_off_with_a_stale_version_changes_nothing(client, personas, policy):
    c = as_(client, personas, "admin")
    c.post(reverse("service:settings-policy-active", args=[policy.pk]),
           {"is_active": "0", "version": policy.version - 1})  # fmt: skip
    assert policy_state(policy)[6:] == (True, policy.version)


def test_a_policy_that_does_not_exist_is_not_found(client, personas):
    c = as_(client, personas, "admin")
    assert c.get(reverse("service:settings-policy-edit", args=[999])).status_code == 404


# --- Categories ------------------------------------------------------------------------------


def categories():
    return list(Category.objects.order_by("position", "name").values_list("name", "is_active"))


def test_the_category_list_counts_requests_in_a_few_queries(
    client, personas, category, make_request, django_assert_max_num_queries
):
    for name in ("Оплата", "Качество", "Возврат"):
        services.category_save(actor=personas.admin, category=None, data={"name": name})
    make_request(category=category)
    make_request(category=category)
    c = as_(client, personas, "admin")
    with django_assert_max_num_queries(7):
        response = c.get(reverse("service:settings-categories"), HTTP_ACCEPT_LANGUAGE="en")
    counts = {cat.name: cat.request_count for cat, _form in response.context["rows"]}
    assert counts == {"Доставка": 2, "Оплата": 0, "Качество": 0, "Возврат": 0}
    assert "2 requests" in response.content.decode()


def test_a_new_category_goes_last_and_is_offered(client, personas, category):
    c = as_(client, personas, "head")
    assert c.post(reverse("service:settings-categories"), {"new-name": "Оплата"}).status_code == 302
    assert list(Category.objects.values_list("name", "position", "is_active")) == [
        ("Доставка", 1, True), ("Оплата", 2, True)]  # fmt: skip


def test_a_category_name_taken_already_is_refused_naming_the_field(client, personas, category):
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-categories"), {"new-name": "Доставка"})
    assert response.status_code == 422
    assert list(response.context["add_form"].errors) == ["name"]
    assert categories() == [("Доставка", True)]


def test_a_category_is_renamed_and_switched_off(client, personas, category):
    c = as_(client, personas, "admin")
    prefix = f"category-{category.pk}"
    response = c.post(reverse("service:settings-category-edit", args=[category.pk]),
                      {f"{prefix}-name": "Доставка и самовывоз", f"{prefix}-position": "1"})  # fmt: skip
    assert response.status_code == 302
    assert categories() == [("Доставка и самовывоз", False)]


def test_renaming_a_category_to_another_s_name_shows_the_error_in_its_row(
    client, personas, category
):
    other = services.category_save(actor=personas.admin, category=None, data={"name": "Оплата"})
    c = as_(client, personas, "admin")
    prefix = f"category-{other.pk}"
    response = c.post(reverse("service:settings-category-edit", args=[other.pk]),
                      {f"{prefix}-name": "Доставка", f"{prefix}-is_active": "on"})  # fmt: skip
    assert response.status_code == 422
    [row_form] = [form for cat, form in response.context["rows"] if cat.pk == other.pk]
    assert list(row_form.errors) == ["name"]
    assert sorted(categories()) == [("Доставка", True), ("Оплата", True)]


def test_categories_move_up_and_down_the_offered_order(client, personas, category):
    for name in ("Оплата", "Качество"):
        services.category_save(actor=personas.admin, category=None, data={"name": name})
    # Equal positions left by earlier edits: the list is by position, then by name.
    assert [n for n, _ in categories()] == ["Качество", "Оплата", "Доставка"]
    c = as_(client, personas, "admin")
    move = reverse("service:settings-category-move", args=[category.pk])
    assert c.post(move, {"direction": "up"}).status_code == 302
    assert [n for n, _ in categories()] == ["Качество", "Доставка", "Оплата"]
    c.post(move, {"direction": "up"})
    c.post(move, {"direction": "up"})  # first already: stays
    assert list(Category.objects.order_by("position").values_list("name", "position")) == [
        ("Доставка", 1), ("Качество", 2), ("Оплата", 3)]  # fmt: skip
    c.post(move, {"direction": "down"})
    assert [n for n, _ in categories()] == ["Качество", "Доставка", "Оплата"]


# --- Work calendar ---------------------------------------------------------------------------


def first_response_due(make_request, personas):
    request = make_request(kind="complaint", received_at=FRIDAY_EVENING)
    return request.first_response_due_at.astimezone(MSK)


def test_saving_the_working_week_moves_the_next_deadline(client, personas, policy, make_request):
    # One working hour from Friday 17:30: 30 minutes on Friday, 30 on Monday morning.
    assert first_response_due(make_request, personas) == dt.datetime(2030, 3, 4, 9, 30, tzinfo=MSK)
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-calendar"), {
        "work_days": ["0", "1", "2", "3", "4", "5"], "work_starts": "08:00", "work_ends": "18:00",
    })  # fmt: skip
    assert response.status_code == 302
    assert org_state()[:3] == ([0, 1, 2, 3, 4, 5], dt.time(8), dt.time(18))
    cal = work_calendar()
    assert (cal.days, cal.starts) == (frozenset(range(6)), dt.time(8))
    # Saturday works now, from 8:00.
    assert first_response_due(make_request, personas) == dt.datetime(2030, 3, 2, 8, 30, tzinfo=MSK)


def test_a_holiday_and_a_moved_working_day_move_deadlines_and_can_be_removed(
    client, personas, policy, make_request
):
    c = as_(client, personas, "head")
    add = reverse("service:settings-calendar-day-add")
    assert (
        c.post(add, {"day": "2030-03-04", "name": "Перенос", "kind": "holiday"}).status_code == 302
    )
    assert first_response_due(make_request, personas) == dt.datetime(2030, 3, 5, 9, 30, tzinfo=MSK)
    c.post(add, {"day": "2030-03-02", "name": "Рабочая суббота", "kind": "working"})
    assert first_response_due(make_request, personas) == dt.datetime(2030, 3, 2, 9, 30, tzinfo=MSK)
    assert list(CalendarDay.objects.values_list("day", "name", "is_working")) == [
        (dt.date(2030, 3, 2), "Рабочая суббота", True), (dt.date(2030, 3, 4), "Перенос", False)]  # fmt: skip
    saturday = CalendarDay.objects.get(day=dt.date(2030, 3, 2))
    delete = reverse("service:settings-calendar-day-delete", args=[saturday.pk])
    assert c.post(delete).status_code == 302
    assert first_response_due(make_request, personas) == dt.datetime(2030, 3, 5, 9, 30, tzinfo=MSK)


def test_a_date_already_in_the_calendar_is_refused_naming_the_date(client, personas, holiday):
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-calendar-day-add"),
                      {"day": "2030-03-08", "kind": "working"}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 422
    assert response.context["day_form"].errors == {"day": ["This date is in the calendar already."]}
    assert list(CalendarDay.objects.values_list("day", "is_working")) == [
        (dt.date(2030, 3, 8), False)]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field"),
    [({"work_starts": "09:00", "work_ends": "18:00"}, "work_days"),
     ({"work_days": ["0"], "work_starts": "18:00", "work_ends": "09:00"}, "work_ends"),
     ({"work_days": ["7"], "work_starts": "09:00", "work_ends": "18:00"}, "work_days")],
)  # fmt: skip
def test_a_working_week_without_days_or_hours_is_refused_naming_the_field(
    client, personas, data, field
):
    organisation.current()
    before = org_state()
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-calendar"), data)
    assert response.status_code == 422
    assert list(response.context["week_form"].errors) == [field]
    assert org_state() == before


def test_the_calendar_page_shows_the_next_ten_exceptions_from_today(
    client, personas, django_assert_max_num_queries
):
    today = timezone.localdate(timezone=organisation.current().tz)
    CalendarDay.objects.create(day=today - dt.timedelta(days=1), name="Вчера")
    for n in range(12):
        CalendarDay.objects.create(day=today + dt.timedelta(days=n), name=f"День {n}")
    c = as_(client, personas, "admin")
    with django_assert_max_num_queries(8):
        response = c.get(reverse("service:settings-calendar"))
    assert [e.name for e in response.context["upcoming"]] == [f"День {n}" for n in range(10)]
    page = response.content.decode()
    assert "День 9" in page
    assert "День 10" not in page
    assert "Вчера" not in page


def test_the_calendar_page_shows_the_saved_week(client, personas):
    organisation.current()
    Organisation.objects.update(work_days=[0, 2, 4], work_starts=dt.time(10), work_ends=dt.time(19))
    organisation.forget()
    c = as_(client, personas, "admin")
    form = c.get(reverse("service:settings-calendar")).context["week_form"]
    assert form["work_days"].value() == [0, 2, 4]
    assert 'value="10:00"' in str(form["work_starts"])


# --- Surveys ---------------------------------------------------------------------------------


def test_the_survey_settings_are_saved_and_read_at_once(client, personas):
    assert organisation.current().surveys_enabled is True
    c = as_(client, personas, "head")
    response = c.post(reverse("service:settings-surveys"),
                      {"survey_valid_days": "7", "survey_follow_up_max_score": "3"})  # fmt: skip
    assert response.status_code == 302
    org = organisation.current()
    assert (org.surveys_enabled, org.survey_valid_days, org.survey_follow_up_max_score) == (
        False, 7, 3)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field"),
    [({"surveys_enabled": "on", "survey_valid_days": "0", "survey_follow_up_max_score": "2"},
      "survey_valid_days"),
     ({"surveys_enabled": "on", "survey_valid_days": "14", "survey_follow_up_max_score": "6"},
      "survey_follow_up_max_score")],
)  # fmt: skip
def test_survey_settings_out_of_range_are_refused_naming_the_field(client, personas, data, field):
    organisation.current()
    before = org_state()
    c = as_(client, personas, "admin")
    response = c.post(reverse("service:settings-surveys"), data)
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert org_state() == before
