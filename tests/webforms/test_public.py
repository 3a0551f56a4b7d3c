"""A form's public address, end to end: what a website's post turns into."""

from __future__ import annotations

import json

from django.urls import reverse

from tests import factories
from tests.webforms.conftest import post_form, post_json, post_multipart, public_url
from voronka.activities.models import Notification, NotificationKind
from voronka.sales.models import Lead
from voronka.webforms.models import WebFormSubmission
from voronka.webforms.services import webform_update

Result = WebFormSubmission.Result
SUCCESS = {"ok": True, "message": "Спасибо! Мы перезвоним.", "redirect": ""}


def full_answers(**more):
    return {
        "name": "Пётр Смирнов",
        "company": "ООО Заря",
        "phone": "8 (912) 345-67-89",
        "email": "Petr@Zarya.ru",
        "message": "Пришлите счёт на 10 лицензий",
        "x1": "Пермь",
        **more,
    }


def results(form):
    return list(
        WebFormSubmission.objects.filter(form=form).order_by("pk").values_list("result", flat=True)
    )


def test_a_json_submission_makes_a_lead_with_source_utm_and_referrer(
    client, webform, web_team, source
):
    _team, anna, _vadim = web_team
    response = post_json(
        client,
        webform,
        full_answers(
            utm_source="yandex",
            utm_medium="cpc",
            utm_campaign="autumn",
            utm_term="crm",
            utm_content="banner-2",
            referrer="https://example.com/prices",
        ),  # fmt: skip
        HTTP_USER_AGENT="Firefox/140",
    )
    assert response.status_code == 200
    assert response.json() == SUCCESS
    lead = Lead.objects.get()
    assert (lead.title, lead.contact_name, lead.company_name, lead.phone, lead.email) == (
        "Заявка с сайта: Пётр Смирнов", "Пётр Смирнов", "ООО Заря", "8 (912) 345-67-89",
        "Petr@Zarya.ru",
    )  # fmt: skip
    assert (lead.phone_normalized, lead.email_normalized) == ("79123456789", "petr@zarya.ru")
    assert lead.source == source
    assert lead.owner == anna
    assert lead.status == Lead.Status.NEW
    assert [lead.utm_source, lead.utm_medium, lead.utm_campaign, lead.utm_term,
            lead.utm_content] == ["yandex", "cpc", "autumn", "crm", "banner-2"]  # fmt: skip
    assert lead.notes == (
        "Пришлите счёт на 10 лицензий\n\n"
        "Город: Пермь\n"
        "Веб-форма: Заявка с сайта\n"
        "Воронка: Продажи\n"
        "Страница: https://example.com/prices"
    )
    submission = WebFormSubmission.objects.get()
    assert submission.result == Result.CREATED
    assert submission.lead == lead
    assert (submission.ip, submission.user_agent, submission.referrer) == (
        "203.0.113.7", "Firefox/140", "https://example.com/prices",
    )  # fmt: skip
    assert submission.payload["email"] == "Petr@Zarya.ru"
    assert submission.payload["utm_campaign"] == "autumn"


def test_three_submissions_go_round_robin_and_each_assignee_is_notified(client, webform, web_team):
    _team, anna, vadim = web_team
    for n in range(3):
        response = post_json(client, webform, {"name": f"Клиент {n}", "email": f"c{n}@mail.ru"})
        assert response.status_code == 200
    leads = list(Lead.objects.order_by("pk"))
    assert [lead.owner for lead in leads] == [anna, vadim, anna]
    notes = Notification.objects.filter(kind=NotificationKind.LEAD_ASSIGNED).order_by("pk")
    assert [(n.recipient, n.url) for n in notes] == [
        (anna, reverse("sales:lead-detail", args=[leads[0].pk])),
        (vadim, reverse("sales:lead-detail", args=[leads[1].pk])),
        (anna, reverse("sales:lead-detail", args=[leads[2].pk])),
    ]
    assert notes[0].title == "Новый лид с веб-формы «Заявка с сайта»: Заявка с сайта: Клиент 0"
    webform.refresh_from_db()
    assert webform.last_assignee == anna


