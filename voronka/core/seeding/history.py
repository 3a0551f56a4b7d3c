"""History rows of the kind "created", so a demo card shows who made a record and when."""

from __future__ import annotations

from django.db.models import Model

from voronka.accounts.models import User


def record_created(models: list[tuple[type[Model], int]]) -> int:
    """One "+" row per record with an id from ``first_id`` on, dated when it was created."""
    users = {u.pk: u for u in User.objects.all()}
    written = 0
    for model, first_id in models:
        objs = list(model.all_objects.filter(pk__gte=first_id).order_by("pk"))  # type: ignore[attr-defined]
        for obj in objs:
            obj._history_date = obj.created_at  # type: ignore[attr-defined]
            obj._history_user = users.get(obj.created_by_id)  # type: ignore[attr-defined]
        model.history.bulk_history_create(objs, batch_size=500)  # type: ignore[attr-defined]
        written += len(objs)
    return written
