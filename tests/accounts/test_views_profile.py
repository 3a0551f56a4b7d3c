"""The profile: interface language and personal API tokens."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from voronka.accounts import services
from voronka.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
LANGUAGE = reverse("accounts:language")
COMPANIES = reverse("clients:company-list")


def test_a_russian_browser_gets_russian_for_a_user_without_a_choice(personas, client):
    client.force_login(personas.alice)

    html = client.get(COMPANIES, headers={"Accept-Language": "ru-RU,ru;q=0.9"}).content.decode()

    assert '<html lang="ru">' in html
    assert "Компании" in html
    assert "Ответственный менеджер" in html


def test_an_english_browser_gets_english_for_a_user_without_a_choice(personas, client):
    client.force_login(personas.alice)

    html = client.get(COMPANIES, headers={"Accept-Language": "en"}).content.decode()

    assert '<html lang="en">' in html
    assert "Responsible manager" in html


def test_the_users_own_choice_wins_over_the_browser(personas, client):
    services.user_set_language(actor=personas.alice, language="en")
    client.force_login(personas.alice)

    response = client.get(COMPANIES, headers={"Accept-Language": "ru"})

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Companies" in html
    assert "Компании" not in html


def test_choosing_a_language_saves_it_and_answers_in_it(personas, client):
    client.force_login(personas.alice)

    response = client.post(LANGUAGE, {"language": "en", "next": COMPANIES}, follow=True)

    assert User.objects.get(pk=personas.alice.pk).language == "en"
    assert response.redirect_chain == [(COMPANIES, 302)]
    assert "Interface language saved." in response.content.decode()
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_following_the_browser_again_forgets_the_choice(personas, client):
    services.user_set_language(actor=personas.alice, language="en")
    client.force_login(personas.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    client.post(LANGUAGE, {"language": ""})
    html = client.get(COMPANIES, headers={"Accept-Language": "ru"}).content.decode()

    assert User.objects.get(pk=personas.alice.pk).language == ""
    assert "Компании" in html


def test_an_unknown_language_is_refused(personas, client):
    client.force_login(personas.alice)

    client.post(LANGUAGE, {"language": "de"})

    assert User.objects.get(pk=personas.alice.pk).language == ""


def test_the_language_form_does_not_send_the_user_to_another_site(personas, client):
    client.force_login(personas.alice)

    response = client.post(LANGUAGE, {"language": "ru", "next": "https://evil.example/"})

    assert response["Location"] == PROFILE


def test_the_profile_names_the_user_and_offers_the_three_choices(personas, client):
    client.force_login(personas.alice)

    html = client.get(PROFILE).content.decode()

    assert "Алиса Иванова" in html
    assert "Как в браузере" in html
    assert "Русский" in html
    assert "English" in html


def test_a_new_token_is_shown_once_and_works(personas, client):
    client.force_login(personas.alice)

    response = client.post(reverse("accounts:token-create"), {"name": "Выгрузка в 1С"})

    secret = response.context["new_secret"]
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert secret in response.content.decode()
    assert services.api_token_authenticate(secret) == personas.alice
    assert secret not in client.get(PROFILE).content.decode()
    assert ApiToken.objects.get().name == "Выгрузка в 1С"


def test_a_token_needs_a_name(personas, client):
    client.force_login(personas.alice)

    response = client.post(reverse("accounts:token-create"), {"name": ""})

    assert response.status_code == 422
    assert ApiToken.objects.count() == 0


def test_the_token_list_shows_the_last_use_and_never_the_secret(personas, client):
    used, _ = services.api_token_create(actor=personas.alice, name="Сайт")
    services.api_token_create(actor=personas.alice, name="Скрипт")
    services.api_token_create(actor=personas.bob, name="Токен Бориса")
    ApiToken.objects.filter(pk=used.pk).update(
        last_used_at=timezone.make_aware(timezone.datetime(2026, 11, 26, 14, 5))
    )
    client.force_login(personas.alice)

    response = client.get(PROFILE)

    html = response.content.decode()
    assert [t.name for t in response.context["tokens"]] == ["Скрипт", "Сайт"]
    assert "26.11.2026 14:05" in html
    assert "никогда" in html
    assert "Токен Бориса" not in html


def test_revoking_a_token_stops_it(personas, client):
    token, secret = services.api_token_create(actor=personas.alice, name="Сайт")
    client.force_login(personas.alice)

    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))

    token.refresh_from_db()
    assert response.status_code == 302
    assert token.revoked_at is not None
    assert services.api_token_authenticate(secret) is None


def test_nobody_revokes_someone_elses_token(personas, client):
    token, secret = services.api_token_create(actor=personas.bob, name="Токен Бориса")
    client.force_login(personas.admin)

    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))

    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None
    assert services.api_token_authenticate(secret) == personas.bob
