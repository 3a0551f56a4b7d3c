"""Writes of the orders' settings: the organisation's order options, the status
workflow (which moves are allowed, which only for a paid order) and each status's norm
and client e-mail. Only the administrator and the head of sales change them.

Neither the organisation nor the workflow rows keep a django-simple-history record,
so every change is written to Django's admin log (``LogEntry``: who, when, what), which
the settings page lists under "Changes" and the admin site shows per record.

A norm changed for a status moves the deadline of every open order in that status at
once (``status_due_at``, from when the order entered the status), so lists, the board
and the overdue sweep follow the new norm — without a new version of the order, which
nobody edited.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from voronka.core import organisation
from voronka.core.errors import NotAllowed
from voronka.core.models import Organisation
from voronka.core.visibility import sees_everything
from voronka.core.workcalendar import NoWorkingTime, WorkCalendar
from voronka.core.workcalendar import current as work_calendar
from voronka.orders import mail
from voronka.orders.models import (
    FINAL_STATUSES,
    FLOW,
    OPEN_STATUSES,
    Order,
    Status,
    StatusSetting,
    Transition,
)

MAX_NORM_HOURS = 24 * 366
TEMPLATE_LIMITS = {"subject_ru": 200, "subject_en": 200, "body_ru": 10_000, "body_en": 10_000}
AUDIT_MODELS: tuple[type[Model], ...] = (Organisation, Transition, StatusSetting)
Moves = Mapping[tuple[str, str], bool]


def may_configure(user: Any) -> bool:
    """Only the administrator and the head of sales set orders up."""
    return bool(user is not None and user.is_authenticated and sees_everything(user))


def _ensure_configurator(actor: Any) -> None:
    if not may_configure(actor):
        raise NotAllowed()


def _label(status: str) -> str:
    return str(Status(status).label)


def _audit(actor: Any, model: type[Model], pk: Any, name: str, message: str) -> None:
    """One line of the settings' change log: who changed what, now."""
    LogEntry.objects.create(
        user_id=actor.pk, content_type=ContentType.objects.get_for_model(model),
        object_id=None if pk is None else str(pk), object_repr=name[:200], action_flag=CHANGE,
        change_message=message,
    )  # fmt: skip


def changes_log(limit: int = 30) -> list[LogEntry]:
    """The latest changes of the orders' settings, newest first."""
    types = ContentType.objects.get_for_models(*AUDIT_MODELS).values()
    return list(
        LogEntry.objects.filter(content_type__in=types)
        .select_related("user")
        .order_by("-action_time", "-pk")[:limit]
    )


def _on_off(value: bool) -> str:
    return _("on") if value else _("off")


# --- The organisation's order options ----------------------------------------------------


@transaction.atomic
def order_options_save(
    *, actor: Any, orders_from_won_deals: bool, order_prices_include_vat: bool,
    order_vat_rate: Decimal,
) -> Organisation:  # fmt: skip
    """Whether won deals become orders by themselves, whether order prices include VAT
    and the VAT rate of a line with none of its own. Orders already taken keep theirs."""
    _ensure_configurator(actor)
    rate = Decimal(order_vat_rate)
    if not Decimal(0) <= rate <= Decimal(100) or rate.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError({"order_vat_rate": _("A rate from 0 to 100 %, to hundredths.")})
    rate = rate.quantize(Decimal("0.01"))
    org = Organisation.objects.select_for_update().order_by("pk").first()
    if org is None:
        organisation.current()
        org = Organisation.objects.select_for_update().order_by("pk").get()
    new = {
        "orders_from_won_deals": bool(orders_from_won_deals),
        "order_prices_include_vat": bool(order_prices_include_vat),
        "order_vat_rate": rate,
    }
    changed = [name for name, value in new.items() if getattr(org, name) != value]
    if not changed:
        return org
    words = []
    for name in changed:
        field: Any = Organisation._meta.get_field(name)
        old, value = getattr(org, name), new[name]
        if isinstance(value, bool):
            old, value = _on_off(old), _on_off(value)
        words.append(f"{field.verbose_name}: {old} → {value}")
        setattr(org, name, new[name])
    org.save(update_fields=changed)
    _audit(actor, Organisation, org.pk, str(org), "; ".join(words))
    organisation.forget()
    transaction.on_commit(organisation.forget)
    return org


