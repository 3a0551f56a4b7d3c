"""Reads of web forms and their submissions: only those who set forms up see them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from voronka.core.visibility import Family, can_write
from voronka.webforms.models import WebForm, WebFormSubmission

# How far back the list counts each form's leads.
RECENT_DAYS = 30
RECENT_SUBMISSIONS = 50


def may_configure(user: Any) -> bool:
    """Web forms are configuration: the administrator and the head of sales."""
    return can_write(user, Family.CATALOG, None)


def webforms_visible_to(user: Any) -> QuerySet[WebForm]:
    if not may_configure(user):
        return WebForm.objects.none()
    return WebForm.objects.all()


def webform_list(user: Any, *, now: datetime | None = None) -> QuerySet[WebForm]:
    """The forms with the leads or requests they made in the last days and the time of
    the last submission."""
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    made_lead = [WebFormSubmission.Result.CREATED, WebFormSubmission.Result.ATTACHED]
    return (
        webforms_visible_to(user)
        .select_related("source", "team", "pipeline")
        .annotate(
            recent_leads=Count(
                "submissions",
                filter=Q(submissions__received_at__gte=since, submissions__result__in=made_lead),
            ),
            last_received_at=Max("submissions__received_at"),
        )
        .order_by("-is_active", "name", "pk")
    )


def webform_card(user: Any, pk: int) -> WebForm:
    """One form with what its page shows; raises DoesNotExist for anyone else."""
    return (
        webforms_visible_to(user)
        .select_related(
            "source", "team", "pipeline", "created_by", "request_category", "request_product"
        )
        .get(pk=pk)
    )


def webform_by_key(key: str) -> WebForm | None:
    """The active form behind a public address; None for unknown or switched-off ones."""
    return (
        WebForm.objects.filter(key=key, is_active=True).select_related("source", "pipeline").first()
    )


def recent_submissions(
    user: Any, form: WebForm, *, result: str = "", limit: int = RECENT_SUBMISSIONS
) -> list[WebFormSubmission]:
    if not may_configure(user):
        return []
    qs = WebFormSubmission.objects.filter(form=form).select_related(
        "lead", "lead__owner", "request", "request__assignee"
    )
    if result:
        qs = qs.filter(result=result)
    return list(qs.order_by("-received_at", "-pk")[:limit])


def result_counts(user: Any, form: WebForm) -> dict[str, int]:
    """How many submissions the form has had, per result."""
    if not may_configure(user):
        return {}
    rows = (
        WebFormSubmission.objects.filter(form=form)
        .values_list("result")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)  # type: ignore[arg-type]
