"""Writes of web forms: their settings, and every submission a form's public address gets.

A form captures leads or takes client requests (its ``purpose``); both kinds of form
share the public address, the spam, origin, rate and duplicate rules and the round robin
over the responsible team.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.activities.models import NotificationKind
from voronka.activities.services import notify
from voronka.core import services as base
from voronka.core.errors import NotAllowed
from voronka.core.text import normalize_email, normalize_phone
from voronka.core.visibility import Family, can_write, sees_everything
from voronka.sales.models import Lead
from voronka.sales.services import lead_create
from voronka.service.models import Channel
from voronka.service.models import Request as ClientRequest
from voronka.service.services import may_take_requests, request_create, request_note
from voronka.webforms import conf
from voronka.webforms.models import (
    RESERVED_NAMES,
    STANDARD_FIELDS,
    STANDARD_LABELS,
    UTM_FIELDS,
    Purpose,
    WebForm,
    WebFormSubmission,
    new_key,
)
from voronka.webforms.public import PublicForm, honeypot_filled, tracking

FORM_FIELDS = {
    "name", "purpose", "fields", "required_fields", "extra_fields", "source", "pipeline", "team",
    "request_kind", "request_category", "request_product", "success_message", "redirect_url",
    "allowed_origins", "is_active",
}  # fmt: skip
MAX_EXTRA_FIELDS = 20
EXTRA_LABEL_MAX_LENGTH = 100
_EXTRA_KEY = re.compile(r"^x[0-9]{1,4}$")
# Each kept value of a submission's payload is cut to this many characters.
PAYLOAD_VALUE_MAX = 5000
# A request's subject is the start of the client's message: what a queue row has room for.
REQUEST_SUBJECT_MAX = 120
Result = WebFormSubmission.Result


# --- Settings --------------------------------------------------------------------------


def _ensure_configurator(actor: Any) -> None:
    if not can_write(actor, Family.CATALOG, None):
        raise NotAllowed(_("Only an administrator or the head of sales sets up web forms."))


def _origin(raw: str) -> str:
    """``https://Example.com/contact`` → ``https://example.com``; refuses what is no site."""
    parts = urlsplit(raw.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            {
                "allowed_origins": _(
                    "«%(value)s» is not a site address: write it as https://example.com."
                )
                % {"value": raw.strip()}
            }
        )
    host = parts.hostname.lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def _clean_extra_fields(raw: Any) -> list[dict[str, Any]]:
    """Custom fields with stable keys: existing keys stay, new fields get the next ``xN``."""
    rows = [dict(row) for row in raw or [] if str(row.get("label", "")).strip()]
    if len(rows) > MAX_EXTRA_FIELDS:
        raise ValidationError(
            {"extra_fields": _("A form has at most %(n)s custom fields.") % {"n": MAX_EXTRA_FIELDS}}
        )
    used: set[str] = set()
    for row in rows:
        key = str(row.get("key") or "")
        if key and (not _EXTRA_KEY.match(key) or key in used or key in RESERVED_NAMES):
            raise ValidationError({"extra_fields": _("Custom fields have bad keys.")})
        if key:
            used.add(key)
    numbers = [int(k[1:]) for k in used]
    next_number = max(numbers, default=0) + 1
    cleaned = []
    for row in rows:
        label = str(row["label"]).strip()
        if len(label) > EXTRA_LABEL_MAX_LENGTH:
            raise ValidationError(
                {
                    "extra_fields": _("A custom field's label is at most %(n)s characters long.")
                    % {"n": EXTRA_LABEL_MAX_LENGTH}
                }
            )
        key = str(row.get("key") or "")
        if not key:
            key = f"x{next_number}"
            next_number += 1
        cleaned.append({"key": key, "label": label, "required": bool(row.get("required"))})
    return cleaned


