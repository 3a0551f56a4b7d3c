"""API: who am I, and my personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from voronka.accounts import queries, services
from voronka.core.api import Id, ListParams, PageOut, Ref, Text, actor, page, responses

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    first_name: str
    last_name: str
    email: str
    role: str
    team: Ref | None
    language: str
    is_head: bool

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="The token itself. Shown once; store it now.")


class TokenPage(PageOut):
    items: list[TokenOut]


class TokenIn(Schema):
    name: Text = Field(..., max_length=100)


@router.get("/me", response=responses({200: MeOut}), summary="The user the request acts for")
def me(request: HttpRequest) -> Any:
    return queries.users_visible_to(actor(request)).get(pk=actor(request).pk)


@router.get("/tokens", response=responses({200: TokenPage}, 400), summary="My API tokens")
def token_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    qs = queries.api_tokens_of(actor(request))
    return page(qs, ordering=["-created_at", "-id"], params=params)


@router.post(
    "/tokens",
    response=responses({201: TokenCreatedOut}, 400, 403),
    summary="Issue an API token",
    description="The answer carries the secret once; only its hash is kept.",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    token, secret = services.api_token_create(actor=actor(request), name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "secret": secret})


@router.delete("/tokens/{token_id}", response=responses({204: None}, 403, 404))
def token_revoke(request: HttpRequest, token_id: Id) -> Any:
    user = actor(request)
    token = queries.api_tokens_of(user, active=True).get(pk=token_id)
    services.api_token_revoke(actor=user, token=token)
    return Status(204, None)
