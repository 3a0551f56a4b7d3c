"""Writes of sales plans: one target at a time, or a whole grid at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from voronka.analytics.models import SalesPlan
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.locking import claim_version
from voronka.core.visibility import led_team_ids, sees_everything

MAX_TARGET = Decimal("1e17")  # what max_digits=20, decimal_places=2 can hold
COUNT_METRICS = frozenset({SalesPlan.Metric.DEALS_WON, SalesPlan.Metric.LEADS_NEW})


def may_plan_for(actor: Any, *, manager: Any = None, team: Any = None) -> bool:
    """Whether ``actor`` sets targets of ``manager`` or ``team``.

    Admin and head of sales plan for everyone; a team lead for their team and its
    members (themselves included); nobody else sets targets, their own neither.
    """
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if sees_everything(actor):
        return True
    if getattr(actor, "role", "") != "manager":
        return False
    teams = led_team_ids(actor)
    if team is not None:
        return team.pk in teams
    return manager is not None and manager.team_id is not None and manager.team_id in teams


def _parse_target(raw: Any, metric: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    try:
        target = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValidationError({"target": _("Enter a number.")}) from None
    if not target.is_finite():
        raise ValidationError({"target": _("Enter a number.")})
    if target < 0:
        raise ValidationError({"target": _("The target cannot be negative.")})
    if target >= MAX_TARGET:
        raise ValidationError({"target": _("The target is too large.")})
    if metric in COUNT_METRICS and target != target.to_integral_value():
        raise ValidationError({"target": _("The target of a count is a whole number.")})
    return target.quantize(Decimal("0.01"))


def _validate(metric: str, period_kind: str, period_start: Any, manager: Any, team: Any) -> None:
    errors: dict[str, str] = {}
    if metric not in SalesPlan.Metric.values:
        errors["metric"] = _("Choose a metric: won revenue, deals won or new leads.")
    if period_kind not in SalesPlan.PeriodKind.values:
        errors["period_kind"] = _("Choose a month or a quarter.")
    if not isinstance(period_start, date):
        errors["period_start"] = _("Enter the first day of the period.")
    elif period_start.day != 1:
        errors["period_start"] = _("A plan period starts on the first day of a month.")
    elif period_kind == SalesPlan.PeriodKind.QUARTER and (period_start.month - 1) % 3:
        errors["period_start"] = _("A quarter starts in January, April, July or October.")
    if manager is None and team is None:
        errors["manager"] = _("Choose a manager or a team.")
    elif manager is not None and team is not None:
        errors["team"] = _("A plan belongs to a manager or to a team, not to both.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_set(
    *,
    actor: Any,
    metric: str,
    period_kind: str,
    period_start: date,
    manager: Any = None,
    team: Any = None,
    target: Any,
    version: int | None = None,
) -> SalesPlan | None:
    """Set, change or (with an empty ``target``) remove one target.

    ``version`` is the version the caller saw: ``0`` when they saw no target, so a
    target someone else set meanwhile is not overwritten; ``None`` skips the check.
    Returns the plan, or ``None`` when it was removed or there was none to remove.
    """
    _validate(metric, period_kind, period_start, manager, team)
    if not may_plan_for(actor, manager=manager, team=team):
        raise NotAllowed(_("Only the head of sales or the team lead sets this target."))
    value = _parse_target(target, metric)
    who = {"manager": manager} if manager is not None else {"team": team}
    plan = (
        SalesPlan.objects.select_for_update()
        .filter(metric=metric, period_kind=period_kind, period_start=period_start, **who)
        .first()
    )
    if plan is None:
        if version:  # the caller saw a target that someone has removed since
            raise StaleVersion(None)
        if value is None:
            return None
        plan = SalesPlan(
            metric=metric,
            period_kind=period_kind,
            period_start=period_start,
            target=value,
            set_by=actor,
            **who,
        )
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError:
            # Someone created the same target between our read and our insert.
            raise StaleVersion(None) from None
        return plan
    if version == 0:
        raise StaleVersion(plan.version)
    claim_version(plan, version)
    if value is None:
        plan.delete()
        return None
    plan.target = value
    plan.set_by = actor
    plan.save(update_fields=["target", "set_by", "updated_at", "version"])
    return plan


@dataclass(frozen=True)
class PlanCell:
    """One cell of a plan grid: ``key`` names it in the errors."""

    key: str
    period_start: date
    target: Any
    version: int | None = None
    manager: Any = None
    team: Any = None


class PlanGridError(Exception):
    """Some cells of a grid were refused; nothing of the grid was saved."""

    def __init__(self, errors: dict[str, str], *, stale: bool = False) -> None:
        self.errors = errors
        self.stale = stale  # at least one cell was changed by someone else meanwhile
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@transaction.atomic
def plans_set_many(
    *, actor: Any, metric: str, period_kind: str, cells: Iterable[PlanCell]
) -> list[SalesPlan | None]:
    """Save a grid of targets in one transaction: every cell or none.

    Each refused cell gets its message under its key in :class:`PlanGridError`;
    the other cells are checked too, so a person sees every problem at once.
    """
    saved: list[SalesPlan | None] = []
    errors: dict[str, str] = {}
    stale = False
    for cell in cells:
        try:
            with transaction.atomic():
                saved.append(
                    plan_set(
                        actor=actor,
                        metric=metric,
                        period_kind=period_kind,
                        period_start=cell.period_start,
                        manager=cell.manager,
                        team=cell.team,
                        target=cell.target,
                        version=cell.version,
                    )
                )
        except ValidationError as exc:
            errors[cell.key] = " ".join(str(m) for m in exc.messages)
        except StaleVersion as exc:
            errors[cell.key] = str(exc.message)
            stale = True
        except NotAllowed as exc:
            errors[cell.key] = str(exc)
    if errors:
        transaction.set_rollback(True)
        raise PlanGridError(errors, stale=stale)
    return saved
