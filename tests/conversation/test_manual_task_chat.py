"""A hand-made task (id 0.N) in the chat, like a plan task: reported 完成 by its id,
refused to a department that does not lead it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from seeded import SHANGHAI, FixedClock, seeded_engine, task_status

from bot.conversation.handler import Conversation
from bot.conversation.matching import TaskMatcher
from bot.events import IncomingMessage
from bot.render import Renderer
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.manual import ManualTask, add_manual_task
from parser.units import canonicalize, is_known

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


async def test_contact_answers_a_hand_made_task_by_its_id(
    tmp_path: Path, matcher: TaskMatcher
) -> None:
    engine = seeded_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    with session_scope(engine) as s:
        added = add_manual_task(
            s,
            ManualTask("落实市长办公会议定事项", "能源局", date(2024, 1, 31), source="会议纪要"),
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            actor="test",
            now=AS_OF,
        )
    assert added.key == "0.1"
    conv = Conversation(Database(engine), Renderer(), matcher, FixedClock(AS_OF))

    async def say(user: str, text: str, n: int) -> str:
        reply = await conv.handle(IncomingMessage("webchat", user, text, f"m{n}", AS_OF))
        assert reply is not None
        return reply

    refused = await say("nync-zhouyong", "完成 0.1", 2)  # 市农业农村局: not its task
    assert task_status(engine, "0.1") == "pending", refused
    reply = await say("nyj-zhangwei", "0.1已完成", 3)
    assert "0.1" in reply and task_status(engine, "0.1") == "reported"
