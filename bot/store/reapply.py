"""Corrections survive revisions: put an admin's corrections back on a revised plan.

Each correction (bot/store/review.py) is kept with the source sentence it corrected. When a
revision of the plan is loaded, `reapply` finds each live correction's task in the revision
(through the revision's match by ids and words, bot/store/regenerate.py) and re-applies it
where that task's sentence is unchanged, item labels aside; where the revision rewrote the
sentence the correction is *offered* on the new draft for the admin to accept or dismiss.
Pure apart from `record_reapplied`, which notes the outcome (and audits it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.store import repo
from bot.store.models import Correction, CorrectionState, DraftTask, PlanVersion
from bot.store.regenerate import match
from bot.store.specs import StoredTask, TaskSpec, strip_label


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


def value_of(spec: TaskSpec, name: str) -> Any:
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
