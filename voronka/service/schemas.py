"""API shapes of client requests, their threads, categories and SLA policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator

from voronka.core.api import Id, ListParams, PageOut, Ref, Text, Version
from voronka.service.models import Survey
from voronka.service.services import MAX_BODY

# Spelled out for type checkers and the schema; a test keeps them equal to the models' choices.
RequestKind = Literal["question", "complaint", "order_problem", "other"]
RequestPriority = Literal["low", "normal", "high", "urgent"]
RequestChannel = Literal["phone", "email", "web_form", "api", "in_person"]
RequestStatus = Literal["new", "in_progress", "waiting", "resolved", "closed", "reopened"]
SlaClock = Literal["calendar", "working"]
RequestSort = Literal["-created", "created", "-updated"]

REQUEST_SORTS: dict[str, list[str]] = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-updated": ["-updated_at", "-id"],
}
Minutes = Annotated[int, Field(ge=1, le=2**31 - 1)]
Position = Annotated[int, Field(ge=0, le=32767)]
# A clock running a little ahead of ours is no reason to refuse a client's message.
CLOCK_SKEW = timedelta(minutes=5)


def _not_in_future(value: datetime) -> datetime:
    if timezone.is_naive(value):  # the organisation's time, as the pages read it
        value = timezone.make_aware(value)
    if value > timezone.now() + CLOCK_SKEW:
        raise ValueError("must not be in the future")
    return value.astimezone(UTC)


PastTime = Annotated[datetime, AfterValidator(_not_in_future)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**more: Any) -> Any:
    """A field a PATCH may leave out (as ``core.api.optional``), with constraints."""
    return Field(default=None, json_schema_extra=_no_default, **more)


# --- Requests ------------------------------------------------------------------------------


class SurveyOut(Schema):
    sent_at: datetime = Field(description="When the survey was sent.")
    expires_at: datetime
    answered_at: datetime | None
    score: int | None = Field(description="1–5; null until the client answers.")
    comment: str

    @staticmethod
    def resolve_sent_at(obj: Survey) -> datetime:
        return obj.created_at


class RequestOut(Schema):
    id: int
    subject: str
    kind: str
    priority: str
    channel: str
    status: str
    is_open: bool
    company: Ref | None
    contact: Ref | None
    client_name: str
    client_email: str
    client_phone: str
    category: Ref | None
    product: Ref | None
    deal: Ref | None
    assignee: Ref | None
    sla_policy: Ref | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    next_due_at: datetime | None = Field(description="The nearest deadline still ahead.")
    first_response_breached: bool = Field(description="Answered late, or not answered in time.")
    resolution_breached: bool = Field(description="Resolved late, or not resolved in time.")
    breached: bool = Field(
        description="A target is missed as of now: either flag, or a deadline passed unmet."
    )
    first_response_at: datetime | None
    first_response_by: Ref | None
    resolved_at: datetime | None
    resolved_by: Ref | None
    closed_at: datetime | None
    reopened_at: datetime | None
    reopen_count: int
    survey: SurveyOut | None = Field(description="The satisfaction survey, once one was sent.")
    created_at: datetime = Field(description="When the request was received.")
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_breached(obj: Any) -> bool:
        now = timezone.now()
        return bool(
            obj.first_response_breached
            or obj.resolution_breached
            or (obj.first_response_at is None and _before(obj.first_response_due_at, now))
            or (obj.resolved_at is None and _before(obj.resolution_due_at, now))
        )

    @staticmethod
    def resolve_survey(obj: Any) -> Survey | None:
        # Prefetched, oldest first: the list costs one query for every row's survey.
        surveys = list(obj.surveys.all())
        return surveys[-1] if surveys else None


def _before(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment < now


class RequestPage(PageOut):
    items: list[RequestOut]


class RequestFields(Schema):
    subject: Text = optional(max_length=250)
    company: Id | None = optional()
    contact: Id | None = optional(description="A contact of a company brings the company along.")
    deal: Id | None = optional()
    client_name: Text = optional(
        max_length=200,
        description="As the client introduced themselves; default: the contact's name.",
    )
    client_email: Text = optional(
        max_length=254, description="Where replies go; default: the contact's e-mail."
    )
    client_phone: Text = optional(max_length=40)
    kind: RequestKind = optional()
    category: Id | None = optional()
    product: Id | None = optional()
    channel: RequestChannel = optional()
    priority: RequestPriority = optional()
    assignee: Id | None = optional()


class RequestIn(RequestFields):
    subject: Text = Field(..., max_length=250)
    channel: RequestChannel = Field(default="api", description="Default: api.")
    message: Text = Field(
        "", max_length=MAX_BODY, description="What the client wrote or said: the thread's start."
    )
    received_at: PastTime | None = Field(
        None, description="When the client wrote; default: now. SLA deadlines count from it."
    )


class RequestPatch(RequestFields):
    version: Version


class RequestFilters(ListParams):
    status: RequestStatus | None = None
    open: bool = Field(
        False, description="Open requests only (new, in progress, waiting, reopened)."
    )
    assignee: Id | None = None
    unassigned: bool = Field(False, description="Requests nobody took yet (the queue).")
    kind: RequestKind | None = None
    category: Id | None = None
    product: Id | None = None
    priority: RequestPriority | None = None
    channel: RequestChannel | None = None
    company: Id | None = None
    contact: Id | None = None
    breached: bool = Field(False, description="Requests that missed an SLA target.")
    created_from: datetime | None = Field(None, description="Received from this moment on.")
    created_to: datetime | None = Field(None, description="Received before this moment.")
    resolved_from: datetime | None = Field(None, description="Resolved from this moment on.")
    resolved_to: datetime | None = Field(None, description="Resolved before this moment.")
    q: Text = Field("", max_length=200, description="#number, subject, client name or e-mail.")
    sort: RequestSort = Field("-created", description="Newest first by default.")


class StatusIn(Schema):
    status: RequestStatus


# --- The thread ------------------------------------------------------------------------------


class MessageOut(Schema):
    id: int
    request_id: int
    kind: str
    body: str
    author: Ref | None = Field(description="The staff member; null for the client's messages.")
    created_at: datetime
    email_to: str = Field(description="Replies: the address the reply is e-mailed to.")
    email_status: str
    email_sent_at: datetime | None


class MessagePage(PageOut):
    items: list[MessageOut]


class ReplyIn(Schema):
    body: Text
    status: RequestStatus | None = Field(
        None,
        description=(
            "Move the request on with the reply (waiting, resolved …). Default: a new or "
            "reopened request is taken in work."
        ),
    )


class ClientMessageIn(Schema):
    body: Text
    at: PastTime | None = Field(None, description="When the client wrote; default: now.")


class NoteIn(Schema):
    body: Text


# --- Categories and SLA policies --------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    is_active: bool
    position: int


class CategoryPage(PageOut):
    items: list[CategoryOut]


class CategoryFilters(ListParams):
    active: bool = Field(False, description="Active categories only.")


class PolicyOut(Schema):
    id: int
    name: str
    kind: str = Field(description="Empty: any kind.")
    priority: str = Field(description="Empty: any priority.")
    first_response_minutes: int | None
    resolution_minutes: int | None
    clock: str
    warn_minutes_before: int
    is_active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class PolicyPage(PageOut):
    items: list[PolicyOut]


class PolicyFields(Schema):
    name: Text = optional(max_length=120)
    kind: RequestKind | Literal[""] = optional()
    priority: RequestPriority | Literal[""] = optional()
    first_response_minutes: Minutes | None = optional()
    resolution_minutes: Minutes | None = optional()
    clock: SlaClock = optional()
    warn_minutes_before: Annotated[int, Field(ge=0, le=2**31 - 1)] = optional()
    is_active: bool = optional()


class PolicyIn(PolicyFields):
    name: Text = Field(..., max_length=120)


class PolicyPatch(PolicyFields):
    version: Version
