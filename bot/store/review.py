"""Parse -> review -> publish: an admin's corrections of a draft, kept so revisions keep them.

A loaded document is a draft version (bot/store/loading.py): its measures and milestones are
`draft_task` rows, and no `task` row exists for them until it is published, so nothing is
reminded, counted or shown to departments from a draft. On the review page an admin changes
a task's lead, cooperating units, due date or title, drops a false measure or adds one the
parser missed from a selected sentence. Each such correction is a `correction` row holding
the sentence it corrected. When a revision of the plan is loaded, `reapply` puts every live
correction back on the revised tasks whose sentence is unchanged (item labels aside); where
the revision rewrote that sentence the correction is *offered* on the new draft, and the
admin accepts or dismisses it there. Every action is audited with who and when.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.datebounds import check_date
from bot.errors import UserError
from bot.store import repo
from bot.store.manual import EntryRefused, Matcher, resolve_departments
from bot.store.models import (
    Correction,
    CorrectionState,
    Department,
    DraftTask,
    PlanVersion,
    VersionState,
)
from bot.store.regenerate import match
from bot.store.repo import corrections as rc
from bot.store.specs import StoredTask, TaskSpec, strip_label
from parser.ids import is_task_id

FIELDS = ("title", "lead", "cooperating", "due")
FIELD_ZH = {
    "title": "标题",
    "lead": "牵头单位",
    "cooperating": "配合单位",
    "due": "截止日期",
    "drop": "删除误识别",
    "add": "补充遗漏",
}
MAX_TITLE = 200
MAX_SELECTION = 3000


class ReviewRefused(EntryRefused):
    """A review action refused: English for the CLI, `zh` for the page; nothing written."""


@dataclass(frozen=True, slots=True)
class DepartmentReader:
    """How typed department names are read (the chat's rules: "能源局" is 市能源局)."""

    match: Matcher
    canonicalize: Callable[[str], str]
    is_known: Callable[[str], bool]


def spec_of(row: DraftTask) -> TaskSpec:
    return TaskSpec(
        key=row.key,
        kind=row.kind,
        parent_key=row.parent_key,
        chapter=row.chapter,
        title=row.title,
        text=row.text,
        value=row.value,
        due=row.due,
        span=(row.span_start, row.span_end),
        lead=row.lead,
        cooperating=tuple(row.cooperating),
        position=row.position,
    )


def same_sentence(a: str, b: str) -> bool:
    """The same source sentence, whatever item label a renumbering gave it."""
    return "".join(strip_label(a).split()) == "".join(strip_label(b).split())


def _value_of(spec: TaskSpec, name: str) -> Any:
    v = getattr(spec, name)
    if isinstance(v, date):
        return v.isoformat()
    return list(v) if isinstance(v, tuple) else v


def _set(spec: TaskSpec, name: str, value: Any) -> TaskSpec:
    if name == "due":
        return dataclasses.replace(spec, due=date.fromisoformat(value) if value else None)
    if name == "cooperating":
        coop = tuple(c for c in dict.fromkeys(value) if c != spec.lead)
        return dataclasses.replace(spec, cooperating=coop)
    if name == "lead":
        coop = tuple(c for c in spec.cooperating if c != value)
        return dataclasses.replace(spec, lead=value, cooperating=coop)
    return dataclasses.replace(spec, **{name: value})


def _shared(name: str) -> bool:
    """A measure's lead, cooperating units and title are its milestones' too."""
    return name in ("lead", "cooperating", "title")


def apply_field(specs: list[TaskSpec], i: int, name: str, value: Any) -> None:
    """Set `name` on specs[i] (and on its milestones where they share it), in place."""
    key = specs[i].key
    specs[i] = _set(specs[i], name, value)
    if specs[i].kind == "measure" and _shared(name):
        for j, s in enumerate(specs):
            if s.parent_key == key:
                specs[j] = _set(s, name, value)


@dataclass(slots=True)
class Offer:
    """A correction the revision's rewritten sentence put in doubt."""

    correction: Correction
    key: str | None  # the revised task it would apply to (None: no such task any more)
    sentence: str


@dataclass(slots=True)
class Reapplied:
    specs: list[TaskSpec]
    dropped: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)
    applied: list[Correction] = field(default_factory=list)
    offered: list[Offer] = field(default_factory=list)


