"""Logging in and out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")


def test_the_login_page_speaks_russian_by_default(client):
    response = client.get(LOGIN)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ru">' in html
    assert "Войти" in html
    assert 'autocomplete="username"' in html


def test_the_login_page_speaks_english_to_an_english_browser(client):
    html = client.get(LOGIN, headers={"Accept-Language": "en-GB,en;q=0.9"}).content.decode()

    assert '<html lang="en">' in html
    assert "Log in" in html


def test_a_user_logs_in_and_lands_where_they_were_going(personas, client):
    target = reverse("clients:company-list")

    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response["Location"] == target
    assert client.get(target).context["user"] == personas.alice


def test_a_wrong_password_is_refused_with_a_message(personas, client):
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "Пожалуйста, введите правильные имя пользователя и пароль." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_returns_to_the_login_page(personas, client):
    client.force_login(personas.alice)

    refused = client.get(LOGOUT)
    response = client.post(LOGOUT)

    assert refused.status_code == 405
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_opening_the_login_page_goes_on(personas, client):
    client.force_login(personas.alice)

    response = client.get(LOGIN)

    assert response.status_code == 302
