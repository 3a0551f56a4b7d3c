"""What every sales page shares: turning service errors into answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from voronka.core.visibility import led_team_ids, sees_everything


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages in exc.message_dict.values() for m in messages]
    return [str(m) for m in exc.messages]


def refusal(message: str, status: int) -> HttpResponse:
    """An htmx refusal: the page's script shows the text in a toast."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def writable(user: Any, record: Any) -> bool:
    """``can_write`` for a record whose owner is already loaded, without a query."""
    if sees_everything(user):
        return True
    if getattr(user, "role", "") != "manager" or record.owner_id is None:
        return False
    if record.owner_id == user.pk:
        return True
    owner = record.owner
    return owner is not None and owner.team_id is not None and owner.team_id in led_team_ids(user)


def int_param(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
