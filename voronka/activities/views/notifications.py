"""The notification centre: the list, opening a notice, and how to be notified."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.services import user_set_reminder_minutes
from voronka.activities import queries, services
from voronka.activities.forms import NotificationSettingsForm
from voronka.activities.models import Notification, NotificationKind
from voronka.activities.views.common import safe_next
from voronka.core.forms import add_service_errors
from voronka.core.pagination import BadCursor, keyset_page

ORDERING = ["-created_at", "-id"]


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first; unread ones stand out."""
    user: Any = request.user
    unread_only = request.GET.get("unread") == "1"
    qs = queries.notifications_of(user, unread=unread_only)
    try:
        page = keyset_page(qs, ordering=ORDERING, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=ORDERING)
    return render(
        request,
        "activities/notification_list.html",
        {"page": page, "unread_only": unread_only},
    )


def _notification_or_404(user: Any, pk: int) -> Notification:
    try:
        return queries.notifications_of(user).get(pk=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and goes to what it is about."""
    user: Any = request.user
    note = _notification_or_404(user, pk)
    services.notification_mark_read(actor=user, notification=note)
    return redirect(safe_next(request, note.url) or "activities:notification-list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("activities:notification-list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Per kind of notice: in Voronka and/or by e-mail; and the default reminder time."""
    user: Any = request.user
    current = {kind: services.preference(user, kind) for kind in NotificationKind.values}
    initial = NotificationSettingsForm.initial_for(user, current)
    if request.method == "GET":
        form = NotificationSettingsForm(initial=initial)
        return _settings_page(request, form)
    form = NotificationSettingsForm(request.POST, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user_set_reminder_minutes(actor=user, minutes=data["reminder_minutes"])
                for kind in NotificationKind.values:
                    wanted = (data[f"{kind}-in_app"], data[f"{kind}-email"])
                    if wanted != current[kind]:
                        services.preference_set(
                            actor=user, kind=kind, in_app=wanted[0], email=wanted[1]
                        )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("activities:notification-settings")
    return _settings_page(request, form, status=422)


def _settings_page(
    request: HttpRequest, form: NotificationSettingsForm, status: int = 200
) -> HttpResponse:
    return render(request, "activities/notification_settings.html", {"form": form}, status=status)