def reapply(
    corrections: Sequence[Correction],
    specs: Sequence[TaskSpec],
    text: str,
    stored: Sequence[StoredTask],
) -> Reapplied:
    """Put live corrections back on a revision's specs (pure; the caller records the result).

    A correction made on a published task finds its task through the revision's match (ids
    and words, bot/store/regenerate.py); one made on a draft that was never published finds
    it by its sentence, else its id. It applies when that task's sentence is unchanged;
    otherwise it is offered for review.
    """
    out = Reapplied(list(specs))
    pairs = match(stored, specs) if stored else {}
    for_task = {stored[j].pk: i for i, (j, _sim) in pairs.items()}

    def sentence_at(spec: TaskSpec) -> str:
        return text[spec.span[0] : spec.span[1]]

    for c in corrections:
        if c.state != CorrectionState.ACTIVE:
            continue
        if c.field == "add":
            _reapply_add(out, c, text)
            continue
        i = for_task.get(c.task_id) if c.task_id is not None else None
        # A correction of a task never published (or a dropped one, whose task was
        # withdrawn) finds it by its sentence, else its id.
        if i is None and (c.task_id is None or c.field == "drop"):
            found = [
                k for k, s in enumerate(out.specs) if same_sentence(sentence_at(s), c.sentence)
            ]
            by_key = [k for k, s in enumerate(out.specs) if s.key == c.key]
            hits = found or by_key
            i = hits[0] if hits else None
        if i is None:
            if c.field != "drop":  # a dropped task that is gone needs no dropping
                out.offered.append(Offer(c, None, ""))
            continue
        spec = out.specs[i]
        now_sentence = sentence_at(spec)
        if not same_sentence(c.sentence, now_sentence):
            out.offered.append(Offer(c, spec.key, now_sentence))
            continue
        if c.field == "drop":
            out.dropped.add(spec.key)
            out.dropped.update(s.key for s in out.specs if s.parent_key == spec.key)
        else:
            apply_field(out.specs, i, c.field, c.value)
        c.sentence, c.key = now_sentence, spec.key
        out.applied.append(c)
    out.specs = [dataclasses.replace(s, position=n) for n, s in enumerate(out.specs)]
    return out


def _reapply_add(out: Reapplied, c: Correction, text: str) -> None:
    """A measure the parser missed: added again where its sentence still stands."""
    at = text.find(c.sentence) if c.sentence else -1
    v = dict(c.value or {})
    if at < 0 or any(s.key == v.get("key") for s in out.specs):
        out.offered.append(Offer(c, None, ""))
        return
    spec = TaskSpec(
        key=str(v["key"]),
        kind="measure",
        parent_key=None,
        chapter=str(v.get("chapter", "")),
        title=str(v.get("title", "")),
        text=c.sentence,
        value=None,
        due=date.fromisoformat(v["due"]) if v.get("due") else None,
        span=(at, at + len(c.sentence)),
        lead=v.get("lead"),
        cooperating=tuple(v.get("cooperating", ())),
        position=0,
    )
    before = [n for n, s in enumerate(out.specs) if s.span[0] <= at]
    out.specs.insert(before[-1] + 1 if before else 0, spec)
    out.added.add(spec.key)
    out.applied.append(c)


def record_reapplied(
    session: Session,
    result: Reapplied,
    version: PlanVersion,
    *,
    actor: str,
    now: datetime | None,
    offer: bool = True,
) -> None:
    """Note what `reapply` did on the new version: applied corrections re-anchored to it,
    doubtful ones offered on it (or, with `offer=False`, left as they were: a one-step
    revision has no review, so they simply were not applied)."""
    assert version.id is not None
    for c in result.applied:
        session.add(c)
        repo.audit(
            session,
            actor=actor,
            action="correction_reapplied",
            detail={"correction": c.id, "key": c.key, "field": c.field},
            task_id=c.task_id,
            version_id=version.id,
            now=now,
        )
    for o in result.offered:
        c = o.correction
        if offer:
            c.state = CorrectionState.OFFERED
            c.offered_version_id, c.offered_key, c.offered_sentence = (
                version.id,
                o.key,
                o.sentence,
            )
            session.add(c)
        repo.audit(
            session,
            actor=actor,
            action="correction_offered" if offer else "correction_not_applied",
            detail={"correction": c.id, "key": c.key, "field": c.field, "now_key": o.key},
            task_id=c.task_id,
            version_id=version.id,
            now=now,
        )
    session.flush()


