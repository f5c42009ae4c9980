"""Parse -> review -> publish: an admin's corrections of a draft version.

A loaded document is a draft version (bot/store/loading.py): its measures and milestones are
`draft_task` rows, and no `task` row exists for them until it is published, so nothing is
reminded, counted or shown to departments from a draft. On the review page an admin changes
a task's lead, cooperating units, due date or title, drops a false measure or adds one the
parser missed from a selected sentence. Each such correction is a `correction` row holding
the sentence it corrected, re-applied to later revisions (bot/store/reapply.py); the admin
accepts or dismisses the ones a revision put in doubt. Every action is audited with who and
when. Input is read and checked first (bot/store/review_input.py): a refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.models import Correction, CorrectionState, DraftTask, PlanVersion, VersionState
from bot.store.reapply import apply_field, same_sentence, spec_of, value_of
from bot.store.repo import corrections as rc
from bot.store.review_input import (
    DepartmentReader,
    ReviewRefused,
    check_span,
    parse_due,
    read_departments,
    split_names,
)
from bot.store.specs import StoredTask, TaskSpec
from parser.ids import is_task_id

FIELD_ZH = {
    "title": "标题",
    "lead": "牵头单位",
    "cooperating": "配合单位",
    "due": "截止日期",
    "drop": "删除误识别",
    "add": "补充遗漏",
}
MAX_TITLE = 200


def _draft(session: Session, version_id: int) -> PlanVersion:
    version = rc.draft_version(session, version_id)
    if version.state != VersionState.DRAFT:
        raise ReviewRefused(
            f"version {version.number} of plan {version.plan_id} is not a draft under review",
            "该版本已发布或已被新的上传替换，不能再修改。",
        )
    return version


def _row(session: Session, version: PlanVersion, key: str) -> DraftTask:
    assert version.id is not None
    try:
        return rc.draft_task(session, version.id, key)
    except UserError:
        raise ReviewRefused(f"no task {key} in this draft", f"草稿中没有任务 {key}") from None


def _sentence(version: PlanVersion, row: DraftTask) -> str:
    return version.text[row.span_start : row.span_end]


@dataclass(frozen=True, slots=True)
class Edit:
    """What the admin typed for one task; None leaves that field as it is."""

    title: str | None = None
    lead: str | None = None
    cooperating: str | None = None
    due: str | None = None
    create_departments: bool = False  # unknown names become new departments


def edit_task(
    session: Session,
    version_id: int,
    key: str,
    edit: Edit,
    *,
    reader: DepartmentReader,
    actor: str,
    now: datetime | None = None,
) -> list[str]:
    """Correct one draft task; returns the fields that changed. Everything is checked before
    anything is written: a bad value refuses the whole edit."""
    version = _draft(session, version_id)
    row = _row(session, version, key)
    spec = spec_of(row)
    wanted: dict[str, Any] = {}
    if edit.title is not None:
        title = " ".join(edit.title.split())
        if not title:
            raise ReviewRefused("the title may not be empty", "标题不能为空")
        if len(title) > MAX_TITLE:
            raise ReviewRefused("the title is too long", f"标题不能超过{MAX_TITLE}个字")
        wanted["title"] = title
    if edit.due is not None:
        due = parse_due(edit.due)
        wanted["due"] = due.isoformat() if due else None
    create = edit.create_departments
    new_names: list[str] = []
    given = {n for n in (spec.lead, *spec.cooperating) if n}
    if edit.lead is not None:
        if row.kind != "measure":
            raise ReviewRefused(
                "a milestone's units are its measure's: correct the measure",
                "节点的牵头、配合单位随所属措施，请在措施上修改",
            )
        lead, made = read_departments(
            session, split_names(edit.lead)[:1], reader, create=create, given=given
        )
        if not lead:
            raise ReviewRefused("a lead unit is required", "请填写牵头单位")
        wanted["lead"] = lead[0]
        new_names += made
    if edit.cooperating is not None:
        if row.kind != "measure":
            raise ReviewRefused(
                "a milestone's units are its measure's: correct the measure",
                "节点的牵头、配合单位随所属措施，请在措施上修改",
            )
        coop, made = read_departments(
            session, split_names(edit.cooperating), reader, create=create, given=given
        )
        new_names += made
        lead_now = wanted.get("lead", spec.lead)
        wanted["cooperating"] = [c for c in coop if c != lead_now]
    changed = [n for n, v in wanted.items() if value_of(spec, n) != v]
    if not changed:
        return []
    created = _create_departments(session, new_names)
    assert version.id is not None
    rows = rc.draft_tasks(session, version.id)
    specs = [spec_of(r) for r in rows]
    i = next(n for n, r in enumerate(rows) if r.key == key)
    sentence = _sentence(version, row)
    for name in changed:
        apply_field(specs, i, name, wanted[name])
        rc.add_correction(
            session,
            plan_id=version.plan_id,
            version_id=version.id,
            key=key,
            field=name,
            value=wanted[name],
            parsed=value_of(spec, name),
            sentence=sentence,
            actor=actor,
            task_id=_published_task(session, version.plan_id, key, sentence),
            now=now,
        )
    _write_specs(session, rows, specs)
    repo.audit(
        session,
        actor=actor,
        action="review_edit",
        detail={
            "key": key,
            "fields": {n: [value_of(spec, n), wanted[n]] for n in changed},
            "created_departments": sorted(created),
        },
        version_id=version.id,
        now=now,
    )
    session.flush()
    return changed


def _create_departments(session: Session, names: Collection[str]) -> list[str]:
    """Departments the admin explicitly chose to create (the ones not stored yet)."""
    missing = [n for n in names if repo.find_department(session, n) is None]
    if missing:
        repo.department_ids(session, missing)
    return missing


def _published_task(session: Session, plan_id: int, key: str, sentence: str) -> int | None:
    """The live task a revision draft's row is (same id and sentence), for the correction."""
    for t in repo.stored_tasks(session, plan_id):
        if t.spec.key == key:
            return t.pk if t.pk and _same_stored(session, t, sentence) else None
    return None


