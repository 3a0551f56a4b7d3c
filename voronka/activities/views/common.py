"""What the task and notification pages share: loading records, refusals, redirects."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from voronka.activities import queries
from voronka.activities.models import Task
from voronka.core.visibility import led_team_ids, may_own, sees_everything


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def refusal(message: str, status: int) -> HttpResponse:
    """An htmx refusal: the page's script shows the text in a toast."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
    return " ".join(str(m) for m in exc.messages)


def int_param(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def task_or_404(user: Any, pk: int) -> Task:
    """A task the user may see, with what its pages show; anything else is "not found"."""
    try:
        return queries.task_list(user).get(pk=pk)
    except Task.DoesNotExist as exc:
        raise Http404 from exc


def task_writable(user: Any, task: Task) -> bool:
    """The services' write rule for a task whose assignee is loaded, without a query:
    the assignee, their team lead, the head of sales and admins, and the task's author."""
    if sees_everything(user):
        return True
    if getattr(user, "role", "") != "manager":
        return False
    if user.pk in (task.assignee_id, task.author_id):
        return True
    team_id = task.assignee.team_id
    return team_id is not None and team_id in led_team_ids(user)


def safe_next(request: HttpRequest, value: str | None) -> str | None:
    """``value`` when it is a path on this site, else None (no open redirects)."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def may_create_tasks(user: Any) -> bool:
    """Whoever may own records may give themselves a task (support agents may not)."""
    return may_own(user, user)


def leads_people(user: Any) -> bool:
    """Team leads see their team's load; the head of sales and admins everyone's."""
    return sees_everything(user) or (
        getattr(user, "role", "") == "manager" and bool(led_team_ids(user))
    )