def _validate_form(form: WebForm) -> None:
    """The settings make sense together; errors name the setting."""
    errors: dict[str, str] = {}
    shown = [name for name in STANDARD_FIELDS if name in set(form.fields or [])]
    unknown = set(form.fields or []) - set(STANDARD_FIELDS)
    takes_requests = form.purpose == Purpose.REQUEST
    if unknown:
        errors["fields"] = _("Unknown field: %(name)s.") % {"name": ", ".join(sorted(unknown))}
    elif "email" not in shown and "phone" not in shown:
        if takes_requests:
            errors["fields"] = _("Show the e-mail or the phone: nobody could answer the client.")
        else:
            errors["fields"] = _("Show the e-mail or the phone: a lead nobody can reach is no use.")
    elif takes_requests and "message" not in shown:
        errors["fields"] = _("Show the message: it is the client's request.")
    if takes_requests and form.request_category is not None and not form.request_category.is_active:
        errors["request_category"] = _("This category is switched off: choose another.")
    hidden_required = [n for n in form.required_fields or [] if n not in shown]
    if hidden_required and "fields" not in errors:
        errors["required_fields"] = _("A required field must be shown: %(names)s.") % {
            "names": ", ".join(str(STANDARD_LABELS.get(n, n)) for n in hidden_required)
        }
    if form.redirect_url and urlsplit(form.redirect_url).scheme not in ("http", "https"):
        errors["redirect_url"] = _("Enter an address starting with https:// or http://.")
    if errors:
        raise ValidationError(errors)
    form.fields = shown
    required = set(form.required_fields or [])
    if takes_requests:
        required.add("message")  # a request without its text is nothing to answer
    form.required_fields = [n for n in shown if n in required]
    form.allowed_origins = list(dict.fromkeys(_origin(o) for o in form.allowed_origins or []))
    form.extra_fields = _clean_extra_fields(form.extra_fields)
    form.name = (form.name or "").strip()
    form.success_message = (form.success_message or "").strip()


@transaction.atomic
def webform_create(*, actor: Any, data: Mapping[str, Any]) -> WebForm:
    """A new web form with its own secret address."""
    _ensure_configurator(actor)
    base.reject_unknown(data, FORM_FIELDS)
    form = WebForm(**data)
    _validate_form(form)
    base.validate(form, exclude=["created_by", "last_assignee"])
    return base.create(form, actor=actor)


@transaction.atomic
def webform_update(
    *, actor: Any, form: WebForm, version: int | None, data: Mapping[str, Any]
) -> WebForm:
    """Change a form's settings; a stale ``version`` is refused (two people editing)."""
    _ensure_configurator(actor)
    base.reject_unknown(data, FORM_FIELDS)
    base.apply_changes(form, data)
    _validate_form(form)
    base.validate(form, exclude=["created_by", "last_assignee"])
    return base.save_changes(form, actor=actor, version=version, fields=sorted(FORM_FIELDS))


@transaction.atomic
def webform_rotate_key(*, actor: Any, form: WebForm, version: int | None) -> WebForm:
    """Give the form a new public address; the old one stops answering at once."""
    _ensure_configurator(actor)
    form.key = new_key()
    return base.save_changes(form, actor=actor, version=version, fields=["key"], reason="new key")


@transaction.atomic
def submissions_forget(*, before: Any) -> int:
    """Drop submissions that made nothing, received before ``before``; the leads and
    requests made keep theirs."""
    made_no_lead = [Result.SPAM, Result.INVALID, Result.RATE_LIMITED, Result.DUPLICATE]
    deleted, _rows = WebFormSubmission.objects.filter(
        received_at__lt=before, result__in=made_no_lead
    ).delete()
    return deleted


# --- Submissions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """What the request tells about who sent a submission, and from where."""

    ip: str | None = None
    user_agent: str = ""
    referrer: str = ""  # the Referer header, used when the form sends no ``referrer`` field
    origin: str = ""  # the Origin header; empty for posts from servers and scripts


def origin_allowed(form: WebForm, origin: str) -> bool:
    """No list: any site may post. A list: only those sites (requests with no Origin pass)."""
    if not form.allowed_origins or not origin:
        return True
    return origin.lower().rstrip("/") in form.allowed_origins


