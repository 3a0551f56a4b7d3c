"""The pages where the administrator and the head of sales set web forms up."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.forms import service_errors
from voronka.webforms import queries, services
from voronka.webforms.forms import STANDARD_CHOICES, ExtraFieldFormSet, WebFormForm, extra_rows
from voronka.webforms.models import (
    CREATED_LABELS,
    HONEYPOT_FIELD,
    REFERRER_FIELD,
    SUBMISSION_ID_FIELD,
    UTM_FIELDS,
    WebForm,
    WebFormSubmission,
)
from voronka.webforms.public import PublicForm

SERVICE_ALIASES = {"fields": "shown"}
Result = WebFormSubmission.Result


def _ensure_configurator(user: Any) -> None:
    if not queries.may_configure(user):
        raise PermissionDenied(_("Only an administrator or the head of sales sets up web forms."))


def _form_or_404(user: Any, pk: int) -> WebForm:
    try:
        return queries.webform_card(user, pk)
    except WebForm.DoesNotExist as exc:
        raise Http404 from exc


def public_url(request: HttpRequest, form: WebForm) -> str:
    return request.build_absolute_uri(reverse("webforms:public", args=[form.key]))


def snippet(request: HttpRequest, form: WebForm) -> str:
    """The HTML to paste into a website: a plain form posting to the public address."""
    return render_to_string(
        "webforms/snippet.html",
        {
            "form": form,
            "fields": PublicForm(form),
            "action": public_url(request, form),
            "honeypot": HONEYPOT_FIELD,
            "tracking": [*UTM_FIELDS, REFERRER_FIELD, SUBMISSION_ID_FIELD],
            "utm_fields": UTM_FIELDS,
        },
        request=None,
    ).strip()


@login_required
@require_GET
def form_list(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    forms = list(queries.webform_list(request.user))
    return render(request, "webforms/form_list.html", {"forms": forms})


def _edit_page(
    request: HttpRequest,
    form: WebFormForm,
    formset: Any,
    webform: WebForm | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "webforms/form_edit.html",
        {"form": form, "formset": formset, "webform": webform},
        status=status,
    )


def _save(request: HttpRequest, webform: WebForm | None) -> HttpResponse:
    user: Any = request.user
    form = WebFormForm(request.POST)
    formset = ExtraFieldFormSet(request.POST, prefix="extra")
    if form.is_valid() and formset.is_valid():
        data = form.service_data(extra_rows(formset))
        with service_errors(form, SERVICE_ALIASES):
            if webform is None:
                webform = services.webform_create(actor=user, data=data)
                messages.success(
                    request, _("The web form is ready: paste its code into your site.")
                )
            else:
                webform = services.webform_update(
                    actor=user, form=webform, version=form.cleaned_data["version"], data=data
                )
                messages.success(request, _("The web form is saved."))
            return redirect("webforms:form-detail", pk=webform.pk)
    return _edit_page(request, form, formset, webform, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def form_create(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    if request.method == "POST":
        return _save(request, None)
    form = WebFormForm(initial=WebFormForm.initial_for(None))
    return _edit_page(request, form, ExtraFieldFormSet(prefix="extra"), None)


@login_required
@require_http_methods(["GET", "POST"])
def form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_configurator(request.user)
    webform = _form_or_404(request.user, pk)
    if request.method == "POST":
        return _save(request, webform)
    form = WebFormForm(initial=WebFormForm.initial_for(webform))
    formset = ExtraFieldFormSet(prefix="extra", initial=webform.extra_fields)
    return _edit_page(request, form, formset, webform)


@login_required
@require_GET
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_configurator(request.user)
    webform = _form_or_404(request.user, pk)
    result = request.GET.get("result", "")
    if result not in WebFormSubmission.Result.values:
        result = ""
    counts = queries.result_counts(request.user, webform)
    submissions = queries.recent_submissions(request.user, webform, result=result)
    _label_rows(webform, submissions)
    return render(
        request,
        "webforms/form_detail.html",
        {
            "webform": webform,
            "public_url": public_url(request, webform),
            "snippet": snippet(request, webform),
            "submissions": submissions,
            "result": result,
            "results": [
                (
                    value,
                    CREATED_LABELS[webform.purpose] if value == Result.CREATED else label,
                    counts.get(value, 0),
                )
                for value, label in Result.choices
            ],
            "total": sum(counts.values()),
            "field_labels": STANDARD_CHOICES,
        },
    )


def _label_rows(webform: WebForm, submissions: list[WebFormSubmission]) -> None:
    """Each submission's answers and errors under the labels the visitor saw."""
    labels: dict[str, str] = {name: str(label) for name, label in STANDARD_CHOICES}
    labels.update({extra["key"]: extra["label"] for extra in webform.extra_fields})
    labels["origin"] = _("Site")
    labels[NON_FIELD_ERRORS] = ""
    hidden = {SUBMISSION_ID_FIELD, REFERRER_FIELD}
    for submission in submissions:
        submission.label = submission.result_label(webform)  # type: ignore[attr-defined]
        submission.rows = [  # type: ignore[attr-defined]
            (labels.get(name, name), value)
            for name, value in submission.payload.items()
            if name not in hidden
        ]
        submission.error_rows = [  # type: ignore[attr-defined]
            (labels.get(name, name), message)
            for name, messages in submission.errors.items()
            for message in messages
        ]


@login_required
@require_POST
def form_rotate_key(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_configurator(request.user)
    webform = _form_or_404(request.user, pk)
    try:
        services.webform_rotate_key(
            actor=request.user, form=webform, version=_int(request.POST.get("version"))
        )
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        messages.success(
            request,
            _("The form has a new address. Paste the new code into your site: the old one "
              "no longer works."),
        )  # fmt: skip
    return redirect("webforms:form-detail", pk=webform.pk)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
