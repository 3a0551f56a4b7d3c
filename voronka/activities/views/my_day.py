"""The manager's morning page and the team lead's view of their people's tasks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from voronka.accounts.models import Team
from voronka.activities import queries
from voronka.activities.views.common import leads_people, may_create_tasks
from voronka.activities.views.tasks import SECTION_LIMIT


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """Overdue, today, the next seven days, and open deals with no next task."""
    user: Any = request.user
    day = queries.my_day(user, limit=SECTION_LIMIT)
    for task in [*day.overdue, *day.today, *day.upcoming]:
        task.may_edit = True  # type: ignore[attr-defined]  # My day lists one's own tasks
    return render(
        request,
        "activities/my_day.html",
        {
            "day": day,
            "limit": SECTION_LIMIT,
            "now": timezone.now(),
            "today": timezone.localdate(),
            "may_create": may_create_tasks(user),
        },
    )


@login_required
@require_GET
def task_team(request: HttpRequest) -> HttpResponse:
    """Open and overdue tasks per person; each number opens the filtered task list."""
    user: Any = request.user
    if not leads_people(user):
        raise Http404
    rows = queries.team_view(user)
    # Team names in one read, not one per person.
    teams = Team.objects.in_bulk({r.user.team_id for r in rows if r.user.team_id})
    for row in rows:
        row.team = teams.get(row.user.team_id)  # type: ignore[attr-defined]
    return render(
        request,
        "activities/task_team.html",
        {
            "rows": rows,
            "total_open": sum(r.open for r in rows),
            "total_overdue": sum(r.overdue for r in rows),
        },
    )