def _payload(form: WebForm, data: Mapping[str, Any]) -> dict[str, str]:
    """What is kept of the request: the form's own fields and tracking, cut to length."""
    names = [*form.fields, *(x["key"] for x in form.extra_fields)]
    kept = {
        name: str(data[name])[:PAYLOAD_VALUE_MAX]
        for name in names
        if data.get(name) not in (None, "")
    }
    kept.update({k: v for k, v in tracking(data).items() if v})
    return kept


def _fingerprint(form: WebForm, answers: Mapping[str, Any]) -> str:
    """The answers with e-mail and phone normalised: equal answers, equal hash."""
    normal = {name: " ".join(str(value).split()) for name, value in answers.items() if value}
    if "email" in normal:
        normal["email"] = normalize_email(normal["email"])
    if "phone" in normal:
        normal["phone"] = normalize_phone(normal["phone"])
    blob = json.dumps([form.pk, sorted(normal.items())], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _record(
    form: WebForm, visit: Visit, payload: Mapping[str, Any], result: str, **more: Any
) -> WebFormSubmission:
    return WebFormSubmission.objects.create(
        form=form,
        ip=visit.ip,
        user_agent=visit.user_agent[:500],
        payload=dict(payload),
        result=result,
        **more,
    )


def _rate_limited(form: WebForm, ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - timedelta(seconds=conf.rate_window())
    recent = WebFormSubmission.objects.filter(form=form, ip=ip, received_at__gte=since)
    return recent.count() >= conf.rate_limit()


def _earlier(form: WebForm, submission_id: str, fingerprint: str) -> WebFormSubmission | None:
    """The submission that already made a lead from these answers, if any."""
    made_lead = [Result.CREATED, Result.ATTACHED]
    if submission_id:
        same = WebFormSubmission.objects.filter(
            form=form, submission_id=submission_id, result__in=[*made_lead, Result.DUPLICATE]
        ).first()
        if same is not None:
            return same
    since = timezone.now() - timedelta(seconds=conf.duplicate_window())
    return (
        WebFormSubmission.objects.filter(
            form=form, fingerprint=fingerprint, received_at__gte=since, result__in=made_lead
        )
        .order_by("-received_at", "-pk")
        .first()
    )


def _next_assignee(form: WebForm) -> User | None:
    """Round robin over the team, in a fixed order, after the last one: its active
    managers take leads; its members who work client requests take requests.

    ``form`` is the row locked by the caller, so two simultaneous submissions read the
    cursor one after the other and never pick the same person twice in a row.
    """
    if form.team_id is None:
        return None
    members = User.objects.filter(team_id=form.team_id, is_active=True).order_by("pk")
    if form.takes_requests:
        people = [user for user in members if may_take_requests(user)]
    else:
        people = list(members.filter(role=Role.MANAGER))
    if not people:
        return None
    last = form.last_assignee_id or 0
    return next((p for p in people if p.pk > last), people[0])


def _receiver(form: WebForm) -> User | None:
    """Who takes a lead nobody in the team can: the form's author, else any head of sales."""
    author = form.created_by
    if author is not None and sees_everything(author):
        return author
    heads = User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.HEAD_OF_SALES])
    return heads.order_by("-role", "pk").first()


def _lead_notes(form: WebForm, answers: Mapping[str, Any], referrer: str) -> str:
    """The message, the custom answers and where the lead came from, for the lead's card."""
    with translation.override(settings.LANGUAGE_CODE):
        lines: list[str] = []
        if answers.get("message"):
            lines += [str(answers["message"]), ""]
        for extra in form.extra_fields:
            value = answers.get(extra["key"])
            if value:
                lines.append(f"{extra['label']}: {value}")
        lines.append(_("Web form: %(name)s") % {"name": form.name})
        if form.pipeline_id is not None:
            lines.append(_("Pipeline: %(name)s") % {"name": form.pipeline})
        if referrer:
            lines.append(_("Page: %(url)s") % {"url": referrer})
        return "\n".join(lines)