# --- The workflow ------------------------------------------------------------------------


def _reachable(start: str, moves: Iterable[tuple[str, str]]) -> set[str]:
    ahead: dict[str, list[str]] = {}
    for source, target in moves:
        ahead.setdefault(source, []).append(target)
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in ahead.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def workflow_problems(moves: Iterable[tuple[str, str]]) -> list[str]:
    """What is wrong with a workflow, each naming its status; empty when nothing is.

    Every status must be reachable from «New»; an order in an open status must have a
    way out, and a way that ends in a final status (delivered, cancelled, returned).
    """
    moves = list(moves)
    problems: list[str] = []
    from_new = _reachable(Status.NEW, moves)
    leaving = {source for source, _target in moves}
    for status in FLOW:
        name = {"status": _label(status), "new": _label(Status.NEW)}
        if status in OPEN_STATUSES and status not in leaving:
            problems.append(_("«%(status)s» has no way out: an order in it could never move on.")
                            % name)  # fmt: skip
        elif status not in from_new:
            problems.append(_("«%(status)s» cannot be reached from «%(new)s».") % name)
        elif status in OPEN_STATUSES and not _reachable(status, moves) & set(FINAL_STATUSES):
            problems.append(_("From «%(status)s» an order can never be delivered, cancelled or "
                              "returned.") % name)  # fmt: skip
    return problems


@transaction.atomic
def workflow_save(*, actor: Any, moves: Moves) -> dict[tuple[str, str], bool]:
    """Replace the allowed moves: ``moves`` maps (from, to) to "only when paid".

    A workflow that would strand orders is refused whole, the error naming the status.
    Orders keep their status; only their next moves follow the new rules.
    """
    _ensure_configurator(actor)
    for source, target in moves:
        if source not in Status.values or target not in Status.values or source == target:
            raise ValidationError({"transitions": _("Unknown move %(from)s → %(to)s.")
                                   % {"from": source, "to": target}})  # fmt: skip
    problems = workflow_problems(moves)
    if problems:
        raise ValidationError({"transitions": problems})
    current = {(t.from_status, t.to_status): t for t in Transition.objects.select_for_update()}
    added = [move for move in moves if move not in current]
    removed = [move for move in current if move not in moves]
    flipped = [move for move in moves if move in current
               and current[move].requires_payment != bool(moves[move])]  # fmt: skip
    if not (added or removed or flipped):
        return dict(moves)
    Transition.objects.filter(pk__in=[current[move].pk for move in removed]).delete()
    Transition.objects.bulk_create(
        Transition(from_status=a, to_status=b, requires_payment=bool(moves[(a, b)]))
        for a, b in added
    )
    for move in flipped:
        Transition.objects.filter(pk=current[move].pk).update(requires_payment=bool(moves[move]))

    def names(items: list[tuple[str, str]]) -> str:
        return ", ".join(f"{_label(a)} → {_label(b)}" for a, b in items)

    words = []
    if added:
        words.append(_("allowed: %(moves)s") % {"moves": names(added)})
    if removed:
        words.append(_("no longer allowed: %(moves)s") % {"moves": names(removed)})
    paid = [m for m in flipped if moves[m]]
    if paid:
        words.append(_("only when paid: %(moves)s") % {"moves": names(paid)})
    if len(paid) < len(flipped):
        words.append(_("paid or not: %(moves)s")
                     % {"moves": names([m for m in flipped if not moves[m]])})  # fmt: skip
    _audit(actor, Transition, None, _("Status workflow"), "; ".join(words))
    return dict(moves)


# --- Status norms and e-mails ------------------------------------------------------------

SETTING_FIELDS = ("norm_hours", "clock", "notify_client", *mail.TEMPLATE_FIELDS)