# --- an admin's actions on a draft ---------------------------------------------------------


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


_SEPARATORS = set(",，、;；") | {" ", "\t", "\n", "\u3000"}


def split_names(raw: str) -> tuple[str, ...]:
    """Departments as typed in one field: "A、B，C" -> (A, B, C), but a separator inside
    brackets stays ("县（市、区）政府" is one name, as the parser reads it)."""
    names: list[str] = []
    part: list[str] = []
    depth = 0
    for ch in raw:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if ch in _SEPARATORS and depth == 0:
            if part:
                names.append("".join(part))
            part = []
            continue
        part.append(ch)
    if part:
        names.append("".join(part))
    return tuple(n for n in names if n.strip())


def read_departments(
    session: Session,
    typed: Sequence[str],
    reader: DepartmentReader,
    *,
    create: bool,
    given: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """Canonical names for typed departments, and the ones to create. A name in `given` (the
    task names it already, as the parser read it) stands as it is; an unknown one is refused
    (every one listed) unless the admin explicitly chose to create new departments: then it
    is taken as typed."""
    out: list[str] = []
    new: list[str] = []
    unknown: list[str] = []
    for t in typed:
        if t.strip() in given:
            if t.strip() not in out:
                out.append(t.strip())
            continue
        try:
            name = resolve_departments(
                session,
                [t],
                match=reader.match,
                canonicalize=reader.canonicalize,
                is_known=reader.is_known,
            )[0]
        except EntryRefused:
            if not create:
                unknown.append(t)
                continue
            name = " ".join(t.split())
            if not name or len(name) > 100:
                raise ReviewRefused(
                    "a new department's name is empty or too long", "新建单位的名称不正确"
                ) from None
            new.append(name)
        if name not in out:
            out.append(name)
    if unknown:
        names = "、".join(u[:40] for u in unknown[:10])
        raise ReviewRefused(
            f"unknown department {names}; pick a known one or create it explicitly",
            f"未知单位：{names}。请从列表中选择已有单位，或勾选“新建单位”后再提交",
        )
    return out, new


def parse_due(raw: str) -> date | None:
    """A due date as typed on the page (YYYY-MM-DD, empty for none)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ReviewRefused(
            f"due date must look like 2024-06-30, not {raw[:40]!r}",
            f"截止日期格式不正确（应为 2024-06-30）：{raw[:40]}",
        ) from None
    try:
        return check_date(day, "due date")
    except UserError as exc:
        raise ReviewRefused(str(exc), "截止日期超出 2000–2100 年") from None


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
    changed = [n for n, v in wanted.items() if _value_of(spec, n) != v]
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
            parsed=_value_of(spec, name),
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
            "fields": {n: [_value_of(spec, n), wanted[n]] for n in changed},
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
    start, end = _check_span(version.text, new)
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


def _check_span(text: str, new: NewMeasure) -> tuple[int, int]:
    """The selection's offsets, checked against the stored text (a stale page or a crafted
    form cannot add a sentence the document does not hold)."""
    selected = new.selected.strip()
    if not selected:
        raise ReviewRefused("select the measure's sentence first", "请先在原文中选中措施的句子")
    if len(selected) > MAX_SELECTION:
        raise ReviewRefused("the selection is too long", f"选中的文字不能超过{MAX_SELECTION}字")
    if 0 <= new.start < new.end <= len(text) and text[new.start : new.end].strip() == selected:
        lead_ws = len(text[new.start : new.end]) - len(text[new.start : new.end].lstrip())
        return new.start + lead_ws, new.start + lead_ws + len(selected)
    at = text.find(selected)
    if at < 0:
        raise ReviewRefused(
            "the selected text is not in this version's text", "选中的文字不在该版本原文中"
        )
    if text.find(selected, at + 1) >= 0:
        raise ReviewRefused(
            "the selected text occurs more than once; select a longer passage",
            "选中的文字在原文中出现多次，请多选一些",
        )
    return at, at + len(selected)


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
    "FIELDS",
    "FIELD_ZH",
    "Department",
    "DepartmentReader",
    "Edit",
    "NewMeasure",
    "Offer",
    "Reapplied",
    "ReviewRefused",
    "add_measure",
    "apply_field",
    "decide_offered",
    "department_choices",
    "drop_task",
    "edit_task",
    "reapply",
    "record_reapplied",
    "same_sentence",
    "spec_of",
]
