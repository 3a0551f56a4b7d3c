"""Web forms that take client requests: from a website's post to a request in the queue."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories
from tests.webforms.conftest import post_form, post_json
from voronka.accounts.services import user_create
from voronka.activities.models import Notification, NotificationKind
from voronka.sales.models import Lead
from voronka.service import services as service_services
from voronka.service.models import Channel, Kind, Message, Request, Status
from voronka.webforms import services
from voronka.webforms.models import Purpose, WebForm, WebFormSubmission

Result = WebFormSubmission.Result
THANKS = {"ok": True, "message": "Мы ответим в течение дня.", "redirect": ""}


@pytest.fixture
def delivery(personas):
    return service_services.category_save(
        actor=personas.admin, category=None, data={"name": "Доставка"}
    )


@pytest.fixture
def request_form(personas, web_team, delivery):
    """«Жалоба на доставку»: complaints about delivery, taken by the team «Сайт» in turn."""
    return services.webform_create(
        actor=personas.admin,
        data={
            "name": "Жалоба на доставку",
            "purpose": Purpose.REQUEST,
            "fields": ["name", "company", "phone", "email", "message"],
            "required_fields": ["name"],
            "extra_fields": [{"label": "Номер заказа", "required": False}],
            "request_kind": Kind.COMPLAINT,
            "request_category": delivery,
            "team": web_team[0],
            "success_message": "Мы ответим в течение дня.",
        },
    )


def answers(**more):
    return {
        "name": "Пётр Смирнов",
        "email": "petr@zarya.ru",
        "message": "Курьер не приехал,\n  заказ так и не доставлен.",
        **more,
    }


def results(form):
    return list(
        WebFormSubmission.objects.filter(form=form).order_by("pk").values_list("result", flat=True)
    )


def thread(request):
    return list(request.messages.order_by("created_at", "pk").values_list("kind", "body", "author"))


# --- Receiving ---------------------------------------------------------------------------


def test_a_post_makes_a_request_whose_thread_starts_with_the_clients_message(
    client, request_form, web_team, delivery
):
    _team, anna, _vadim = web_team

    response = post_json(
        client,
        request_form,
        answers(company="ООО Заря", x1="Н-1234", referrer="https://example.com/delivery"),
    )

    assert response.status_code == 200
    assert response.json() == THANKS
    request = Request.objects.get()
    assert (request.subject, request.kind, request.category, request.product) == (
        "Курьер не приехал, заказ так и не доставлен.", Kind.COMPLAINT, delivery, None,
    )  # fmt: skip
    assert (request.channel, request.status, request.assignee) == (
        Channel.WEB_FORM, Status.NEW, anna,
    )  # fmt: skip
    assert (request.client_name, request.client_email, request.client_phone) == (
        "Пётр Смирнов", "petr@zarya.ru", "",
    )  # fmt: skip
    assert (request.company, request.contact, request.created_by) == (None, None, None)
    (first_kind, first_body, first_author), (note_kind, note_body, note_author) = thread(request)
    assert (first_kind, first_body, first_author) == (
        Message.Kind.CLIENT, "Курьер не приехал,\n  заказ так и не доставлен.", None,
    )  # fmt: skip
    assert (note_kind, note_author) == (Message.Kind.NOTE, None)
    note = note_body.split("\n")
    assert note[0].endswith(": ООО Заря")
    assert note[1:] == [
        "Номер заказа: Н-1234",
        "Веб-форма: Жалоба на доставку",
        "Страница: https://example.com/delivery",
    ]
    submission = WebFormSubmission.objects.get()
    assert (submission.result, submission.request, submission.lead) == (
        Result.CREATED, request, None,
    )  # fmt: skip
    assert Lead.all_objects.count() == 0
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.url) == (
        anna, NotificationKind.REQUEST_ASSIGNED,
        reverse("service:request-detail", args=[request.pk]),
    )  # fmt: skip


def test_a_long_message_gives_a_subject_cut_to_fit_the_queue(client, request_form):
    post_json(client, request_form, answers(message="Слово " * 100))

    subject = Request.objects.get().subject
    assert len(subject) == 120
    assert subject.startswith("Слово Слово")
    assert subject.endswith("…")


@pytest.mark.parametrize(
    ("email", "phone"),
    [("PETR@romashka.example ", ""), ("", "8 (912) 345-67-89")],
    ids=["e-mail", "phone"],
)
def test_a_known_contact_is_matched_by_e_mail_or_phone_and_the_request_attached(
    client, personas, request_form, email, phone
):
    company = factories.company(personas.alice, name="ООО Ромашка")
    contact = factories.contact(
        personas.alice, first_name="Пётр", last_name="Клиентов", email="petr@romashka.example",
        phone="+7 912 345-67-89", company=company,
    )  # fmt: skip
    answered = {k: v for k, v in answers(email=email, phone=phone).items() if v}

    response = post_json(client, request_form, answered)

    assert response.status_code == 200
    request = Request.objects.get()
    assert (request.contact, request.company) == (contact, company)
    # As the client wrote it (the form trims it); from the contact when the client gave none.
    assert request.client_email == (email.strip() or "petr@romashka.example")
    assert WebFormSubmission.objects.get().result == Result.ATTACHED
    assert thread(request)[0][:2] == (Message.Kind.CLIENT, answers()["message"])


def test_requests_go_round_robin_over_the_team_members_who_take_requests(
    client, personas, request_form, web_team
):
    team, anna, vadim = web_team
    helpdesk = user_create(
        username="desk", password="correct-horse-42", role="support", team=team,
        first_name="Дина", last_name="Саппорт",
    )  # fmt: skip
    gone = user_create(username="gone", password="correct-horse-42", team=team)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    for n in range(4):
        post_json(
            client, request_form, answers(email=f"c{n}@mail.ru"), REMOTE_ADDR=f"198.51.100.{n}"
        )

    assignees = list(Request.objects.order_by("pk").values_list("assignee", flat=True))
    assert assignees == [anna.pk, vadim.pk, helpdesk.pk, anna.pk]
    request_form.refresh_from_db()
    assert request_form.last_assignee == anna


def test_without_a_team_a_request_waits_in_the_queue(client, personas, request_form):
    services.webform_update(
        actor=personas.admin, form=request_form, version=request_form.version, data={"team": None}
    )

    post_json(client, request_form, answers())

    request = Request.objects.get()
    assert request.assignee is None
    assert Notification.objects.count() == 0
    assert WebFormSubmission.objects.get().request == request


def test_a_switched_off_category_or_product_is_left_off_the_request(
    client, personas, request_form, delivery
):
    product = factories.product(personas.admin, name="Доставка курьером")
    services.webform_update(
        actor=personas.admin, form=request_form, version=request_form.version,
        data={"request_product": product},
    )  # fmt: skip
    service_services.category_save(
        actor=personas.admin, category=delivery, data={"is_active": False}
    )
    product.is_active = False
    product.save(update_fields=["is_active"])

    post_json(client, request_form, answers())

    request = Request.objects.get()
    assert (request.category, request.product) == (None, None)


# --- What makes no request ---------------------------------------------------------------


def test_the_same_answers_again_make_one_request(client, request_form):
    first = post_json(client, request_form, answers())
    again = post_json(client, request_form, answers(email=" Petr@Zarya.ru"))

    assert first.json() == again.json() == THANKS
    request = Request.objects.get()
    assert results(request_form) == [Result.CREATED, Result.DUPLICATE]
    assert WebFormSubmission.objects.get(result=Result.DUPLICATE).request == request
    assert request.messages.count() == 2
    assert Notification.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (answers(message=""), "message", "This field is required."),
        (answers(email="не почта"), "email", "Enter a valid email address."),
        ({"name": "Пётр", "message": "Помогите"}, "email",
         "Leave an e-mail or a phone number so that we can reach you."),
    ],
    ids=["no message", "bad e-mail", "no way to answer"],
)  # fmt: skip
def test_invalid_answers_name_the_field_and_make_nothing(
    client, request_form, data, field, message
):
    response = post_json(client, request_form, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {"detail": [{"field": field, "message": message}]}
    assert Request.all_objects.count() == 0
    submission = WebFormSubmission.objects.get()
    assert (submission.result, submission.errors) == (Result.INVALID, {field: [message]})


def test_a_browser_post_without_a_message_gets_the_form_back_marked(client, request_form):
    response = post_form(
        client, request_form, {"name": "Пётр", "email": "p@mail.ru"}, HTTP_ACCEPT="text/html",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert response.status_code == 400
    assert '<a href="#wf-message" class="alert-link">Message</a>: This field is required.' in (
        response.content.decode()
    )
    assert Request.all_objects.count() == 0


def test_spam_a_foreign_site_and_too_many_posts_make_no_request(client, personas, request_form):
    services.webform_update(
        actor=personas.admin, form=request_form, version=request_form.version,
        data={"allowed_origins": ["https://shop.example"]},
    )  # fmt: skip

    spam = post_json(client, request_form, answers(website="http://spam.example"))
    foreign = post_json(client, request_form, answers(), HTTP_ORIGIN="https://evil.example")
    for n in range(3):
        post_json(client, request_form, answers(email=f"x{n}@mail.ru", website="x"))
    too_many = post_json(client, request_form, answers(email="last@mail.ru"))

    assert (spam.status_code, foreign.status_code, too_many.status_code) == (200, 403, 429)
    assert spam.json() == THANKS
    assert Request.all_objects.count() == 0
    assert results(request_form) == [Result.SPAM, Result.INVALID] + [Result.SPAM] * 3 + [
        Result.RATE_LIMITED
    ]


def test_a_lead_form_still_makes_a_lead_and_no_request(client, webform):
    post_json(client, webform, {"name": "Анна", "email": "a@mail.ru", "message": "Счёт"})

    assert Lead.objects.count() == 1
    assert Request.all_objects.count() == 0
    assert WebFormSubmission.objects.get().request is None


# --- Settings ----------------------------------------------------------------------------


def test_a_request_form_must_show_the_message_and_always_requires_it(personas):
    with pytest.raises(ValidationError) as refused:
        services.webform_create(
            actor=personas.admin,
            data={"name": "Без текста", "purpose": Purpose.REQUEST, "fields": ["name", "email"]},
        )
    form = services.webform_create(
        actor=personas.admin,
        data={"name": "Вопрос", "purpose": Purpose.REQUEST, "fields": ["email", "message"]},
    )

    assert refused.value.message_dict == {
        "fields": ["Show the message: it is the client's request."]
    }
    assert (form.required_fields, form.request_kind) == (["message"], Kind.QUESTION)


def test_a_request_form_refuses_a_switched_off_category(personas, request_form, delivery):
    service_services.category_save(
        actor=personas.admin, category=delivery, data={"is_active": False}
    )

    with pytest.raises(ValidationError) as refused:
        services.webform_update(
            actor=personas.admin, form=request_form, version=request_form.version,
            data={"name": "Жалобы"},
        )  # fmt: skip

    assert refused.value.message_dict == {
        "request_category": ["This category is switched off: choose another."]
    }
    assert WebForm.objects.get().name == "Жалоба на доставку"


def _page_post(**more):
    data = {
        "name": "Вопрос о заказе", "purpose": "request", "shown": ["name", "email", "message"],
        "required_fields": ["name"], "request_kind": "order_problem", "success_message": "",
        "redirect_url": "", "allowed_origins": "", "is_active": "on",
        "extra-TOTAL_FORMS": "3", "extra-INITIAL_FORMS": "0",
        "extra-0-label": "", "extra-1-label": "", "extra-2-label": "",
    }  # fmt: skip
    data.update(more)
    return data


def test_the_admin_sets_up_a_request_form_from_the_page(client, personas, delivery, web_team):
    product = factories.product(personas.admin, name="Доставка курьером")
    client.force_login(personas.admin)
    page = client.get(reverse("webforms:form-create"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    response = client.post(
        reverse("webforms:form-create"),
        _page_post(request_category=delivery.pk, request_product=product.pk, team=web_team[0].pk),
    )

    form = WebForm.objects.get()
    assert response.status_code == 302
    assert 'name="purpose" value="request"' in page
    assert (form.purpose, form.request_kind, form.request_category, form.request_product) == (
        Purpose.REQUEST, Kind.ORDER_PROBLEM, delivery, product,
    )  # fmt: skip
    assert (form.fields, form.required_fields) == (
        ["name", "email", "message"], ["name", "message"],
    )  # fmt: skip


@pytest.mark.parametrize("who", ["lead", "alice", "support"])
def test_nobody_else_makes_a_request_form(client, personas, who):
    client.force_login(getattr(personas, who))

    response = client.post(reverse("webforms:form-create"), _page_post())

    assert response.status_code == 403
    assert WebForm.all_objects.count() == 0


def test_the_form_page_shows_the_requests_it_made(
    client, personas, request_form, django_assert_max_num_queries
):
    for n in range(10):
        post_json(
            client, request_form, answers(email=f"c{n}@mail.ru"), REMOTE_ADDR=f"198.51.100.{n}"
        )
    first = Request.objects.order_by("pk").first()
    client.force_login(personas.head)
    client.get(reverse("core:home"))
    url = reverse("webforms:form-detail", args=[request_form.pk])

    with django_assert_max_num_queries(7):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert [s.label for s in response.context["submissions"]] == ["Request created"] * 10
    assert reverse("service:request-detail", args=[first.pk]) in body
    assert "Complaint" in body and "Доставка" in body
    listed = client.get(reverse("webforms:form-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert [(f.name, f.recent_leads) for f in listed.context["forms"]] == [
        ("Жалоба на доставку", 10)
    ]
