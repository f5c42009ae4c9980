"""Putting parsed plans into the store: a first load, and revisions (preview or apply).

Both take an already parsed `Plan` (the CLI parses) and run inside the caller's
transaction, so `regenerate --apply` is all-or-nothing: a crash or kill -9 midway leaves the
database exactly as before.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.models import PlanKind, PlanVersion
from bot.store.regenerate import PlanDiff, diff_tasks
from bot.store.specs import TaskSpec, plan_specs, text_sha256
from parser.model import Plan


@dataclass(frozen=True, slots=True)
class LoadResult:
    plan_id: int
    version: PlanVersion
    created: bool  # False: this exact text was stored already, nothing changed
    tasks: int


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
    """Store `parsed` as a new plan, or do nothing if this exact text is stored already."""
    existing = repo.find_version_by_text(session, parsed.text)
    if existing is not None:
        return LoadResult(existing.plan_id, existing, created=False, tasks=0)
    specs = _check_is_plan(parsed)
    plan = repo.create_plan(session, parsed.document.title or parsed.document.source, now=now)
    assert plan.id is not None
    version = repo.add_version(session, plan.id, parsed, now=now)
    assert version.id is not None
    depts = repo.department_ids(session, _names(specs))
    repo.insert_tasks(
        session, plan_id=plan.id, version_id=version.id, specs=specs, departments=depts, now=now
    )
    repo.refresh_tracked(session, plan.id)
    repo.audit(
        session,
        actor=actor,
        action="load",
        detail={"source": parsed.document.source, "sha256": version.sha256, "tasks": len(specs)},
        version_id=version.id,
        now=now,
    )
    session.flush()
    return LoadResult(plan.id, version, created=True, tasks=len(specs))


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
    """What a revised document would change, without changing anything."""
    pid = choose_plan(session, parsed, plan_id)
    current = repo.current_version(session, pid)
    identical = current.sha256 == text_sha256(parsed.text)
    specs = _check_is_plan(parsed)
    diff = diff_tasks(repo.stored_tasks(session, pid), specs)
    return Revision(pid, diff, identical)


def apply_revision(
    session: Session,
    parsed: Plan,
    *,
    plan_id: int | None = None,
    actor: str = "cli",
    now: datetime | None = None,
    take_plan_due: Collection[str] = (),
) -> Revision:
    """Make `parsed` the plan's current version, updating tasks in place (one transaction).

    Matched tasks keep their row (and so their events, reminders and outbox rows, status,
    returns, closures and approved extensions); new ones start `pending`; unmatched old ones
    become `withdrawn`. A deadline moves only when the plan's own date for the task changed;
    where a decided date (an approved extension) is in force it stays, unless the task's new
    id is in `take_plan_due` (the admin chose the plan's new date). Each change is audited
    with the version that caused it. Identical text is a no-op.
    """
    rev = preview_revision(session, parsed, plan_id=plan_id)
    if rev.identical:
        return rev
    unknown = set(take_plan_due) - {c.key for c in rev.diff.changes if c.due_conflict}
    if unknown:
        raise UserError(
            "--take-plan-due names tasks whose plan date did not change against an approved "
            f"date: {', '.join(sorted(unknown))}"
        )
    version = repo.add_version(session, rev.plan_id, parsed, now=now)
    assert version.id is not None
    specs = [c.new for c in rev.diff.changes if c.new is not None]
    depts = repo.department_ids(session, _names(specs))
    pks: dict[str, int] = {}
    for change in rev.diff.changes:
        spec = change.new
        if spec is None:
            continue
        if change.old is None:
            task_id = _insert_task(
                session,
                pks,
                spec,
                plan_id=rev.plan_id,
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
    for change in rev.diff.of("withdrawn"):
        assert change.old is not None
        repo.withdraw_task(session, change.old.pk, version_id=version.id, actor=actor, now=now)
    repo.refresh_tracked(session, rev.plan_id)
    repo.audit(
        session,
        actor=actor,
        action="regenerate",
        detail={"source": parsed.document.source, **rev.diff.counts()},
        version_id=version.id,
        now=now,
    )
    session.flush()
    return Revision(rev.plan_id, rev.diff, identical=False, version=version)
