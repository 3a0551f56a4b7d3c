"""The client's e-mails about their order's status: through Django's SMTP backend to a
real SMTP server (aiosmtpd), in the client's language, once, and again after a failure;
the link in the e-mail opens the order's public page."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.activities.conftest import free_port
from tests.orders.conftest import walk
from voronka.core import mailing
from voronka.orders import mail, tasks
from voronka.orders.models import (
    DeliveryMethod,
    MailStatus,
    Order,
    PaymentStatus,
    Status,
    StatusChange,
    StatusSetting,
)

NBSP = "\xa0"


def label(status: str, language: str) -> str:
    with translation.override(language):
        return str(Status(status).label)


def change_into(order: Order, status: str) -> StatusChange:
    return order.changes.get(to_status=status)


def headers(got) -> dict[str, str]:
    return {name: str(got.message[name]) for name in ("Message-ID", "In-Reply-To", "References")}


def test_a_status_email_reaches_the_client_in_russian_with_a_link_to_the_order(
    smtp_settings, mail_server, personas, alices_order
):
    order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    assert (change.email_status, change.email_to) == (MailStatus.PENDING, "petr@romashka.example")

    assert mail.send_status(change.pk) is True

    [got] = mail_server.received()
    assert got.rcpt_tos == ["petr@romashka.example"]
    assert got.mail_from == "voronka@localhost"
    confirmed = label(Status.CONFIRMED, "ru")
    assert str(got.message["Subject"]).strip() == f"Заказ № {order.number}: {confirmed}"
    assert headers(got) == {
        "Message-ID": f"<order-{order.pk}-change-{change.pk}@voronka>",
        "In-Reply-To": f"<order-{order.pk}@voronka>",
        "References": f"<order-{order.pk}@voronka>",
    }
    body = got.message.get_content()
    [link] = re.findall(r"https://\S+", body)
    assert body.splitlines() == [
        "Здравствуйте, Пётр!",
        "",
        f"Мы приняли ваш заказ № {order.number} на сумму 15{NBSP}000,00{NBSP}₽ и уже работаем "
        "над ним.",
        "",
        f"Статус заказа: {link}",
        "",
        "Voronka",
    ]
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "crm.example.com")
    page = Client().get(parts.path)
    assert page.status_code == 200
    assert page.context["order"].pk == order.pk
    change.refresh_from_db()
    assert (change.email_status, change.email_attempts) == (MailStatus.SENT, 1)
    assert change.email_sent_at is not None


def test_an_english_speaking_client_gets_english(smtp_settings, mail_server, personas, make_order):
    order = make_order(language="en")
    order = walk(order, personas.alice, Status.CONFIRMED, Status.PAID)

    assert mail.send_status(change_into(order, Status.PAID).pk) is True

    [got] = mail_server.received()
    assert str(got.message["Subject"]) == f"Order {order.number}: {label(Status.PAID, 'en')}"
    body = got.message.get_content()
    lines = body.splitlines()
    assert lines[:3] == [
        "Hello Пётр,",
        "",
        f"We have received the payment for order {order.number}, thank you.",
    ]
    assert lines[4].startswith("Order status: https://crm.example.com/orders/status/")


def test_the_job_sends_once_even_when_it_runs_twice(
    smtp_settings, mail_server, personas, alices_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)

    tasks.send_status_email(change.pk)  # a retried job, a second worker
    assert mail.send_status(change.pk) is False

    assert len(mail_server.received()) == 1
    change.refresh_from_db()
    assert (change.email_status, change.email_attempts) == (MailStatus.SENT, 1)


def test_no_email_for_a_status_that_does_not_send_one(personas, alices_order, mailoutbox):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)
    for status in (Status.NEW, Status.ASSEMBLED):
        change = change_into(order, status)
        assert (change.email_status, change.email_to) == (MailStatus.NONE, "")
        assert mail.send_status(change.pk) is False
    assert mailoutbox == []


def test_no_email_for_a_status_switched_off_in_the_settings(personas, alices_order, mailoutbox):
    StatusSetting.objects.filter(status=Status.CONFIRMED).update(notify_client=False)
    order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    assert change.email_status == MailStatus.NONE
    assert mail.send_status(change.pk) is False
    assert mailoutbox == []


def test_no_email_to_a_client_without_an_address(personas, client_company, make_order, mailoutbox):
    company, contact = client_company
    contact.email = ""
    contact.save()
    order = walk(make_order(contact=contact), personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    assert (change.email_status, change.email_to) == (MailStatus.NONE, "")
    assert mail.send_status(change.pk) is False
    assert mailoutbox == []


def test_a_failed_send_waits_for_the_retry_which_sends_it(
    smtp_settings, mail_server, personas, alices_order
):
    order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    smtp_settings.EMAIL_PORT = free_port()  # nobody listens there

    with pytest.raises(OSError):
        mail.send_status(change.pk)

    change.refresh_from_db()
    assert (change.email_status, change.email_attempts) == (MailStatus.PENDING, 1)
    assert change.email_claimed_at is None
    assert mail_server.received() == []

    smtp_settings.EMAIL_PORT = mail_server.port
    assert mail.send_status(change.pk) is True
    change.refresh_from_db()
    assert (change.email_status, change.email_attempts) == (MailStatus.SENT, 2)
    assert len(mail_server.received()) == 1


def test_the_last_failed_attempt_gives_up(smtp_settings, personas, alices_order):
    order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    StatusChange.objects.filter(pk=change.pk).update(email_attempts=mailing.MAX_ATTEMPTS - 1)
    smtp_settings.EMAIL_PORT = free_port()

    with pytest.raises(OSError):
        mail.send_status(change.pk)

    change.refresh_from_db()
    assert (change.email_status, change.email_attempts) == (MailStatus.FAILED, mailing.MAX_ATTEMPTS)
    assert mail.send_status(change.pk) is False
    assert mail.stuck(StatusChange, "changed_at") == []


def test_an_email_left_half_sent_by_a_dead_worker_is_sent_again(
    smtp_settings, mail_server, personas, alices_order
):
    order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    long_ago = timezone.now() - mailing.STUCK_AFTER - timedelta(minutes=1)
    StatusChange.objects.filter(pk=change.pk).update(
        email_status=MailStatus.SENDING, email_claimed_at=long_ago, email_attempts=1
    )

    assert mail.stuck(StatusChange, "changed_at") == [change.pk]
    tasks.resend_stuck_status_emails()

    assert len(mail_server.received()) == 1
    change.refresh_from_db()
    assert (change.email_status, change.email_attempts) == (MailStatus.SENT, 2)
    assert mail.stuck(StatusChange, "changed_at") == []


def test_the_organisations_own_template_is_used_with_every_placeholder(
    smtp_settings, mail_server, personas, alices_order
):
    StatusSetting.objects.filter(status=Status.CONFIRMED).update(
        subject_ru="{{ organisation }}: заказ {{ order.number }} — {{ status|lower }}",
        body_ru=(
            "{{ client_name }}|{{ order.date }}|{{ total }}|{{ order.payment }}|"
            "{{ order.delivery_method }}|{{ order.manager }}|{{ link }}|"
            "{{ order.notes }}{{ order.owner.password }}{{ order.public_nonce }}<&>"
        ),
    )
    order = walk(alices_order, personas.alice, Status.CONFIRMED)

    assert mail.send_status(change_into(order, Status.CONFIRMED).pk) is True

    [got] = mail_server.received()
    assert str(got.message["Subject"]).strip() == (
        f"Voronka: заказ {order.number} — {label(Status.CONFIRMED, 'ru').lower()}"
    )
    moscow = ZoneInfo("Europe/Moscow")  # the organisation's time zone
    received = timezone.localtime(order.created_at, moscow).strftime("%d.%m.%Y")
    with translation.override("ru"):
        payment = str(PaymentStatus.UNPAID.label)
        delivery = str(DeliveryMethod.COURIER.label)
    fields = got.message.get_content().strip().split("|")
    assert fields[:6] == ["Пётр", received, f"15{NBSP}000,00{NBSP}₽", payment, delivery, "Алиса"]
    assert fields[6].startswith("https://crm.example.com/orders/status/")
    # Nothing internal reaches a template, and plain text is not HTML-escaped.
    assert fields[7] == "<&>"


def test_a_template_that_fails_at_send_time_sends_the_standard_text(
    smtp_settings, mail_server, personas, alices_order, caplog
):
    StatusSetting.objects.filter(status=Status.CONFIRMED).update(
        subject_ru="Ваш заказ {{ order.number }}", body_ru='{% include "nowhere.txt" %}'
    )
    order = walk(alices_order, personas.alice, Status.CONFIRMED)

    with caplog.at_level(logging.ERROR, logger="voronka.orders.mail"):
        assert mail.send_status(change_into(order, Status.CONFIRMED).pk) is True

    [got] = mail_server.received()
    assert str(got.message["Subject"]) == f"Ваш заказ {order.number}"
    lines = got.message.get_content().splitlines()
    assert lines[0] == "Здравствуйте, Пётр!"
    assert lines[2].startswith(f"Мы приняли ваш заказ № {order.number} на сумму")
    assert "standard text sent" in caplog.text


def test_an_order_deleted_before_the_job_runs_sends_nothing(personas, alices_order, mailoutbox):
    from voronka.orders.services import order_delete

    order = walk(alices_order, personas.alice, Status.CONFIRMED)
    change = change_into(order, Status.CONFIRMED)
    order_delete(actor=personas.alice, order=order, version=order.version)

    assert mail.send_status(change.pk) is False

    assert mailoutbox == []
    change.refresh_from_db()
    assert change.email_status == MailStatus.NONE


def test_every_email_of_an_order_is_in_one_thread(smtp_settings, mail_server, personas, make_order):
    order = walk(make_order(), personas.alice, Status.CONFIRMED, Status.PAID)
    for status in (Status.CONFIRMED, Status.PAID):
        mail.send_status(change_into(order, status).pk)
    first, second = mail_server.received()
    assert first.message["References"] == second.message["References"]
    assert first.message["Message-ID"] != second.message["Message-ID"]
