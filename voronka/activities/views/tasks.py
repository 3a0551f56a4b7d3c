"""Task pages: the list, the card with its status actions, the form, one-click done."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.activities import queries, services
from voronka.activities.forms import (
    LINKS,
    TASK_SORTS,
    TASK_STATUS_LABELS,
    TaskFilterForm,
    TaskForm,
    default_due,
    linked_records,
)
from voronka.activities.models import Task
from voronka.activities.views.activities import related_column
from voronka.activities.views.common import (
    error_text,
    int_param,
    is_htmx,
    leads_people,
    may_create_tasks,
    refusal,
    safe_next,
    task_or_404,
    task_writable,
)
from voronka.core import exporting
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.exporting import choice, column, person
from voronka.core.forms import add_service_errors
from voronka.core.pagination import BadCursor, keyset_page

# My day shows at most this many tasks per section; a full section links to the list.
SECTION_LIMIT = 50
# What a status button asks for → the status the service sets.
STATUS_ACTIONS = {
    "start": Task.Status.IN_PROGRESS,
    "cancel": Task.Status.CANCELLED,
    "reopen": Task.Status.OPEN,
}


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = TaskFilterForm(request.GET or None, user=user)
    filters, sort = form.filters()
    qs = queries.task_list(user, **filters)
    try:
        page = keyset_page(qs, ordering=TASK_SORTS[sort], cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=TASK_SORTS[sort])
    link_ids = {name: filters.get(f"{name}_id") for name in LINKS}
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "filtered": form.is_filtered(),
        "linked": linked_records(user, link_ids) if any(link_ids.values()) else {},
        "link_query": "&".join(f"{k}={v}" for k, v in link_ids.items() if v),
        "now": timezone.now(),
        "may_create": may_create_tasks(user),
        "shows_team": leads_people(user),
    }
    for task in page.items:
        task.may_edit = task_writable(user, task)  # type: ignore[attr-defined]
    if is_htmx(request) and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "activities/task_list.html#table", context)
    return render(request, "activities/task_list.html", context)


def task_columns() -> list[exporting.Column]:
    """What a task download holds, headers in the current language."""
    return [
        column(_("ID"), "pk", kind="int"),
        column(_("Title"), "title"),
        column(_("Status"), "status", convert=choice(TASK_STATUS_LABELS.items())),
        column(_("Priority"), "priority", convert=choice(Task.Priority.choices)),
        column(_("Due"), "due_at", kind="datetime"),
        column(
            _("Assignee"),
            "assignee__first_name",
            "assignee__last_name",
            "assignee__username",
            convert=person,
        ),  # fmt: skip
        related_column(),
        column(_("Completed"), "completed_at", kind="datetime"),
        column(
            _("Author"),
            "author__first_name",
            "author__last_name",
            "author__username",
            convert=person,
        ),  # fmt: skip
        column(_("Description"), "description"),
    ]


@login_required
@require_GET
def task_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every task the list shows with its filters and sort, all pages, as CSV or XLSX."""
    exporting.ensure_format(fmt)
    user: Any = request.user
    form = TaskFilterForm(request.GET or None, user=user)
    filters, sort = form.filters()
    qs = queries.task_list(user, **filters).order_by(*TASK_SORTS[sort])
    listing = exporting.Listing("tasks", _("Tasks"), task_columns(), qs)
    return exporting.export_response(listing, fmt)


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    task = task_or_404(user, pk)
    task.may_edit = task_writable(user, task)  # type: ignore[attr-defined]
    return render(
        request,
        "activities/task_detail.html",
        {"task": task, "may_edit": task.may_edit, "now": timezone.now()},  # type: ignore[attr-defined]
    )


def _form_page(
    request: HttpRequest, form: TaskForm, task: Task | None, status: int = 200
) -> HttpResponse:
    return render(request, "activities/task_form.html", {"form": form, "task": task}, status=status)


