"""Tasks from no plan (bot/store/manual.py) on both backends: stored in a manual plan named
for their source, reminded, listed, counted; bad input refused with nothing written."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import invoke
from sqlalchemy import Engine
from sqlmodel import func, select

from bot.config import Settings
from bot.errors import UserError
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.loading import choose_plan
from bot.store.manual import AddedTask, ManualTask, add_manual_task
from bot.store.models import PlanKind, PlanRow, Task
from bot.store.repo import ContactSpec
from parser.units import canonicalize, is_known

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 2, 1, 10, 0, tzinfo=SH)
MINUTES = "2024年第3次市长办公会纪要"


def _contacts(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
                ContactSpec("市发展改革委", "陈静", "webchat", "cj", "contact"),
            ],
        )


def _add(engine: Engine, entry: ManualTask) -> AddedTask:
    with session_scope(engine) as s:
        return add_manual_task(
            s,
            entry,
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            actor="test",
            now=NOW,
        )


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        tasks = s.exec(select(func.count()).select_from(Task)).one()
        plans = s.exec(select(func.count()).select_from(PlanRow)).one()
    return int(tasks), int(plans)


async def test_hand_made_task_is_reminded_listed_and_counted(engine: Engine) -> None:
    _contacts(engine)
    first = _add(
        engine,
        ManualTask(
            title="推进老旧小区加装电梯",
            lead="能源局",  # typed as people type it
            due=date(2024, 3, 1),
            cooperating=("发改委", "能源局"),  # the lead again is dropped
            source=MINUTES,
        ),
    )
    assert (first.key, first.lead, first.cooperating) == ("0.1", "市能源局", ("市发展改革委",))
    second = _add(
        engine,
        ManualTask(title="清理拖欠账款", lead="市发改委", due=date(2024, 4, 1), source=MINUTES),
    )
    other = _add(
        engine,
        ManualTask(title="落实领导批示", lead="市能源局", due=date(2024, 5, 1), source="批示"),
    )
    assert second.plan_id == first.plan_id != other.plan_id
    assert (second.key, other.key) == ("0.2", "0.3")
    with session_scope(engine) as s:
        plan = repo.get_plan(s, first.plan_id)
        assert (plan.title, plan.kind) == (MINUTES, PlanKind.MANUAL)
        task = repo.find_task(s, "0.1")
        assert task.id == first.pk
        # The task page's source sentence is the register line entered for it.
        assert "推进老旧小区加装电梯" in repo.source_sentence(s, first.pk)
        rows = {r.id: r for r in repo.list_tasks(s, as_of=date(2024, 3, 6))}
        assert rows["0.1"].lead == "市能源局" and rows["0.1"].overdue_days > 0
        assert rows["0.1"].plan_id == first.plan_id and rows["0.2"].overdue_days == 0
        overdue = repo.list_tasks(s, as_of=date(2024, 3, 6), overdue=True, department="市能源局")
        assert [r.id for r in overdue] == ["0.1"]
        audit = [a for a in repo.list_audit(s, task_id=first.pk) if a.action == "add_task"]
        assert audit and audit[0].detail["source"] == MINUTES

    service = ReminderService(Database(engine), Renderer(), Settings())
    result = await service.run_pass(datetime(2024, 3, 4, 10, 0, tzinfo=SH), dry_run=True)
    to_lead = [m for m in result.planned if m.contact.user_id == "zw"]
    assert [i.task_id for m in to_lead for i in m.items] == ["0.1"]
    coop = [i for m in result.planned if m.contact.user_id == "cj" for i in m.items]
    assert ("0.1", "cooperating") in {(i.task_id, i.role) for i in coop}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (ManualTask(title="x", lead="火星局", due=date(2024, 3, 1)), "unknown department 火星局"),
        (
            ManualTask(title="x", lead="能源局", due=date(2024, 3, 1), cooperating=("月球办",)),
            "unknown department 月球办",
        ),
        (ManualTask(title="  ", lead="能源局", due=date(2024, 3, 1)), "title is required"),
        (ManualTask(title="x" * 201, lead="能源局", due=date(2024, 3, 1)), "longer than 200"),
        (ManualTask(title="x", lead=" ", due=date(2024, 3, 1)), "lead is required"),
    ],
)
def test_bad_entry_is_refused_and_nothing_written(
    engine: Engine, entry: ManualTask, message: str
) -> None:
    _contacts(engine)
    before = _counts(engine)
    with pytest.raises(UserError, match=message):
        _add(engine, entry)
    assert _counts(engine) == before


def test_a_revision_never_targets_the_manual_plan(engine: Engine) -> None:
    _contacts(engine)
    added = _add(engine, ManualTask(title="x", lead="市能源局", due=date(2024, 3, 1)))
    with session_scope(engine) as s:
        with pytest.raises(UserError, match="no plan is stored yet"):
            choose_plan(s, None, None)  # type: ignore[arg-type]
        with pytest.raises(UserError, match="added by hand"):
            choose_plan(s, None, added.plan_id)  # type: ignore[arg-type]


def test_cli_tasks_add_then_listed(store_url: str) -> None:
    db = store_url
    ok = invoke(
        db,
        "tasks",
        "add",
        "--title",
        "推进老旧小区加装电梯",
        "--lead",
        "能源局",
        "--coop",
        "发改委，财政局",
        "--due",
        "2024-03-01",
        "--source",
        MINUTES,
    )
    assert ok.returncode == 0, ok.stderr
    assert "added task 0.1" in ok.stdout and "市发展改革委、市财政局" in ok.stdout
    listed = invoke(db, "tasks", "--as-of", "2024-03-06", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["id"], row["lead"], row["due"]) == ("0.1", "市能源局", "2024-03-01")
    assert row["overdue_days"] > 0
    for bad, said in (
        (["--due", "2024-02-30"], "--due must be a date"),
        (["--due", "1900-01-01"], "outside"),
        (["--due", "2024-03-01", "--lead", "火星局"], "unknown department"),
    ):
        args = ["tasks", "add", "--title", "x", "--lead", "能源局", *bad]
        run = invoke(db, *args)
        assert run.returncode == 2 and said in run.stderr, (bad, run)
    again = json.loads(invoke(db, "tasks", "--format", "json").stdout)
    assert len(again) == 1
