"""The deal list filtered by a report's link: closed and created days, status "closed",
the stage reached, the client, a product, the pipeline as of a past day; shown as chips."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from voronka.sales import services
from voronka.sales.models import Deal

LIST = reverse("sales:deal-list")
MSK = ZoneInfo("Europe/Moscow")
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


@contextmanager
def clock(when: datetime):
    with mock.patch("django.utils.timezone.now", return_value=when.astimezone(UTC)):
        yield


def move(actor, deal, stage, when, **extra):
    with clock(when):
        deal = Deal.all_objects.get(pk=deal.pk)
        return services.deal_move_stage(
            actor=actor, deal=deal, stage=stage, version=deal.version, **extra
        )


def titles(response) -> list[str]:
    assert response.status_code == 200
    return sorted(deal.title for deal in response.context["page"].items)


def as_(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def october(personas, stages, lost_reason, source):
    """Alice's and Bob's deals around October 2026, Moscow time."""
    alice, bob = personas.alice, personas.bob
    machine = factories.product(personas.admin, name="Станок", price=Decimal("1000"))
    with clock(at(9, 28)):
        first = factories.deal(alice, title="Первая минута", source=source)
        last = factories.deal(bob, title="Последняя минута",
                              expected_close_date=date(2026, 10, 30))  # fmt: skip
        lost = factories.deal(alice, title="Проиграна", lines=[{"product": machine}])
        reopened = factories.deal(alice, title="Переоткрыта", expected_close_date=date(2026, 10, 5))
        contact_only = factories.deal(bob, title="Клиент-контакт", client=factories.contact(bob))
    with clock(at(10, 2)):
        created = factories.deal(alice, title="Создана в октябре")
    move(alice, first, stages["won"], at(10, 1, 0, 10))
    move(bob, last, stages["won"], at(10, 31, 23, 50))  # late by a day
    move(alice, lost, stages["lost"], at(10, 15), lost_reason=lost_reason)
    move(alice, reopened, stages["proposal"], at(10, 1))
    move(alice, reopened, stages["won"], at(10, 20))
    move(alice, reopened, stages["negotiation"], at(11, 3))
    move(bob, factories.deal(bob, title="Ноябрьская"), stages["won"], at(11, 1, 0, 5))
    return {
        "first": first, "last": last, "lost": lost, "reopened": reopened, "created": created,
        "contact_only": contact_only, "machine": machine,
    }  # fmt: skip


def test_closed_days_include_both_ends_in_the_organisations_time_zone(client, personas, october):
    response = as_(client, personas.head).get(
        LIST, {"status": "won", "closed_from": "2026-10-01", "closed_to": "2026-10-31"}
    )
    # 00:10 on 1.10 and 23:50 on 31.10 Moscow time are in; 00:05 on 1.11 is not.
    assert titles(response) == ["Первая минута", "Последняя минута"]


def test_closed_status_means_won_or_lost(client, personas, october):
    response = as_(client, personas.head).get(
        LIST, {"status": "closed", "closed_from": "2026-10-01", "closed_to": "2026-10-31"}
    )
    assert titles(response) == ["Первая минута", "Последняя минута", "Проиграна"]


def test_created_days_a_product_and_a_stage_reached_narrow_the_list(
    client, personas, stages, october
):
    c = as_(client, personas.head)
    in_october = {"created_from": "2026-10-01", "created_to": "2026-10-31"}
    assert titles(c.get(LIST, in_october)) == ["Создана в октябре"]
    assert titles(c.get(LIST, {"product": october["machine"].pk})) == ["Проиграна"]
    reached = c.get(LIST, {"reached_stage": stages["proposal"].pk})
    assert titles(reached) == ["Переоткрыта"]  # it has moved on since


def test_the_client_of_a_report_is_the_company_or_a_contact_without_one(client, personas, october):
    c = as_(client, personas.head)
    contact_deal = october["contact_only"]
    assert titles(c.get(LIST, {"client": f"contact:{contact_deal.contact_id}"})) == [
        "Клиент-контакт"
    ]
    first = october["first"]
    assert titles(c.get(LIST, {"client": f"company:{first.company_id}"})) == ["Первая минута"]


def test_the_pipeline_of_a_past_day_lists_the_deals_open_then_in_their_stage_then(
    client, personas, stages, october
):
    c = as_(client, personas.head)
    # On 10.10 the reopened deal was in a proposal, the two late ones open, "Проиграна" too.
    open_then = c.get(LIST, {"open_on": "2026-10-10"})
    assert titles(open_then) == [
        "Клиент-контакт", "Переоткрыта", "Последняя минута", "Проиграна", "Создана в октябре",
    ]  # fmt: skip
    in_proposal = c.get(LIST, {"open_on": "2026-10-10", "stage": stages["proposal"].pk})
    assert titles(in_proposal) == ["Переоткрыта"]
    # Overdue on 10.10: open with an expected date before it.
    assert titles(c.get(LIST, {"overdue_on": "2026-10-10"})) == ["Переоткрыта"]


def test_closed_late_keeps_deals_closed_after_their_expected_day(client, personas, october):
    response = as_(client, personas.head).get(LIST, {"closed_late": "1"})
    assert titles(response) == ["Последняя минута"]


def test_a_report_link_never_shows_a_manager_more_than_her_own_deals(client, personas, october):
    c = as_(client, personas.alice)
    assert titles(c.get(LIST, {"owner": personas.bob.pk, "status": "won"})) == []
    contact_deal = october["contact_only"]
    assert titles(c.get(LIST, {"client": f"contact:{contact_deal.contact_id}"})) == []
    assert titles(c.get(LIST, {"status": "closed"})) == ["Первая минута", "Проиграна"]


def test_the_report_filters_show_as_chips_that_each_remove_one(client, personas, october):
    response = as_(client, personas.head).get(
        LIST,
        {"status": "won", "closed_from": "2026-10-01", "closed_to": "2026-10-31",
         "product": october["machine"].pk},
        **ENGLISH,
    )  # fmt: skip
    body = response.content.decode()
    assert "Filtered by a report:" in body
    assert "Closed from: 10/01/2026" in body
    assert "Product: Станок" in body
    chips = {chip["name"]: chip["remove"] for chip in response.context["form"].drill_chips()}
    assert chips["closed_to"] == (
        f"status=won&closed_from=2026-10-01&product={october['machine'].pk}"
    )
    # The filter form carries them, so changing another filter keeps them.
    assert '<input type="hidden" name="closed_from" value="2026-10-01"' in body


def test_a_bad_report_filter_is_shown_and_left_out_while_the_list_renders(
    client, personas, october
):
    response = as_(client, personas.head).get(
        LIST, {"status": "won", "closed_from": "вчера", "closed_to": "2026-10-31"}, **ENGLISH
    )
    assert response.status_code == 200
    assert "Closed from: Enter a valid date." in response.content.decode()
    assert titles(response) == ["Первая минута", "Последняя минута"]


def test_a_range_ending_before_it_starts_is_an_error(client, personas, october):
    response = as_(client, personas.head).get(
        LIST, {"created_from": "2026-10-31", "created_to": "2026-10-01"}, **ENGLISH
    )
    assert response.context["form"].errors["created_to"] == [
        "The end of the range is before its start."
    ]


def test_the_list_with_report_filters_costs_a_fixed_number_of_queries(
    client, personas, stages, october, django_assert_max_num_queries
):
    for _n in range(30):
        factories.deal(personas.alice)
    c = as_(client, personas.lead)
    c.get(reverse("core:home"))  # the organisation's settings are read once and cached
    params = {
        "status": "open", "created_from": "2026-01-01", "created_to": "2026-12-31",
        "reached_stage": stages["new"].pk, "no_source": "1", "product": "",
    }  # fmt: skip
    # The list's own queries and the stage's name on its chip.
    with django_assert_max_num_queries(13):
        response = c.get(LIST, params)
    # Alice's thirty, the reopened one and the one of October; Bob's are not the lead's team's.
    assert response.context["page"].total == 32