def _after_save(request: HttpRequest, form: TaskForm, task: Task) -> HttpResponse:
    return redirect(
        safe_next(request, form.cleaned_data.get("next"))
        or reverse("activities:task-detail", args=[task.pk])
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    """A new task; ``?deal=`` (or company, contact, lead) links it, ``?next=`` returns."""
    user: Any = request.user
    if not may_create_tasks(user):
        raise PermissionDenied(_("You are not allowed to create tasks."))
    if request.method == "GET":
        initial: dict[str, Any] = {
            "assignee": user.pk,
            "due_at": default_due(),
            "priority": Task.Priority.NORMAL,
            "next": safe_next(request, request.GET.get("next")) or "",
        }
        for name in LINKS:
            if int_param(request.GET.get(name)):
                initial[name] = int_param(request.GET.get(name))
        form = TaskForm(initial=initial, user=user)
        # The linked record is named on the form; an invisible one is not offered at all.
        form.links = linked_records(user, {n: initial.get(n) for n in LINKS})
        for name in LINKS:
            if name in initial and name not in form.links:
                form.initial.pop(name)
        return _form_page(request, form, None)
    form = TaskForm(request.POST, user=user)
    if form.is_valid():
        try:
            task = services.task_create(actor=user, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Task «%(title)s» created.") % {"title": task.title})
            return _after_save(request, form, task)
    return _form_page(request, form, None, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    task = task_or_404(user, pk)
    if not task_writable(user, task):
        raise PermissionDenied(_("You are not allowed to change this task."))
    if request.method == "GET":
        initial = {
            "title": task.title,
            "description": task.description,
            "assignee": task.assignee_id,
            "due_at": timezone.localtime(task.due_at),
            "priority": task.priority,
            "remind_minutes_before": task.remind_minutes_before,
            "version": task.version,
            "next": safe_next(request, request.GET.get("next")) or "",
            **{name: getattr(task, f"{name}_id") for name in LINKS},
        }
        form = TaskForm(initial=initial, user=user, task=task)
        form.links = {name: getattr(task, name) for name in LINKS if getattr(task, f"{name}_id")}
        return _form_page(request, form, task)
    form = TaskForm(request.POST, user=user, task=task)
    status = 422
    if form.is_valid():
        try:
            services.task_update(
                actor=user, task=task, version=form.cleaned_data["version"],
                data=form.service_data(),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StaleVersion as exc:
            form.add_error(None, str(exc.message))
            status = 409
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Task saved."))
            return _after_save(request, form, task)
    return _form_page(request, form, task, status=status)


def _shown_again(request: HttpRequest, task: Task) -> HttpResponse:
    """The task as the page that asked shows it: a My-day item, a list row, or the card."""
    user: Any = request.user
    task = task_or_404(user, task.pk)
    shown_as = request.POST.get("shown_as", "")
    task.may_edit = task_writable(user, task)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "task": task,
        "now": timezone.now(),
        "next_url": safe_next(request, request.POST.get("next")),
    }
    if is_htmx(request) and shown_as == "day":
        context.update(
            day=queries.my_day(user, limit=SECTION_LIMIT), oob=True, limit=SECTION_LIMIT,
            may_create=may_create_tasks(user),
        )  # fmt: skip
        return render(request, "activities/partials/_task_item_answer.html", context)
    if is_htmx(request) and shown_as == "row":
        return render(request, "activities/partials/_task_row.html", context)
    if is_htmx(request) and shown_as == "card":
        context["shown_as"] = "card"
        return render(request, "activities/partials/_task_item.html", context)
    return redirect(
        safe_next(request, request.POST.get("next"))
        or safe_next(request, request.headers.get("Referer"))
        or reverse("activities:task-detail", args=[task.pk])
    )


def _refused(request: HttpRequest, task: Task, message: str, status: int) -> HttpResponse:
    if is_htmx(request):
        return refusal(message, status)
    if status == 403:
        raise PermissionDenied(message)
    messages.error(request, message)
    return redirect("activities:task-detail", pk=task.pk)


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the task is done. Htmx gets the updated item; a plain form goes back."""
    user: Any = request.user
    task = task_or_404(user, pk)
    try:
        services.task_complete(actor=user, task=task)
    except NotAllowed as exc:
        return _refused(request, task, str(exc), 403)
    except ValidationError as exc:
        return _refused(request, task, error_text(exc), 422)
    if not is_htmx(request):
        messages.success(request, _("Task «%(title)s» done.") % {"title": task.title})
    return _shown_again(request, task)


@login_required
@require_POST
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Start, cancel or reopen a task (``action`` = start / cancel / reopen)."""
    user: Any = request.user
    task = task_or_404(user, pk)
    status = STATUS_ACTIONS.get(request.POST.get("action", ""))
    if status is None:
        return _refused(request, task, _("Unknown action."), 422)
    try:
        services.task_set_status(
            actor=user, task=task, version=int_param(request.POST.get("version")), status=status
        )
    except NotAllowed as exc:
        return _refused(request, task, str(exc), 403)
    except StaleVersion as exc:
        return _refused(request, task, str(exc.message), 409)
    except ValidationError as exc:
        return _refused(request, task, error_text(exc), 422)
    if not is_htmx(request):
        label = TASK_STATUS_LABELS[task.status]
        messages.success(request, _("Status: %(status)s.") % {"status": label})
    return _shown_again(request, task)
