"""Errors that services raise and that pages and the API turn into answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class StaleVersion(Exception):
    """The record changed since the caller read it; nothing was saved."""

    def __init__(self, current_version: int | None = None) -> None:
        self.current_version = current_version
        super().__init__(str(self.message))

    message = _(
        "This record was changed by someone else while you were editing it. "
        "Reload it to see their changes; your changes were not saved."
    )


class NotAllowed(Exception):
    """The actor may see the record but may not do this to it."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(_("You are not allowed to do this.")))
