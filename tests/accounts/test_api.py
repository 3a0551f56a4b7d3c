"""Signing in to the API (token or session) and managing personal tokens."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.api_client import BASE, ApiClient
from voronka.accounts.models import ApiToken
from voronka.accounts.services import api_token_create, api_token_revoke, hash_token
from voronka.clients.models import Company


def test_me_describes_the_signed_in_user(personas):
    response = ApiClient(personas.alice).get("/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": personas.alice.pk,
        "username": "alice",
        "name": "Алиса Иванова",
        "first_name": "Алиса",
        "last_name": "Иванова",
        "email": "alice@example.com",
        "role": "manager",
        "team": {"id": personas.alice.team_id, "name": "North"},
        "language": "",
        "is_head": False,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/me"), ("get", "/deals"), ("post", "/companies"), ("delete", "/tokens/1")],
)
def test_without_credentials_the_answer_is_401(db, method, path):
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(BASE + path, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_token_is_shown_once_and_only_its_hash_is_stored(personas):
    response = ApiClient(personas.alice).post("/tokens", {"name": "Интеграция"})

    assert response.status_code == 201
    data = response.json()
    secret = data.pop("secret")
    token = ApiToken.objects.get()
    assert secret.startswith("vrk_")
    assert data == {
        "id": token.pk,
        "name": "Интеграция",
        "prefix": secret[:12],
        "created_at": data["created_at"],
        "last_used_at": None,
        "revoked_at": None,
    }
    assert token.key_hash == hash_token(secret)
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert secret not in stored
    listed = ApiClient(personas.alice).get("/tokens").json()["items"]
    assert [set(item) for item in listed] == [
        {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    ]


def test_a_token_signs_requests_in_as_its_owner_without_a_csrf_token(personas):
    _token, secret = api_token_create(actor=personas.alice, name="CI")
    api = ApiClient(token=secret)
    api.client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})

    me = api.get("/me")
    created = api.post("/companies", {"name": "ООО Токен"})

    assert (me.status_code, me.json()["username"]) == (200, "alice")
    assert created.status_code == 201
    assert Company.objects.get().owner == personas.alice


def test_a_revoked_token_answers_401(personas):
    token, secret = api_token_create(actor=personas.alice, name="CI")
    api_token_revoke(actor=personas.alice, token=token)

    response = ApiClient(token=secret).get("/me")

    assert response.status_code == 401


def test_a_made_up_token_answers_401(personas):
    response = ApiClient(token="vrk_" + "x" * 43).get("/me")

    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_answers_401(personas):
    _token, secret = api_token_create(actor=personas.bob, name="CI")
    type(personas.bob).objects.filter(pk=personas.bob.pk).update(is_active=False)

    response = ApiClient(token=secret).get("/me")

    assert response.status_code == 401


def test_revoking_a_token_through_the_api_locks_it_out(personas):
    token, secret = api_token_create(actor=personas.alice, name="CI")
    api = ApiClient(personas.alice)

    revoked = api.delete(f"/tokens/{token.pk}")
    again = api.delete(f"/tokens/{token.pk}")

    assert revoked.status_code == 204
    assert again.status_code == 404
    assert ApiToken.objects.get().revoked_at is not None
    assert ApiClient(token=secret).get("/me").status_code == 401


def test_nobody_revokes_someone_elses_token(personas):
    token, secret = api_token_create(actor=personas.alice, name="CI")

    response = ApiClient(personas.admin).delete(f"/tokens/{token.pk}")

    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert ApiClient(token=secret).get("/me").status_code == 200


def test_a_browser_session_needs_the_csrf_token_to_change_anything(personas, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.alice)
    csrf = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    body = json.dumps({"name": "ООО Сессия"})

    read = client.get(BASE + "/me")
    refused = client.post(BASE + "/companies", body, "application/json")
    accepted = client.post(BASE + "/companies", body, "application/json", HTTP_X_CSRFTOKEN=csrf)

    assert read.status_code == 200
    assert (refused.status_code, refused.json()) == (403, {"detail": "CSRF check Failed"})
    assert accepted.status_code == 201
    assert list(Company.objects.values_list("name", flat=True)) == ["ООО Сессия"]


def test_the_token_list_costs_the_same_for_30_tokens(personas, django_assert_max_num_queries):
    for n in range(30):
        api_token_create(actor=personas.alice, name=f"Токен {n}")
    api_token_create(actor=personas.bob, name="Чужой")
    api = ApiClient(personas.alice)
    api.get("/me")

    with django_assert_max_num_queries(4):
        response = api.get("/tokens", limit=200)

    assert response.json()["count"] == 30
