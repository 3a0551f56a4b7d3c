"""A web form for the team «Сайт» of two managers, Анна and Вадим, and helpers to post to it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.fixture
def web_team(db, personas):
    """Two active managers in a team of their own: Анна first, then Вадим."""
    from voronka.accounts.models import Team
    from voronka.accounts.services import user_create

    team = Team.objects.create(name="Сайт")
    anna = user_create(
        username="anna", password=PASSWORD, team=team, first_name="Анна", last_name="Сайтова",
        email="anna@example.com",
    )  # fmt: skip
    vadim = user_create(
        username="vadim", password=PASSWORD, team=team, first_name="Вадим", last_name="Формин",
        email="vadim@example.com",
    )  # fmt: skip
    return team, anna, vadim


@pytest.fixture
def webform(personas, pipeline, source, web_team):
    from voronka.webforms.services import webform_create

    return webform_create(
        actor=personas.admin,
        data={
            "name": "Заявка с сайта",
            "fields": ["name", "company", "phone", "email", "message"],
            "required_fields": ["name"],
            "extra_fields": [{"label": "Город", "required": False}],
            "source": source,
            "pipeline": pipeline,
            "team": web_team[0],
            "success_message": "Спасибо! Мы перезвоним.",
        },
    )


def public_url(form) -> str:
    return reverse("webforms:public", args=[form.key])


def post_json(client, form, data, **headers):
    headers.setdefault("REMOTE_ADDR", "203.0.113.7")
    return client.post(
        public_url(form), data=json.dumps(data), content_type="application/json", **headers
    )


def post_form(client, form, data, **headers):
    headers.setdefault("REMOTE_ADDR", "203.0.113.7")
    return client.post(
        public_url(form),
        data=urlencode(data),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def post_multipart(client, form, data, **headers):
    headers.setdefault("REMOTE_ADDR", "203.0.113.7")
    return client.post(public_url(form), data=data, **headers)
