"""The unread-notification count for the bell in the header."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications``: counted once, and only when a page shows the bell —
    htmx fragments render without the header and cost no query."""
    from voronka.activities.queries import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    @cache
    def count() -> int:
        return unread_count(user)

    # Templates call a callable value; the cache makes every use after the first free.
    return {"unread_notifications": count}
