"""Optimistic locking: a save based on a stale copy of a row is refused."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from voronka.core.errors import StaleVersion


def claim_version(instance: Any, expected: int | None) -> None:
    """Advance ``instance.version`` if it is still ``expected``, else raise StaleVersion.

    The conditional UPDATE is atomic on SQLite and PostgreSQL alike, so of two
    people saving the same version exactly one wins. Call inside the service's
    transaction, before saving the changed fields.
    """
    # Domain records hide soft-deleted rows from ``objects``; others have only ``objects``.
    rows = getattr(type(instance), "all_objects", None) or type(instance).objects
    if expected is None:
        expected = instance.version
    updated = rows.filter(pk=instance.pk, version=expected).update(version=F("version") + 1)
    if not updated:
        current = rows.filter(pk=instance.pk).values_list("version", flat=True).first()
        raise StaleVersion(current)
    instance.version = expected + 1
