"""The reminder policy, as pure functions: task facts + contacts + clock -> planned messages.

Nothing here touches the database, a platform or the real clock. The store turns its
rows into `TaskFact`/`ContactFact`, the scheduler calls `plan_reminders` with `now`,
and the outbox enqueues each `PlannedMessage` under its `key`. Planning the same
inputs twice on the same day gives the same messages and keys, so a pass can be
re-run after a crash (or by a second worker) without anyone being pinged twice.

Who hears what, in one sentence per rule:
- a department's contacts get its items once a day, merged into one message: the lead's
  as actions, a cooperating unit's as information;
- deadlines are reminded per counting unit (bot/rules/completion.py): a measure with milestones
  through its milestones, never beside them;
- before a due date at the configured working-day offsets, on the last working day
  (the due day itself, or the last working day before a weekend/holiday deadline),
  then every `overdue_every_days` working days once overdue (from the first one);
- from the `escalate_after_days`-th overdue working day on (at the same cadence) the
  lead department's leaders too;
- open measures with nothing due soon get a progress request every
  `progress_every_days` days since their last progress report;
- coordinators get one digest a day: what went overdue since the last working day,
  overdue counting units per lead department (bot/rules/overdue.py and bot/rules/completion.py: the
  same numbers 逾期 and 统计 give, extension requests included), extension requests and
  completion reports waiting
  for them, departments nobody can be reached in;
- nothing outside the send window or on a non-working day; nothing for closed,
  withdrawn or reported tasks (a report waits for the coordinator, not the
  department), and nothing to the department while its extension request is pending
  (the decision is the coordinator's, who sees it in the digest). A returned task is
  open again and is reminded like any other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.config import ReminderSettings
from bot.rules.workcalendar import WorkCalendar

Role = Literal["lead", "cooperating"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Statuses in which the department still owes work.
OPEN_STATUSES = frozenset({"pending", "in_progress", "returned"})
# Progress requests are anchored here when a measure never reported progress, so all
# such measures of a department fall on the same day and share one message.
PROGRESS_EPOCH = date(2000, 1, 3)

# Display/merge priority of item kinds (lower first); "before_N" maps to "before".
_KIND_RANK = {"escalation": 0, "overdue": 1, "due_today": 2, "before": 3, "progress_request": 4}


@dataclass(frozen=True, slots=True)
class TaskFact:
    """What the policy needs to know about one task (a measure, milestone or goal)."""

    id: str
    kind: str  # measure | milestone | goal
    text: str
    due: date | None
    status: str
    lead: str | None
    cooperating: tuple[str, ...] = ()
    measure_id: str | None = None
    last_progress: date | None = None  # date of the latest 进度 report, if any
    requested_due: date | None = None  # while status == extension_requested
    # The store's row id. Display ids ("3.4.2") repeat across plans; when given, the
    # row id is what keys and per-contact merging use.
    row_id: int | None = None
    # False for a measure with milestones: they are counted, it is not (bot/rules/completion.py).
    tracked: bool = True

    @property
    def uid(self) -> str:
        return self.id if self.row_id is None else f"#{self.row_id}"


@dataclass(frozen=True, slots=True)
class ContactFact:
    """One way to reach one person (a person on two platforms is two contacts)."""

    id: str
    department: str
    role: str  # contact | leader | coordinator | admin
    platform: str
    user_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ReminderItem:
    """One task line inside a merged message."""

    task_id: str
    task_kind: str
    text: str
    due: date | None
    kind: str  # before_N | due_today | overdue | escalation | progress_request
    role: Role
    department: str  # the recipient's department (lead or cooperating)
    lead: str  # the task's lead department
    days: int  # working days left (before_N) or overdue (overdue/escalation); else 0
    status: str
    key: str  # contact|task|kind|date: the unit of exactly-once delivery
    task_row_id: int | None = None

    @property
    def rank(self) -> tuple[int, int, int, str, int]:
        base = "before" if self.kind.startswith("before_") else self.kind
        # Overdue longest first, deadlines nearest first, then by id for a stable order.
        days = -self.days if base in ("overdue", "escalation") else self.days
        row = -1 if self.task_row_id is None else self.task_row_id
        return (_KIND_RANK[base], 0 if self.role == "lead" else 1, days, self.task_id, row)


@dataclass(frozen=True, slots=True)
class DigestEntry:
    task_id: str
    text: str
    department: str
    due: date | None
    overdue_days: int = 0
    requested_due: date | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """The coordinators' daily overview."""

    newly_overdue: tuple[DigestEntry, ...]
    overdue_by_department: tuple[tuple[str, int], ...]
    extension_requests: tuple[DigestEntry, ...]
    awaiting_closure: tuple[DigestEntry, ...]
    unreachable_departments: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(
            self.newly_overdue
            or self.overdue_by_department
            or self.extension_requests
            or self.awaiting_closure
            or self.unreachable_departments
        )

    @property
    def overdue_total(self) -> int:
        return sum(n for _, n in self.overdue_by_department)


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One message to one contact on one day: a merged reminder or a coordinator digest."""

    kind: Literal["reminder", "digest"]
    contact: ContactFact
    day: date
    key: str  # kind|date|contact: at most one such message per contact per day
    items: tuple[ReminderItem, ...] = ()
    digest: Digest | None = None

    @property
    def actions(self) -> tuple[ReminderItem, ...]:
        return tuple(i for i in self.items if i.role == "lead")

    @property
    def information(self) -> tuple[ReminderItem, ...]:
        return tuple(i for i in self.items if i.role == "cooperating")

    def without(self, sent_item_keys: Iterable[str]) -> PlannedMessage | None:
        """This message minus items already delivered (by item key); None if nothing is left.

        For a later pass on the same day that finds new items (a task returned at
        10:00): the outbox can send just the remainder under a new message key.
        """
        sent = set(sent_item_keys)
        rest = tuple(i for i in self.items if i.key not in sent)
        if rest == self.items:
            return self
        if not rest:
            return None
        return replace(self, items=rest, key=f"{self.key}|{len(self.items) - len(rest)}")


def parse_window(window: str) -> tuple[time, time]:
    """'09:00-17:30' -> (09:00, 17:30); the window is [start, end)."""
    start, end = window.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def in_send_window(now: datetime, settings: ReminderSettings, tz: ZoneInfo = SHANGHAI) -> bool:
    """True inside the configured daily window, in the configured time zone."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start, end = parse_window(settings.send_window)
    local = now.astimezone(tz).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight, "22:00-06:00"


