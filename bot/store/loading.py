"""Putting parsed plans into the store: parse -> draft -> review -> publish.

`load_draft` stores a document as a draft version (a new plan, or a revision of one) that
defines no task yet; `publish` makes a reviewed draft current (its tasks are created, or the
revision applied); `load_plan` and `apply_revision` are the one-step paths (`taskbot load
--publish`, `regenerate --apply`, the demo's seed). All take an already parsed `Plan` (the
CLI parses) and run inside the caller's transaction, so `regenerate --apply` is
all-or-nothing: a crash or kill -9 midway leaves the database exactly as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.errors import NotFound
from bot.store.models import Correction, CorrectionState, PlanKind, PlanVersion, VersionState
from bot.store.reapply import reapply, record_reapplied, spec_of
from bot.store.regenerate import PlanDiff, diff_tasks
from bot.store.repo import corrections as rc
from bot.store.specs import TaskSpec, plan_specs, text_sha256
from parser.model import Plan


@dataclass(frozen=True, slots=True)
class LoadResult:
    plan_id: int
    version: PlanVersion
    created: bool  # False: this exact text was stored already, nothing changed
    tasks: int
    # True: the version is a draft under review (nothing reminded until it is published).
    draft: bool = False
    reapplied: int = 0  # corrections put back on a revision draft
    offered: int = 0  # corrections a rewritten sentence put up for the admin's word


def _check_is_plan(parsed: Plan) -> list[TaskSpec]:
    specs = plan_specs(parsed)
    if not any(s.kind == "measure" for s in specs):
        raise UserError(
            f"{parsed.document.source or 'the document'} is not a plan: no measures found"
        )
    return specs


def load_plan(
    session: Session, parsed: Plan, *, actor: str = "cli", now: datetime | None = None
) -> LoadResult:
    """Store `parsed` as a new published plan in one step (`taskbot load --publish`, the
    demo's seed), or do nothing if this exact text is published already. The same text
    waiting as a draft is published as it was reviewed so far."""
    result = load_draft(session, parsed, actor=actor, now=now)
    if not result.draft:
        return result
    assert result.version.id is not None
    published = publish(session, result.version.id, actor=actor, now=now)
    return dataclasses.replace(
        result, version=published.version, created=True, tasks=published.tasks, draft=False
    )


def load_draft(
    session: Session,
    parsed: Plan,
    *,
    plan_id: int | None = None,
    actor: str = "cli",
    now: datetime | None = None,
) -> LoadResult:
    """Store `parsed` as a draft version to review: of a new plan, or (with `plan_id`) a
    revision of that plan. A draft defines no task rows, so nothing is reminded, counted or
    shown to departments until `publish`. Corrections the admins made on earlier versions
    are re-applied where their sentence is unchanged and offered for review where it is not.

    The same text stored already (for a revision: as the current version or the open
    draft) is a no-op. A plan's earlier open draft is replaced by the new one.
    """
    specs = _check_is_plan(parsed)
    if plan_id is None:
        existing = repo.find_version_by_text(session, parsed.text)
        if existing is not None:
            return _unchanged(existing)
        plan = repo.create_plan(session, parsed.document.title or parsed.document.source, now=now)
        assert plan.id is not None
        pid = plan.id
    else:
        pid = choose_plan(session, parsed, plan_id)
        sha = text_sha256(parsed.text)
        for v in (_current(session, pid), rc.plan_draft(session, pid)):
            if v is not None and v.sha256 == sha:
                return _unchanged(v)
    version = rc.add_draft_version(session, pid, parsed, now=now)
    assert version.id is not None
    stored = repo.stored_tasks(session, pid) if _current(session, pid) else []
    live = [CorrectionState.ACTIVE, CorrectionState.OFFERED]
    corrections = rc.list_corrections(session, pid, states=live)
    for c in corrections:  # offered on the draft this one replaces: judged afresh
        if c.state == CorrectionState.OFFERED:
            c.state = CorrectionState.ACTIVE
            c.offered_version_id = None
            c.offered_key = c.offered_sentence = None
    result = reapply(corrections, specs, parsed.text, stored)
    rc.insert_draft_tasks(session, version.id, result.specs)
    for row in rc.draft_tasks(session, version.id):
        if row.key in result.dropped or row.key in result.added:
            row.dropped = row.key in result.dropped
            row.added = row.key in result.added
            session.add(row)
    record_reapplied(session, result, version, actor=actor, now=now)
    repo.audit(
        session,
        actor=actor,
        action="load_draft",
        detail={
            "source": parsed.document.source,
            "sha256": version.sha256,
            "tasks": len(result.specs),
            "warnings": len(parsed.warnings),
            "reapplied": len(result.applied),
            "offered": len(result.offered),
        },
        version_id=version.id,
        now=now,
    )
    session.flush()
    return LoadResult(
        pid,
        version,
        created=True,
        tasks=len(result.specs),
        draft=True,
        reapplied=len(result.applied),
        offered=len(result.offered),
    )


def _unchanged(version: PlanVersion) -> LoadResult:
    return LoadResult(
        version.plan_id,
        version,
        created=False,
        tasks=0,
        draft=version.state == VersionState.DRAFT,
    )


def _current(session: Session, plan_id: int) -> PlanVersion | None:
    try:
        return repo.current_version(session, plan_id)
    except NotFound:
        return None


@dataclass(frozen=True, slots=True)
class Published:
    plan_id: int
    version: PlanVersion
    tasks: int
    revision: Revision | None  # set when the draft revised a published plan
    not_applied: int = 0  # corrections left unapplied (a one-step revision has no review)


def publish(
    session: Session,
    version_id: int,
    *,
    actor: str = "cli",
    now: datetime | None = None,
    take_plan_due: Collection[str] = (),
    leave_offered: bool = False,
) -> Published:
    """Make a reviewed draft the plan's current version, in the caller's transaction.

    A plan's first version creates its tasks; a revision is applied as `regenerate --apply`
    always did (tasks matched by id and words keep their row, status, replies and events;
    new ones start pending; unmatched ones are withdrawn). Refused while a correction waits
    for the admin's word on this draft, unless `leave_offered` (the one-step path: such
    corrections stay as they were, not applied).
    """
    version = rc.draft_version(session, version_id)
    if version.state != VersionState.DRAFT:
        raise UserError(
            f"version {version.number} of plan {version.plan_id} is not a draft "
            f"({version.state}); nothing to publish"
        )
    assert version.id is not None
    offered = rc.offered_corrections(session, version.id)
    if offered and not leave_offered:
        keys = ", ".join(sorted({c.offered_key or c.key for c in offered}))
        raise UserError(
            f"{len(offered)} correction(s) wait for review on this draft (tasks {keys}): "
            "accept or dismiss them on the review page first"
        )
    for c in offered:
        c.state = CorrectionState.ACTIVE
        c.offered_version_id = None
        c.offered_key = c.offered_sentence = None
        session.add(c)
    rows = rc.draft_tasks(session, version.id)
    specs = [spec_of(r) for r in rows if not r.dropped]
    if not any(s.kind == "measure" for s in specs):
        raise UserError("nothing to publish: the draft holds no measure")
    specs = [dataclasses.replace(s, position=n) for n, s in enumerate(specs)]
    current = _current(session, version.plan_id)
    revision: Revision | None = None
    if current is None:
        pks = _insert_all(session, version, specs, now=now)
    else:
        diff = diff_tasks(repo.stored_tasks(session, version.plan_id), specs)
        pks = _apply_diff(
            session, version, diff, actor=actor, now=now, take_plan_due=take_plan_due
        )
        revision = Revision(version.plan_id, diff, identical=False, version=version)
    rc.make_current(session, version)
    _link_corrections(session, version.plan_id, pks)
    repo.refresh_tracked(session, version.plan_id)
    repo.audit(
        session,
        actor=actor,
        action="publish" if current is None else "regenerate",
        detail={
            "source": version.source,
            "sha256": version.sha256,
            "tasks": len(specs),
            **(revision.diff.counts() if revision else {}),
        },
        version_id=version.id,
        now=now,
    )
    session.flush()
    return Published(version.plan_id, version, len(specs), revision, len(offered))


def _insert_all(
    session: Session, version: PlanVersion, specs: list[TaskSpec], *, now: datetime | None
) -> dict[str, int]:
    assert version.id is not None
    depts = repo.department_ids(session, _names(specs))
    return repo.insert_tasks(
        session,
        plan_id=version.plan_id,
        version_id=version.id,
        specs=specs,
        departments=depts,
        now=now,
    )


def _link_corrections(session: Session, plan_id: int, pks: dict[str, int]) -> None:
    """Corrections made on the draft now know their task; an older correction of the same
    task and field is superseded by the newer one."""
    live = rc.list_corrections(session, plan_id, states=[CorrectionState.ACTIVE])
    for c in live:
        if c.task_id is None and c.key in pks:
            c.task_id = pks[c.key]
            session.add(c)
    newest: dict[tuple[int, str], Correction] = {}
    for c in live:  # in id order: later ones win
        if c.task_id is None:
            continue
        older = newest.get((c.task_id, c.field))
        if older is not None:
            older.state = CorrectionState.DISMISSED
            session.add(older)
        newest[(c.task_id, c.field)] = c
    session.flush()


def _parent_id(pks: dict[str, int], spec: TaskSpec) -> int | None:
    # Specs list a measure before its milestones, so its row id is in `pks` by now.
    return pks.get(spec.parent_key) if spec.parent_key else None


def _insert_task(
    session: Session,
    pks: dict[str, int],
    spec: TaskSpec,
    *,
    plan_id: int,
    version_id: int,
    departments: dict[str, int],
    now: datetime | None,
) -> int:
    """Insert the task of `spec` under its parent and note its row id in `pks` (by key)."""
    task = repo.insert_task(
        session,
        plan_id=plan_id,
        version_id=version_id,
        spec=spec,
        parent_id=_parent_id(pks, spec),
        departments=departments,
        now=now,
    )
    assert task.id is not None
    pks[spec.key] = task.id
    return task.id


def _names(specs: list[TaskSpec]) -> set[str]:
    names: set[str] = set()
    for s in specs:
        if s.lead:
            names.add(s.lead)
        names.update(s.cooperating)
    return names


def choose_plan(session: Session, parsed: Plan, plan_id: int | None) -> int:
    """The plan a revision belongs to: --plan, the only plan, or the one with this title."""
    if plan_id is not None:
        chosen = repo.get_plan(session, plan_id)
        if chosen.kind == PlanKind.MANUAL:
            raise UserError(f"plan {plan_id} holds tasks added by hand; no document revises it")
        return chosen.id or plan_id
    # Tasks added by hand live in plans of their own (bot/store/manual.py): never a
    # document's revision target.
    plans = [p for p in repo.list_plans(session) if p.kind != PlanKind.MANUAL]
    if not plans:
        raise UserError("no plan is stored yet; use `taskbot load FILE` first")
    if len(plans) == 1:
        assert plans[0].id is not None
        return plans[0].id
    same = [p for p in plans if p.title == parsed.document.title]
    if len(same) == 1:
        assert same[0].id is not None
        return same[0].id
    listed = ", ".join(f"{p.id}: {p.title}" for p in plans)
    raise UserError(f"several plans are stored; say which with --plan ({listed})")


@dataclass(frozen=True, slots=True)
class Revision:
    plan_id: int
    diff: PlanDiff
    identical: bool  # the text equals the current version's: nothing to do
    version: PlanVersion | None = None  # set once applied


def preview_revision(session: Session, parsed: Plan, *, plan_id: int | None = None) -> Revision:
    """What a revised document would change (with the admins' corrections re-applied where
    their sentence is unchanged), without changing anything."""
    pid = choose_plan(session, parsed, plan_id)
    current = repo.current_version(session, pid)
    identical = current.sha256 == text_sha256(parsed.text)
    specs = _check_is_plan(parsed)
    stored = repo.stored_tasks(session, pid)
    corrections = rc.list_corrections(session, pid, states=[CorrectionState.ACTIVE])
    # Pure: the corrections are copied so that reapply's re-anchoring writes nothing.
    copies = [Correction.model_validate(c.model_dump()) for c in corrections]
    result = reapply(copies, specs, parsed.text, stored)
    kept = [s for s in result.specs if s.key not in result.dropped]
    return Revision(pid, diff_tasks(stored, kept), identical)


def apply_revision(
    session: Session,
    parsed: Plan,
    *,
    plan_id: int | None = None,
    actor: str = "cli",
    now: datetime | None = None,
    take_plan_due: Collection[str] = (),
) -> Revision:
    """Make `parsed` the plan's current version in one step (`regenerate --apply`): a draft
    revision published at once. Tasks are updated in place (see `publish`); a deadline moves
    only when the plan's own date for the task changed; where a decided date (an approved
    extension) is in force it stays, unless the task's new id is in `take_plan_due`. The
    admins' corrections are re-applied where their sentence is unchanged; the others are
    left unapplied (audited). Identical text is a no-op.
    """
    pid = choose_plan(session, parsed, plan_id)
    current = repo.current_version(session, pid)
    if current.sha256 == text_sha256(parsed.text):
        return Revision(pid, preview_revision(session, parsed, plan_id=pid).diff, True)
    draft = rc.plan_draft(session, pid)
    if draft is not None and draft.sha256 == text_sha256(parsed.text):
        # This very text waits as a draft: start over from the document.
        draft.state = VersionState.DISCARDED
        session.add(draft)
        session.flush()
    loaded = load_draft(session, parsed, plan_id=pid, actor=actor, now=now)
    assert loaded.version.id is not None
    for c in rc.offered_corrections(session, loaded.version.id):
        repo.audit(
            session,
            actor=actor,
            action="correction_not_applied",
            detail={"correction": c.id, "key": c.key, "field": c.field},
            task_id=c.task_id,
            version_id=loaded.version.id,
            now=now,
        )
    published = publish(
        session,
        loaded.version.id,
        actor=actor,
        now=now,
        take_plan_due=take_plan_due,
        leave_offered=True,
    )
    assert published.revision is not None
    return published.revision


def _apply_diff(
    session: Session,
    version: PlanVersion,
    diff: PlanDiff,
    *,
    actor: str,
    now: datetime | None,
    take_plan_due: Collection[str],
) -> dict[str, int]:
    """Apply a revision's diff to the plan's tasks with `version` as the defining version."""
    unknown = set(take_plan_due) - {c.key for c in diff.changes if c.due_conflict}
    if unknown:
        raise UserError(
            "--take-plan-due names tasks whose plan date did not change against an approved "
            f"date: {', '.join(sorted(unknown))}"
        )
    assert version.id is not None
    plan_id = version.plan_id
    specs = [c.new for c in diff.changes if c.new is not None]
    depts = repo.department_ids(session, _names(specs))
    pks: dict[str, int] = {}
    for change in diff.changes:
        spec = change.new
        if spec is None:
            continue
        if change.old is None:
            task_id = _insert_task(
                session,
                pks,
                spec,
                plan_id=plan_id,
                version_id=version.id,
                departments=depts,
                now=now,
            )
            repo.audit(
                session,
                actor=actor,
                action="add",
                detail={"key": spec.key, "text": spec.text},
                task_id=task_id,
                version_id=version.id,
                now=now,
            )
            continue
        stored = repo.get_task(session, change.old.pk)
        repo.update_task(
            session,
            stored,
            version_id=version.id,
            spec=spec,
            parent_id=_parent_id(pks, spec),
            departments=depts,
            reassign="lead" in change.fields or "cooperating" in change.fields,
            keep_decided_due=spec.key not in take_plan_due,
        )
        pks[spec.key] = change.old.pk
        if change.fields:
            repo.audit(
                session,
                actor=actor,
                action="revise",
                detail=change.to_json()["fields"],
                task_id=change.old.pk,
                version_id=version.id,
                now=now,
            )
    for change in diff.of("withdrawn"):
        assert change.old is not None
        repo.withdraw_task(session, change.old.pk, version_id=version.id, actor=actor, now=now)
    return pks
