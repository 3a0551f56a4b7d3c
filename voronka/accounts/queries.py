"""Reads of users and API tokens, scoped by who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from voronka.accounts.models import ApiToken, User


def _is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def users_visible_to(user: Any) -> QuerySet[User]:
    """Active colleagues: everyone signed in may name them (as owner, assignee …)."""
    if not _is_active_user(user):
        return User.objects.none()
    return User.objects.filter(is_active=True).select_related("team")


def api_tokens_of(user: Any, *, active: bool = False) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first; with ``active``, only those not revoked."""
    if not _is_active_user(user):
        return ApiToken.objects.none()
    qs = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return qs.filter(revoked_at__isnull=True) if active else qs
