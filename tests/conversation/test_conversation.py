"""The conversation core over a real store holding the seed plan (SQLite)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from sqlalchemy import Engine
from sqlmodel import select

from bot.conversation.handler import Conversation
from bot.conversation.matching import TaskMatcher
from bot.events import IncomingMessage
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.models import AuditLog, Outbox, StatusEvent

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return seeded_engine(f"sqlite:///{tmp_path / 'conv.db'}")


@pytest.fixture
def talk(engine: Engine, matcher: TaskMatcher):  # type: ignore[no-untyped-def]
    conv = Conversation(Database(engine), Renderer(), matcher, FixedClock(AS_OF))
    counter = iter(range(10_000))

    async def say(user: str, text: str, platform: str = "webchat") -> str:
        msg = IncomingMessage(platform, user, text, f"m{next(counter)}", AS_OF)
        return await conv.handle(msg)

    return say


ENERGY = "nyj-zhangwei"  # 市能源局 contact (lead of 3.8)
NDRC = "fgw-wangfang"  # 市发展改革委 contact (cooperates on 3.8)
FARM = "nync-zhouyong"  # 市农业农村局 contact (not on 3.8)
COORD = "zfb-guomin"  # coordinator
ADMIN = "zfb-hejun"


async def test_unknown_sender_is_refused_and_audited(talk, engine: Engine) -> None:
    reply = await talk("stranger", "完成 3.8.3")
    assert "尚未登记" in reply
    assert task_status(engine, "3.8.3") == "pending"
    with session_scope(engine) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "refused_unknown_sender")).all()
    assert [r.actor for r in rows] == ["webchat:stranger"]


async def test_my_tasks_lists_the_departments_open_items(talk) -> None:
    reply = await talk(ENERGY, "我的任务")
    assert "3.8.3" in reply and "3.8" in reply
    farm = await talk(FARM, "任务")
    assert "3.5" in farm and "3.8.3" not in farm


async def test_lead_reports_done_with_raw_message_recorded(talk, engine: Engine) -> None:
    reply = await talk(ENERGY, "完成 ３．８．３ 已全部开工")
    assert "3.8.3" in reply and "已报完成" in reply
    assert task_status(engine, "3.8.3") == "reported"
    with session_scope(engine) as s:
        task = repo.find_task(s, "3.8.3")
        events = s.exec(select(StatusEvent).where(StatusEvent.task_id == task.id)).all()
    assert [(e.to_status, e.raw_message, e.channel) for e in events] == [
        ("reported", "完成 ３．８．３ 已全部开工", "webchat")
    ]


async def test_cooperating_unit_cannot_report_done_but_can_report_progress(
    talk, engine: Engine
) -> None:
    reply = await talk(NDRC, "完成 3.8.3")
    assert "牵头" in reply
    assert task_status(engine, "3.8.3") == "pending"
    reply = await talk(NDRC, "进度 3.8.3 40% 配合完成调度")
    assert "40%" in reply
    assert task_status(engine, "3.8.3") == "in_progress"


async def test_other_departments_task_is_refused(talk, engine: Engine) -> None:
    reply = await talk(FARM, "完成 3.8.3")
    assert "不能修改" in reply
    assert task_status(engine, "3.8.3") == "pending"


async def test_coordinator_commands_are_refused_to_contacts(talk) -> None:
    assert "仅限" in await talk(ENERGY, "逾期")
    assert "仅限" in await talk(ENERGY, "销号 3.8.3")


async def test_overdue_list_drops_a_task_once_reported(talk) -> None:
    before = await talk(COORD, "逾期 市能源局")
    assert "3.8.3" in before
    await talk(ENERGY, "完成 3.8.3")
    after = await talk(COORD, "逾期 市能源局")
    assert "3.8.3" not in after
    assert "3.8.5" in after  # the department's other 2023 milestone is still overdue


async def test_extension_request_and_approval_moves_the_due_date(talk, engine: Engine) -> None:
    reply = await talk(ENERGY, "延期 3.8.5 2024年6月30日 试点选址调整")
    assert "延期" in reply
    assert task_status(engine, "3.8.5") == "extension_requested"
    approved = await talk(COORD, "批准延期 3.8.5")
    assert "2024年6月30日" in approved and "市能源局" in approved
    with session_scope(engine) as s:
        task = repo.find_task(s, "3.8.5")
    assert task.due == date(2024, 6, 30)
    assert task.status == "in_progress"


async def test_malformed_date_changes_nothing(talk, engine: Engine) -> None:
    reply = await talk(ENERGY, "延期 3.8.5 2024-13-45 原因")
    assert "日期" in reply
    assert task_status(engine, "3.8.5") == "pending"


async def test_unknown_task_id(talk) -> None:
    assert "没有找到" in await talk(ENERGY, "完成 9.9.9")


async def test_free_text_asks_before_writing(talk, engine: Engine) -> None:
    question = await talk(ENERGY, "180万吨以上生产煤矿智能化建设开工已经完成了")
    assert "是否报送 3.8.3 已完成" in question
    assert task_status(engine, "3.8.3") == "pending"
    await talk(ENERGY, "是")
    assert task_status(engine, "3.8.3") == "reported"


async def test_free_text_declined_changes_nothing(talk, engine: Engine) -> None:
    await talk(ENERGY, "180万吨以上生产煤矿智能化建设开工已经完成了")
    assert "取消" in await talk(ENERGY, "否")
    with session_scope(engine) as s:
        assert repo.list_tasks(s, as_of=AS_OF.date(), status="reported") == []


async def test_close_after_report_and_return(talk, engine: Engine) -> None:
    await talk(ENERGY, "完成 3.8.3")
    assert "退回" in await talk(COORD, "退回 3.8.3 材料不全")
    assert task_status(engine, "3.8.3") == "returned"
    await talk(ENERGY, "完成 3.8.3 已补充材料")
    assert "销号" in await talk(COORD, "销号 3.8.3")
    assert task_status(engine, "3.8.3") == "closed"


async def test_close_before_report_is_refused(talk, engine: Engine) -> None:
    reply = await talk(COORD, "销号 3.8.3")
    assert "不能办理" in reply
    assert task_status(engine, "3.8.3") == "pending"


async def test_urge_queues_one_message_per_department_contact(talk, engine: Engine) -> None:
    reply = await talk(COORD, "催办 市能源局")
    assert "市能源局" in reply
    with session_scope(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "urge")).all()
    assert sorted(r.user_id for r in rows) == ["nyj-liqiang", "nyj-zhangwei"]
    assert all("3.8.3" in r.text for r in rows)
    # The confirmation counts what the department's message lists, led and 配合 apart.
    led = re.search(r"牵头任务(\d+)项", rows[0].text)
    said = re.search(r"涉及牵头任务(\d+)项", reply)
    assert led and said and led.group(1) == said.group(1)
    await talk(COORD, "催办 市能源局")  # the same day again: nothing new
    with session_scope(engine) as s:
        assert len(s.exec(select(Outbox).where(Outbox.kind == "urge")).all()) == 2


async def test_stats_and_help(talk) -> None:
    stats = await talk(COORD, "统计")
    assert "市能源局" in stats
    help_contact = await talk(ENERGY, "帮助")
    help_coord = await talk(COORD, "帮助")
    assert "完成" in help_contact and "销号" not in help_contact
    assert "销号" in help_coord


async def test_progress_query_shows_milestones(talk) -> None:
    reply = await talk(COORD, "进度 3.8")
    assert "3.8.3" in reply and "3.8.7" in reply


async def test_a_message_delivered_twice_is_handled_once(engine: Engine, matcher) -> None:  # type: ignore[no-untyped-def]
    # Two conversations = two workers; the same platform message reaches both.
    one = Conversation(Database(engine), Renderer(), matcher, FixedClock(AS_OF))
    two = Conversation(Database(engine), Renderer(), matcher, FixedClock(AS_OF))
    msg = IncomingMessage("matrix", "@x:localhost", "进度 3.8.3 30%", "$event1", AS_OF)
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s, [repo.ContactSpec("市能源局", "张伟", "matrix", "@x:localhost", "contact")]
        )
    first = await one.handle(msg)
    again = await two.handle(msg)
    assert first is not None and "30%" in first
    assert again is None
    with session_scope(engine) as s:
        task = repo.find_task(s, "3.8.3")
        events = s.exec(select(StatusEvent).where(StatusEvent.task_id == task.id)).all()
    assert len(events) == 1


async def test_answers_for_outbox_platforms_are_queued_with_the_change(
    engine: Engine,
    matcher,  # type: ignore[no-untyped-def]
) -> None:
    conv = Conversation(
        Database(engine),
        Renderer(),
        matcher,
        FixedClock(AS_OF),
        queue_replies=frozenset({"wecom"}),
    )
    with session_scope(engine) as s:
        repo.upsert_contacts(s, [repo.ContactSpec("市能源局", "张伟", "wecom", "zw", "contact")])
    ctx = {"agent_id": 1000002}
    msg = IncomingMessage("wecom", "zw", "完成 3.8.3", "7100000000000000009", AS_OF, ctx)
    assert await conv.handle(msg) is None, "the adapter sends nothing itself"
    assert await conv.handle(msg) is None  # a retry: handled once, queued once
    with session_scope(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "reply")).all()
    assert [(r.key, r.user_id, r.reply_context) for r in rows] == [
        ("reply:wecom:7100000000000000009", "zw", ctx)
    ]
    assert "已报完成" in rows[0].text
    assert task_status(engine, "3.8.3") == "reported"
