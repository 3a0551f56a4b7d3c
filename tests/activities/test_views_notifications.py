"""The notification centre: the bell, the list, opening a notice, "mark all read",
and the settings (channels per kind, default reminder time)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.activities import services
from voronka.activities.models import Notification, NotificationKind, NotificationPreference

DAY = datetime.timedelta(days=1)


def as_(client, user):
    client.force_login(user)
    return client


def task(assignee, title):
    return services.task_create(
        actor=assignee, data={"title": title, "due_at": timezone.now() + DAY}
    )


def notice(recipient, title, kind=NotificationKind.TASK_REMINDER, task_=None):
    return services.notify(
        recipient=recipient, kind=kind, task=task_ or task(recipient, title), title=title
    )


def read_state(user):
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("pk", "read_at")
    )


@pytest.fixture
def alices_notices(personas):
    first = notice(personas.alice, "Напоминание: позвонить")
    second = notice(personas.alice, "Просрочено: отправить КП", NotificationKind.TASK_OVERDUE)
    third = notice(personas.alice, "Новая задача от Льва", NotificationKind.TASK_ASSIGNED)
    services.notification_mark_read(actor=personas.alice, notification=second)
    return first, second, third


def test_the_bell_shows_the_number_of_unread_notices_on_every_page(
    client, personas, alices_notices
):
    html = as_(client, personas.alice).get(reverse("activities:my-day")).content.decode()
    assert re.findall(r'notification-count"[^>]*>([^<]*)</span>', html) == ["2"]
    assert 'aria-label="Уведомления: 2 непрочитанных"' in html
    assert 'href="/activities/notifications/"' in html


def test_the_bell_has_no_number_when_everything_is_read(client, personas, alices_notices):
    html = as_(client, personas.bob).get(reverse("activities:my-day")).content.decode()
    assert "notification-count" not in html
    assert 'aria-label="Уведомления"' in html


def test_the_list_is_newest_first_with_unread_ones_highlighted(client, personas, alices_notices):
    first, second, third = alices_notices
    response = as_(client, personas.alice).get(reverse("activities:notification-list"))
    assert [n.title for n in response.context["page"].items] == [
        "Новая задача от Льва", "Просрочено: отправить КП", "Напоминание: позвонить",
    ]  # fmt: skip
    html = response.content.decode()
    assert (
        f'class="list-group-item p-0 notification notification-unread" id="notification-{third.pk}"'
        in html
    )
    assert f'class="list-group-item p-0 notification" id="notification-{second.pk}"' in html


def test_the_unread_filter_leaves_out_read_notices(client, personas, alices_notices):
    response = as_(client, personas.alice).get(
        reverse("activities:notification-list"), {"unread": "1"}
    )
    assert [n.title for n in response.context["page"].items] == [
        "Новая задача от Льва", "Напоминание: позвонить",
    ]  # fmt: skip


def test_an_empty_notification_centre_says_so(client, personas):
    html = as_(client, personas.bob).get(reverse("activities:notification-list")).content.decode()
    assert "Уведомлений пока нет. Здесь появятся напоминания и просроченные задачи." in html


def test_opening_a_notice_marks_it_read_and_goes_to_its_task(client, personas, alices_notices):
    first = alices_notices[0]
    response = as_(client, personas.alice).post(
        reverse("activities:notification-read", args=[first.pk])
    )
    assert (response.status_code, response["Location"]) == (
        302, f"/activities/tasks/{first.task_id}/",
    )  # fmt: skip
    assert Notification.objects.get(pk=first.pk).read_at is not None


def test_a_notice_is_opened_by_post_only(client, personas, alices_notices):
    first = alices_notices[0]
    response = as_(client, personas.alice).get(
        reverse("activities:notification-read", args=[first.pk])
    )
    assert response.status_code == 405
    assert Notification.objects.get(pk=first.pk).read_at is None


@pytest.mark.parametrize("who", ["admin", "head", "lead", "bob", "support"])
def test_someone_elses_notice_does_not_exist_for_anyone_else(client, personas, alices_notices, who):
    first = alices_notices[0]
    before = read_state(personas.alice)
    response = as_(client, getattr(personas, who)).post(
        reverse("activities:notification-read", args=[first.pk])
    )
    assert response.status_code == 404
    assert read_state(personas.alice) == before


def test_someone_elses_notices_are_not_listed(client, personas, alices_notices):
    response = as_(client, personas.head).get(reverse("activities:notification-list"))
    assert response.context["page"].items == []


def test_mark_all_read_reads_only_ones_own_notices(client, personas, alices_notices):
    bobs = notice(personas.bob, "Задача Бориса")
    response = as_(client, personas.alice).post(reverse("activities:notification-read-all"))
    assert (response.status_code, response["Location"]) == (302, "/activities/notifications/")
    assert Notification.objects.filter(recipient=personas.alice, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=bobs.pk).read_at is None


def test_the_list_reads_a_fixed_number_of_queries_with_thirty_notices(
    client, personas, django_assert_max_num_queries
):
    for n in range(30):
        notice(personas.alice, f"Напоминание {n:02d}")
    client = as_(client, personas.alice)
    url = reverse("activities:notification-list")
    client.get(url)  # the organisation's settings are read once per process
    # session, user, count, page, the bell, the menu's team
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert [n.title for n in response.context["page"].items] == [
        f"Напоминание {n:02d}" for n in range(29, -1, -1)
    ]


# --- Settings ----------------------------------------------------------------------------


def test_the_settings_show_both_channels_on_by_default_and_the_reminder_time(client, personas):
    response = as_(client, personas.alice).get(reverse("activities:notification-settings"))
    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial == {
        "reminder_minutes": 30,
        "task_reminder-in_app": True, "task_reminder-email": True,
        "task_overdue-in_app": True, "task_overdue-email": True,
        "task_escalated-in_app": True, "task_escalated-email": True,
        "task_assigned-in_app": True, "task_assigned-email": True,
        "lead_assigned-in_app": True, "lead_assigned-email": True,
        "import_finished-in_app": True, "import_finished-email": True,
        "webhook_disabled-in_app": True, "webhook_disabled-email": True,
        "request_assigned-in_app": True, "request_assigned-email": True,
        "request_client_reply-in_app": True, "request_client_reply-email": True,
        "sla_warning-in_app": True, "sla_warning-email": True,
        "sla_breached-in_app": True, "sla_breached-email": True,
        "low_satisfaction-in_app": True, "low_satisfaction-email": True,
        "order_overdue-in_app": True, "order_overdue-email": True,
    }  # fmt: skip
    assert "Напоминание о задаче" in response.content.decode()


def test_saving_the_settings_stores_each_kind_and_the_reminder_time(client, personas):
    alice = personas.alice
    response = as_(client, alice).post(
        reverse("activities:notification-settings"),
        {
            "reminder_minutes": "45",
            "task_reminder-in_app": "on",
            "task_overdue-in_app": "on", "task_overdue-email": "on",
            "task_escalated-in_app": "on", "task_escalated-email": "on",
            "task_assigned-email": "on",
            "lead_assigned-in_app": "on", "lead_assigned-email": "on",
            "import_finished-in_app": "on", "import_finished-email": "on",
            "webhook_disabled-in_app": "on", "webhook_disabled-email": "on",
            "request_assigned-in_app": "on", "request_assigned-email": "on",
            "request_client_reply-in_app": "on", "request_client_reply-email": "on",
            "sla_warning-in_app": "on", "sla_warning-email": "on",
            "sla_breached-in_app": "on", "sla_breached-email": "on",
            "low_satisfaction-in_app": "on", "low_satisfaction-email": "on",
            "order_overdue-in_app": "on", "order_overdue-email": "on",
        },
    )  # fmt: skip
    assert (response.status_code, response["Location"]) == (
        302, "/activities/notifications/settings/",
    )  # fmt: skip
    alice.refresh_from_db()
    assert alice.reminder_minutes == 45
    rows = NotificationPreference.objects.filter(user=alice).order_by("kind")
    assert [(p.kind, p.in_app, p.email) for p in rows] == [
        ("task_assigned", False, True), ("task_reminder", True, False),
    ]  # fmt: skip


def test_a_reminder_time_beyond_a_week_is_refused_and_nothing_changes(client, personas):
    alice = personas.alice
    response = as_(client, alice).post(
        reverse("activities:notification-settings"),
        {"reminder_minutes": "20000", "task_reminder-in_app": "on"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["reminder_minutes"] == [
        "Убедитесь, что это значение меньше либо равно 10080."
    ]
    alice.refresh_from_db()
    assert alice.reminder_minutes == 30
    assert NotificationPreference.objects.filter(user=alice).count() == 0


def test_the_reminder_service_refuses_negative_minutes(personas):
    from django.core.exceptions import ValidationError

    from voronka.accounts.services import user_set_reminder_minutes

    with pytest.raises(ValidationError) as refused:
        user_set_reminder_minutes(actor=personas.alice, minutes=-5)
    assert refused.value.message_dict == {"reminder_minutes": ["Between 0 and 10080 minutes."]}
    personas.alice.refresh_from_db()
    assert personas.alice.reminder_minutes == 30


def test_the_profile_links_to_the_notification_settings(client, personas):
    html = as_(client, personas.alice).get(reverse("accounts:profile")).content.decode()
    assert 'href="/activities/notifications/settings/"' in html
    assert "О задачах напоминаем за 30 мин до срока" in html
