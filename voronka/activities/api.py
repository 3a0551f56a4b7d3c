"""API: interactions with clients and their timeline, tasks, and my notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest
from ninja import Body, Query, Router, Status
from ninja.errors import ValidationError as NinjaValidationError

from voronka.accounts import services as account_services
from voronka.accounts.queries import users_visible_to
from voronka.activities import queries, services
from voronka.activities.models import Activity, NotificationKind
from voronka.activities.schemas import (
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ActivityPage,
    CountOut,
    MyDayOut,
    NotificationFilters,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    TaskCompleteIn,
    TaskFilters,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskPatch,
    TaskStatusIn,
    TeamLoadOut,
    TimelineOut,
    TimelineParams,
)
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.api import Id, Version, actor, page, resolve_refs, responses
from voronka.core.errors import NotAllowed
from voronka.core.visibility import may_own
from voronka.sales.queries import deals_visible_to, leads_visible_to

router = Router(tags=["activities"])

VERSION_DOC = "The version you read; a stale one answers 409 and changes nothing."
ONE_SUBJECT = "Give exactly one of company, contact or deal."


def _writer(request: HttpRequest) -> Any:
    """The actor of a new record. Someone who may own nothing (support) is refused
    with 403 before the input is looked at, not told that their links are wrong."""
    user = actor(request)
    if not may_own(user, user):
        raise NotAllowed()
    return user


def _links(user: Any) -> dict[str, QuerySet]:
    return {
        "company": companies_visible_to(user),
        "contact": contacts_visible_to(user),
        "deal": deals_visible_to(user),
        "lead": leads_visible_to(user),
    }


# --- Activities --------------------------------------------------------------------------


def _activities(user: Any) -> QuerySet[Activity]:
    return queries.activities_visible_to(user).select_related(
        "author", "company", "contact", "deal", "lead"
    )


@router.get("/activities", response=responses({200: ActivityPage}, 400))
def activity_list(request: HttpRequest, filters: Query[ActivityFilters]) -> Any:
    qs = queries.activity_list(
        actor(request),
        company_id=filters.company, contact_id=filters.contact, deal_id=filters.deal,
        lead_id=filters.lead, author_id=filters.author, kind=filters.kind or "",
        occurred_from=filters.occurred_from, occurred_to=filters.occurred_to,
    )  # fmt: skip
    return page(qs, ordering=["-occurred_at", "-id"], params=filters)


@router.post(
    "/activities",
    response=responses({201: ActivityOut}, 400, 403),
    description=(
        "Logs a call, meeting, e-mail, message or note about a client, deal or lead you "
        "may change. A deal or lead brings its client along."
    ),
)
def activity_log(request: HttpRequest, payload: ActivityIn) -> Any:
    user = _writer(request)
    data = resolve_refs(payload.model_dump(exclude_unset=True), **_links(user))
    activity = services.activity_log(actor=user, data=data)
    return Status(201, _activities(user).get(pk=activity.pk))


@router.get("/activities/{activity_id}", response=responses({200: ActivityOut}, 404))
def activity_read(request: HttpRequest, activity_id: Id) -> Any:
    return _activities(actor(request)).get(pk=activity_id)


@router.delete(
    "/activities/{activity_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Its author, the administrator or the head of sales only. " + VERSION_DOC,
)
def activity_delete(request: HttpRequest, activity_id: Id, version: Version) -> Any:
    user = actor(request)
    activity = queries.activities_visible_to(user).get(pk=activity_id)
    services.activity_delete(actor=user, activity=activity, version=version)
    return Status(204, None)


_SUBJECTS = {
    "company": companies_visible_to,
    "contact": contacts_visible_to,
    "deal": deals_visible_to,
}


@router.get(
    "/timeline",
    response=responses({200: TimelineOut}, 404),
    description=(
        "Activities and stage changes of one company, contact or deal, newest first. "
        "A client's timeline includes its deals'."
    ),
)
def timeline(request: HttpRequest, params: Query[TimelineParams]) -> Any:
    user = actor(request)
    given = [
        (name, pk)
        for name, pk in (("company", params.company), ("contact", params.contact),
                         ("deal", params.deal))
        if pk is not None
    ]  # fmt: skip
    if len(given) != 1:
        raise NinjaValidationError(
            [{"loc": ["query", "company"], "msg": ONE_SUBJECT, "type": "value_error"}]
        )
    name, pk = given[0]
    record = _SUBJECTS[name](user).get(pk=pk)
    kinds: list[str] = list(params.kinds)
    entries, next_before = queries.timeline(
        user, kinds=kinds or None, before=params.before, limit=params.limit, **{name: record}
    )
    # The query loads what the timeline page shows; the API also names every link.
    activities = [entry.activity for entry in entries if entry.activity is not None]
    prefetch_related_objects(activities, "company", "contact", "lead")
    return {"entries": entries, "next_before": next_before}


# --- Tasks -------------------------------------------------------------------------------


def _tasks(user: Any) -> QuerySet:
    return queries.task_list(user).select_related("completed_by")


@router.get("/tasks", response=responses({200: TaskPage}, 400))
def task_list(request: HttpRequest, filters: Query[TaskFilters]) -> Any:
    qs = queries.task_list(
        actor(request),
        assignee_id=filters.assignee,
        status=filters.status or "",
        active=filters.active,
        priority=filters.priority or "",
        due_from=filters.due_from,
        due_to=filters.due_to,
        overdue=filters.overdue,
        company_id=filters.company,
        contact_id=filters.contact,
        deal_id=filters.deal,
        lead_id=filters.lead,
    ).select_related("completed_by")
    return page(qs, ordering=["due_at", "id"], params=filters)


@router.post(
    "/tasks",
    response=responses({201: TaskOut}, 400, 403),
    description=(
        "A task for yourself; a team lead may give one to the team, the head of sales to "
        "anyone. The assignee is notified."
    ),
)
def task_create(request: HttpRequest, payload: TaskIn) -> Any:
    user = _writer(request)
    data = resolve_refs(
        payload.model_dump(exclude_unset=True), assignee=users_visible_to(user), **_links(user)
    )
    task = services.task_create(actor=user, data=data)
    return Status(201, _tasks(user).get(pk=task.pk))


# Before /tasks/{task_id}, which would otherwise take "my-day" for an id.
@router.get(
    "/tasks/my-day",
    response=responses({200: MyDayOut}),
    description=(
        "My open tasks: overdue, due today, due in the next seven days; and my open deals "
        "without an open task. Each list holds at most 50."
    ),
)
def my_day(request: HttpRequest) -> Any:
    return queries.my_day(actor(request))


@router.get(
    "/tasks/team",
    response=responses({200: list[TeamLoadOut]}),
    description=(
        "Open and overdue tasks per person whose tasks you see: the whole department for "
        "the head of sales, the team for its lead, yourself otherwise. People without open "
        "tasks are left out."
    ),
)
def team(request: HttpRequest) -> Any:
    return queries.team_view(actor(request))


@router.get("/tasks/{task_id}", response=responses({200: TaskOut}, 404))
def task_read(request: HttpRequest, task_id: Id) -> Any:
    return _tasks(actor(request)).get(pk=task_id)


@router.patch(
    "/tasks/{task_id}",
    response=responses({200: TaskOut}, 400, 403, 404, 409),
    description=(
        "Changes the task's fields; its status changes with …/complete and …/status. A new "
        "deadline earns new reminders. " + VERSION_DOC
    ),
)
def task_update(request: HttpRequest, task_id: Id, payload: TaskPatch) -> Any:
    user = actor(request)
    task = queries.tasks_visible_to(user).get(pk=task_id)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    data = resolve_refs(data, assignee=users_visible_to(user), **_links(user))
    services.task_update(actor=user, task=task, version=payload.version, data=data)
    return _tasks(user).get(pk=task_id)


@router.post(
    "/tasks/{task_id}/complete",
    response=responses({200: TaskOut}, 400, 403, 404, 409),
    description=(
        "Marks the task done in one click; a done task stays as it is. With a version, a "
        "task changed meanwhile answers 409."
    ),
)
def task_complete(
    request: HttpRequest, task_id: Id, payload: Body[TaskCompleteIn | None] = None
) -> Any:
    user = actor(request)
    task = queries.tasks_visible_to(user).get(pk=task_id)
    version = payload.version if payload is not None else None
    services.task_complete(actor=user, task=task, version=version)
    return _tasks(user).get(pk=task_id)


@router.post(
    "/tasks/{task_id}/status",
    response=responses({200: TaskOut}, 400, 403, 404, 409),
    description="Starts, cancels, reopens or completes the task. " + VERSION_DOC,
)
def task_set_status(request: HttpRequest, task_id: Id, payload: TaskStatusIn) -> Any:
    user = actor(request)
    task = queries.tasks_visible_to(user).get(pk=task_id)
    services.task_set_status(actor=user, task=task, version=payload.version, status=payload.status)
    return _tasks(user).get(pk=task_id)


# --- Notifications -----------------------------------------------------------------------


@router.get(
    "/notifications",
    response=responses({200: NotificationPage}, 400),
    description="My notifications, newest first.",
)
def notification_list(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    qs = queries.notifications_of(actor(request), unread=filters.unread)
    return page(qs, ordering=["-created_at", "-id"], params=filters)


@router.get("/notifications/unread-count", response=responses({200: CountOut}))
def notification_unread_count(request: HttpRequest) -> Any:
    return {"count": queries.unread_count(actor(request))}


@router.post(
    "/notifications/read-all",
    response=responses({200: CountOut}, 403),
    description="Marks all my notifications read; answers how many were unread.",
)
def notification_read_all(request: HttpRequest) -> Any:
    return {"count": services.notifications_mark_all_read(actor=actor(request))}


def _preferences(user: Any) -> dict[str, Any]:
    kinds = []
    for kind, label in NotificationKind.choices:
        in_app, email = services.preference(user, kind)
        kinds.append({"kind": kind, "label": str(label), "in_app": in_app, "email": email})
    return {"reminder_minutes": user.reminder_minutes, "kinds": kinds}


@router.get(
    "/notifications/preferences",
    response=responses({200: PreferencesOut}),
    description="How I am told of each kind of notice, and my default task reminder.",
)
def preferences_read(request: HttpRequest) -> Any:
    return _preferences(actor(request))


@router.put(
    "/notifications/preferences",
    response=responses({200: PreferencesOut}, 400, 403),
    description="What the request leaves out stays as it is.",
)
def preferences_update(request: HttpRequest, payload: PreferencesIn) -> Any:
    user = actor(request)
    if payload.reminder_minutes is not None:
        account_services.user_set_reminder_minutes(actor=user, minutes=payload.reminder_minutes)
    for item in payload.kinds:
        services.preference_set(actor=user, kind=item.kind, in_app=item.in_app, email=item.email)
    return _preferences(user)


@router.post(
    "/notifications/{notification_id}/read",
    response=responses({200: NotificationOut}, 403, 404),
)
def notification_read(request: HttpRequest, notification_id: Id) -> Any:
    user = actor(request)
    notification = queries.notifications_of(user).get(pk=notification_id)
    services.notification_mark_read(actor=user, notification=notification)
    return queries.notifications_of(user).get(pk=notification_id)
