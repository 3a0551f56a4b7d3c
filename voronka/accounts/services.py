"""Writes for users, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from voronka.accounts.models import ApiToken, Role, Team, User
from voronka.core.errors import NotAllowed

TOKEN_PREFIX = "vrk_"  # noqa: S105 - a marker, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_create(
    *,
    username: str,
    password: str,
    role: str = Role.MANAGER,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "",
) -> User:
    """Create an active user with a hashed password."""
    user = User(
        username=username,
        role=role,
        team=team,
        first_name=first_name,
        last_name=last_name,
        email=email,
        language=language,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for ``actor``; the secret is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name.strip() or "API", prefix=raw[:12], key_hash=hash_token(raw)
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise NotAllowed()
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def api_token_authenticate(raw: str) -> User | None:
    """The active user a token belongs to, or None; notes when it was last used."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """Set the actor's interface language; an empty value follows the browser."""
    allowed = {code for code, _label in User._meta.get_field("language").choices or []}
    if language not in allowed | {""}:
        raise ValidationError({"language": gettext("Unknown language.")})
    if actor.language != language:
        actor.language = language
        actor.save(update_fields=["language"])
    return actor


# A week: reminders are never sent further ahead than the deadline checker looks.
MAX_REMINDER_MINUTES = 7 * 24 * 60


@transaction.atomic
def user_set_reminder_minutes(*, actor: User, minutes: int) -> User:
    """How long before a task's deadline the actor is reminded, unless the task says."""
    if not isinstance(minutes, int) or not 0 <= minutes <= MAX_REMINDER_MINUTES:
        raise ValidationError(
            {
                "reminder_minutes": gettext("Between 0 and %(max)d minutes.")
                % {"max": MAX_REMINDER_MINUTES}
            }
        )
    if actor.reminder_minutes != minutes:
        actor.reminder_minutes = minutes
        actor.save(update_fields=["reminder_minutes"])
    return actor
