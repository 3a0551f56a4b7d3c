"""Writes of the service desk's settings that are not SLA policies or categories: the work
calendar (working week, hours, holidays and moved working days), the satisfaction
surveys' options, and the order categories are offered in.

The calendar and the survey options live on the organisation, which is cached per
process: every change forgets the cache at once and again after the commit, so the next
request's SLA deadlines are counted on the new calendar, never on a stale copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.core import organisation
from voronka.core.errors import NotAllowed
from voronka.core.models import CalendarDay, Organisation
from voronka.core.visibility import sees_everything
from voronka.service.models import Category

MAX_SURVEY_VALID_DAYS = 365
UPCOMING_EXCEPTIONS = 10


def may_configure(user: Any) -> bool:
    """Only the administrator and the head of sales set the service desk up."""
    return bool(user is not None and user.is_authenticated and sees_everything(user))


def _ensure_configurator(actor: Any) -> None:
    if not may_configure(actor):
        raise NotAllowed()


def _organisation_locked() -> Organisation:
    """The organisation's row under a lock; made with the defaults if there is none yet."""
    org = Organisation.objects.select_for_update().order_by("pk").first()
    if org is None:
        organisation.current()
        org = Organisation.objects.select_for_update().order_by("pk").get()
    return org


def _forget() -> None:
    organisation.forget()
    transaction.on_commit(organisation.forget)


@transaction.atomic
def work_calendar_save(
    *, actor: Any, work_days: Iterable[int], work_starts: dt.time, work_ends: dt.time
) -> Organisation:
    """Set the working week and the working day's hours; deadlines already fixed stay."""
    _ensure_configurator(actor)
    days = sorted({int(day) for day in work_days})
    errors: dict[str, str] = {}
    if not days:
        errors["work_days"] = _("Choose at least one working day.")
    elif days[0] < 0 or days[-1] > 6:
        errors["work_days"] = _("Days of the week go from Monday to Sunday.")
    if work_starts >= work_ends:
        errors["work_ends"] = _("The working day must end after it starts.")
    if errors:
        raise ValidationError(errors)
    org = _organisation_locked()
    org.work_days, org.work_starts, org.work_ends = days, work_starts, work_ends
    org.save(update_fields=["work_days", "work_starts", "work_ends"])
    _forget()
    return org


@transaction.atomic
def calendar_day_add(*, actor: Any, day: dt.date, name: str, is_working: bool) -> CalendarDay:
    """A holiday on a working day, or a working day moved onto a weekend."""
    _ensure_configurator(actor)
    entry = CalendarDay(day=day, name=(name or "").strip(), is_working=bool(is_working))
    entry.full_clean(validate_unique=False)
    if CalendarDay.objects.select_for_update().filter(day=day).exists():
        raise ValidationError({"day": _("This date is in the calendar already.")})
    entry.save()
    _forget()
    return entry


@transaction.atomic
def calendar_day_remove(*, actor: Any, entry: CalendarDay) -> None:
    _ensure_configurator(actor)
    CalendarDay.objects.filter(pk=entry.pk).delete()
    _forget()


def calendar_days_ahead(since: dt.date, limit: int = UPCOMING_EXCEPTIONS) -> list[CalendarDay]:
    """The calendar's next exceptions from ``since`` on, nearest first."""
    return list(CalendarDay.objects.filter(day__gte=since).order_by("day")[:limit])


@transaction.atomic
def survey_settings_save(
    *, actor: Any, surveys_enabled: bool, survey_valid_days: int, survey_follow_up_max_score: int
) -> Organisation:
    """Whether surveys go out, how long their link works, which scores make a follow-up.

    Surveys already sent keep the expiry they were given."""
    _ensure_configurator(actor)
    errors: dict[str, str] = {}
    if not 1 <= survey_valid_days <= MAX_SURVEY_VALID_DAYS:
        errors["survey_valid_days"] = _("Between 1 and %(n)s days.") % {"n": MAX_SURVEY_VALID_DAYS}
    if not 1 <= survey_follow_up_max_score <= 5:
        errors["survey_follow_up_max_score"] = _("A score from 1 to 5.")
    if errors:
        raise ValidationError(errors)
    org = _organisation_locked()
    org.surveys_enabled = bool(surveys_enabled)
    org.survey_valid_days = survey_valid_days
    org.survey_follow_up_max_score = survey_follow_up_max_score
    org.save(update_fields=["surveys_enabled", "survey_valid_days", "survey_follow_up_max_score"])
    _forget()
    return org


@transaction.atomic
def category_move(*, actor: Any, category: Category, step: int) -> list[Category]:
    """Move a category one place up (``step`` -1) or down (+1) in the offered order.

    The positions are renumbered 1…n in the order people see, so equal or missing
    positions left by earlier edits stop mattering."""
    _ensure_configurator(actor)
    ordered = list(Category.objects.select_for_update().order_by("position", "name", "pk"))
    index = next((i for i, c in enumerate(ordered) if c.pk == category.pk), None)
    if index is None:
        raise ValidationError({"position": _("No such category.")})
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    changed = []
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            changed.append(item)
    Category.objects.bulk_update(changed, ["position"])
    return ordered
