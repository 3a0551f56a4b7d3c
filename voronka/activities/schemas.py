"""API shapes of activities, tasks, the timeline and notifications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema, field_validator

from voronka.accounts.services import MAX_REMINDER_MINUTES
from voronka.core.api import DecimalStr, Id, ListParams, PageOut, Ref, Text, Version, optional
from voronka.sales.schemas import StageRef

# Spelled out for type checkers; a test keeps them equal to the models' choices.
ActivityKind = Literal["call", "meeting", "email", "message", "note"]
Direction = Literal["in", "out"]
Outcome = Literal["reached", "no_answer", "busy", "voicemail", "wrong_number"]
TaskPriority = Literal["low", "normal", "high", "urgent"]
TaskStatus = Literal["open", "in_progress", "done", "cancelled"]
NotificationKindName = Literal[
    "task_reminder",
    "task_overdue",
    "task_escalated",
    "task_assigned",
    "lead_assigned",
    "import_finished",
    "webhook_disabled",
    "request_assigned",
    "request_client_reply",
    "sla_warning",
    "sla_breached",
    "low_satisfaction",
    "order_overdue",
]
TimelineKind = Literal["call", "meeting", "email", "message", "note", "stage"]

RemindMinutes = Annotated[int, Field(ge=0, le=MAX_REMINDER_MINUTES)]
Seconds = Annotated[int, Field(ge=0, le=2**31 - 1)]


# --- Activities --------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    occurred_at: datetime
    author: Ref
    direction: str
    duration_seconds: int | None
    outcome: str
    ends_at: datetime | None
    place: str
    participants: str
    company: Ref | None
    contact: Ref | None
    deal: Ref | None
    lead: Ref | None
    created_at: datetime
    updated_at: datetime
    version: int


class ActivityPage(PageOut):
    items: list[ActivityOut]


class ActivityIn(Schema):
    kind: ActivityKind
    subject: Text = Field("", max_length=250)
    body: Text = ""
    occurred_at: datetime | None = Field(None, description="Default: now.")
    company: Id | None = None
    contact: Id | None = None
    deal: Id | None = Field(None, description="A deal brings its client along.")
    lead: Id | None = None
    direction: Direction | Literal[""] = ""
    duration_seconds: Seconds | None = None
    outcome: Outcome | Literal[""] = Field("", description="Calls only.")
    ends_at: datetime | None = Field(None, description="Meetings: when it ends.")
    place: Text = Field("", max_length=250)
    participants: Text = Field("", max_length=500)


class ActivityFilters(ListParams):
    company: Id | None = None
    contact: Id | None = None
    deal: Id | None = None
    lead: Id | None = None
    kind: ActivityKind | None = None
    author: Id | None = None
    occurred_from: datetime | None = Field(None, description="From this moment on (inclusive).")
    occurred_to: datetime | None = Field(None, description="Before this moment (exclusive).")


# --- Timeline ----------------------------------------------------------------------------


def _comma_separated(value: Any) -> Any:
    """``kinds=call,meeting`` reads as ``kinds=call&kinds=meeting``."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


class TimelineParams(Schema):
    company: Id | None = None
    contact: Id | None = None
    deal: Id | None = None
    kinds: Annotated[list[TimelineKind], BeforeValidator(_comma_separated)] = Field(
        default_factory=list, description="Activity kinds and/or `stage`; default: all."
    )
    before: datetime | None = Field(None, description="The `next_before` of the previous page.")
    limit: int = Field(30, ge=1, le=200)


class StageChangeOut(Schema):
    id: int
    deal: Ref
    from_stage: StageRef | None
    to_stage: StageRef
    moved_by: Ref | None
    moved_at: datetime


class TimelineEntryOut(Schema):
    type: Literal["activity", "stage_change"]
    at: datetime
    kind: TimelineKind
    activity: ActivityOut | None
    stage_change: StageChangeOut | None

    @staticmethod
    def resolve_type(obj: Any) -> str:
        return "activity" if obj.activity is not None else "stage_change"


