"""Write helpers every domain service uses: apply changes, save with a version,
soft delete and restore, all recorded in the history with their author."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core.errors import NotAllowed
from voronka.core.history import record_author
from voronka.core.locking import claim_version
from voronka.core.models import DomainModel
from voronka.core.visibility import Family, can_restore, can_write

M = TypeVar("M", bound=DomainModel)


def ensure_can_write(actor: Any, family: Family, owner_id: int | None) -> None:
    if not can_write(actor, family, owner_id):
        raise NotAllowed()


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})


def apply_changes(instance: DomainModel, data: Mapping[str, Any]) -> list[str]:
    """Set the given attributes; return the names of those whose value changed."""
    changed = []
    for name, value in data.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def validate(instance: DomainModel, exclude: Iterable[str] = ()) -> None:
    """Field-level validation; raises ValidationError naming each bad field."""
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=True)


def save_changes(
    instance: M,
    *,
    actor: Any,
    version: int | None,
    fields: Iterable[str],
    reason: str | None = None,
) -> M:
    """Save ``fields`` if ``version`` is still current; the history records ``actor``."""
    fields = list(dict.fromkeys(fields))
    claim_version(instance, version)
    record_author(instance, actor, reason)
    instance.save(update_fields=[*fields, "version", "updated_at"])
    return instance


def create(instance: M, *, actor: Any) -> M:
    instance.created_by = actor if getattr(actor, "pk", None) else None
    record_author(instance, actor if getattr(actor, "pk", None) else None)
    instance.save()
    return instance


def soft_delete(instance: M, *, actor: Any, version: int | None) -> M:
    if instance.deleted_at is not None:
        return instance
    instance.deleted_at = timezone.now()
    return save_changes(
        instance, actor=actor, version=version, fields=["deleted_at"], reason="deleted"
    )


def restore(instance: M, *, actor: Any) -> M:
    """Bring a soft-deleted record back; only admin and head of sales may."""
    if not can_restore(actor):
        raise NotAllowed()
    if instance.deleted_at is None:
        return instance
    instance.deleted_at = None
    return save_changes(
        instance, actor=actor, version=instance.version, fields=["deleted_at"], reason="restored"
    )
