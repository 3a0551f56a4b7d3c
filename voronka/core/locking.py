"""Optimistic locking: a save based on a stale copy of a row is refused."""

from __future__ import annotations

from django.db.models import F

from voronka.core.errors import StaleVersion
from voronka.core.models import DomainModel


def claim_version(instance: DomainModel, expected: int | None) -> None:
    """Advance ``instance.version`` if it is still ``expected``, else raise StaleVersion.

    The conditional UPDATE is atomic on SQLite and PostgreSQL alike, so of two
    people saving the same version exactly one wins. Call inside the service's
    transaction, before saving the changed fields.
    """
    model = type(instance)
    if expected is None:
        expected = instance.version
    updated = model.all_objects.filter(pk=instance.pk, version=expected).update(
        version=F("version") + 1
    )
    if not updated:
        current = model.all_objects.filter(pk=instance.pk).values_list("version", flat=True).first()
        raise StaleVersion(current)
    instance.version = expected + 1