def _lead_title(form: WebForm, answers: Mapping[str, Any]) -> str:
    who = next(
        (str(answers[n]) for n in ("name", "company", "email", "phone") if answers.get(n)), ""
    )
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(form)s: %(who)s") % {"form": form.name, "who": who} if who else form.name
    return title[:250]


def _notify(recipient: User, form: WebForm, lead: Lead, *, assigned: bool) -> None:
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        if assigned:
            title = _("New lead from the web form «%(form)s»: %(lead)s")
        else:
            title = _("A lead from the web form «%(form)s» has nobody to take it: %(lead)s")
        notify(
            recipient=recipient,
            kind=NotificationKind.LEAD_ASSIGNED,
            task=None,
            title=title % {"form": form.name, "lead": lead.title},
            url=reverse("sales:lead-detail", args=[lead.pk]),
        )


def _make_lead(
    form: WebForm, answers: Mapping[str, Any], track: Mapping[str, str]
) -> tuple[Lead, User | None]:
    assignee = _next_assignee(form)
    actor = assignee or _receiver(form)
    data: dict[str, Any] = {
        "title": _lead_title(form, answers),
        "contact_name": answers.get("name", ""),
        "company_name": answers.get("company", ""),
        "phone": answers.get("phone", ""),
        "email": answers.get("email", ""),
        "source": form.source,
        "owner": assignee,
        "notes": _lead_notes(form, answers, track.get("referrer", "")),
        **{name: track.get(name, "") for name in UTM_FIELDS},
    }
    lead = lead_create(actor=actor, data=data)
    if assignee is not None:
        WebForm.all_objects.filter(pk=form.pk).update(last_assignee=assignee)
        form.last_assignee = assignee
        _notify(assignee, form, lead, assigned=True)
    elif actor is not None:
        _notify(actor, form, lead, assigned=False)
    return lead, assignee


_LEAD_TO_FORM_FIELD = {"contact_name": "name", "company_name": "company", "title": "name"}


def _request_subject(form: WebForm, answers: Mapping[str, Any]) -> str:
    """The start of the client's message, on one line; what the queue shows of it."""
    text = " ".join(str(answers.get("message") or "").split())
    if not text:
        return _lead_title(form, answers)
    if len(text) <= REQUEST_SUBJECT_MAX:
        return text
    return text[: REQUEST_SUBJECT_MAX - 1].rstrip() + "…"


def _request_context(form: WebForm, answers: Mapping[str, Any], referrer: str) -> str:
    """What the form asked besides the message, and where it was sent from: an internal
    note under the client's message, so the message stays as the client wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        lines: list[str] = []
        if answers.get("company"):
            lines.append(_("Company: %(name)s") % {"name": answers["company"]})
        for extra in form.extra_fields:
            value = answers.get(extra["key"])
            if value:
                lines.append(f"{extra['label']}: {value}")
        lines.append(_("Web form: %(name)s") % {"name": form.name})
        if referrer:
            lines.append(_("Page: %(url)s") % {"url": referrer})
        return "\n".join(lines)


def _known_contact(answers: Mapping[str, Any]) -> Any:
    """The contact the e-mail or phone belongs to, found as a lead's would be."""
    from voronka.clients.queries import contact_duplicates

    email = normalize_email(str(answers.get("email") or ""))
    phone = normalize_phone(str(answers.get("phone") or ""))
    if not (email or phone):
        return None
    return contact_duplicates(email=email, phone=phone).order_by("pk").first()


def _make_request(
    form: WebForm, answers: Mapping[str, Any], track: Mapping[str, str]
) -> tuple[ClientRequest, User | None]:
    """A client request in the team's round robin, or in the queue when nobody in the
    team takes requests; the assignee is told by the request service."""
    assignee = _next_assignee(form)
    category = form.request_category
    product = form.request_product
    data: dict[str, Any] = {
        "subject": _request_subject(form, answers),
        "contact": _known_contact(answers),
        "client_name": answers.get("name", ""),
        "client_email": answers.get("email", ""),
        "client_phone": answers.get("phone", ""),
        "kind": form.request_kind,
        "category": category if category is not None and category.is_active else None,
        "product": product if product is not None and product.is_active else None,
        "channel": Channel.WEB_FORM,
        "assignee": assignee,
    }
    request = request_create(actor=None, data=data, message=str(answers.get("message") or ""))
    request_note(
        actor=None, request=request, body=_request_context(form, answers, track.get("referrer", ""))
    )
    if assignee is not None:
        WebForm.all_objects.filter(pk=form.pk).update(last_assignee=assignee)
        form.last_assignee = assignee
    return request, assignee