def _check_setting(status: str, data: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    norm = data.get("norm_hours")
    if norm is not None:
        if status in FINAL_STATUSES:
            errors["norm_hours"] = _("An order in «%(status)s» is never late: it has no norm.") % {
                "status": _label(status)}  # fmt: skip
        elif not 1 <= int(norm) <= MAX_NORM_HOURS:
            errors["norm_hours"] = _("From 1 to %(n)s hours.") % {"n": MAX_NORM_HOURS}
    if data.get("clock") not in StatusSetting.Clock.values:
        errors["clock"] = _("Choose calendar time or working hours.")
    for name in mail.TEMPLATE_FIELDS:
        text = data.get(name) or ""
        if len(text) > TEMPLATE_LIMITS[name]:
            errors[name] = _("At most %(n)s characters.") % {"n": TEMPLATE_LIMITS[name]}
            continue
        problem = mail.template_error(text)
        if problem:
            errors[name] = _("The template has an error: %(error)s") % {"error": problem}
    if errors:
        raise ValidationError(errors)


def _due(setting: StatusSetting, entered_at: datetime, cal: WorkCalendar | None) -> datetime | None:
    """When an order that entered the status at ``entered_at`` overstays it (as
    ``norms.due_at`` counts it, with the setting and calendar already in hand)."""
    if not setting.norm_hours:
        return None
    if cal is not None:
        try:
            return cal.add(entered_at, setting.norm_hours * 60)
        except NoWorkingTime:  # a calendar without working time: count calendar hours
            pass
    return entered_at + timedelta(hours=setting.norm_hours)


def recompute_due(setting: StatusSetting) -> int:
    """Move the norm's deadline of every open order in the setting's status; returns
    how many (not deleted) orders got a new one."""
    if setting.status not in OPEN_STATUSES:
        return 0
    cal = work_calendar() if setting.clock == StatusSetting.Clock.WORKING else None
    orders = Order.all_objects.filter(status=setting.status, status_entered_at__isnull=False)
    # Deleted orders too (a restored order must have the right deadline); they are not
    # counted, as nobody sees them.
    fields = ("pk", "status_entered_at", "status_due_at", "deleted_at")
    moved: list[Order] = []
    count = 0
    for order in orders.only(*fields).iterator(chunk_size=1000):
        due = _due(setting, order.status_entered_at, cal)  # type: ignore[arg-type]
        if due != order.status_due_at:
            order.status_due_at = due
            moved.append(order)
            count += order.deleted_at is None
        if len(moved) >= 1000:
            Order.all_objects.bulk_update(moved, ["status_due_at"])
            moved = []
    Order.all_objects.bulk_update(moved, ["status_due_at"])
    return count


@transaction.atomic
def status_setting_save(*, actor: Any, status: str, data: Mapping[str, Any]) -> StatusSetting:
    """A status's norm (hours, on the calendar or working-hours clock), whether the
    client is e-mailed on entering it, and the e-mail's subject and text in Russian and
    English (Django template syntax; an empty one sends the standard text).

    A template with a syntax error is refused naming its field. A changed norm or
    clock moves the deadlines of the open orders in the status (see the module's note).
    """
    _ensure_configurator(actor)
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown order status.")})
    unknown = sorted(set(data) - set(SETTING_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    setting = StatusSetting.objects.select_for_update().filter(status=status).first()
    if setting is None:
        setting = StatusSetting(status=status)
    merged = {name: data.get(name, getattr(setting, name)) for name in SETTING_FIELDS}
    merged["notify_client"] = bool(merged["notify_client"])
    for name in mail.TEMPLATE_FIELDS:
        merged[name] = (merged[name] or "").replace("\r\n", "\n").strip()
    _check_setting(status, merged)
    changed = [name for name in SETTING_FIELDS if getattr(setting, name) != merged[name]]
    if setting.pk is not None and not changed:
        return setting
    for name in changed:
        setattr(setting, name, merged[name])
    setting.save()
    moved = recompute_due(setting) if {"norm_hours", "clock"} & set(changed) else 0
    words = []
    for name in changed:
        field: Any = StatusSetting._meta.get_field(name)
        if name in mail.TEMPLATE_FIELDS:
            words.append(_("%(field)s changed") % {"field": field.verbose_name})
            continue
        value = getattr(setting, name)
        if name == "clock":
            value = setting.get_clock_display()
        shown = _on_off(value) if isinstance(value, bool) else (value or "—")
        words.append(f"{field.verbose_name}: {shown}")
    message = "; ".join(words)
    if moved:
        message += " " + _("(%(n)s open orders got a new deadline)") % {"n": moved}
    _audit(actor, StatusSetting, setting.pk, _label(status), message)
    return setting