def _progress_due(today: date, last: date | None, every: int, cal: WorkCalendar) -> bool:
    # Stateless schedule: periods of `every` days from the last report; a request goes
    # out on the first working day of each period, so reruns on that day agree.
    anchor = last or PROGRESS_EPOCH
    k = (today - anchor).days // every
    if k < 1:
        return False
    return cal.next_workday(anchor + timedelta(days=k * every)) == today


def plan_reminders(
    tasks: Sequence[TaskFact],
    contacts: Sequence[ContactFact],
    now: datetime,
    calendar: WorkCalendar,
    settings: ReminderSettings,
    *,
    tz: ZoneInfo = SHANGHAI,
    inform_cooperating: bool = True,
) -> list[PlannedMessage]:
    """Every message due at `now`: merged reminders per contact, then coordinator digests.

    Returns [] outside the send window or on a non-working day. Order is deterministic
    (by contact id), and so are all keys.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(tz).date()
    if not calendar.is_workday(today) or not in_send_window(now, settings, tz):
        return []
    before = set(settings.before_days)
    horizon = max(before, default=0)
    every = max(settings.overdue_every_days, 1)
    escalate = settings.escalate_after_days

    # (department, role, task, kind, days); escalations go to the lead's leaders.
    wanted: list[tuple[str, Role, TaskFact, str, int]] = []
    escalations: list[tuple[TaskFact, int]] = []
    newly_overdue: list[DigestEntry] = []
    overdue_count: dict[str, int] = defaultdict(int)
    ext_requests: list[DigestEntry] = []
    awaiting: list[DigestEntry] = []
    # Measures whose own deadline or one of whose milestones is near or overdue: these
    # are already being reminded, so they get no separate progress request.
    busy_measures: set[str] = set()
    open_measures: list[TaskFact] = []

    for t in tasks:
        dept = t.lead or ""
        if t.status == "extension_requested":
            ext_requests.append(DigestEntry(t.id, t.text, dept, t.due, 0, t.requested_due))
            # Still owed while the coordinator decides: overdue like everywhere else (today is
            # a working day here, so due < today is the rule of bot/rules/overdue.py).
            if t.tracked and t.lead and t.due is not None and t.due < today:
                overdue_count[dept] += 1
            continue
        if t.status == "reported":
            awaiting.append(DigestEntry(t.id, t.text, dept, t.due))
            continue
        if t.status not in OPEN_STATUSES or not t.lead:
            continue
        if t.kind == "measure":
            open_measures.append(t)
        # A measure with milestones is reminded through them (its date is their latest): one
        # line per deadline, never the measure and its milestone side by side.
        if t.due is None or not t.tracked:
            continue
        kind: str | None = None
        days = 0
        if today <= t.due:
            days = calendar.workdays_between(today, t.due)
            if days == 0:
                kind = "due_today"
            elif days in before:
                kind = f"before_{days}"
            if days <= horizon:
                busy_measures.add(t.measure_id or t.id)
        else:
            days = calendar.workdays_between(t.due, today)
            busy_measures.add(t.measure_id or t.id)
            if t.tracked:
                overdue_count[dept] += 1
            if days == 1:
                newly_overdue.append(DigestEntry(t.id, t.text, dept, t.due, days))
            if (days - 1) % every == 0:
                kind = "overdue"
            if days >= escalate and (days - escalate) % every == 0:
                escalations.append((t, days))
        if kind is not None:
            wanted.append((dept, "lead", t, kind, days))
            if inform_cooperating:
                wanted.extend((c, "cooperating", t, kind, days) for c in t.cooperating)

    for m in open_measures:
        if m.id not in busy_measures and _progress_due(
            today, m.last_progress, max(settings.progress_every_days, 1), calendar
        ):
            wanted.append((m.lead or "", "lead", m, "progress_request", 0))

    by_dept: dict[str, list[ContactFact]] = defaultdict(list)
    leaders: dict[str, list[ContactFact]] = defaultdict(list)
    coordinators: list[ContactFact] = []
    for c in contacts:
        if c.role == "contact":
            by_dept[c.department].append(c)
        elif c.role == "leader":
            leaders[c.department].append(c)
        elif c.role == "coordinator":
            coordinators.append(c)

    day = today.isoformat()
    # contact id -> task uid -> best item: one line per task per contact, never two.
    inbox: dict[str, dict[str, ReminderItem]] = defaultdict(dict)
    who: dict[str, ContactFact] = {}
    unreachable: set[str] = set()

    def deliver(c: ContactFact, t: TaskFact, kind: str, role: Role, dept: str, n: int) -> None:
        key = f"{c.id}|{t.uid}|{kind}|{day}"
        item = ReminderItem(
            t.id, t.kind, t.text, t.due, kind, role, dept, t.lead or "", n, t.status, key,
            t.row_id,
        )  # fmt: skip
        box = inbox[c.id]
        old = box.get(t.uid)
        if old is None or item.rank < old.rank:
            box[t.uid] = item
        who[c.id] = c

    for dept, role, t, kind, n in wanted:
        # A department that registered only leaders still hears about its tasks.
        targets = by_dept.get(dept) or leaders.get(dept)
        if not targets:
            unreachable.add(dept)
            continue
        for c in targets:
            deliver(c, t, kind, role, dept, n)
    for t, n in escalations:
        for c in leaders.get(t.lead or "", ()):
            deliver(c, t, "escalation", "lead", t.lead or "", n)

    out = [
        PlannedMessage(
            kind="reminder",
            contact=who[cid],
            day=today,
            key=f"reminder|{day}|{cid}",
            items=tuple(sorted(box.values(), key=lambda i: i.rank)),
        )
        for cid, box in sorted(inbox.items())
    ]

    digest = Digest(
        newly_overdue=tuple(sorted(newly_overdue, key=lambda e: (e.department, e.task_id))),
        overdue_by_department=tuple(sorted(overdue_count.items(), key=lambda kv: (-kv[1], kv[0]))),
        extension_requests=tuple(sorted(ext_requests, key=lambda e: e.task_id)),
        awaiting_closure=tuple(sorted(awaiting, key=lambda e: e.task_id)),
        unreachable_departments=tuple(sorted(unreachable)),
    )
    if digest:
        out.extend(
            PlannedMessage(
                kind="digest", contact=c, day=today, key=f"digest|{day}|{c.id}", digest=digest
            )
            for c in sorted(coordinators, key=lambda c: c.id)
        )
    return out
