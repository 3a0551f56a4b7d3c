"""The satisfaction survey after a delivered order: one e-mail per order when surveys
are on, through the same signed single-use link and page as the service desk's, and
the answer counted in CSAT by the order's product and manager."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.orders.conftest import walk
from voronka.analytics.engine import compute
from voronka.analytics.periods import Period
from voronka.core import organisation
from voronka.core.models import Organisation
from voronka.orders.models import Order, Status
from voronka.orders.subscribers import survey_after_delivery
from voronka.service.models import Survey
from voronka.service.surveys import survey_answer, survey_send_for_order, token_for

WAY = (Status.CONFIRMED, Status.PAID, Status.ASSEMBLED, Status.SHIPPED, Status.DELIVERED)


def deliver(order: Order, actor=None) -> Order:
    return walk(order, actor or order.owner, *WAY)


def surveys_on(enabled: bool) -> None:
    organisation.current()
    Organisation.objects.update(surveys_enabled=enabled)
    organisation.forget()


def test_a_delivered_order_gets_one_survey_whose_link_takes_the_answer(
    smtp_settings, mail_server, personas, alices_order, catalogue,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        order = deliver(alices_order)

    survey = Survey.objects.get(order=order)
    chair, _table = catalogue
    assert (survey.manager, survey.product, survey.company, survey.contact) == (
        personas.alice, chair, order.company, order.contact,
    )  # fmt: skip
    assert (survey.email_to, survey.language, survey.request) == (
        "petr@romashka.example", "ru", None,
    )  # fmt: skip
    [got] = [
        m for m in mail_server.received() if str(m.message["Message-ID"]).startswith("<survey")
    ]
    assert got.rcpt_tos == ["petr@romashka.example"]
    assert order.number in str(got.message["Subject"])
    # In the thread of the order's status e-mails.
    assert str(got.message["References"]) == f"<order-{order.pk}@voronka>"
    body = got.message.get_content()
    assert "Пётр" in body.splitlines()[0]  # greeted by first name
    assert f"№ {order.number}" in body
    [link] = re.findall(r"https://\S+/service/survey/\S+", body)

    browser = Client(enforce_csrf_checks=True)
    path = urlsplit(link).path
    page = browser.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"№ {order.number}" in html
    assert 'class="small text-body-secondary mt-3 mb-0 survey-order"' in html
    answered = browser.post(
        path, {"score": "5", "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )
    assert answered.status_code == 200
    survey.refresh_from_db()
    assert survey.score == 5


def test_the_survey_is_sent_once_however_often_delivery_is_heard(personas, alices_order):
    order = deliver(alices_order)
    survey_after_delivery(order_id=order.pk)
    survey_after_delivery(order_id=order.pk)
    assert survey_send_for_order(Order.objects.get(pk=order.pk)) is None
    assert Survey.objects.filter(order=order).count() == 1


def test_no_survey_when_surveys_are_off(personas, alices_order):
    surveys_on(False)
    order = deliver(alices_order)
    survey_after_delivery(order_id=order.pk)
    assert survey_send_for_order(order) is None
    assert Survey.objects.count() == 0


def test_no_survey_to_a_client_without_an_e_mail_address(personas, client_company, make_order):
    _company, contact = client_company
    contact.email = ""
    contact.save()
    order = deliver(make_order(contact=contact))
    assert order.client_email == ""
    survey_after_delivery(order_id=order.pk)
    assert Survey.objects.count() == 0


def test_an_order_not_delivered_gets_no_survey(personas, alices_order, mailoutbox,
                                               django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        walk(alices_order, personas.alice, Status.CONFIRMED, Status.CANCELLED)
    assert Survey.objects.count() == 0


def test_an_english_speaking_clients_survey_is_in_english(personas, make_order):
    order = deliver(make_order(language="en"))
    survey_after_delivery(order_id=order.pk)
    assert Survey.objects.get(order=order).language == "en"


def test_the_answers_count_in_csat_by_product_and_manager(personas, make_order, catalogue):
    from voronka.clients.models import Company

    chair, table = catalogue
    alices = deliver(make_order())
    bobs_client = Company.objects.create(name="ООО «Лютик»", owner=personas.bob)
    bobs = deliver(make_order(actor=personas.bob, owner=personas.bob, company=bobs_client,
                              contact=None, client_email="buyer@lyutik.example",
                              lines=[{"product": table, "quantity": 1},
                                     {"product": chair, "quantity": 4}]),
                   personas.bob)  # fmt: skip
    for order, score in ((alices, 5), (bobs, 2)):
        survey = survey_send_for_order(order)
        survey_answer(token=token_for(survey), score=score)

    today = timezone.localdate(timezone=organisation.current().tz)
    period = Period(today, today)

    def csat(by: str | None = None):
        return compute(actor=personas.head, ids=["csat"], period=period, by=by)["csat"]

    total = csat().as_json()["total"]
    assert (total["value"], total["numerator"], total["denominator"]) == (3.5, 7, 2)
    by_product = {g.key: g.value.value for g in csat("product").groups or []}
    assert by_product == {str(chair.pk): 5.0, str(table.pk): 2.0}
    by_manager = {g.key: g.value.value for g in csat("manager").groups or []}
    assert by_manager == {str(personas.alice.pk): 5.0, str(personas.bob.pk): 2.0}


def test_a_low_score_calls_for_a_call_back_about_the_order(personas, alices_order):
    from voronka.activities.models import Notification, NotificationKind, Task

    order = deliver(alices_order)
    survey = survey_send_for_order(order)
    survey_answer(token=token_for(survey), score=1, comment="Стул сломан")

    task = Task.objects.get()
    assert task.title == f"Call the client back: satisfaction score 1 on order {order.number}"
    assert (task.assignee, task.company, task.description) == (
        personas.alice, order.company, "Стул сломан",
    )  # fmt: skip
    notice = Notification.objects.get(kind=NotificationKind.LOW_SATISFACTION)
    assert notice.url == f"/orders/{order.pk}/"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_survey_page_names_the_order_in_both_languages(personas, alices_order, language):
    survey = survey_send_for_order(deliver(alices_order))
    page = Client().get(f"/service/survey/{token_for(survey)}/", {"lang": language})
    assert page.status_code == 200
    assert page["Content-Language"] == language
    html = page.content.decode()
    assert f"№ {alices_order.number}" in html
    assert "Request #" not in html
