"""The interaction timeline of a client, deal or lead card, and its quick-add form.

The cards include ``activities/partials/_timeline.html`` with the context that
:func:`timeline_context` builds; the timeline's chips and its "show older" button
ask :func:`timeline` for fragments, and the quick-add form posts to
:func:`activity_create`, which answers with the fresh form and the refreshed
timeline out of band.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from voronka.activities import queries, services
from voronka.activities.forms_timeline import (
    KIND_CHIPS,
    RECORDS,
    QuickAddForm,
    TimelineQueryForm,
)
from voronka.activities.models import Activity
from voronka.activities.queries import TIMELINE_KINDS, TimelineEntry
from voronka.activities.views.common import may_create_tasks, task_writable
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.errors import NotAllowed
from voronka.core.forms import add_service_errors
from voronka.sales.queries import deals_visible_to, leads_visible_to

PAGE_SIZE = 20  # a card shows this many entries before "show older"

VISIBLE = {
    "company": companies_visible_to,
    "contact": contacts_visible_to,
    "deal": deals_visible_to,
    "lead": leads_visible_to,
}
CARD_URLS = {
    "company": "clients:company-detail",
    "contact": "clients:contact-detail",
    "deal": "sales:deal-detail",
    "lead": "sales:lead-detail",
}
# Service field names → the quick-add form's.
SERVICE_ALIASES = {
    "occurred_at": "starts_at",
    "duration_seconds": "duration",
    "title": "next_title",
    "due_at": "next_due",
}
LOGGED: dict[str, Any] = {
    Activity.Kind.CALL: gettext_lazy("Call logged."),
    Activity.Kind.MEETING: gettext_lazy("Meeting logged."),
    Activity.Kind.NOTE: gettext_lazy("Note added."),
}


@dataclass
class TimelineRow:
    """A timeline entry as a page shows it."""

    at: datetime
    kind: str
    activity: Activity | None
    stage_change: Any
    duration: str  # a call's length as mm:ss, or ""
    request: Any = None  # a client request, or the request of a thread's message
    request_message: Any = None
    order: Any = None  # an order received, or the order of a status change
    order_change: Any = None

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineRow:
        seconds = entry.activity.duration_seconds if entry.activity else None
        # A call nobody answered lasted nothing worth showing.
        duration = f"{seconds // 60:02d}:{seconds % 60:02d}" if seconds else ""
        return cls(
            entry.at, entry.kind, entry.activity, entry.stage_change, duration,
            entry.request, entry.request_message, entry.order, entry.order_change,
        )  # fmt: skip


# --- Reads ----------------------------------------------------------------------------------


def _visible(user: Any, name: str, pk: int, *, write: bool = False) -> Any:
    return VISIBLE[name](user, write=write).filter(pk=pk).first()


def _entries(
    user: Any, name: str, record: Any, kind: str, before: datetime | None
) -> tuple[list[TimelineRow], datetime | None]:
    kinds = [kind] if kind else list(TIMELINE_KINDS)
    entries, next_before = queries.timeline(
        user, **{name: record}, kinds=kinds, before=before, limit=PAGE_SIZE
    )
    return [TimelineRow.of(e) for e in entries], next_before


def _summary(user: Any, name: str, record: Any) -> dict[str, Any]:
    """Last contact and the next planned step of the record (a lead's last contact is
    its newest activity: leads keep no ``last_contact_at``)."""
    row = (
        VISIBLE[name](user)
        .filter(pk=record.pk)
        .annotate(
            next_due=queries.next_task_due(name),
            next_title=queries.next_task_title(name),
        )
        .values("next_due", "next_title", *(["last_contact_at"] if name != "lead" else []))
        .first()
    ) or {}
    last = row.get("last_contact_at")
    if name == "lead":
        last = (
            queries.activities_visible_to(user)
            .filter(lead=record)
            .aggregate(at=Max("occurred_at"))["at"]
        )
    due = row.get("next_due")
    return {
        "last_contact_at": last,
        "next_title": row.get("next_title") or "",
        "next_due": due,
        "next_overdue": bool(due and due < timezone.now()),
    }


def _block(
    request: HttpRequest, name: str, record: Any, *, kind: str = "", before: datetime | None = None
) -> dict[str, Any]:
    """What the timeline templates need, under the name ``timeline``."""
    rows, next_before = _entries(request.user, name, record, kind, before)
    return {
        "param": name,
        "record": record,
        "rows": rows,
        "next_before": next_before.isoformat() if next_before else "",
        "kind": kind,
        # Leads have no stages to change, no requests and no orders.
        "chips": [c for c in KIND_CHIPS if c[0] not in ("stage", "request", "order")]
        if name == "lead"
        else KIND_CHIPS,
        "show_deal": name != "deal",
        "url": reverse("activities:timeline"),
        "card_url": reverse(CARD_URLS[name], args=[record.pk]),
        "older": before is not None,
    }


def may_log(user: Any, name: str, record: Any) -> bool:
    """Whether ``user`` may log an interaction on the record: whoever may change it."""
    return VISIBLE[name](user, write=True).filter(pk=record.pk).exists()


CARD_TASKS = 10


def _open_tasks(user: Any, name: str, record: Any) -> list[Any]:
    """The record's unfinished tasks the user may see, soonest first, each with a
    one-click "done" where the user may complete it."""
    tasks = list(
        queries.task_list(user, active=True, **{f"{name}_id": record.pk}).order_by("due_at", "pk")[
            :CARD_TASKS
        ]
    )
    for task in tasks:
        task.may_edit = task_writable(user, task)  # type: ignore[attr-defined]
    return tasks


def timeline_context(request: HttpRequest, name: str, record: Any) -> dict[str, Any]:
    """The context a card adds to show its timeline, summary and quick-add form.

    The card's own ``?kind=`` and ``?before=`` work without JavaScript, as the
    chips and the "show older" button do with it.
    """
    query = TimelineQueryForm(request.GET)
    query.is_valid()
    block = _block(request, name, record, kind=query.kind_value(), before=query.before_value())
    block["summary"] = _summary(request.user, name, record)
    block["tasks"] = _open_tasks(request.user, name, record)
    block["now"] = timezone.now()
    block["task_create_url"] = (
        f"{reverse('activities:task-create')}?{name}={record.pk}"
        if may_create_tasks(request.user)
        else ""
    )
    if may_log(request.user, name, record):
        block["quick_form"] = QuickAddForm(record=(name, record.pk))
    return {"timeline": block}


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """A fragment of a record's timeline: one kind (a chip), or the page older than ``before``."""
    query = TimelineQueryForm(request.GET)
    query.is_valid()
    ref = query.record_ref()
    if ref is None:
        return HttpResponseBadRequest(_("Say whose timeline to show."))
    record = _visible(request.user, *ref)
    if record is None:
        raise Http404
    before = query.before_value()
    context = {"timeline": _block(request, ref[0], record, kind=query.kind_value(), before=before)}
    if before is not None:
        return render(request, "activities/partials/_timeline_page.html", context)
    return render(request, "activities/partials/_timeline_body.html", context)


