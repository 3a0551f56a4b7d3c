"""E-mails to clients — a staff reply and a satisfaction survey — through Django's SMTP
backend to a real SMTP server (aiosmtpd), and the survey link followed from the e-mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.test import Client
from django.utils import formats, timezone, translation

from voronka.service import mail, services
from voronka.service.models import Survey

SUBJECT = "Заказ не доставлен"
REPLY = "Здравствуйте! Курьер привезёт заказ завтра.\nЦена < 100 ₽ & доставка — бесплатно."


def headers(got):
    message = got.message
    return {name: str(message[name]) for name in ("Message-ID", "In-Reply-To", "References")}


def test_a_reply_reaches_the_client_with_the_request_number_and_thread_headers(
    smtp_settings, mail_server, personas, make_request
):
    request = make_request()
    reply = services.request_reply(actor=personas.support, request=request, body=REPLY)
    assert mail.send_reply(reply.pk) is True
    [got] = mail_server.received()
    assert got.rcpt_tos == ["petr@romashka.example"]
    assert str(got.message["To"]) == "petr@romashka.example"
    assert str(got.message["Subject"]).strip() == f"[#{request.pk}] {SUBJECT}"
    assert headers(got) == {
        "Message-ID": f"<request-{request.pk}-message-{reply.pk}@voronka>",
        "In-Reply-To": f"<request-{request.pk}@voronka>",
        "References": f"<request-{request.pk}@voronka>",
    }
    lines = got.message.get_content().splitlines()
    # The agent's words as written (no HTML escaping in a plain-text e-mail), then the
    # signature separator mail programs hide in quotes, then the quiet footer.
    assert lines[:4] == [*REPLY.splitlines(), "", "-- "]
    assert f"#{request.pk}" in lines[4]
    assert SUBJECT in lines[4]
    assert len(lines) == 6
    assert mail.send_reply(reply.pk) is False  # sent once
    assert len(mail_server.received()) == 1


def test_a_survey_reaches_the_client_by_name_with_a_link_that_takes_the_answer(
    smtp_settings, mail_server, personas, make_request
):
    request = make_request()
    services.request_set_status(actor=personas.support, request=request, status="resolved")
    survey = Survey.objects.get(request=request)
    assert mail.send_survey(survey.pk) is True
    [got] = mail_server.received()
    assert got.rcpt_tos == ["petr@romashka.example"]
    # The replies' subject, so that every mail program keeps one conversation.
    assert str(got.message["Subject"]).strip() == f"[#{request.pk}] {SUBJECT}"
    assert headers(got) == {
        "Message-ID": f"<survey-{survey.pk}@voronka>",
        "In-Reply-To": f"<request-{request.pk}@voronka>",
        "References": f"<request-{request.pk}@voronka>",
    }
    body = got.message.get_content()
    lines = body.splitlines()
    assert "Пётр" in lines[0]  # greeted by first name
    assert "Клиентов" not in lines[0]
    assert f"#{request.pk}" in body
    assert f"«{SUBJECT}»" in body
    with translation.override("ru"):
        until = formats.date_format(timezone.localtime(survey.expires_at), "SHORT_DATE_FORMAT")
    assert re.search(rf"\b{re.escape(until)}\b", body)
    [link] = re.findall(r"https://\S+", body)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "crm.example.com")

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(parts.path)
    assert page.status_code == 200
    answered = browser.post(parts.path, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
                                         "score": "5"})  # fmt: skip
    assert answered.status_code == 200
    survey.refresh_from_db()
    assert (survey.score, survey.answered_at is not None) == (5, True)


def test_a_survey_for_a_client_known_only_by_name_greets_them_by_that_name(
    smtp_settings, mail_server, personas, make_request
):
    request = make_request(company=None, contact=None, client_name="Мария",
                           client_email="maria@example.com")  # fmt: skip
    services.request_set_status(actor=personas.support, request=request, status="resolved")
    survey = Survey.objects.get(request=request)
    assert mail.send_survey(survey.pk) is True
    [got] = mail_server.received()
    assert got.rcpt_tos == ["maria@example.com"]
    first = got.message.get_content().splitlines()[0]
    assert "Мария" in first
