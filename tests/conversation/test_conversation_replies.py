"""Replies written the way officials write, through the conversation and a real store.

Every test runs on SQLite and on PostgreSQL (the seed plan and sample contacts loaded):
what a sentence says is recorded, questions wait in the database, decisions reach the
department through the outbox exactly once, and nothing a message does raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

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
ENERGY = "nyj-zhangwei"  # 市能源局 contact: leads 3.8.x, cooperates on 3.4.2
ENERGY_LEADER = "nyj-liqiang"
NDRC = "fgw-wangfang"  # 市发展改革委 contact: cooperates on 3.8.x, leads 3.4.x
FARM = "nync-zhouyong"  # 市农业农村局: not on 3.8
COORD = "zfb-guomin"

Say = Callable[..., Awaitable[str]]


@pytest.fixture
def seeded(db_url: str) -> Engine:
    return seeded_engine(db_url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AS_OF)


def _conversation(engine: Engine, matcher: TaskMatcher, clock: FixedClock) -> Conversation:
    return Conversation(Database(engine), Renderer(), matcher, clock)


@pytest.fixture
def talk(seeded: Engine, matcher: TaskMatcher, clock: FixedClock) -> Say:
    conv = _conversation(seeded, matcher, clock)
    counter = iter(range(10_000))

    async def say(user: str, text: str, via: Conversation | None = None) -> str:
        msg = IncomingMessage("webchat", user, text, f"r{next(counter)}", clock.now())
        reply = await (via or conv).handle(msg)
        assert reply is not None
        return reply

    return say


def _events(engine: Engine, key: str) -> list[StatusEvent]:
    with session_scope(engine) as s:
        task = repo.find_task(s, key)
        return list(s.exec(select(StatusEvent).where(StatusEvent.task_id == task.id)).all())


def _outbox(engine: Engine, kind: str) -> list[Outbox]:
    with session_scope(engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == kind)).all())


# -- ids anywhere, several ids, what the sentence says ---------------------------------------


async def test_id_with_the_status_word_stuck_to_it(talk: Say, seeded: Engine) -> None:
    reply = await talk(ENERGY, "3.8.3已完成")
    assert "3.8.3" in reply and "已报完成" in reply
    assert task_status(seeded, "3.8.3") == "reported"


async def test_id_mid_sentence(talk: Say, seeded: Engine) -> None:
    await talk(ENERGY, "关于3.8.5：已办结，佐证材料随后报送")
    assert task_status(seeded, "3.8.5") == "reported"
    assert _events(seeded, "3.8.5")[0].raw_message == "关于3.8.5：已办结，佐证材料随后报送"


async def test_several_ids_in_one_message(talk: Say, seeded: Engine) -> None:
    reply = await talk(ENERGY, "3.8.3、3.8.5均已完成")
    assert "3.8.3" in reply and "3.8.5" in reply
    assert task_status(seeded, "3.8.3") == task_status(seeded, "3.8.5") == "reported"


@pytest.mark.parametrize(
    "text",
    ["3.8.3计划下月完成", "3.8.3大部分已完成", "3.8.3还在推进中", "3.8.3尚未启动"],
)
async def test_future_partial_and_not_yet_are_progress_not_done(
    talk: Say, seeded: Engine, text: str
) -> None:
    reply = await talk(ENERGY, text)
    assert "已报完成" not in reply and "进展" in reply
    assert task_status(seeded, "3.8.3") == "in_progress"


async def test_percent_in_words_is_recorded(talk: Say, seeded: Engine) -> None:
    reply = await talk(ENERGY, "3.8.3目前完成了百分之六十")
    assert "60%" in reply
    assert _events(seeded, "3.8.3")[0].note.startswith("60% ")


# -- extensions ------------------------------------------------------------------------------


async def test_extension_in_a_sentence_to_next_year(talk: Say, seeded: Engine) -> None:
    reply = await talk(ENERGY, "申请3.8.5延期到明年3月底，原因是设备到货推迟")
    assert "2023年12月31日" in reply and "2025年3月31日" in reply
    assert "原因：设备到货推迟" in reply
    [event] = _events(seeded, "3.8.5")
    assert event.requested_due == date(2025, 3, 31) and event.note == "设备到货推迟"


async def test_extension_to_an_earlier_date_is_refused(talk: Say, seeded: Engine) -> None:
    reply = await talk(ENERGY, "延期 3.8.5 2023年10月31日 选址调整")
    assert "须晚于现截止日期" in reply
    assert task_status(seeded, "3.8.5") == "pending"
    assert "须晚于" in await talk(ENERGY, "延期 3.8.1 2024年6月30日 资金")  # due 2025-12-31


# -- decisions reach the department -------------------------------------------------------------


async def test_decisions_are_told_to_the_department_exactly_once(
    talk: Say, seeded: Engine
) -> None:
    await talk(ENERGY, "完成 3.8.3")
    reply = await talk(COORD, "退回 3.8.3 佐证材料不全")
    assert "已通知该单位联系人（2人）" in reply
    notices = _outbox(seeded, "decision")
    assert sorted(n.user_id for n in notices) == [ENERGY_LEADER, ENERGY]
    assert all("退回原因：佐证材料不全" in n.text for n in notices)
    assert "不能办理" in await talk(COORD, "退回 3.8.3 再退一次")  # refused: nothing new
    assert len(_outbox(seeded, "decision")) == 2

    await talk(ENERGY, "3.8.3已补充材料，已完成")
    await talk(COORD, "3.8.3 销号")
    texts = [n.text for n in _outbox(seeded, "decision")]
    assert sum("【已销号】3.8.3" in t for t in texts) == 2


async def test_extension_decisions_go_back_to_the_requester(talk: Say, seeded: Engine) -> None:
    await talk(ENERGY, "3.8.5申请延期至2024年6月底，因选址调整")
    assert "已批准" in await talk(COORD, "同意3.8.5延期")
    [approved, _] = sorted(_outbox(seeded, "decision"), key=lambda n: n.user_id != ENERGY)
    assert approved.user_id == ENERGY
    assert "2023年12月31日调整为2024年6月30日" in approved.text
    await talk(ENERGY, "延期 3.8.3 2024-03-31 设备未到")
    await talk(COORD, "驳回延期 3.8.3 理由不充分")
    rejected = [n for n in _outbox(seeded, "decision") if "3.8.3" in n.text]
    assert len(rejected) == 2 and all("原因：理由不充分" in n.text for n in rejected)


# -- cooperating units ---------------------------------------------------------------------------


async def test_cooperators_report_becomes_its_progress_note(talk: Say, seeded: Engine) -> None:
    reply = await talk(NDRC, "3.8.3已完成")
    assert "配合" in reply and "已报完成" not in reply
    assert task_status(seeded, "3.8.3") == "in_progress"
    [event] = _events(seeded, "3.8.3")
    assert event.action == "progress" and "市发展改革委" in event.note


async def test_free_text_offers_a_cooperator_only_a_progress_note(
    talk: Say, seeded: Engine
) -> None:
    # 3.4.2 (charging piles) is led by 市发展改革委; 市能源局 only cooperates.
    question = await talk(ENERGY, "新建充电桩1万台的任务已经完成了")
    assert "3.4.2" in question and "配合单位" in question
    await talk(ENERGY, "是")
    assert task_status(seeded, "3.4.2") == "in_progress"


# -- questions are state: latest only, expiring, shared by processes ----------------------------


async def test_acknowledgements_change_nothing(talk: Say, seeded: Engine) -> None:
    for text in ("收到", "好的", "收到，谢谢👍"):
        reply = await talk(ENERGY, text)
        assert "没有理解" not in reply and "好的" in reply
    with session_scope(seeded) as s:
        assert repo.list_tasks(s, as_of=AS_OF.date(), status="reported") == []


async def test_a_later_yes_does_not_answer_a_stale_question(talk: Say, seeded: Engine) -> None:
    assert "是否报送 3.8.3" in await talk(ENERGY, "180万吨以上生产煤矿智能化建设开工已经完成了")
    await talk(ENERGY, "任务")  # something else in between
    assert "没有需要确认" in await talk(ENERGY, "是")
    assert task_status(seeded, "3.8.3") == "pending"


async def test_a_question_expires(talk: Say, seeded: Engine, clock: FixedClock) -> None:
    await talk(ENERGY, "180万吨以上生产煤矿智能化建设开工已经完成了")
    clock.at = AS_OF + timedelta(minutes=31)
    assert "没有需要确认" in await talk(ENERGY, "是")
    assert task_status(seeded, "3.8.3") == "pending"


async def test_another_process_takes_the_answer(
    talk: Say, seeded: Engine, matcher: TaskMatcher, clock: FixedClock
) -> None:
    other = _conversation(seeded, matcher, clock)  # a second `serve` on the same database
    await talk(ENERGY, "180万吨以上生产煤矿智能化建设开工已经完成了")
    await talk(ENERGY, "好的", via=other)
    assert task_status(seeded, "3.8.3") == "reported"


async def test_two_tasks_fit_so_it_asks_with_numbers(talk: Say, seeded: Engine) -> None:
    question = await talk(ENERGY, "煤矿智能化开工建设已完成")
    assert "1." in question and "2." in question and "回复 1 或 2" in question
    first = question.split("1. ")[1].split(" ")[0]
    reply = await talk(ENERGY, "1")
    assert first in reply
    assert task_status(seeded, first) == "reported"


# -- take back --------------------------------------------------------------------------------


async def test_take_back_a_mistaken_report(talk: Say, seeded: Engine) -> None:
    await talk(ENERGY, "3.8.3已完成")
    reply = await talk(ENERGY, "不好意思，刚才报错了")
    assert "已撤回 3.8.3" in reply
    assert task_status(seeded, "3.8.3") == "pending"
    assert "没有找到" in await talk(ENERGY, "撤回 3.8.3")


async def test_no_take_back_after_the_coordinator_closed_it(talk: Say, seeded: Engine) -> None:
    await talk(ENERGY, "完成 3.8.3")
    await talk(COORD, "销号 3.8.3")
    assert "不能撤回" in await talk(ENERGY, "撤回 3.8.3")
    assert task_status(seeded, "3.8.3") == "closed"


async def test_only_the_reporter_takes_back(talk: Say, seeded: Engine) -> None:
    await talk(ENERGY, "完成 3.8.3")
    assert "没有找到" in await talk(ENERGY_LEADER, "撤回 3.8.3")
    assert task_status(seeded, "3.8.3") == "reported"


# -- coordinators typing department names -------------------------------------------------------


@pytest.mark.parametrize("text", ["逾期 能源局", "逾期市能源局的任务", "看看能源局的逾期情况"])
async def test_overdue_with_a_short_name_or_other_words(talk: Say, text: str) -> None:
    reply = await talk(COORD, text)
    assert "市能源局牵头的逾期任务" in reply and "3.8.3" in reply
    assert reply == await talk(COORD, "逾期 市能源局")


async def test_overdue_in_a_sentence_and_unknown_departments(talk: Say) -> None:
    assert "3.8.3" in await talk(COORD, "查看一下逾期任务")
    assert "没有找到部门“市不存在局”" in await talk(COORD, "逾期 市不存在局")
    assert "4.5.1" in await talk(COORD, "逾期 金融办")


async def test_urge_with_a_short_name_reaches_the_contacts(talk: Say, seeded: Engine) -> None:
    reply = await talk(COORD, "催办 能源局")
    assert "市能源局" in reply
    assert sorted(o.user_id for o in _outbox(seeded, "urge")) == [ENERGY_LEADER, ENERGY]


# -- who may read what (issue 12, item 6) -------------------------------------------------------


async def test_contacts_read_only_their_departments_tasks(talk: Say) -> None:
    assert "不能" in await talk(FARM, "进度 3.8.3")
    assert "不能" in await talk(FARM, "3.8.3进展如何？")
    assert "3.8.3" in await talk(NDRC, "进度 3.8.3")  # cooperates on it
    assert "3.8.7" in await talk(ENERGY, "进度 3.8")
    assert "3.8.3" in await talk(COORD, "进度 3.8.3")


# -- never an exception to the adapter -------------------------------------------------------


async def test_an_error_in_a_handler_keeps_the_message_and_apologises(
    seeded: Engine, matcher: TaskMatcher, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = _conversation(seeded, matcher, clock)

    def boom(*_: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(conv, "_dispatch", boom)
    msg = IncomingMessage("webchat", ENERGY, "3.8.3已完成", "boom-1", AS_OF)
    reply = await conv.handle(msg)
    assert reply is not None and "抱歉" in reply and "错误编号" in reply
    assert task_status(seeded, "3.8.3") == "pending"  # nothing half-written
    with session_scope(seeded) as s:
        [row] = s.exec(select(AuditLog).where(AuditLog.action == "chat_failed")).all()
    assert row.detail["text"] == "3.8.3已完成" and row.detail["error_id"] in reply