def _same_stored(session: Session, t: StoredTask, sentence: str) -> bool:
    return same_sentence(repo.source_sentence(session, t.pk), sentence)


def _write_specs(session: Session, rows: Sequence[DraftTask], specs: Sequence[TaskSpec]) -> None:
    for row, s in zip(rows, specs, strict=True):
        row.title, row.due, row.lead = s.title, s.due, s.lead
        row.cooperating = list(s.cooperating)
        session.add(row)
    session.flush()


def drop_task(
    session: Session,
    version_id: int,
    key: str,
    *,
    restore: bool = False,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Drop a false measure or milestone from the draft (a measure takes its milestones
    along), or with `restore` take it back."""
    version = _draft(session, version_id)
    row = _row(session, version, key)
    assert version.id is not None
    rows = rc.draft_tasks(session, version.id)
    for r in rows:
        if r.key == key or r.parent_key == key:
            r.dropped = not restore
            session.add(r)
    sentence = _sentence(version, row)
    if row.added:
        # A measure the admin added: dropping it retires the addition, restoring revives it.
        adds = [
            c
            for c in rc.list_corrections(session, version.plan_id)
            if c.field == "add" and c.key == key and c.state != CorrectionState.OFFERED
        ]
        if adds:
            adds[-1].state = CorrectionState.ACTIVE if restore else CorrectionState.DISMISSED
            session.add(adds[-1])
    elif restore:
        for c in rc.list_corrections(session, version.plan_id, states=[CorrectionState.ACTIVE]):
            if c.field == "drop" and c.key == key:
                c.state = CorrectionState.DISMISSED
                session.add(c)
    else:
        rc.add_correction(
            session,
            plan_id=version.plan_id,
            version_id=version.id,
            key=key,
            field="drop",
            value=True,
            parsed=False,
            sentence=sentence,
            actor=actor,
            task_id=_published_task(session, version.plan_id, key, sentence),
            now=now,
        )
    repo.audit(
        session,
        actor=actor,
        action="review_restore" if restore else "review_drop",
        detail={"key": key, "sentence": sentence[:200]},
        version_id=version.id,
        now=now,
    )
    session.flush()


@dataclass(frozen=True, slots=True)
class NewMeasure:
    """A measure the parser missed, as the admin selected it in the source text."""

    start: int
    end: int
    selected: str
    key: str
    title: str
    lead: str
    cooperating: str = ""
    due: str = ""
    create_departments: bool = False  # unknown names become new departments


def add_measure(
    session: Session,
    version_id: int,
    new: NewMeasure,
    *,
    reader: DepartmentReader,
    actor: str,
    now: datetime | None = None,
) -> str:
    """Add a measure at the selected span of the draft's text; returns its id."""
    version = _draft(session, version_id)
    assert version.id is not None
    start, end = check_span(version.text, new.start, new.end, new.selected)
    sentence = version.text[start:end]
    key = new.key.strip()
    if not is_task_id(key) or key.count(".") != 1:
        raise ReviewRefused(
            f"{key[:20]!r} is not a measure id like 3.12",
            f"编号“{key[:20]}”不是措施编号（如 3.12）",
        )
    rows = rc.draft_tasks(session, version.id)
    if any(r.key == key for r in rows):
        raise ReviewRefused(f"id {key} is taken in this draft", f"编号 {key} 已被占用")
    title = " ".join(new.title.split()) or " ".join(sentence.split())[:60]
    if len(title) > MAX_TITLE:
        raise ReviewRefused("the title is too long", f"标题不能超过{MAX_TITLE}个字")
    create = new.create_departments
    lead, made = read_departments(session, split_names(new.lead)[:1], reader, create=create)
    if not lead:
        raise ReviewRefused("a lead unit is required", "请填写牵头单位")
    coop, made2 = read_departments(session, split_names(new.cooperating), reader, create=create)
    coop = [c for c in coop if c != lead[0]]
    due = parse_due(new.due) or version.period_end
    _create_departments(session, [*made, *made2])
    before = [r for r in rows if r.span_start <= start]
    chapter = before[-1].chapter if before else ""
    row = DraftTask(
        version_id=version.id,
        key=key,
        kind="measure",
        chapter=chapter,
        title=title,
        text=sentence,
        due=due,
        span_start=start,
        span_end=end,
        lead=lead[0],
        cooperating=coop,
        added=True,
    )
    session.add(row)
    at = rows.index(before[-1]) + 1 if before else 0
    rc.renumber_positions(session, [*rows[:at], row, *rows[at:]])
    value = {
        "key": key,
        "title": title,
        "chapter": chapter,
        "lead": lead[0],
        "cooperating": coop,
        "due": due.isoformat() if due else None,
    }
    rc.add_correction(
        session,
        plan_id=version.plan_id,
        version_id=version.id,
        key=key,
        field="add",
        value=value,
        parsed=None,
        sentence=sentence,
        actor=actor,
        now=now,
    )
    repo.audit(
        session,
        actor=actor,
        action="review_add",
        detail={**value, "span": [start, end]},
        version_id=version.id,
        now=now,
    )
    session.flush()
    return key


def decide_offered(
    session: Session,
    correction_id: int,
    *,
    accept: bool,
    actor: str,
    now: datetime | None = None,
) -> Correction:
    """The admin's word on a correction a revision put in doubt: accept applies it to the
    revised task (and anchors it to the new sentence), dismiss lets it go."""
    c = rc.get_correction(session, correction_id)
    if c.state != CorrectionState.OFFERED or c.offered_version_id is None:
        raise ReviewRefused("this correction is not waiting for review", "该更正无需确认")
    version = _draft(session, c.offered_version_id)
    assert version.id is not None
    if accept:
        if c.offered_key is None:
            raise ReviewRefused(
                "the task is not in this revision; the correction can only be dismissed",
                "修订稿中已没有该任务，此更正只能作废",
            )
        rows = rc.draft_tasks(session, version.id)
        i = next((n for n, r in enumerate(rows) if r.key == c.offered_key), None)
        if i is None:
            raise ReviewRefused("the task is not in this draft", "草稿中没有该任务")
        if c.field == "drop":
            for r in rows:
                if r.key == c.offered_key or r.parent_key == c.offered_key:
                    r.dropped = True
                    session.add(r)
        else:
            specs = [spec_of(r) for r in rows]
            apply_field(specs, i, c.field, c.value)
            _write_specs(session, rows, specs)
        c.state, c.key = CorrectionState.ACTIVE, c.offered_key
        c.sentence = c.offered_sentence or c.sentence
    else:
        c.state = CorrectionState.DISMISSED
    c.offered_version_id = None
    c.offered_key = c.offered_sentence = None
    session.add(c)
    repo.audit(
        session,
        actor=actor,
        action="correction_accepted" if accept else "correction_dismissed",
        detail={"correction": c.id, "key": c.key, "field": c.field, "value": c.value},
        task_id=c.task_id,
        version_id=version.id,
        now=now,
    )
    session.flush()
    return c


def department_choices(session: Session) -> list[tuple[str, list[str]]]:
    """Known departments with their aliases, for the page's picker."""
    out: list[tuple[str, list[str]]] = []
    for d in repo.list_departments(session):
        out.append((d.name, list(d.aliases or [])))
    return out


__all__ = [
    "FIELD_ZH",
    "DepartmentReader",
    "Edit",
    "NewMeasure",
    "ReviewRefused",
    "add_measure",
    "decide_offered",
    "department_choices",
    "drop_task",
    "edit_task",
]
