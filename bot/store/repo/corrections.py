"""Draft versions, their task rows and the admins' corrections (bot/store/review.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.errors import NotFound
from bot.store.models import (
    Correction,
    CorrectionState,
    DraftTask,
    PlanVersion,
    VersionState,
)
from bot.store.repo.plans import list_versions, utcnow
from bot.store.specs import TaskSpec, text_sha256
from parser.model import Plan


def add_draft_version(
    session: Session, plan_id: int, parsed: Plan, *, now: datetime | None = None
) -> PlanVersion:
    """Store a version's text as a draft: not current, defining no task. A draft the plan
    already had is discarded (the newer upload replaces it; its corrections stay)."""
    numbers = [v.number for v in list_versions(session, plan_id)]
    session.exec(
        update(PlanVersion)
        .where(col(PlanVersion.plan_id) == plan_id, col(PlanVersion.state) == VersionState.DRAFT)
        .values(state=VersionState.DISCARDED)
    )
    version = PlanVersion(
        plan_id=plan_id,
        number=max(numbers, default=0) + 1,
        title=parsed.document.title,
        source=parsed.document.source,
        sha256=text_sha256(parsed.text),
        text=parsed.text,
        period_end=parsed.document.period_end,
        is_current=False,
        loaded_at=utcnow(now),
        state=VersionState.DRAFT,
        warnings=[w.to_dict() for w in parsed.warnings],
    )
    session.add(version)
    session.flush()
    return version


def make_current(session: Session, version: PlanVersion) -> None:
    """The published draft becomes its plan's current version."""
    session.exec(
        update(PlanVersion)
        .where(col(PlanVersion.plan_id) == version.plan_id)
        .values(is_current=False)
    )
    session.flush()
    session.refresh(version)
    version.is_current = True
    version.state = VersionState.PUBLISHED
    session.add(version)
    session.flush()


def draft_version(session: Session, version_id: int) -> PlanVersion:
    """The version, which must be a draft still under review."""
    version = session.get(PlanVersion, version_id)
    if version is None:
        raise NotFound(f"no plan version with id {version_id}")
    return version


def open_drafts(session: Session) -> list[PlanVersion]:
    """Every draft waiting for review, oldest first."""
    return list(
        session.exec(
            select(PlanVersion)
            .where(PlanVersion.state == VersionState.DRAFT)
            .order_by(col(PlanVersion.id))
        )
    )


def plan_draft(session: Session, plan_id: int) -> PlanVersion | None:
    return session.exec(
        select(PlanVersion).where(
            PlanVersion.plan_id == plan_id, PlanVersion.state == VersionState.DRAFT
        )
    ).first()


def insert_draft_tasks(session: Session, version_id: int, specs: Sequence[TaskSpec]) -> None:
    session.add_all(
        DraftTask(
            version_id=version_id,
            key=s.key,
            kind=s.kind,
            parent_key=s.parent_key,
            chapter=s.chapter,
            title=s.title,
            text=s.text,
            value=s.value,
            due=s.due,
            span_start=s.span[0],
            span_end=s.span[1],
            lead=s.lead,
            cooperating=list(s.cooperating),
            position=s.position,
        )
        for s in specs
    )
    session.flush()


def draft_tasks(session: Session, version_id: int) -> list[DraftTask]:
    """The draft's rows in plan order, dropped ones included."""
    return list(
        session.exec(
            select(DraftTask)
            .where(DraftTask.version_id == version_id)
            .order_by(col(DraftTask.position), col(DraftTask.id))
        )
    )


def draft_task(session: Session, version_id: int, key: str) -> DraftTask:
    row = session.exec(
        select(DraftTask).where(DraftTask.version_id == version_id, DraftTask.key == key)
    ).first()
    if row is None:
        raise NotFound(f"no task {key} in this draft")
    return row


def renumber_positions(session: Session, rows: Sequence[DraftTask]) -> None:
    for pos, row in enumerate(rows):
        if row.position != pos:
            row.position = pos
            session.add(row)
    session.flush()


def add_correction(
    session: Session,
    *,
    plan_id: int,
    version_id: int,
    key: str,
    field: str,
    value: Any,
    parsed: Any,
    sentence: str,
    actor: str,
    task_id: int | None = None,
    now: datetime | None = None,
) -> Correction:
    """Record a correction; a live one of the same task and field is replaced (the parser's
    value it corrected is kept from the first)."""
    same = session.exec(
        select(Correction).where(
            Correction.plan_id == plan_id,
            Correction.key == key,
            Correction.field == field,
            Correction.state != CorrectionState.DISMISSED,
        )
    ).first()
    if same is not None and same.task_id == task_id:
        same.value, same.actor, same.at = value, actor, utcnow(now)
        same.version_id, same.sentence = version_id, sentence
        same.state = CorrectionState.ACTIVE
        same.offered_version_id = same.offered_key = same.offered_sentence = None
        session.add(same)
        session.flush()
        return same
    row = Correction(
        plan_id=plan_id,
        task_id=task_id,
        key=key,
        field=field,
        value=value,
        parsed=parsed,
        sentence=sentence,
        version_id=version_id,
        actor=actor,
        at=utcnow(now),
    )
    session.add(row)
    session.flush()
    return row


def list_corrections(
    session: Session, plan_id: int, *, states: Sequence[str] | None = None
) -> list[Correction]:
    stmt = select(Correction).where(Correction.plan_id == plan_id).order_by(col(Correction.id))
    if states is not None:
        stmt = stmt.where(col(Correction.state).in_(list(states)))
    return list(session.exec(stmt))


def get_correction(session: Session, correction_id: int) -> Correction:
    row = session.get(Correction, correction_id)
    if row is None:
        raise NotFound(f"no correction with id {correction_id}")
    return row


def offered_corrections(session: Session, version_id: int) -> list[Correction]:
    """Corrections waiting for the admin's word on this draft."""
    return list(
        session.exec(
            select(Correction)
            .where(
                Correction.offered_version_id == version_id,
                Correction.state == CorrectionState.OFFERED,
            )
            .order_by(col(Correction.id))
        )
    )
