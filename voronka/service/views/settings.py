"""The service desk's settings: SLA policies, request categories, the work calendar and
the satisfaction surveys. Only the administrator and the head of sales get in.

Every page posts and redirects back (no script needed); a refused input comes back
as the same page with the errors next to their fields and HTTP 422, a policy edited
by someone else meanwhile with HTTP 409 and the user's input kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core import organisation
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.forms import add_service_errors
from voronka.core.models import CalendarDay
from voronka.service import services, settings_services
from voronka.service.models import Category, SlaPolicy
from voronka.service.settings_forms import (
    CalendarDayForm,
    CalendarForm,
    CategoryForm,
    PolicyForm,
    SurveySettingsForm,
    format_minutes,
)

INVALID, STALE = 422, 409


def _ensure_configurator(user: Any) -> None:
    if not settings_services.may_configure(user):
        raise PermissionDenied(
            _("Only an administrator or the head of sales sets up the service desk.")
        )


def _page(request: HttpRequest, template: str, section: str, status: int = 200,
          **context: Any) -> HttpResponse:  # fmt: skip
    return render(request, template, {"section": section, **context}, status=status)


def _version(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    return redirect("service:settings-policies")


# --- SLA policies ------------------------------------------------------------------------------


@login_required
@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    policies = list(SlaPolicy.objects.order_by("-is_active", "kind", "priority", "name"))
    for policy in policies:
        policy.first_response_label = format_minutes(policy.first_response_minutes)  # type: ignore[attr-defined]
        policy.resolution_label = format_minutes(policy.resolution_minutes)  # type: ignore[attr-defined]
        policy.warn_label = format_minutes(policy.warn_minutes_before)  # type: ignore[attr-defined]
    return _page(request, "service/settings_policies.html", "policies", policies=policies)


def _policy_or_404(pk: int) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise Http404
    return policy


def _policy_save(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    form = PolicyForm(request.POST)
    status = INVALID
    if form.is_valid():
        try:
            if policy is None:
                saved = services.policy_create(actor=request.user, data=form.service_data())
                messages.success(request, _("The SLA policy “%(name)s” is added.") % {
                    "name": saved.name})  # fmt: skip
            else:
                saved = services.policy_update(
                    actor=request.user, policy=policy, version=form.cleaned_data["version"],
                    data=form.service_data(),
                )  # fmt: skip
                messages.success(request, _("The SLA policy “%(name)s” is saved.") % {
                    "name": saved.name})  # fmt: skip
            return redirect("service:settings-policies")
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StaleVersion as exc:
            form.add_error(None, str(exc.message))
            status = STALE
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
    return _page(request, "service/settings_policy_form.html", "policies", status=status,
                 form=form, policy=policy)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def policy_create(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    if request.method == "POST":
        return _policy_save(request, None)
    form = PolicyForm(initial=PolicyForm.initial_for(None))
    return _page(request, "service/settings_policy_form.html", "policies", form=form, policy=None)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_configurator(request.user)
    policy = _policy_or_404(pk)
    if request.method == "POST":
        return _policy_save(request, policy)
    form = PolicyForm(initial=PolicyForm.initial_for(policy))
    return _page(request, "service/settings_policy_form.html", "policies", form=form,
                 policy=policy)  # fmt: skip


@login_required
@require_POST
def policy_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a policy off (requests keep the deadlines it gave them) or back on."""
    _ensure_configurator(request.user)
    policy = _policy_or_404(pk)
    active = request.POST.get("is_active") == "1"
    try:
        services.policy_update(actor=request.user, policy=policy,
                               version=_version(request.POST.get("version")),
                               data={"is_active": active})  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        text = _("“%(name)s” is active again.") if active else _("“%(name)s” is switched off.")
        messages.success(request, text % {"name": policy.name})
    return redirect("service:settings-policies")


# --- Request categories ------------------------------------------------------------------------


def _categories_page(
    request: HttpRequest, *, add: CategoryForm | None = None,
    bound: tuple[int, CategoryForm] | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    categories = list(
        Category.objects.annotate(request_count=Count("requests")).order_by("position", "name")
    )
    rows = []
    for category in categories:
        if bound is not None and bound[0] == category.pk:
            form = bound[1]
        else:
            form = CategoryForm(initial=CategoryForm.initial_for(category),
                                prefix=f"category-{category.pk}")  # fmt: skip
        rows.append((category, form))
    add = add or CategoryForm(prefix="new")
    return _page(request, "service/settings_categories.html", "categories", status=status,
                 rows=rows, add_form=add)  # fmt: skip


def _category_or_404(pk: int) -> Category:
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    return category


@login_required
@require_http_methods(["GET", "POST"])
def category_list(request: HttpRequest) -> HttpResponse:
    """The categories, and (POST) a new one, put last unless a position is given."""
    _ensure_configurator(request.user)
    if request.method == "GET":
        return _categories_page(request)
    form = CategoryForm(request.POST, prefix="new")
    if form.is_valid():
        data = {**form.service_data(), "is_active": True}
        if "position" not in data:
            last = Category.objects.order_by("-position").values_list("position", flat=True)
            data["position"] = (last.first() or 0) + 1
        try:
            category = services.category_save(actor=request.user, category=None, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The category “%(name)s” is added.") % {
                "name": category.name})  # fmt: skip
            return redirect("service:settings-categories")
    return _categories_page(request, add=form, status=INVALID)


