"""The orders' settings pages: who gets in, the organisation's order options, and the log
of who changed what. Only the administrator and the head of sales get in; everybody
else is refused every page and every post, and nothing changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from voronka.core import organisation
from voronka.core.models import Organisation
from voronka.orders.models import StatusSetting, Transition

REFUSED = ["lead", "alice", "bob", "support", "outsider"]
PAGES = [
    ("orders:settings", []), ("orders:settings-workflow", []), ("orders:settings-statuses", []),
    ("orders:settings-status", ["confirmed"]), ("orders:settings-status", ["delivered"]),
    ("orders:settings-changes", []),
]  # fmt: skip
POSTS = [
    ("orders:settings", [], {"orders_from_won_deals": "on", "order_vat_rate": "10"}),
    ("orders:settings-workflow", [], {"move-new-cancelled": "on"}),
    ("orders:settings-status", ["confirmed"], {"norm_hours": "1", "clock": "calendar"}),
    ("orders:settings-preview", ["confirmed"], {"subject_ru": "x"}),
]  # fmt: skip


def as_(client, personas, name, language=""):
    from voronka.accounts.models import User

    person = getattr(personas, name)
    if language:
        User.objects.filter(pk=person.pk).update(language=language)
        person.refresh_from_db()
    client.force_login(person)
    return client


def everything():
    org = Organisation.objects.get()
    return (
        (org.orders_from_won_deals, org.order_prices_include_vat, org.order_vat_rate),
        sorted(Transition.objects.values_list("from_status", "to_status", "requires_payment")),
        sorted(StatusSetting.objects.values_list("status", "norm_hours", "clock", "notify_client",
                                                 "subject_ru", "body_ru", "subject_en", "body_en")),
        LogEntry.objects.count(),
    )  # fmt: skip


@pytest.mark.parametrize("who", ["admin", "head"])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_admin_and_the_head_of_sales_open_every_page_in_both_languages(
    client, personas, who, language
):
    as_(client, personas, who, language)
    for name, args in PAGES:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert response["Content-Language"] == language
        assert 'class="nav nav-pills orders-settings-nav"' in response.content.decode()


@pytest.mark.parametrize("who", REFUSED)
def test_everybody_else_is_refused_every_page_and_post_and_nothing_changes(client, personas, who):
    organisation.current()
    before = everything()
    as_(client, personas, who)
    for name, args in PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name, args, data in POSTS:
        assert client.post(reverse(name, args=args), data).status_code == 403, name
    assert everything() == before


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login(client, db):
    response = client.get(reverse("orders:settings"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_status_is_not_found(client, personas):
    as_(client, personas, "admin")
    assert client.get(reverse("orders:settings-status", args=["lost"])).status_code == 404


# --- The organisation's order options ----------------------------------------------------


def test_the_options_show_the_organisations_values(client, personas):
    as_(client, personas, "head")
    form = client.get(reverse("orders:settings")).context["form"]
    assert form.initial == {"orders_from_won_deals": False, "order_prices_include_vat": True,
                            "order_vat_rate": Decimal("22.00")}  # fmt: skip


def test_saving_the_options_changes_them_at_once_and_logs_who_did(client, personas):
    assert organisation.current().orders_from_won_deals is False  # cached now
    as_(client, personas, "head", "en")

    response = client.post(reverse("orders:settings"), {
        "orders_from_won_deals": "on", "order_vat_rate": "10",
    })  # fmt: skip

    assert (response.status_code, response["Location"]) == (302, "/orders/settings/")
    org = organisation.current()
    assert (org.orders_from_won_deals, org.order_prices_include_vat, org.order_vat_rate) == (
        True, False, Decimal("10.00"),
    )  # fmt: skip
    entry = LogEntry.objects.get()
    assert entry.user == personas.head
    assert entry.content_type.model == "organisation"
    assert entry.change_message == (
        "make an order of every won deal: off → on; order prices include VAT: on → off; "
        "default VAT rate, %: 22.00 → 10.00"
    )


def test_saving_the_same_options_logs_nothing(client, personas):
    as_(client, personas, "admin")
    response = client.post(reverse("orders:settings"), {
        "order_prices_include_vat": "on", "order_vat_rate": "22",
    })  # fmt: skip
    assert response.status_code == 302
    assert LogEntry.objects.count() == 0


@pytest.mark.parametrize("rate", ["101", "-1", "abc", "10.555", ""])
def test_a_bad_vat_rate_is_refused_on_its_field_and_nothing_changes(client, personas, rate):
    organisation.current()
    before = everything()
    as_(client, personas, "admin")
    response = client.post(reverse("orders:settings"), {"order_vat_rate": rate})
    assert response.status_code == 422
    assert response.context["form"].errors["order_vat_rate"]
    assert everything() == before


# --- The log of changes ------------------------------------------------------------------


def test_the_changes_page_lists_who_changed_what_newest_first(
    client, personas, django_assert_max_num_queries
):
    from voronka.orders import settings_services

    settings_services.order_options_save(actor=personas.admin, orders_from_won_deals=True,
                                         order_prices_include_vat=True,
                                         order_vat_rate=Decimal(22))  # fmt: skip
    for hours in range(1, 8):
        settings_services.status_setting_save(actor=personas.head, status="confirmed",
                                              data={"norm_hours": hours})  # fmt: skip
    as_(client, personas, "admin", "en")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("orders:settings-changes"))
    entries = response.context["entries"]
    assert len(entries) == 8
    assert [e.user.username for e in entries] == ["head"] * 7 + ["admin"]
    assert entries[0].change_message == "may stay, hours: 7"
    html = response.content.decode()
    assert "Ольга Руководова" in html
    assert "may stay, hours: 7" in html
