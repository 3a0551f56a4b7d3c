"""The list of logged interactions: calls, meetings, e-mails, messages and notes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from voronka.activities import queries
from voronka.activities.forms import ActivityFilterForm
from voronka.core.pagination import BadCursor, keyset_page

NEWEST_FIRST = ["-occurred_at", "-id"]


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ActivityFilterForm(request.GET or None, user=user)
    qs = queries.activity_list(user, **form.filters())
    try:
        page = keyset_page(qs, ordering=NEWEST_FIRST, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=NEWEST_FIRST)
    filtered = any(request.GET.get(name) for name in ("author", "team", "kind", "from", "to"))
    context = {"form": form, "page": page, "filtered": filtered}
    return render(request, "activities/activity_list.html", context)
