"""Correcting and withdrawing hand-made tasks (bot/store/manual_changes.py) on both
backends: the change is stored, audited and told to the departments through the outbox;
reminders follow it; a withdrawal keeps the history; a plan's task and bad input are
refused with nothing written; `taskbot tasks edit | withdraw`."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import invoke
from sqlalchemy import Engine
from sqlmodel import select
from store_factory import make_plan, measure

from bot.config import Settings
from bot.errors import UserError
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.loading import load_plan
from bot.store.manual import ManualTask, add_manual_task
from bot.store.manual_changes import (
    Changed,
    ManualEdit,
    edit_manual_task,
    find_manual_task,
    withdraw_manual_task,
)
from bot.store.models import Outbox, StatusEvent
from bot.store.repo import ContactSpec
from parser.units import canonicalize, is_known

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 2, 1, 10, 0, tzinfo=SH)
LATER = datetime(2024, 2, 2, 10, 0, tzinfo=SH)
MINUTES = "2024年第3次市长办公会纪要"
RENDER = Renderer().render


def _setup(engine: Engine) -> int:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
                ContactSpec("市发展改革委", "陈静", "webchat", "cj", "contact"),
                ContactSpec("市财政局", "王芳", "webchat", "wf", "contact"),
            ],
        )
        added = add_manual_task(
            s,
            ManualTask(
                title="推进老旧小区加装电梯",
                lead="能源局",
                due=date(2024, 3, 1),
                cooperating=("发改委",),
                source=MINUTES,
            ),
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            actor="test",
            now=NOW,
        )
    return added.pk


def _edit(engine: Engine, pk: int, change: ManualEdit) -> Changed:
    with session_scope(engine) as s:
        return edit_manual_task(
            s,
            pk,
            change,
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            render=RENDER,
            actor="何军 (dashboard)",
            now=LATER,
        )


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with session_scope(engine) as s:
        return [(o.user_id, o.text) for o in s.exec(select(Outbox).order_by(Outbox.id))]


async def _reminded(engine: Engine, day: datetime) -> set[tuple[str, str]]:
    service = ReminderService(Database(engine), Renderer(), Settings())
    result = await service.run_pass(day, dry_run=True)
    return {(m.contact.user_id, i.task_id) for m in result.planned for i in m.items}


async def test_edit_moves_lead_and_due_and_tells_both_departments(engine: Engine) -> None:
    pk = _setup(engine)
    changed = _edit(engine, pk, ManualEdit(lead="财政局", due=date(2024, 4, 1), cooperating=()))
    assert changed.fields == {
        "lead": ("市能源局", "市财政局"),
        "cooperating": ("市发展改革委", ""),
        "due": ("2024-03-01", "2024-04-01"),
    }
    sent = _outbox(engine)
    assert sorted(u for u, _ in sent) == ["cj", "wf", "zw"] and changed.told == 3
    text = sent[0][1]
    assert text.startswith(f"【任务调整】{MINUTES}交办的 0.1 推进老旧小区加装电梯")
    assert "截止日期由2024年3月1日调整为2024年4月1日" in text
    assert "牵头单位由市能源局调整为市财政局" in text
    with session_scope(engine) as s:
        (row,) = repo.list_tasks(s, as_of=date(2024, 2, 2))
        assert (row.lead, row.cooperating, row.due) == ("市财政局", [], date(2024, 4, 1))
        assert "市财政局" in repo.source_sentence(s, pk)
        (entry,) = [a for a in repo.list_audit(s, task_id=pk) if a.action == "edit_task"]
        assert entry.actor == "何军 (dashboard)"
        assert entry.detail["changes"]["lead"] == ["市能源局", "市财政局"]
    # Reminders follow the correction: the new lead, at the new date.
    near_old_due = await _reminded(engine, datetime(2024, 2, 29, 10, 0, tzinfo=SH))
    assert ("zw", "0.1") not in near_old_due and ("wf", "0.1") not in near_old_due
    near_new_due = await _reminded(engine, datetime(2024, 3, 29, 10, 0, tzinfo=SH))
    assert ("wf", "0.1") in near_new_due and ("zw", "0.1") not in near_new_due
    # The same values again: nothing changes, nothing is said.
    assert _edit(engine, pk, ManualEdit(lead="市财政局")).fields == {}
    assert len(_outbox(engine)) == 3


def test_source_only_moves_it_without_a_message(engine: Engine) -> None:
    pk = _setup(engine)
    changed = _edit(engine, pk, ManualEdit(source="领导批示"))
    assert changed.fields == {"source": (MINUTES, "领导批示")} and changed.told == 0
    assert _outbox(engine) == []
    with session_scope(engine) as s:
        task = repo.get_task(s, pk)
        assert repo.get_plan(s, task.plan_id).title == "领导批示"
        assert find_manual_task(s, "0.1").id == pk


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (ManualEdit(lead="火星局"), "unknown department 火星局"),
        (ManualEdit(title=" "), "title is required"),
        (ManualEdit(cooperating=("月球办",)), "unknown department 月球办"),
    ],
)
def test_bad_edit_is_refused_and_nothing_written(
    engine: Engine, change: ManualEdit, said: str
) -> None:
    pk = _setup(engine)
    with session_scope(engine) as s:
        before = repo.task_row(s, pk, as_of=date(2024, 2, 2))
    with pytest.raises(UserError, match=said):
        _edit(engine, pk, change)
    with session_scope(engine) as s:
        assert repo.task_row(s, pk, as_of=date(2024, 2, 2)) == before
        assert not [a for a in repo.list_audit(s, task_id=pk) if a.action == "edit_task"]
    assert _outbox(engine) == []


def test_a_plan_task_is_not_edited_here(engine: Engine) -> None:
    _setup(engine)
    with session_scope(engine) as s:
        load_plan(s, make_plan([measure("1.1", "推进节能改造", "市能源局")]), actor="test")
        plan_task = repo.find_task(s, "1.1")
        assert plan_task.id is not None
        with pytest.raises(UserError, match="comes from a plan document"):
            find_manual_task(s, "1.1")
    with pytest.raises(UserError, match="comes from a plan document"):
        _edit(engine, plan_task.id, ManualEdit(due=date(2024, 5, 1)))
    with session_scope(engine) as s, pytest.raises(UserError, match="comes from a plan"):
        withdraw_manual_task(s, plan_task.id, reason="", render=RENDER, actor="t", now=LATER)


async def test_withdraw_keeps_history_and_tells_the_departments(engine: Engine) -> None:
    pk = _setup(engine)
    with session_scope(engine) as s:
        zw = next(c for c in repo.list_contacts(s) if c.user_id == "zw")
        repo.record_status(s, pk, "进度", contact_id=zw.id, note="已完成摸底", now=NOW)
    with session_scope(engine) as s:
        done = withdraw_manual_task(
            s, pk, reason="已并入全市统一部署", render=RENDER, actor="何军 (dashboard)", now=LATER
        )
    assert done.told == 2
    sent = _outbox(engine)
    assert sorted(u for u, _ in sent) == ["cj", "zw"]
    assert sent[0][1].startswith(f"【任务撤销】{MINUTES}交办的 0.1")
    assert "撤销原因：已并入全市统一部署" in sent[0][1]
    with session_scope(engine) as s:
        events = list(s.exec(select(StatusEvent).where(StatusEvent.task_id == pk)))
        assert [(e.action, e.to_status) for e in events] == [
            ("progress", "in_progress"),
            ("withdraw", "withdrawn"),
        ]
        assert events[0].note == "已完成摸底" and events[1].channel == "manual"
        assert repo.task_row(s, pk, as_of=date(2024, 3, 6)).status == "withdrawn"
        assert repo.list_tasks(s, as_of=date(2024, 3, 6), overdue=True) == []
        withdrawn = [a for a in repo.list_audit(s, task_id=pk) if a.action == "withdraw"]
        assert withdrawn[0].detail["reason"] == "已并入全市统一部署"
    assert not {t for _, t in await _reminded(engine, datetime(2024, 2, 29, 10, tzinfo=SH))}
    with session_scope(engine) as s, pytest.raises(UserError, match="already withdrawn"):
        withdraw_manual_task(s, pk, reason="", render=RENDER, actor="t", now=LATER)
    with pytest.raises(UserError, match="withdrawn"):
        _edit(engine, pk, ManualEdit(due=date(2024, 5, 1)))


def test_cli_tasks_edit_and_withdraw(store_url: str, engine: Engine) -> None:
    _setup(engine)
    ok = invoke(store_url, "tasks", "edit", "0.1", "--due", "2024-04-01", "--lead", "财政局")
    assert ok.returncode == 0, ok.stderr
    assert "task 0.1 lead: 市能源局 -> 市财政局" in ok.stdout
    assert "task 0.1 due: 2024-03-01 -> 2024-04-01" in ok.stdout
    for args, said in (
        (["0.1"], "nothing to change"),
        (["0.1", "--due", "2024-02-30"], "--due must be a date"),
        (["0.9", "--due", "2024-04-01"], "no hand-made task 0.9"),
        (["0.1", "--lead", "火星局"], "unknown department 火星局"),
    ):
        bad = invoke(store_url, "tasks", "edit", *args)
        assert bad.returncode == 2 and said in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
    gone = invoke(store_url, "tasks", "withdraw", "0.1", "--reason", "重复交办")
    assert gone.returncode == 0 and "withdrew task 0.1" in gone.stdout, gone.stderr
    again = invoke(store_url, "tasks", "withdraw", "0.1")
    assert again.returncode == 2 and "already withdrawn" in again.stderr