# To the microsecond: the default JSON encoder stops at milliseconds, and a page
# boundary cut short would skip entries from the same millisecond.
ExactTime = Annotated[
    datetime,
    PlainSerializer(lambda at: at.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class TimelineOut(Schema):
    entries: list[TimelineEntryOut]
    next_before: ExactTime | None = Field(description="Pass as `before` for the next page.")


# --- Tasks -------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    title: str
    description: str
    assignee: Ref
    author: Ref
    due_at: datetime
    priority: str
    status: str
    is_active: bool
    remind_minutes_before: int | None
    completed_at: datetime | None
    completed_by: Ref | None
    company: Ref | None
    contact: Ref | None
    deal: Ref | None
    lead: Ref | None
    created_at: datetime
    updated_at: datetime
    version: int


class TaskPage(PageOut):
    items: list[TaskOut]


class TaskFields(Schema):
    title: Text = optional()
    description: Text = optional()
    due_at: datetime = optional()
    priority: TaskPriority = optional()
    company: Id | None = optional()
    contact: Id | None = optional()
    deal: Id | None = optional()
    lead: Id | None = optional()
    remind_minutes_before: RemindMinutes | None = optional()


class TaskIn(TaskFields):
    title: Text = Field(..., max_length=250)
    due_at: datetime
    assignee: Id | None = Field(None, description="Default: yourself.")


class TaskPatch(TaskFields):
    assignee: Id = optional()
    version: Version


class TaskCompleteIn(Schema):
    version: Version | None = Field(
        None, description="Optional: without it the task is completed whatever changed."
    )


class TaskStatusIn(Schema):
    status: TaskStatus
    version: Version


class TaskFilters(ListParams):
    assignee: Id | None = None
    status: TaskStatus | None = None
    active: bool = Field(False, description="Open or in progress only.")
    priority: TaskPriority | None = None
    due_from: datetime | None = Field(None, description="Due from this moment on (inclusive).")
    due_to: datetime | None = Field(None, description="Due before this moment (exclusive).")
    overdue: bool = False
    company: Id | None = None
    contact: Id | None = None
    deal: Id | None = None
    lead: Id | None = None


class DealBriefOut(Schema):
    id: int
    title: str
    stage: StageRef
    company: Ref | None
    contact: Ref | None
    amount: DecimalStr
    currency: str
    expected_close_date: date | None
    version: int


class MyDayOut(Schema):
    overdue: list[TaskOut]
    today: list[TaskOut]
    upcoming: list[TaskOut] = Field(description="The next seven days after today.")
    deals_without_next_step: list[DealBriefOut]


class TeamLoadOut(Schema):
    user: Ref
    open: int
    overdue: int


# --- Notifications -----------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    task: Ref | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(PageOut):
    items: list[NotificationOut]


class NotificationFilters(ListParams):
    unread: bool = Field(False, description="Unread ones only.")


class CountOut(Schema):
    count: int


class KindPreferenceOut(Schema):
    kind: NotificationKindName
    label: str
    in_app: bool
    email: bool


class PreferencesOut(Schema):
    reminder_minutes: int = Field(description="Default reminder before a task is due.")
    kinds: list[KindPreferenceOut]


class KindPreferenceIn(Schema):
    kind: NotificationKindName
    in_app: bool
    email: bool


class PreferencesIn(Schema):
    reminder_minutes: RemindMinutes | None = Field(None, description="Left out: unchanged.")
    kinds: list[KindPreferenceIn] = Field(
        default_factory=list, description="Kinds left out keep their setting."
    )

    @field_validator("kinds")
    @classmethod
    def _each_kind_once(cls, kinds: list[KindPreferenceIn]) -> list[KindPreferenceIn]:
        names = [k.kind for k in kinds]
        if len(names) != len(set(names)):
            raise ValueError("each kind at most once")
        return kinds
