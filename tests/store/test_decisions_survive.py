"""Decisions survive revisions, and overdue is one rule on the real store (both backends).

A revision changes a task's deadline only when the plan's own date for it changed; an approved
extension, a return, a closure and every reply stay with their task. Overdue is counted in
working days on the stored calendar (the admin's overrides included), counting units only.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from seed_revision import SEED, revised_seed_text
from sqlalchemy import Engine

from bot.config import Settings
from bot.errors import UserError
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.loading import apply_revision, load_plan, preview_revision
from bot.store.repo import Action
from bot.store.repo.calendar import set_calendar_override
from parser import parse_document

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 1, 3, 10, 0, tzinfo=SH)
AS_OF = date(2024, 1, 5)
APPROVED = date(2024, 6, 30)


@pytest.fixture(scope="module")
def seed_plan():  # type: ignore[no-untyped-def]
    return parse_document(SEED)


@pytest.fixture(scope="module")
def revised_plan(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("rev") / "v2.txt"
    path.write_text(revised_seed_text(), encoding="utf-8")
    return parse_document(path)


def _pk(engine: Engine, key: str) -> int:
    with session_scope(engine) as s:
        return repo.find_task(s, key).id or 0


def _extend(engine: Engine, key: str, to: date) -> int:
    """The lead asks 延期 and the operator (admin) approves it."""
    pk = _pk(engine, key)
    with session_scope(engine) as s:
        repo.record_status(
            s,
            pk,
            Action.REQUEST_EXTENSION,
            contact_id=None,
            new_due=to,
            note="资金未到位",
            now=NOW,
        )
        repo.record_status(s, pk, Action.APPROVE_EXTENSION, contact_id=None, now=NOW)
    return pk


def _due(engine: Engine, pk: int) -> date | None:
    with session_scope(engine) as s:
        return repo.get_task(s, pk).due


def test_a_revision_that_does_not_touch_a_task_keeps_its_approved_extension(
    engine: Engine,
    seed_plan,
    revised_plan,  # type: ignore[no-untyped-def]
) -> None:
    with session_scope(engine) as s:
        load_plan(s, seed_plan, now=NOW)
    extended = _extend(engine, "3.8.3", APPROVED)  # the revision leaves 3.8.3's words and date
    closed = _pk(engine, "3.8.5")
    with session_scope(engine) as s:
        repo.record_status(
            s, closed, Action.REPORT_DONE, contact_id=None, raw_message="完成 3.8.5", now=NOW
        )
        repo.record_status(s, closed, Action.CLOSE, contact_id=None, now=NOW)
    returned = _pk(engine, "4.5.1")
    with session_scope(engine) as s:
        repo.record_status(s, returned, Action.REPORT_DONE, contact_id=None, now=NOW)
        repo.record_status(s, returned, Action.RETURN, contact_id=None, note="材料不全", now=NOW)
        events_before = len(repo.status_events(s, returned))
    with session_scope(engine) as s:
        rev = preview_revision(s, revised_plan)
    change = next(c for c in rev.diff.changes if c.old and c.old.pk == extended)
    assert "due" not in change.fields  # the plan's dates are compared, not the decision
    assert change.to_json()["decided_due"] == APPROVED.isoformat()
    with session_scope(engine) as s:
        apply_revision(s, revised_plan, now=NOW)
    assert _due(engine, extended) == APPROVED
    with session_scope(engine) as s:
        assert repo.get_task(s, extended).status == "in_progress"
        assert repo.get_task(s, closed).status == "closed"
        assert repo.get_task(s, returned).status == "returned"
        assert len(repo.status_events(s, returned)) == events_before
        assert repo.get_task(s, extended).plan_due == date(2023, 12, 31)


def test_when_the_plan_moves_a_decided_date_the_admin_chooses(
    engine: Engine,
    seed_plan,
    revised_plan,  # type: ignore[no-untyped-def]
) -> None:
    with session_scope(engine) as s:
        load_plan(s, seed_plan, now=NOW)
    pk = _extend(engine, "3.4.2", APPROVED)  # the revision moves 3.4.2 from 2023 to 2024
    with session_scope(engine) as s:
        rev = preview_revision(s, revised_plan)
    change = next(c for c in rev.diff.changes if c.old and c.old.pk == pk)
    old_plan, new_plan = change.fields["due"]
    assert old_plan == date(2023, 12, 31) and new_plan != old_plan
    assert change.due_conflict and change.to_json()["decided_due"] == APPROVED.isoformat()
    # Default: the decision stands.
    with session_scope(engine) as s, pytest.raises(UserError, match=r"9\.9\.9"):
        apply_revision(s, revised_plan, now=NOW, take_plan_due=["9.9.9"])
    with session_scope(engine) as s:
        apply_revision(s, revised_plan, now=NOW)
    assert _due(engine, pk) == APPROVED


def test_the_admin_may_take_the_plans_new_date(
    engine: Engine,
    seed_plan,
    revised_plan,  # type: ignore[no-untyped-def]
) -> None:
    with session_scope(engine) as s:
        load_plan(s, seed_plan, now=NOW)
    pk = _extend(engine, "3.4.2", APPROVED)
    with session_scope(engine) as s:
        rev = preview_revision(s, revised_plan)
    change = next(c for c in rev.diff.changes if c.old and c.old.pk == pk)
    with session_scope(engine) as s:
        apply_revision(s, revised_plan, now=NOW, take_plan_due=[change.key])
    assert _due(engine, pk) == change.fields["due"][1]


def test_overdue_is_working_days_on_the_stored_calendar(engine: Engine, seed_plan) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        load_plan(s, seed_plan, now=NOW)
    with session_scope(engine) as s:
        row = next(r for r in repo.list_tasks(s, as_of=AS_OF, overdue=True) if r.id == "3.8.3")
        # Due Sunday 2023-12-31; 1 January is 元旦: 2, 3, 4, 5 January.
        assert row.overdue_days == 4
        before = {d.department: d.overdue for d in repo.department_overview(
            s, as_of=date(2024, 1, 2), soon_until=date(2024, 1, 2))}  # fmt: skip
        assert before["市能源局"] == 2
    with session_scope(engine) as s:
        # The admin declares 2 January a day off: still overdue on the 3rd, one day less.
        set_calendar_override(s, date(2024, 1, 2), False, note="test")
    with session_scope(engine) as s:
        row = next(r for r in repo.list_tasks(s, as_of=AS_OF, overdue=True) if r.id == "3.8.3")
        assert row.overdue_days == 3
        # On the 2nd itself nothing is overdue yet: no working day has passed since the 31st.
        late = repo.department_overview(s, as_of=date(2024, 1, 2), soon_until=date(2024, 1, 2))
        assert all(d.overdue == 0 for d in late)
        assert repo.list_tasks(s, as_of=date(2024, 1, 2), overdue=True) == []
        stats = {d.department: d for d in repo.department_stats(s, as_of=date(2024, 1, 2))}
        assert all(d.overdue == 0 for d in stats.values())


async def test_an_extension_to_9999_does_not_stop_the_reminder_pass(
    engine: Engine,
    seed_plan,  # type: ignore[no-untyped-def]
) -> None:
    # Issue 12 item 4: date(y + 1, 1, 1) overflowed on 9999-12-31 and failed every pass.
    with session_scope(engine) as s:
        load_plan(s, seed_plan, now=NOW)
        repo.upsert_contacts(s, [repo.ContactSpec("市能源局", "张伟", "webchat", "zw", "contact")])
    _extend(engine, "3.8.3", date(9999, 12, 31))
    service = ReminderService(Database(engine), Renderer(), Settings())
    result = await service.run_pass(datetime(2024, 1, 5, 10, 0, tzinfo=SH), dry_run=True)
    items = [i.task_id for m in result.planned for i in m.items]
    assert "3.8.5" in items and "3.8.3" not in items
    with session_scope(engine) as s:
        row = repo.task_row(s, _pk(engine, "3.8.3"), as_of=AS_OF)
    assert row.due == date(9999, 12, 31) and row.overdue_days == 0
