"""A hand-made task and an imported .xlsx task list beside each other, on both backends:
a real reminder pass queues outbox rows for their lead departments' contacts, and a
coordinator's 统计 counts them like any plan's tasks."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from seeded import FixedClock
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.conversation.handler import Conversation
from bot.conversation.matching import TaskMatcher
from bot.events import IncomingMessage
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.loading import load_plan
from bot.store.manual import ManualTask, add_manual_task
from bot.store.models import Outbox
from bot.store.repo import ContactSpec
from parser import parse_document
from parser.units import canonicalize, is_known

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 2, 1, 10, 0, tzinfo=SH)


def _sheet(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    ws.append([1, "推进充电桩建设", "市财政局", "", date(2024, 3, 1)])
    ws.append([2, "推进光伏发电", "市住建局", "", "2024年12月底前"])
    wb.save(path)
    return path


def _store(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
                ContactSpec("市财政局", "王芳", "webchat", "wf", "contact"),
                ContactSpec("市住建局", "刘洋", "webchat", "ly", "contact"),
                ContactSpec("市政府办公室", "何军", "webchat", "hj", "coordinator"),
            ],
        )
        load_plan(s, parse_document(_sheet(tmp_path / "分工表.xlsx")), actor="test")
        add_manual_task(
            s,
            ManualTask("落实市长办公会议定事项", "能源局", date(2024, 3, 1), source="会议纪要"),
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            actor="test",
            now=NOW,
        )


async def test_reminded_into_the_outbox_and_counted_by_stats(
    engine: Engine, tmp_path: Path, matcher: TaskMatcher
) -> None:
    _store(engine, tmp_path)
    service = ReminderService(Database(engine), Renderer(), Settings())
    # 2024-02-29 is the last working day before both deadlines.
    result = await service.run_pass(datetime(2024, 2, 29, 10, 0, tzinfo=SH))
    assert result.queued >= 2
    with session_scope(engine) as s:
        rows = list(s.exec(select(Outbox)))
    by_user = {r.user_id: r.text for r in rows}
    assert "0.1" in by_user["zw"] and "落实市长办公会议定事项" in by_user["zw"]
    assert "1.1" in by_user["wf"] and "推进充电桩建设" in by_user["wf"]
    assert "ly" not in by_user, "nothing of 市住建局's is due yet"

    at = datetime(2024, 3, 6, 10, 0, tzinfo=SH)
    conv = Conversation(Database(engine), Renderer(), matcher, FixedClock(at))
    reply = await conv.handle(IncomingMessage("webchat", "hj", "统计", "m1", at))
    assert reply is not None
    # Units: 0.1, and the sheet's milestones 1.1 and 2.1 (their measures are counted
    # through them) = 3; the two due 2024-03-01 are overdue on 03-06.
    assert re.search(r"共3项任务", reply), reply
    assert "其中逾期2项" in reply, reply
    assert "市能源局：0/1，逾期1项" in reply and "市财政局：0/1，逾期1项" in reply, reply
    assert "市住建局：0/1" in reply, reply
