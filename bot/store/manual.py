"""Tasks that come from no plan: a meeting's minutes (会议纪要), a leader's instruction (领导批示).

A hand-made task lives in a plan of kind "manual" named for its source note ("2024年第3次
市长办公会纪要"); tasks added under the same note share that plan. From there on it is a
task like any other: reminded, counted, reported and shown, and answered in chat by its id.

Ids are "0.1", "0.2" … across every manual plan: chapter 0, which no plan prints, so a
hand-made id never collides with a document's, and the chat reads it like any other id
(parser/ids.py). An id is claimed in table manual_task_key (its primary key) before
anything else is written: of two adds at the same moment, on either backend, the second
waits for the first to commit, finds its id taken and claims the next.

The plan's one version is a register of what was entered — one line per
task, which the task's span points at, so the task page shows it as its source sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.store import repo
from bot.store.models import Department, ManualTaskKey, PlanKind, PlanRow, PlanVersion, Task
from bot.store.repo.common import insert_ignore
from bot.store.specs import TaskSpec, text_sha256

MANUAL_CHAPTER = "0"
MAX_MANUAL = 999  # "0.999": ids keep at most three digits a part (parser/ids.py)
MAX_TITLE, MAX_TEXT, MAX_SOURCE, MAX_COOP = 200, 5000, 200, 30
DEFAULT_SOURCE = "手工录入任务"
_HEADER = "【手工录入任务】"

_SPLIT = re.compile(r"[,，、;；\s]+")

_FIELD_ZH = {"title": "事项", "text": "具体内容", "source": "来源"}


class EntryRefused(UserError):
    """A hand-made task refused: `str()` in English (the CLI's one line), `zh` for the
    dashboard form."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


Matcher = Callable[[str, Sequence[Department]], Department | None]


@dataclass(frozen=True, slots=True)
class ManualTask:
    """What an admin enters for one task."""

    title: str
    lead: str
    due: date
    cooperating: tuple[str, ...] = ()
    text: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class AddedTask:
    pk: int
    key: str
    plan_id: int
    lead: str
    cooperating: tuple[str, ...]


def split_departments(raw: str) -> tuple[str, ...]:
    """How a list of departments is typed: "A,B" / "A，B" / "A、B" -> ("A", "B")."""
    return tuple(p for p in _SPLIT.split(raw) if p)


def _clean(value: str, what: str, limit: int, *, required: bool) -> str:
    v = " ".join(value.split())
    if required and not v:
        raise EntryRefused(f"{what} is required", f"请填写{_FIELD_ZH.get(what, what)}")
    if len(v) > limit:
        raise EntryRefused(
            f"{what} is longer than {limit} characters",
            f"{_FIELD_ZH.get(what, what)}不能超过{limit}个字",
        )
    return v


def resolve_departments(
    session: Session,
    typed: Sequence[str],
    *,
    match: Matcher,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
) -> list[str]:
    """Canonical names for typed departments, as the chat and contacts import read them:
    a stored department ("能源局" → 市能源局), else a bureau the alias table knows. Anything
    else is refused, every unknown name listed."""
    stored = repo.list_departments(session)
    out: list[str] = []
    unknown: list[str] = []
    for raw in typed:
        found = match(raw, stored)
        if found is not None:
            name: str | None = found.name
        else:
            # Not stored yet: a bureau the alias table knows, with or without the city's
            # 市 (the chat's rule: "能源局" means 市能源局).
            typed = raw.strip()
            tries = [canonicalize(typed), canonicalize("市" + typed.removeprefix("市"))]
            name = next((n for n in tries if is_known(n)), None)
        if name is None:
            unknown.append(raw)
        elif name not in out:
            out.append(name)
    if unknown:
        names = "、".join(unknown)
        raise EntryRefused(
            f"unknown department {names}; use a department's name as plans and "
            "contacts name it (e.g. 市能源局)",
            f"未知单位：{names}。请填写方案或通讯录中的单位名称（如 市能源局）",
        )
    return out


def manual_plan(session: Session, source: str, now: datetime) -> tuple[PlanRow, PlanVersion]:
    """The manual plan named `source` and its one version (created when new)."""
    plan = session.exec(
        select(PlanRow).where(PlanRow.kind == PlanKind.MANUAL, PlanRow.title == source)
    ).first()
    if plan is not None:
        assert plan.id is not None
        return plan, repo.current_version(session, plan.id)
    plan = PlanRow(title=source, kind=PlanKind.MANUAL, created_at=now)
    session.add(plan)
    session.flush()
    assert plan.id is not None
    text = f"{_HEADER}{source}\n"
    version = PlanVersion(
        plan_id=plan.id,
        number=1,
        title=source,
        source="manual",
        sha256=text_sha256(text),
        text=text,
        is_current=True,
        loaded_at=now,
    )
    session.add(version)
    session.flush()
    return plan, version


def _claim_key(session: Session, now: datetime) -> str:
    """The next free "0.N", claimed for this transaction.

    INSERT … ON CONFLICT DO NOTHING on the claim table: while another transaction holds an
    uncommitted claim on the same id, PostgreSQL makes this insert wait for it (and SQLite
    its single writer lock), then skip it; the loop then claims the next. Being first also
    serializes the rest of the add (the plan's register text) behind the other's commit.
    """
    keys = session.exec(select(ManualTaskKey.key))
    taken = [int(k.partition(".")[2]) for k in keys if k.partition(".")[2].isdigit()]
    n = max(taken, default=0) + 1
    table = ManualTaskKey.__table__  # type: ignore[attr-defined]
    while n <= MAX_MANUAL:
        key = f"{MANUAL_CHAPTER}.{n}"
        if insert_ignore(session, table, {"key": key, "claimed_at": now}, ["key"]):
            return key
        n += 1
    raise EntryRefused(
        f"no more than {MAX_MANUAL} tasks can be added by hand (ids 0.1–0.999)",
        f"手工添加的任务最多{MAX_MANUAL}项（编号0.1–0.999）",
    )


def check_entry(
    session: Session,
    entry: ManualTask,
    *,
    match: Matcher,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
) -> tuple[str, str, str, str, list[str]]:
    """(title, text, source, lead, cooperating) of an entry, cleaned and the departments
    canonical; EntryRefused naming the first problem. Reads only."""
    title = _clean(entry.title, "title", MAX_TITLE, required=True)
    text = _clean(entry.text, "text", MAX_TEXT, required=False)
    source = _clean(entry.source, "source", MAX_SOURCE, required=False) or DEFAULT_SOURCE
    if len(entry.cooperating) > MAX_COOP:
        raise EntryRefused(
            f"at most {MAX_COOP} cooperating departments", f"配合单位最多{MAX_COOP}个"
        )
    if not entry.lead.strip():
        raise EntryRefused("lead is required", "请填写牵头单位")
    # Lead and cooperating in one call: every unknown name is listed in one message.
    typed = [entry.lead, *(c for c in entry.cooperating if c.strip())]
    names = resolve_departments(
        session, typed, match=match, canonicalize=canonicalize, is_known=is_known
    )
    return title, text, source, names[0], [c for c in names[1:] if c != names[0]]


def register_line(
    key: str, title: str, text: str, lead: str, coop: Sequence[str], due: date
) -> str:
    """The register line a hand-made task's span points at: what was entered, in the plans'
    words (so the task page shows it as the task's source sentence)."""
    line = f"{key} {title}" + (f"：{text}" if text else "")
    line += f"（牵头单位：{lead}"
    line += f"；配合单位：{'、'.join(coop)}" if coop else ""
    return line + f"；完成时限：{due.isoformat()}）"


def append_register(session: Session, version: PlanVersion, line: str) -> tuple[int, int]:
    """Append `line` to a manual plan's register; returns its span.

    The register row is written (locked) first and then re-read: another transaction's
    line, committed meanwhile, is kept rather than overwritten (SQLite takes its writer
    lock, PostgreSQL the row lock, so the second writer waits and then reads the first's).
    """
    session.exec(
        update(PlanVersion)
        .where(col(PlanVersion.id) == version.id)
        .values(sha256=PlanVersion.sha256)
        .execution_options(synchronize_session=False)
    )
    session.refresh(version)
    start = len(version.text)
    version.text = f"{version.text}{line}\n"
    version.sha256 = text_sha256(version.text)
    session.add(version)
    return start, start + len(line)


def add_manual_task(
    session: Session,
    entry: ManualTask,
    *,
    match: Matcher,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
    actor: str,
    now: datetime,
) -> AddedTask:
    """Store one hand-made task (pending) in its source's manual plan; audited. Everything is
    checked before anything is written; the caller's transaction makes it all or nothing."""
    title, text, source, lead, coop = check_entry(
        session, entry, match=match, canonicalize=canonicalize, is_known=is_known
    )
    key = _claim_key(session, now)
    plan, version = manual_plan(session, source, now)
    assert plan.id is not None and version.id is not None
    span = append_register(
        session, version, register_line(key, title, text, lead, coop, entry.due)
    )
    position = len(list(session.exec(select(Task.id).where(Task.plan_id == plan.id))))
    spec = TaskSpec(
        key=key,
        kind="measure",
        parent_key=None,
        chapter=source,
        title=title,
        text=text or title,
        value=None,
        due=entry.due,
        span=span,
        lead=lead,
        cooperating=tuple(coop),
        position=position,
    )
    departments = repo.department_ids(session, [lead, *coop])
    task = repo.insert_task(
        session,
        plan_id=plan.id,
        version_id=version.id,
        spec=spec,
        parent_id=None,
        departments=departments,
        now=now,
    )
    assert task.id is not None
    repo.refresh_tracked(session, plan.id)
    repo.audit(
        session,
        actor=actor,
        action="add_task",
        detail={"key": key, "source": source, "lead": lead, "due": entry.due.isoformat()},
        task_id=task.id,
        version_id=version.id,
        now=now,
    )
    session.flush()
    return AddedTask(task.id, key, plan.id, lead, tuple(coop))
