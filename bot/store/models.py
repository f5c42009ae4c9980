"""The tables (SQLModel). Schema changes go through a numbered migration in migrations/versions.

Times are timezone-aware UTC (`UTCDateTime`); presentation converts to the configured zone.
Overdue is never stored: it is computed from `due`, `status` and the caller's clock.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime


class Role(StrEnum):
    CONTACT = "contact"
    LEADER = "leader"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class TaskKind(StrEnum):
    MEASURE = "measure"
    MILESTONE = "milestone"


class TaskStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    REPORTED = "reported"
    CLOSED = "closed"
    RETURNED = "returned"
    EXTENSION_REQUESTED = "extension_requested"
    WITHDRAWN = "withdrawn"


# The statuses in which the department still owes work: only these can be overdue.
OPEN_STATUSES: tuple[str, ...] = (
    TaskStatus.PENDING,
    TaskStatus.IN_PROGRESS,
    TaskStatus.RETURNED,
    TaskStatus.EXTENSION_REQUESTED,
)

STATUS_LABELS: dict[str, str] = {
    "pending": "未开始",
    "in_progress": "推进中",
    "reported": "已报完成",
    "closed": "已销号",
    "returned": "已退回",
    "extension_requested": "延期申请中",
    "withdrawn": "已撤销",
}


class AssignmentRole(StrEnum):
    LEAD = "lead"
    COOPERATING = "cooperating"


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Contact(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "user_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=100)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=200)
    role: str = Field(default=Role.CONTACT, max_length=20)
    password_hash: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()
    # Set when an admin disables the contact (left the department, …): no longer reminded,
    # told or recognised in chat; the row and its history stay.
    disabled_at: datetime | None = _ts(nullable=True)


class PlanKind(StrEnum):
    DOCUMENT = "document"  # loaded from a file; revised by `regenerate`
    MANUAL = "manual"  # tasks added by hand under a source note (bot/store/manual.py)


class PlanRow(SQLModel, table=True):
    __tablename__ = "plan"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    kind: str = Field(
        default=PlanKind.DOCUMENT,
        max_length=20,
        sa_column_kwargs={"server_default": PlanKind.DOCUMENT.value},
    )
    created_at: datetime = _ts()


class PlanVersion(SQLModel, table=True):
    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    number: int
    title: str = Field(max_length=500)
    source: str = Field(max_length=500)
    sha256: str = Field(max_length=64, index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    period_end: date | None = None
    is_current: bool = True
    loaded_at: datetime = _ts()
    # draft: loaded, under review, defines no task yet (bot/store/review.py); published:
    # its tasks are (or were) the plan's; discarded: a later draft of the plan replaced it.
    state: str = Field(
        default="published",
        max_length=20,
        sa_column_kwargs={"server_default": "published"},
    )
    # The parser's warnings (ParseWarning.to_dict()), shown on the review page.
    warnings: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class Task(SQLModel, table=True):
    """A measure or milestone. Updated in place by revisions, never deleted, so its history stays.

    `key` is the id people type ("3.4", "3.4.2"); a revision may renumber it. `version_id`
    and the span point at the sentence in the version that last defined the task.
    """

    __table_args__ = (
        Index("ix_task_plan_key", "plan_id", "key"),
        # The overdue queries: open statuses with a due date before the clock; with `id` in
        # the index the department filter can be joined without reading task rows.
        Index("ix_task_status_due_id", "status", "due", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    key: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    parent_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    chapter: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=500)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    value: str | None = Field(default=None, max_length=200)
    # `due` is the date in force (an approved extension moves it); `plan_due` is the plan's
    # own date as the version that last defined the task gave it. A revision changes `due`
    # only when `plan_due` changed between versions (bot/store/loading.py).
    due: date | None = None
    plan_due: date | None = None
    # The counting unit (bot/rules/completion.py): False for a measure with live milestones, which
    # are counted instead. Kept by repo.refresh_tracked after every load and revision, so the
    # 100k-task counts filter on a column instead of probing for children per row.
    tracked: bool = True
    status: str = Field(default=TaskStatus.PENDING, max_length=30)
    span_start: int = 0
    span_end: int = 0
    version_id: int = Field(foreign_key="plan_version.id")
    created_version_id: int = Field(foreign_key="plan_version.id")
    position: int = 0
    status_changed_at: datetime = _ts()
    # Copies of the assignment rows (which stay the truth for routing and filtering), kept in
    # step by repo.set_assignments alone: reading 20k+ task rows with their departments in
    # one pass is what keeps the all-departments overdue query within its 200 ms budget.
    lead_department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    cooperating_ids: str = Field(default="", max_length=1000)


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class DraftTask(SQLModel, table=True):
    """A measure or milestone as a draft version states it, with the admin's edits.

    Drafts never write `task` rows: nothing is reminded, counted or shown from them. Publishing
    turns these rows into tasks (a first version) or applies them as a revision.
    """

    __tablename__ = "draft_task"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="plan_version.id", index=True)
    key: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    parent_key: str | None = Field(default=None, max_length=40)
    chapter: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=500)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    value: str | None = Field(default=None, max_length=200)
    due: date | None = None
    span_start: int = 0
    span_end: int = 0
    lead: str | None = Field(default=None, max_length=200)
    cooperating: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0
    dropped: bool = False
    added: bool = False  # added by an admin from a selected sentence, not by the parser


class CorrectionState(StrEnum):
    ACTIVE = "active"  # applied, and re-applied to revisions whose sentence is unchanged
    OFFERED = "offered"  # a revision rewrote the sentence: waiting for the admin's word
    DISMISSED = "dismissed"  # the admin let it go; kept for the record


class Correction(SQLModel, table=True):
    """An admin's correction of what the parser read, kept against its task and the source
    sentence it corrected, so a revised version can re-apply it (bot/store/review.py).

    field: lead, cooperating, due, title (value is the corrected one), drop (a false
    measure), add (a measure the parser missed; value holds its fields).
    """

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    key: str = Field(max_length=40)
    field: str = Field(max_length=20)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    parsed: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    sentence: str = Field(default="", sa_column=Column(Text, nullable=False))
    version_id: int = Field(foreign_key="plan_version.id")  # the draft it was made on
    state: str = Field(default=CorrectionState.ACTIVE, max_length=20)
    # While offered: the draft that rewrote the sentence, and its new key and sentence.
    offered_version_id: int | None = Field(default=None, foreign_key="plan_version.id")
    offered_key: str | None = Field(default=None, max_length=40)
    offered_sentence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    actor: str = Field(max_length=200)
    at: datetime = _ts()


class Assignment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("task_id", "department_id"),
        Index("ix_assignment_dept_task", "department_id", "task_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    role: str = Field(max_length=20)
    position: int = 0


class StatusEvent(SQLModel, table=True):
    __tablename__ = "status_event"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    actor: str = Field(max_length=200)
    at: datetime = _ts()
    action: str = Field(max_length=30)
    from_status: str = Field(max_length=30)
    to_status: str = Field(max_length=30)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    raw_message: str = Field(default="", sa_column=Column(Text, nullable=False))
    channel: str = Field(default="", max_length=30)
    requested_due: date | None = None


class ReminderSent(SQLModel, table=True):
    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("task_id", "contact_id", "kind", "sent_on"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    contact_id: int = Field(foreign_key="contact.id")
    kind: str = Field(max_length=40)
    sent_on: date
    at: datetime = _ts()


class Outbox(SQLModel, table=True):
    """The bot's durable send queue; `key` makes enqueueing idempotent."""

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=200)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    kind: str = Field(default="", max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    reply_context: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    state: str = Field(default=OutboxState.QUEUED, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class LoginToken(SQLModel, table=True):
    __tablename__ = "login_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=60)
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    version_id: int | None = Field(default=None, foreign_key="plan_version.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ChatMessage(SQLModel, table=True):
    """The built-in web chat's log: what a person wrote and what the bot answered.

    `key` makes a write idempotent (an outbox row delivered twice is one line).
    """

    __tablename__ = "chat_message"
    __table_args__ = (Index("ix_chat_user_id", "user_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    user_id: str = Field(max_length=200)
    direction: str = Field(max_length=3)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = _ts()


class CalendarOverride(SQLModel, table=True):
    """An admin's word on one day: a working day or not (调休, or a year chinesecalendar lacks)."""

    __tablename__ = "calendar_override"

    day: date = Field(primary_key=True)
    workday: bool
    note: str = Field(default="", max_length=200)
    set_by: str = Field(default="", max_length=200)
    at: datetime = _ts()


class StoreClock(SQLModel, table=True):
    """The clock a demo runs on (one row): it started at `start` when the real time was
    `recorded_at`. CLI commands against this database answer for that clock (bot/clock.py)."""

    __tablename__ = "store_clock"

    id: int | None = Field(default=None, primary_key=True)
    start: datetime = _ts()
    recorded_at: datetime = _ts()
    source: str = Field(default="", max_length=40)


class IncomingMessage(SQLModel, table=True):
    """Chat messages already handled: a platform's retry or a second worker's copy is skipped."""

    __tablename__ = "incoming_message"

    platform: str = Field(primary_key=True, max_length=20)
    message_id: str = Field(primary_key=True, max_length=200)
    at: datetime = _ts()


class PendingQuestion(SQLModel, table=True):
    """The one question the bot is waiting on from a chat user (是/否, or a numbered choice).

    In the database, not in memory: several `serve` processes share one PostgreSQL and any
    of them may receive the answer. One row per user: a new question replaces the old one,
    and any other message from the user drops it, so 好的 only ever answers the latest.
    """

    __tablename__ = "pending_question"
    platform: str = Field(primary_key=True, max_length=20)
    user_id: str = Field(primary_key=True, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    asked_at: datetime = _ts()
    expires_at: datetime = _ts()


class WebSession(SQLModel, table=True):
    """A login to the dashboard or the web chat. The cookie holds a random token; only its
    SHA-256 is stored (`id`), so a copy of the database cannot be replayed as cookies."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    kind: str = Field(max_length=10)  # "dash" or "chat"
    csrf: str = Field(max_length=64)
    # The client address it was granted to: a later login from a known address passes
    # the per-name throttle.
    address: str = Field(default="", max_length=64)
    created: datetime = _ts()
    last_seen: datetime = _ts()
    revoked: datetime | None = _ts(nullable=True)


class ManualTaskKey(SQLModel, table=True):
    """Each hand-made task id ("0.N") claimed once (bot/store/manual.py): the primary key is
    what stops two `tasks add` running at the same moment from both taking 0.N."""

    __tablename__ = "manual_task_key"

    key: str = Field(primary_key=True, max_length=40)
    claimed_at: datetime = _ts()
