"""Client requests on the interaction timeline of client and deal cards, and the
"Requests" block of the company and contact cards."""

from __future__ import annotations

import datetime
import re
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from voronka.activities import queries
from voronka.activities import services as activity_services
from voronka.activities.queries import TIMELINE_KINDS
from voronka.service import services

MOSCOW = ZoneInfo("Europe/Moscow")
TIMELINE = reverse("activities:timeline")


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, 26, hour, minute, tzinfo=MOSCOW)


def as_(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def describe(entries) -> list[str]:
    out = []
    for e in entries:
        if e.kind == "request":
            out.append(f"request {e.request.subject}")
        elif e.kind == "request_message":
            out.append(f"{e.request_message.kind} {e.request_message.body}")
        elif e.activity is not None:
            out.append(f"{e.kind} {e.activity.subject}")
        else:
            out.append("stage")
    return out


@pytest.fixture
def story(personas, make_request, client_company):
    """A request of Alice's client answered, noted and written on; a call in between."""
    company, contact = client_company
    support = personas.support
    req = make_request(subject="Заказ не доставлен", message="Где заказ?", received_at=at(9))
    with mock.patch("django.utils.timezone.now", return_value=at(10)):
        services.request_reply(actor=support, request=req, body="Уже едет")
    with mock.patch("django.utils.timezone.now", return_value=at(10, 30)):
        services.request_note(actor=support, request=req, body="Склад подтвердил")
    activity_services.activity_log(
        actor=personas.alice,
        data={"kind": "call", "occurred_at": at(11), "subject": "Звонок", "company": company},
    )
    services.request_client_message(actor=support, request=req, body="Получил, спасибо",
                                    at=at(12))  # fmt: skip
    return {"company": company, "contact": contact, "request": req}


def test_a_clients_timeline_holds_its_requests_replies_and_messages_but_no_internal_notes(
    personas, story
):
    entries, next_before = queries.timeline(
        personas.alice, company=story["company"], kinds=TIMELINE_KINDS
    )

    assert describe(entries) == [
        "client Получил, спасибо",
        "call Звонок",
        "reply Уже едет",
        "request Заказ не доставлен",
    ]
    assert entries[-1].request.opening == "Где заказ?"
    assert next_before is None


def test_the_contacts_timeline_holds_the_request_too(personas, story):
    entries, _next = queries.timeline(personas.alice, contact=story["contact"], kinds=["request"])

    assert describe(entries) == [
        "client Получил, спасибо", "reply Уже едет", "request Заказ не доставлен",
    ]  # fmt: skip


def test_the_request_kind_brings_the_thread_along_and_leaves_the_rest_out(personas, story):
    requests, _n = queries.timeline(personas.alice, company=story["company"], kinds=["request"])
    messages, _n = queries.timeline(
        personas.alice, company=story["company"], kinds=["request_message"]
    )
    calls, _n = queries.timeline(personas.alice, company=story["company"], kinds=["call"])

    assert describe(requests) == [
        "client Получил, спасибо", "reply Уже едет", "request Заказ не доставлен",
    ]  # fmt: skip
    assert describe(messages) == ["client Получил, спасибо", "reply Уже едет"]
    assert describe(calls) == ["call Звонок"]


def test_without_kinds_the_timeline_stays_what_the_api_describes(personas, story):
    entries, _next = queries.timeline(personas.alice, company=story["company"])

    assert describe(entries) == ["call Звонок"]


def test_a_deal_timeline_holds_the_requests_about_the_deal(personas, story, stages):
    deal = factories.deal(personas.alice, client=story["company"], title="Поставка")
    services.request_update(
        actor=personas.support, request=story["request"], version=None, data={"deal": deal}
    )
    other = factories.deal(personas.alice, client=story["company"], title="Другая")

    entries, _next = queries.timeline(personas.alice, deal=deal, kinds=["request"])
    nothing, _next = queries.timeline(personas.alice, deal=other, kinds=["request"])

    assert describe(entries)[-1] == "request Заказ не доставлен"
    assert nothing == []


def test_requests_someone_may_not_see_stay_off_their_timeline(personas, story):
    entries, _next = queries.timeline(personas.bob, company=story["company"], kinds=["request"])

    assert entries == []


def test_the_timeline_pages_through_requests_like_the_rest(personas, make_request, client_company):
    company, _contact = client_company
    for hour in range(9, 14):
        make_request(subject=f"Вопрос {hour}", message="", received_at=at(hour))

    first, before = queries.timeline(personas.alice, company=company, kinds=["request"], limit=3)
    rest, end = queries.timeline(
        personas.alice, company=company, kinds=["request"], limit=3, before=before
    )

    assert describe(first) == ["request Вопрос 13", "request Вопрос 12", "request Вопрос 11"]
    assert describe(rest) == ["request Вопрос 10", "request Вопрос 9"]
    assert end is None


# --- On the cards ------------------------------------------------------------------------------


def entry_ids(html: str) -> list[str]:
    return re.findall(r'<li class="timeline-entry[^"]*" id="([a-z-]+-\d+)"', html)


def test_the_company_card_shows_the_request_on_its_timeline(client, personas, story):
    req = story["request"]
    response = as_(client, personas.alice).get(
        reverse("clients:company-detail", args=[story["company"].pk])
    )

    html = response.content.decode()
    reply = req.messages.get(kind="reply")
    said = req.messages.get(body="Получил, спасибо")
    assert [i for i in entry_ids(html) if i.startswith("request")] == [
        f"request-message-{said.pk}", f"request-message-{reply.pk}", f"request-{req.pk}",
    ]  # fmt: skip
    assert "Склад подтвердил" not in html.split('id="timeline"')[1].split("</section>")[0]
    assert 'data-kind="request"' in html  # the chip


def test_the_requests_chip_shows_the_requests_alone(client, personas, story):
    req = story["request"]
    response = as_(client, personas.alice).get(
        TIMELINE, {"company": story["company"].pk, "kind": "request"}
    )

    ids = entry_ids(response.content.decode())
    assert response.status_code == 200
    assert len(ids) == 3
    assert ids[-1] == f"request-{req.pk}"


def test_a_lead_card_offers_no_requests_chip(client, personas):
    lead = factories.lead(personas.alice, title="Новая заявка")

    html = as_(client, personas.alice).get(reverse("sales:lead-detail", args=[lead.pk])).content

    assert b'data-kind="request"' not in html


def test_the_company_card_lists_its_requests_open_first_with_a_new_request_button(
    client, personas, make_request, client_company
):
    company, _contact = client_company
    done = make_request(subject="Старый вопрос", received_at=at(8))
    services.request_set_status(actor=personas.support, request=done, status="resolved")
    open_one = make_request(subject="Свежий вопрос", received_at=at(7))

    response = as_(client, personas.alice).get(reverse("clients:company-detail", args=[company.pk]))

    html = response.content.decode()
    block = html.split('id="requests"')[1].split("</section>")[0]
    assert re.findall(r'id="client-request-(\d+)"', block) == [str(open_one.pk), str(done.pk)]
    assert "1 open" in block
    assert f"{reverse('service:request-create')}?company={company.pk}" in block


def test_the_contact_card_lists_the_contacts_requests(
    client, personas, make_request, client_company
):
    _company, contact = client_company
    req = make_request(subject="От контакта")

    html = (
        as_(client, personas.support)
        .get(reverse("clients:contact-detail", args=[contact.pk]))
        .content.decode()
    )

    block = html.split('id="requests"')[1].split("</section>")[0]
    assert f'id="client-request-{req.pk}"' in block
    assert f"?contact={contact.pk}" in block


def test_a_company_without_requests_says_so(client, personas):
    company = factories.company(personas.alice, name="Тихая")

    html = (
        as_(client, personas.alice)
        .get(reverse("clients:company-detail", args=[company.pk]))
        .content.decode()
    )

    assert "No requests from this client." in html