# --- Quick add -------------------------------------------------------------------------------


def _posted_record(request: HttpRequest) -> tuple[str, int] | None:
    named = [(n, request.POST.get(n, "")) for n in RECORDS]
    named = [(n, v) for n, v in named if v]
    if len(named) != 1 or not named[0][1].isdigit():
        return None
    return named[0][0], int(named[0][1])


def _refuse(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if status == 403:
        raise PermissionDenied(message)
    raise Http404


@login_required
@require_POST
def activity_create(request: HttpRequest) -> HttpResponse:
    """Log a call, note or meeting from a card, and optionally set the next step.

    The record must be visible (else 404) and changeable by the person (else 403);
    field errors come back in the form (422). On success an htmx request gets the
    empty form and, out of band, the timeline and summary with the new entry on top.
    """
    user: Any = request.user
    ref = _posted_record(request)
    if ref is None:
        return HttpResponseBadRequest(_("Say whom the interaction was with."))
    record = _visible(user, *ref)
    if record is None:
        return _refuse(request, _("No such record."), 404)
    if not may_log(user, ref[0], record):
        return _refuse(request, _("You may not log interactions on this record."), 403)
    form = QuickAddForm(request.POST, record=ref)
    if form.is_valid():
        try:
            with transaction.atomic():
                activity = services.activity_log(actor=user, data=form.activity_data(record))
                if form.has_next_step():
                    services.task_create(actor=user, data=form.task_data(record))
        except ValidationError as exc:
            add_service_errors(form, exc, SERVICE_ALIASES)
        except NotAllowed:
            return _refuse(request, _("You may not log interactions on this record."), 403)
        else:
            return _logged(request, ref[0], record, activity)
    _focus_first_error(form)
    template = "activities/partials/_quick_add.html"
    if not getattr(request, "htmx", False):
        template = "activities/partials/_quick_add_page.html"
    card_url = reverse(CARD_URLS[ref[0]], args=[record.pk])
    context = {"form": form, "timeline": {"param": ref[0], "record": record, "card_url": card_url}}
    return render(request, template, context, status=422)


def _focus_first_error(form: QuickAddForm) -> None:
    """The swapped-in form puts the cursor where the first correction is needed."""
    for name in form.errors:
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _logged(request: HttpRequest, name: str, record: Any, activity: Activity) -> HttpResponse:
    message = str(LOGGED.get(activity.kind, _("Saved.")))
    if not getattr(request, "htmx", False):
        messages.success(request, message)
        return redirect(reverse(CARD_URLS[name], args=[record.pk]) + "#timeline")
    block = _block(request, name, record)
    block["summary"] = _summary(request.user, name, record)
    fresh = QuickAddForm(record=(name, record.pk), initial={"kind": activity.kind})
    fresh.fields["body"].widget.attrs["autofocus"] = True  # ready for the next one
    context = {
        "form": fresh,
        "timeline": block,
        "oob": True,
        "new_id": activity.pk,
    }
    response = render(request, "activities/partials/_quick_add_done.html", context)
    # Headers travel as Latin-1, so the JSON keeps its default \u escapes for Cyrillic.
    response["HX-Trigger"] = json.dumps({"voronka:toast": {"text": message, "level": "success"}})
    return response
