"""The head of sales' dashboard and a manager's own numbers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from voronka.analytics import dashboard as data
from voronka.analytics.forms import Choice, DashboardFilterForm
from voronka.analytics.scope import Filters
from voronka.core import organisation
from voronka.core.visibility import led_team_ids, sees_everything


def ensure_reader(user: Any) -> None:
    """Support agents answer requests; the sales figures are not theirs to read."""
    if not user.is_active or (user.role == "support" and not user.is_superuser):
        raise PermissionDenied


def sees_a_team(user: Any) -> bool:
    return sees_everything(user) or bool(led_team_ids(user))


def _link(name: str, query: dict[str, str]) -> str:
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


def _context(form: DashboardFilterForm, choice: Choice, board: data.Dashboard) -> dict[str, Any]:
    query = choice.query()
    return {
        "form": form,
        "choice": choice,
        "board": board,
        "query": urlencode(query),
        "week_url": urlencode({**query, "bucket": "week"}),
        "month_url": urlencode({**query, "bucket": "month"}),
        "currency": organisation.current().base_currency,
        "wider_url": urlencode({**query, "period": "last_12_months"}),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The head of sales' screen: tiles against the previous period, funnel, revenue over
    time, sources, managers and overdue deals. A team lead sees their team's numbers."""
    user: Any = request.user
    ensure_reader(user)
    if not sees_a_team(user):
        return redirect(
            _link("analytics:my-dashboard", {k: str(v) for k, v in request.GET.items()})
        )
    form = DashboardFilterForm(request.GET or None, user=user)
    choice = form.choice()

    def manager_url(key: str | None) -> str | None:
        if key is None:
            return None
        return _link("analytics:my-dashboard", {**choice.query(), "manager": key})

    board = data.build(user, choice, pipeline=form.pipeline_shown, manager_url=manager_url)
    return render(request, "analytics/dashboard.html", _context(form, choice, board))


@login_required
def my_dashboard(request: HttpRequest) -> HttpResponse:
    """A manager's own numbers: tiles, plan, funnel, overdue deals and tasks.

    The head of sales (or a team lead, for their team) picks whose page to read
    with ``?manager=ID``; everyone else reads their own.
    """
    user: Any = request.user
    ensure_reader(user)
    form = DashboardFilterForm(request.GET or None, user=user, personal=True)
    chosen = form.choice()
    person = None
    if chosen.filters.manager is not None:
        person = next((p for p in form.people if p.pk == chosen.filters.manager), None)
    elif not sees_everything(user):
        person = user
    context: dict[str, Any] = {"person": person, "is_own": person is not None and person == user}
    if person is None:
        # The head of sales has no numbers of their own: they choose a manager first.
        board = data.Dashboard(choice=chosen, previous=chosen.period.previous())
        return render(
            request, "analytics/dashboard_me.html", {**_context(form, chosen, board), **context}
        )
    filters = Filters(manager=person.pk, pipeline=chosen.filters.pipeline)
    choice = Choice(chosen.period, chosen.preset, filters, chosen.bucket)
    board = data.build(user, choice, parts=data.PERSONAL_PARTS, pipeline=form.pipeline_shown)
    return render(
        request, "analytics/dashboard_me.html", {**_context(form, choice, board), **context}
    )