@login_required
@require_POST
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename, renumber, switch off or on one category."""
    _ensure_configurator(request.user)
    category = _category_or_404(pk)
    form = CategoryForm(request.POST, prefix=f"category-{pk}")
    if form.is_valid():
        try:
            services.category_save(actor=request.user, category=category,
                                   data=form.service_data())  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The category “%(name)s” is saved.") % {
                "name": category.name})  # fmt: skip
            return redirect("service:settings-categories")
    return _categories_page(request, bound=(pk, form), status=INVALID)


@login_required
@require_POST
def category_move(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_configurator(request.user)
    category = _category_or_404(pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    settings_services.category_move(actor=request.user, category=category, step=step)
    return redirect(reverse("service:settings-categories") + f"#category-{pk}")


# --- Work calendar ------------------------------------------------------------------------------


def _calendar_page(
    request: HttpRequest, *, week: CalendarForm | None = None,
    day: CalendarDayForm | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    org = organisation.current()
    today = timezone.localdate(timezone=org.tz)
    if week is None:
        initial = {"work_days": list(org.work_days), "work_starts": org.work_starts,
                   "work_ends": org.work_ends}  # fmt: skip
        week = CalendarForm(initial=initial)
    return _page(
        request, "service/settings_calendar.html", "calendar", status=status, week_form=week,
        day_form=day or CalendarDayForm(), upcoming=settings_services.calendar_days_ahead(today),
        today=today,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    """The working week and hours (POST saves them), and the calendar's exceptions."""
    _ensure_configurator(request.user)
    if request.method == "GET":
        return _calendar_page(request)
    form = CalendarForm(request.POST)
    if form.is_valid():
        try:
            settings_services.work_calendar_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The working week is saved. New deadlines follow it."))
            return redirect("service:settings-calendar")
    return _calendar_page(request, week=form, status=INVALID)


@login_required
@require_POST
def calendar_day_add(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        try:
            entry = settings_services.calendar_day_add(actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(day)s is added to the calendar.") % {
                "day": _date(entry)})  # fmt: skip
            return redirect("service:settings-calendar")
    return _calendar_page(request, day=form, status=INVALID)


@login_required
@require_POST
def calendar_day_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_configurator(request.user)
    entry = CalendarDay.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404
    settings_services.calendar_day_remove(actor=request.user, entry=entry)
    messages.success(request, _("%(day)s is removed from the calendar.") % {"day": _date(entry)})
    return redirect("service:settings-calendar")


def _date(entry: CalendarDay) -> str:
    return date_format(entry.day, "SHORT_DATE_FORMAT")


# --- Surveys -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def surveys(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    org = organisation.current()
    if request.method == "GET":
        form = SurveySettingsForm(initial={
            "surveys_enabled": org.surveys_enabled, "survey_valid_days": org.survey_valid_days,
            "survey_follow_up_max_score": org.survey_follow_up_max_score,
        })  # fmt: skip
        return _page(request, "service/settings_surveys.html", "surveys", form=form)
    form = SurveySettingsForm(request.POST)
    if form.is_valid():
        try:
            settings_services.survey_settings_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The survey settings are saved."))
            return redirect("service:settings-surveys")
    return _page(request, "service/settings_surveys.html", "surveys", status=INVALID, form=form)


urlpatterns = [
    path("settings/", settings_home, name="settings"),
    path("settings/sla/", policy_list, name="settings-policies"),
    path("settings/sla/new/", policy_create, name="settings-policy-create"),
    path("settings/sla/<int:pk>/", policy_edit, name="settings-policy-edit"),
    path("settings/sla/<int:pk>/active/", policy_set_active, name="settings-policy-active"),
    path("settings/categories/", category_list, name="settings-categories"),
    path("settings/categories/<int:pk>/", category_edit, name="settings-category-edit"),
    path("settings/categories/<int:pk>/move/", category_move, name="settings-category-move"),
    path("settings/calendar/", calendar, name="settings-calendar"),
    path("settings/calendar/days/", calendar_day_add, name="settings-calendar-day-add"),
    path(
        "settings/calendar/days/<int:pk>/delete/",
        calendar_day_delete,
        name="settings-calendar-day-delete",
    ),
    path("settings/surveys/", surveys, name="settings-surveys"),
]