_REQUEST_TO_FORM_FIELD = {
    "client_name": "name", "client_email": "email", "client_phone": "phone", "subject": "message",
}  # fmt: skip


def _refused(checked: PublicForm, exc: ValidationError, aliases: Mapping[str, str]) -> None:
    """The record's own rules refused a value the visitor's form let through: the
    error goes under the field the visitor filled in."""
    for name, messages in exc.message_dict.items():
        field = aliases.get(name, name)
        for message in messages:
            checked.add_error(field if field in checked.fields else None, message)


@transaction.atomic
def submission_receive(
    *, form: WebForm, data: Mapping[str, Any], visit: Visit
) -> tuple[WebFormSubmission, PublicForm]:
    """Take one POST to a form's public address: a lead or a client request (as the
    form's purpose says), or the reason there is none.

    In order: too many posts from one address (rate limited), a post from a site the
    form does not allow, the honeypot filled (spam: answered as a success, nothing made),
    bad answers (invalid), the same answers again (duplicate: answered as a success, the
    first lead or request stands), else a lead or request in the team's round robin —
    "attached" when its e-mail or phone belongs to a known contact. Every outcome is
    recorded.

    The form's row stays locked until the commit, so submissions to one form are taken
    one at a time: the rate limit, the duplicate check and the round robin each see
    the previous submission.
    """
    form = (
        WebForm.objects.select_for_update(of=("self",))
        .select_related("created_by", "pipeline", "source")
        .get(pk=form.pk)
    )
    checked = PublicForm(form, data=data)
    payload = _payload(form, data)
    track = tracking(data)
    referrer = track.get("referrer") or visit.referrer[:1000]
    track = {**track, "referrer": referrer}
    more: dict[str, Any] = {"referrer": referrer, "submission_id": track["submission_id"]}

    if _rate_limited(form, visit.ip):
        return _record(form, visit, payload, Result.RATE_LIMITED, **more), checked
    if not origin_allowed(form, visit.origin):
        errors = {"origin": [_("This site may not send this form.")]}
        return _record(form, visit, payload, Result.INVALID, errors=errors, **more), checked
    if honeypot_filled(data):
        return _record(form, visit, payload, Result.SPAM, **more), checked
    if not checked.is_valid():
        errors = {name: [str(m) for m in msgs] for name, msgs in checked.errors.items()}
        return _record(form, visit, payload, Result.INVALID, errors=errors, **more), checked

    answers = checked.cleaned_data
    fingerprint = _fingerprint(form, answers)
    more["fingerprint"] = fingerprint
    earlier = _earlier(form, track["submission_id"], fingerprint)
    if earlier is not None:
        made = {"lead": earlier.lead, "request": earlier.request}
        return _record(form, visit, payload, Result.DUPLICATE, **made, **more), checked
    record: Lead | ClientRequest
    try:
        # A savepoint: a refused record leaves nothing half made behind the submission.
        with transaction.atomic():
            if form.takes_requests:
                record, _assignee = _make_request(form, answers, track)
            else:
                record, _assignee = _make_lead(form, answers, track)
    except ValidationError as exc:
        aliases = _REQUEST_TO_FORM_FIELD if form.takes_requests else _LEAD_TO_FORM_FIELD
        _refused(checked, exc, aliases)
        errors = {name: [str(m) for m in msgs] for name, msgs in checked.errors.items()}
        return _record(form, visit, payload, Result.INVALID, errors=errors, **more), checked
    result = Result.ATTACHED if record.contact_id else Result.CREATED
    made = {"request": record} if form.takes_requests else {"lead": record}
    return _record(form, visit, payload, result, **made, **more), checked