def test_a_form_encoded_post_takes_the_referrer_from_the_referer_header(client, webform):
    response = post_form(
        client,
        webform,
        {"name": "Ирина", "phone": "+7 912 000-11-22", "utm_source": "vk"},
        HTTP_REFERER="https://example.com/contacts",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 200
    assert "Спасибо! Мы перезвоним." in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.contact_name, lead.phone_normalized, lead.utm_source) == (
        "Ирина", "79120001122", "vk",
    )  # fmt: skip
    assert lead.notes.endswith("Страница: https://example.com/contacts")
    assert WebFormSubmission.objects.get().referrer == "https://example.com/contacts"


def test_a_multipart_post_makes_a_lead_too(client, webform):
    response = post_multipart(client, webform, {"name": "Олег", "email": "oleg@mail.ru"})
    assert response.status_code == 200
    assert Lead.objects.get().email == "oleg@mail.ru"


def test_a_filled_honeypot_looks_like_success_but_makes_nothing(client, webform):
    response = post_json(client, webform, full_answers(website="http://spam.example"))
    assert response.status_code == 200
    assert response.json() == SUCCESS
    assert Lead.all_objects.count() == 0
    assert Notification.objects.count() == 0
    assert results(webform) == [Result.SPAM]


def test_a_filled_honeypot_in_a_browser_post_shows_the_thank_you_page(client, webform):
    response = post_form(client, webform, {"name": "Бот", "email": "b@b.ru", "website": "x"})
    assert response.status_code == 200
    assert "Спасибо! Мы перезвоним." in response.content.decode()
    assert Lead.all_objects.count() == 0


