"""The settings pages of web forms: only the administrator and the head of sales get in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.webforms.conftest import post_json
from voronka.webforms import services
from voronka.webforms.models import WebForm, WebFormSubmission

LIST = reverse("webforms:form-list")
CREATE = reverse("webforms:form-create")
REFUSED = ["lead", "alice", "bob", "support", "outsider"]


def as_(client, personas, name):
    client.force_login(getattr(personas, name))
    return client


def state(form):
    row = WebForm.all_objects.get(pk=form.pk)
    return (row.name, row.key, row.fields, row.extra_fields, row.is_active, row.version)


def form_post(**more):
    data = {
        "name": "Консультация",
        "shown": ["name", "email", "message"],
        "required_fields": ["name", "email"],
        "success_message": "Ждите письма.",
        "redirect_url": "",
        "allowed_origins": "https://example.com/\nhttps://shop.example.com",
        "is_active": "on",
        "extra-TOTAL_FORMS": "3",
        "extra-INITIAL_FORMS": "0",
        "extra-0-label": "Сколько сотрудников?",
        "extra-0-required": "on",
        "extra-1-label": "",
        "extra-2-label": "",
    }
    data.update(more)
    return data


@pytest.mark.parametrize("who", ["admin", "head"])
def test_the_administrator_and_the_head_of_sales_open_every_page(client, personas, webform, who):
    c = as_(client, personas, who)
    assert c.get(LIST).status_code == 200
    assert c.get(CREATE).status_code == 200
    assert c.get(reverse("webforms:form-detail", args=[webform.pk])).status_code == 200
    assert c.get(reverse("webforms:form-edit", args=[webform.pk])).status_code == 200


@pytest.mark.parametrize("who", REFUSED)
def test_managers_and_support_are_refused_every_page_and_change_nothing(
    client, personas, webform, who
):
    before = state(webform)
    c = as_(client, personas, who)
    assert c.get(LIST).status_code == 403
    assert c.get(CREATE).status_code == 403
    assert c.post(CREATE, form_post()).status_code == 403
    assert c.get(reverse("webforms:form-detail", args=[webform.pk])).status_code == 403
    assert c.get(reverse("webforms:form-edit", args=[webform.pk])).status_code == 403
    edit = form_post(name="Чужая", version=str(webform.version))
    assert c.post(reverse("webforms:form-edit", args=[webform.pk]), edit).status_code == 403
    rotate = reverse("webforms:form-rotate-key", args=[webform.pk])
    assert c.post(rotate, {"version": webform.version}).status_code == 403
    assert state(webform) == before
    assert WebForm.all_objects.count() == 1


def test_someone_not_logged_in_is_sent_to_the_login_page(client, webform):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_empty_list_says_what_a_web_form_is(client, personas):
    body = as_(client, personas, "admin").get(LIST, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Веб-форм пока нет." in body
    assert CREATE in body


def test_the_list_shows_each_forms_recent_leads_in_the_same_few_queries(
    client, personas, pipeline, source, web_team, django_assert_max_num_queries
):
    for n in range(12):
        form = services.webform_create(
            actor=personas.admin,
            data={"name": f"Форма {n:02}", "fields": ["name", "email"], "source": source,
                  "team": web_team[0], "pipeline": pipeline},
        )  # fmt: skip
        for m in range(n % 3):
            services.submission_receive(
                form=form,
                data={"name": "Клиент", "email": f"c{n}-{m}@mail.ru"},
                visit=services.Visit(ip="203.0.113.9"),
            )
    c = as_(client, personas, "head")
    c.get(reverse("core:home"))  # the organisation's settings are read once and cached
    with django_assert_max_num_queries(6):
        response = c.get(LIST)
    rows = response.context["forms"]
    assert [(f.name, f.recent_leads) for f in rows][:4] == [
        ("Форма 00", 0), ("Форма 01", 1), ("Форма 02", 2), ("Форма 03", 0),
    ]  # fmt: skip
    assert len(rows) == 12


def test_the_admin_creates_a_form_from_the_page(client, personas, source, web_team):
    response = as_(client, personas, "admin").post(
        CREATE, form_post(source=source.pk, team=web_team[0].pk)
    )
    form = WebForm.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webforms:form-detail", args=[form.pk])
    assert form.fields == ["name", "email", "message"]
    assert form.required_fields == ["name", "email"]
    assert form.extra_fields == [{"key": "x1", "label": "Сколько сотрудников?", "required": True}]
    assert form.allowed_origins == ["https://example.com", "https://shop.example.com"]
    assert (form.source, form.team, form.success_message, form.is_active) == (
        source, web_team[0], "Ждите письма.", True,
    )  # fmt: skip


def test_the_new_form_page_suggests_the_usual_fields(client, personas, source):
    response = as_(client, personas, "admin").get(CREATE)
    form = response.context["form"]
    assert form["shown"].value() == ["name", "phone", "email", "message"]
    assert form["source"].value() == source.pk


def test_a_form_without_a_way_to_reach_the_visitor_is_refused_on_the_page(client, personas):
    response = as_(client, personas, "admin").post(
        CREATE, form_post(shown=["name", "message"], required_fields=["name"]),
        HTTP_ACCEPT_LANGUAGE="ru",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.context["form"].errors["shown"] == [
        "Покажите e-mail или телефон: от лида, с которым нельзя связаться, нет толку."
    ]
    assert "Покажите e-mail или телефон" in response.content.decode()
    assert WebForm.objects.count() == 0


def test_a_bad_site_address_is_named_on_the_page(client, personas):
    response = as_(client, personas, "head").post(
        CREATE, form_post(allowed_origins="example.com"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert response.context["form"].errors["allowed_origins"] == [
        "«example.com» is not a site address: write it as https://example.com."
    ]


def test_the_head_edits_a_form_and_a_stale_copy_is_refused(client, personas, webform):
    url = reverse("webforms:form-edit", args=[webform.pk])
    c = as_(client, personas, "head")
    page = c.get(url)
    rows = page.context["formset"].initial
    assert rows == [{"key": "x1", "label": "Город", "required": False}]
    data = form_post(
        name="Заявка с главной", version=str(webform.version),
        **{"extra-INITIAL_FORMS": "1", "extra-0-key": "x1", "extra-0-label": "Город (точно)"},
    )  # fmt: skip
    assert c.post(url, data).status_code == 302
    webform.refresh_from_db()
    assert webform.name == "Заявка с главной"
    assert webform.extra_fields == [{"key": "x1", "label": "Город (точно)", "required": True}]
    stale = c.post(url, {**data, "name": "Устаревшая"}, HTTP_ACCEPT_LANGUAGE="en")
    assert stale.status_code == 422
    assert "This record was changed by someone else" in stale.content.decode()
    assert WebForm.objects.get(pk=webform.pk).name == "Заявка с главной"


def test_the_form_page_gives_the_snippet_with_the_endpoint_and_the_honeypot(
    client, personas, webform
):
    response = as_(client, personas, "admin").get(
        reverse("webforms:form-detail", args=[webform.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    snippet = response.context["snippet"]
    endpoint = f"http://testserver/f/{webform.key}/"
    assert f'<form action="{endpoint}" method="post"' in snippet
    assert '<input type="text" name="website" tabindex="-1" autocomplete="off">' in snippet
    for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                 "referrer", "submission_id"):  # fmt: skip
        assert f'<input type="hidden" name="{name}">' in snippet
    assert '<input id="vf-email" name="email" type="email" maxlength="254"' in snippet
    assert '<label for="vf-name">Имя *</label>' in snippet
    assert '<label for="vf-x1">Город</label>' in snippet
    assert "document.referrer" in snippet
    body = response.content.decode()
    assert endpoint in body
    assert 'data-copy-target="#snippet"' in body
    assert "&lt;form action=&quot;" + endpoint in body  # shown as text, not as a form


def test_the_form_page_lists_recent_submissions_with_their_results(client, personas, webform):
    post_json(client, webform, {"name": "Пётр", "email": "p@mail.ru"})
    post_json(client, webform, {"name": "Бот", "email": "b@mail.ru", "website": "x"})
    post_json(client, webform, {"name": "Пётр", "email": "bad@"})
    url = reverse("webforms:form-detail", args=[webform.pk])
    c = as_(client, personas, "admin")
    response = c.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    assert [s.result for s in response.context["submissions"]] == ["invalid", "spam", "created"]
    body = response.content.decode()
    for text in ("Создан лид", "Спам", "С ошибками", "Заявка с сайта: Пётр", "203.0.113.7"):
        assert text in body
    spam_only = c.get(url, {"result": "spam"})
    assert [s.result for s in spam_only.context["submissions"]] == ["spam"]


def test_a_new_address_makes_the_old_one_stop_answering(client, personas, webform):
    old = reverse("webforms:public", args=[webform.key])
    c = as_(client, personas, "admin")
    response = c.post(
        reverse("webforms:form-rotate-key", args=[webform.pk]), {"version": webform.version}
    )
    assert response.status_code == 302
    webform.refresh_from_db()
    assert c.get(old).status_code == 404
    assert c.get(reverse("webforms:public", args=[webform.key])).status_code == 200
    assert WebFormSubmission.objects.count() == 0
