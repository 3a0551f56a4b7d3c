"""A status's norm and client e-mail on the orders' settings page: a changed norm moves
the deadlines of the open orders in that status; a template with a syntax error is
refused on its field; the preview renders the e-mail for a sample order."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from voronka.core.errors import NotAllowed
from voronka.orders import settings_services
from voronka.orders.models import Order, Status, StatusSetting
from voronka.orders.services import order_delete, order_set_status

MSK = ZoneInfo("Europe/Moscow")
FRIDAY = dt.datetime(2026, 11, 27, 17, 0, tzinfo=MSK)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def head(client, personas):
    from voronka.accounts.models import User

    User.objects.filter(pk=personas.head.pk).update(language="en")
    client.force_login(personas.head)
    return client


def url(status: str = "confirmed") -> str:
    return reverse("orders:settings-status", args=[status])


def post_data(**more) -> dict[str, str]:
    setting = StatusSetting.objects.get(status=more.pop("status", "confirmed"))
    data = {
        "norm_hours": str(setting.norm_hours or ""), "clock": setting.clock,
        "subject_ru": setting.subject_ru, "body_ru": setting.body_ru,
        "subject_en": setting.subject_en, "body_en": setting.body_en,
    }  # fmt: skip
    if setting.notify_client:
        data["notify_client"] = "on"
    data.update(more)
    return data


def state(status: str = "confirmed") -> tuple:
    return tuple(StatusSetting.objects.filter(status=status).values_list(
        "norm_hours", "clock", "notify_client", "subject_ru", "body_ru", "subject_en", "body_en",
    ).get())  # fmt: skip


def confirm(order: Order, at: dt.datetime) -> Order:
    return order_set_status(actor=order.owner, order=order, to_status=Status.CONFIRMED,
                            version=order.version, at=at)  # fmt: skip


def due(order: Order) -> dt.datetime | None:
    return Order.all_objects.get(pk=order.pk).status_due_at


# --- Norms -------------------------------------------------------------------------------


def test_a_changed_norm_moves_the_deadline_of_open_orders_in_that_status(head, make_order):
    one = confirm(make_order(received_at=FRIDAY - 3 * HOUR), FRIDAY - 2 * HOUR)
    two = confirm(make_order(received_at=FRIDAY - 3 * HOUR), FRIDAY)
    gone = confirm(make_order(received_at=FRIDAY - 3 * HOUR), FRIDAY)
    order_delete(actor=gone.owner, order=gone, version=gone.version)
    other = make_order(received_at=FRIDAY)  # still new: its norm is another status's
    versions = [o.version for o in (one, two)]
    assert due(one) == FRIDAY - 2 * HOUR + 48 * HOUR

    response = head.post(url(), post_data(norm_hours="24"))

    assert (response.status_code, response["Location"]) == (302, "/orders/settings/statuses/")
    assert state()[:2] == (24, "calendar")
    assert (due(one), due(two), due(gone)) == (
        FRIDAY - 2 * HOUR + 24 * HOUR, FRIDAY + 24 * HOUR, FRIDAY + 24 * HOUR,
    )  # fmt: skip
    assert due(other) == Order.objects.get(pk=other.pk).status_due_at  # untouched
    # Nobody edited the orders: their versions stay, so nobody's open form goes stale.
    assert [Order.objects.get(pk=o.pk).version for o in (one, two)] == versions
    entry = LogEntry.objects.get()
    assert entry.object_repr == "Confirmed"
    assert entry.change_message == ("may stay, hours: 24 (2 open orders got a new deadline)")


def test_a_norm_on_working_hours_counts_the_work_calendar(head, make_order):
    # Entered on Friday at 17:00, two working hours: one on Friday, one on Monday.
    order = confirm(make_order(received_at=FRIDAY - HOUR), FRIDAY)
    head.post(url(), post_data(norm_hours="2", clock="working"))
    assert due(order) == dt.datetime(2026, 11, 30, 10, 0, tzinfo=MSK)


def test_a_norm_taken_away_leaves_the_orders_without_a_deadline(head, make_order):
    order = confirm(make_order(received_at=FRIDAY - HOUR), FRIDAY)
    head.post(url(), post_data(norm_hours=""))
    assert state()[0] is None
    assert due(order) is None


def test_a_change_of_the_e_mail_alone_moves_no_deadline(head, make_order):
    order = confirm(make_order(received_at=FRIDAY - HOUR), FRIDAY)
    Order.objects.filter(pk=order.pk).update(status_due_at=FRIDAY)
    head.post(url(), post_data(subject_en="Your order {{ order.number }}"))
    assert state()[5] == "Your order {{ order.number }}"
    assert due(order) == FRIDAY
    assert LogEntry.objects.get().change_message == "subject (English) changed"


def test_a_final_status_has_no_norm(head, personas):
    response = head.get(url("delivered"))
    assert "norm_hours" not in response.context["form"].fields
    head.post(url("delivered"), post_data(status="delivered", norm_hours="5"))
    assert state("delivered")[0] is None
    with pytest.raises(ValidationError) as refused:
        settings_services.status_setting_save(actor=personas.admin, status="delivered",
                                              data={"norm_hours": 5})  # fmt: skip
    assert list(refused.value.message_dict) == ["norm_hours"]


@pytest.mark.parametrize("hours", ["0", "-1", "9000", "1.5", "x"])
def test_a_bad_norm_is_refused_on_its_field(head, hours):
    before = state()
    response = head.post(url(), post_data(norm_hours=hours))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["norm_hours"]
    assert state() == before


def test_a_manager_cannot_change_a_status_through_the_service(personas):
    before = state()
    with pytest.raises(NotAllowed):
        settings_services.status_setting_save(actor=personas.alice, status="confirmed",
                                              data={"norm_hours": 1})  # fmt: skip
    assert state() == before


# --- Templates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "error"),
    [
        ("body_ru", "Заказ {% if order.number %}", "Unclosed tag on line 1: 'if'"),
        ("subject_en", "Order {{ order.number|nosuchfilter }}", "Invalid filter: 'nosuchfilter'"),
        ("body_en", "{% load voronka %}{{ total }}", "'voronka' is not a registered tag library"),
        ("subject_ru", "{% endif %}", "Invalid block tag on line 1: 'endif'"),
    ],
)
def test_a_template_with_a_syntax_error_is_refused_on_its_field(head, field, text, error):
    before = state()

    response = head.post(url(), post_data(**{field: text}))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert errors[field][0].startswith("The template has an error: ")
    assert error in errors[field][0]
    assert state() == before
    assert LogEntry.objects.count() == 0


def test_the_page_previews_the_saved_e_mail_for_a_sample_order_and_lists_placeholders(head):
    response = head.get(url())
    ru, en = response.context["preview"]
    assert (ru["language"], en["language"]) == ("ru", "en")
    assert ru["subject"].startswith("Заказ № 000123: ")
    assert en["subject"].startswith("Order 000123: ")
    assert "27\xa0000,00\xa0₽" in ru["body"]  # the sample's total, written the Russian way
    assert "27,000.00\xa0₽" in en["body"]
    html = response.content.decode()
    assert "{{ client_name }}" in html
    assert "{{ order.number }}" in html


def test_the_preview_button_shows_the_typed_e_mail_and_saves_nothing(head):
    before = state()
    response = head.post(url(), post_data(
        subject_ru="{{ organisation }}: {{ order.number }}", body_ru="Привет, {{ client_name }}!",
        preview="1",
    ))  # fmt: skip
    assert response.status_code == 200
    ru = response.context["preview"][0]
    assert (ru["subject"], ru["body"], ru["error"]) == ("Voronka: 000123", "Привет, Пётр!", "")
    assert state() == before


def test_the_live_preview_renders_what_is_typed(head):
    response = head.post(reverse("orders:settings-preview", args=["shipped"]), {
        "subject_en": "Shipped: {{ order.number }}", "body_en": "{{ total }} via {{ order.delivery_method }}",
    })  # fmt: skip
    assert response.status_code == 200
    en = response.context["preview"][1]
    assert (en["subject"], en["body"]) == ("Shipped: 000123", "27,000.00\xa0₽ via Courier")
    assert 'id="status-email-preview"' in response.content.decode()


def test_the_preview_of_a_broken_template_names_the_error_and_shows_the_standard_text(head):
    response = head.post(reverse("orders:settings-preview", args=["shipped"]), {
        "body_en": "{% if %}",
    })  # fmt: skip
    en = response.context["preview"][1]
    assert en["error"]
    assert en["body"].startswith("Hello Peter,")
    assert "The client would get the standard text" in response.content.decode()


def test_empty_templates_send_the_standard_text(head):
    head.post(url(), post_data(subject_ru="", body_ru=""))
    assert state()[3:5] == ("", "")
    ru = head.get(url()).context["preview"][0]
    assert ru["standard"] == {"subject": True, "body": True}
    assert ru["subject"].startswith("Заказ № 000123: ")