def test_the_sixth_submission_in_a_minute_from_one_address_is_refused(client, webform):
    for n in range(5):
        assert (
            post_json(client, webform, {"name": "Спамер", "email": f"s{n}@mail.ru"}).status_code
            == 200
        )
    response = post_json(
        client, webform, {"name": "Спамер", "email": "s6@mail.ru"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many submissions from your address. Please wait a minute and try again."
    }
    assert response["Retry-After"] == "60"
    assert Lead.objects.count() == 5
    assert results(webform) == [Result.CREATED] * 5 + [Result.RATE_LIMITED]
    other = post_json(
        client, webform, {"name": "Сосед", "email": "n@mail.ru"}, REMOTE_ADDR="198.51.100.2"
    )
    assert other.status_code == 200
    assert Lead.objects.count() == 6


def test_a_rate_limited_browser_post_gets_the_form_back_with_the_reason(client, webform):
    for n in range(5):
        post_form(client, webform, {"name": "Спамер", "email": f"s{n}@mail.ru", "website": "x"})
    response = post_form(client, webform, {"name": "Спамер", "email": "s6@mail.ru"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Слишком много заявок с вашего адреса." in body
    assert 'value="s6@mail.ru"' in body


def test_the_same_submission_twice_makes_one_lead(client, webform):
    first = post_json(client, webform, full_answers())
    second = post_json(client, webform, full_answers(email=" petr@zarya.ru", phone="+79123456789"))
    assert first.json() == second.json() == SUCCESS
    lead = Lead.objects.get()
    assert results(webform) == [Result.CREATED, Result.DUPLICATE]
    assert WebFormSubmission.objects.get(result=Result.DUPLICATE).lead == lead
    assert Notification.objects.count() == 1


def test_a_repeated_submission_id_makes_one_lead_even_with_changed_answers(client, webform):
    post_json(client, webform, {"name": "Анна", "email": "a@mail.ru", "submission_id": "page-1"})
    response = post_json(
        client, webform, {"name": "Анна К.", "email": "a@mail.ru", "submission_id": "page-1"}
    )
    assert response.status_code == 200
    assert Lead.objects.count() == 1
    assert results(webform) == [Result.CREATED, Result.DUPLICATE]


def test_different_answers_are_not_a_duplicate(client, webform):
    post_json(client, webform, {"name": "Анна", "email": "a@mail.ru"})
    post_json(client, webform, {"name": "Анна", "email": "a@mail.ru", "message": "И ещё вопрос"})
    assert Lead.objects.count() == 2


def test_a_submission_from_a_known_contact_is_attached_to_it(client, personas, webform):
    known = factories.contact(
        personas.alice, first_name="Пётр", last_name="Смирнов", email="petr@zarya.ru"
    )
    response = post_json(client, webform, {"name": "Пётр", "email": "PETR@zarya.ru "})
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.contact == known
    submission = WebFormSubmission.objects.get()
    assert (submission.result, submission.lead) == (Result.ATTACHED, lead)


def test_a_known_phone_in_another_format_attaches_the_lead(client, personas, webform):
    known = factories.contact(personas.bob, first_name="Ирина", phone="+7 (912) 345-67-89")
    post_json(client, webform, {"name": "Ирина", "phone": "89123456789"})
    assert Lead.objects.get().contact == known
    assert results(webform) == [Result.ATTACHED]


def test_a_bad_email_is_refused_naming_the_field_in_the_visitors_language(client, webform):
    english = post_json(
        client, webform, {"name": "Пётр", "email": "petr@"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 400
    assert english.json() == {
        "detail": [{"field": "email", "message": "Enter a valid email address."}]
    }
    russian = post_json(
        client, webform, {"name": "Пётр", "email": "petr@"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert russian.status_code == 400
    assert russian.json() == {
        "detail": [{"field": "email", "message": "Введите правильный адрес электронной почты."}]
    }
    assert Lead.all_objects.count() == 0
    submission = WebFormSubmission.objects.order_by("pk").first()
    assert submission.result == Result.INVALID
    assert submission.errors == {"email": ["Enter a valid email address."]}


def test_missing_required_fields_a_bad_phone_and_long_values_are_each_named(client, webform):
    response = post_json(
        client,
        webform,
        {"company": "x" * 251, "phone": "12", "x1": "Пермь"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": [
            {"field": "name", "message": "This field is required."},
            {
                "field": "company",
                "message": "Ensure this value has at most 250 characters (it has 251).",
            },
            {"field": "phone", "message": "Enter a phone number, for example +7 912 345-67-89."},
        ]
    }
    assert Lead.all_objects.count() == 0


def test_a_submission_without_any_way_to_reach_the_visitor_is_refused(client, webform):
    response = post_json(client, webform, {"name": "Пётр"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {
        "detail": [
            {
                "field": "email",
                "message": "Leave an e-mail or a phone number so that we can reach you.",
            }
        ]
    }


def test_a_custom_required_field_is_checked(client, personas, webform):
    webform_update(
        actor=personas.admin,
        form=webform,
        version=webform.version,
        data={"extra_fields": [{"key": "x1", "label": "Город", "required": True}]},
    )
    response = post_json(client, webform, {"name": "Пётр", "email": "p@mail.ru"},
                         HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.json() == {"detail": [{"field": "x1", "message": "This field is required."}]}


def test_a_json_body_that_is_not_an_object_is_refused(client, webform):
    response = client.post(
        public_url(webform), data="[1, 2]", content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "detail": [{"field": "body", "message": "Send the fields as a JSON object."}]
    }
    assert WebFormSubmission.objects.count() == 0


def test_a_bad_browser_post_gets_the_form_back_with_its_errors(client, webform):
    response = post_form(
        client, webform, {"name": "Пётр", "email": "petr@", "submission_id": "p1"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "Введите правильный адрес электронной почты." in body
    assert 'value="Пётр"' in body
    assert 'name="submission_id" value="p1"' in body
    assert Lead.all_objects.count() == 0


def test_an_inactive_form_is_not_found_as_json_or_as_a_page(client, personas, webform):
    webform_update(
        actor=personas.admin, form=webform, version=webform.version, data={"is_active": False}
    )
    response = post_json(client, webform, full_answers(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "This form does not exist or is switched off."}
    page = client.get(public_url(webform), HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 404
    assert "Такой формы нет, или она выключена." in page.content.decode()
    assert post_form(client, webform, full_answers()).status_code == 404
    assert Lead.all_objects.count() == 0
    assert WebFormSubmission.objects.count() == 0


def test_an_unknown_key_is_not_found(client, webform):
    assert client.get(reverse("webforms:public", args=["no-such-key"])).status_code == 404


def test_a_post_may_be_answered_with_a_redirect_to_the_site(client, personas, webform):
    webform_update(
        actor=personas.admin,
        form=webform,
        version=webform.version,
        data={"redirect_url": "https://example.com/thanks"},
    )
    response = post_form(client, webform, {"name": "Пётр", "email": "p@mail.ru"})
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/thanks"
    assert post_json(client, webform, {"name": "Ян", "email": "y@mail.ru"}).json() == {
        **SUCCESS, "redirect": "https://example.com/thanks",
    }  # fmt: skip


def test_the_hosted_page_shows_the_fields_and_carries_utm_and_referrer(client, webform):
    response = client.get(
        public_url(webform) + "?utm_source=mail&utm_campaign=spring",
        HTTP_REFERER="https://partner.example/blog",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        'name="name"', 'name="company"', 'type="tel"', 'type="email"', 'name="message"',
        ">Город<", 'name="website"', 'name="utm_source" value="mail"',
        'name="utm_campaign" value="spring"', 'name="referrer" value="https://partner.example/blog"',
        'name="submission_id" value="',
    ):  # fmt: skip
        assert text in body
    assert WebFormSubmission.objects.count() == 0


def test_only_get_post_and_options_are_answered(client, webform):
    assert client.put(public_url(webform)).status_code == 405
    assert client.delete(public_url(webform)).status_code == 405


def test_any_site_may_post_when_the_form_lists_none(client, webform):
    response = post_json(
        client, webform, {"name": "Пётр", "email": "p@mail.ru"}, HTTP_ORIGIN="https://a.example"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_preflight_lets_an_allowed_site_post_json(client, personas, webform):
    webform_update(
        actor=personas.admin,
        form=webform,
        version=webform.version,
        data={"allowed_origins": ["https://Example.com/contacts"]},
    )
    response = client.options(
        public_url(webform),
        HTTP_ORIGIN="https://example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://example.com"
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Content-Type, Accept, Accept-Language"
    refused = client.options(
        public_url(webform),
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert refused.status_code == 204
    assert "Access-Control-Allow-Origin" not in refused
    posted = post_json(
        client, webform, {"name": "Пётр", "email": "p@mail.ru"}, HTTP_ORIGIN="https://example.com"
    )
    assert posted.status_code == 200
    assert posted["Access-Control-Allow-Origin"] == "https://example.com"


def test_a_post_from_a_site_the_form_does_not_allow_is_refused(client, personas, webform):
    webform_update(
        actor=personas.admin,
        form=webform,
        version=webform.version,
        data={"allowed_origins": ["https://example.com"]},
    )
    response = post_json(
        client, webform, {"name": "Пётр", "email": "p@mail.ru"},
        HTTP_ORIGIN="https://evil.example", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == {"detail": "This site may not send this form."}
    assert "Access-Control-Allow-Origin" not in response
    assert Lead.all_objects.count() == 0
    assert results(webform) == [Result.INVALID]


def test_a_team_without_managers_leaves_the_lead_unassigned_and_tells_the_forms_author(
    client, personas, webform, web_team
):
    team, anna, vadim = web_team
    for person in (anna, vadim):
        person.is_active = False
        person.save(update_fields=["is_active"])
    response = post_json(client, webform, {"name": "Пётр", "email": "p@mail.ru"})
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.owner is None
    note = Notification.objects.get()
    assert note.recipient == personas.admin
    assert note.url == reverse("sales:lead-detail", args=[lead.pk])


def test_the_json_answer_keeps_non_ascii_text_readable(client, webform):
    response = post_json(client, webform, {"name": "Пётр", "email": "p@mail.ru"})
    assert "Спасибо" in response.content.decode()
    assert json.loads(response.content) == SUCCESS
