"""Issue 13's examples over the built-in web chat, through the whole app over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import build_app
from bot.config import Settings
from bot.conversation.handler import Conversation
from bot.conversation.matching import TaskMatcher
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Outbox

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)
Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return seeded_engine(f"sqlite:///{tmp_path / 'chat.db'}")


@pytest.fixture
async def client(engine: Engine, matcher: TaskMatcher) -> AsyncIterator[Client]:
    app = await build_app(
        Settings(), FixedClock(AS_OF), engine, run_scheduler=False, matcher=matcher
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def _as(client: Client, engine: Engine, user_id: str) -> dict[str, str]:
    client.session.cookie_jar.clear()
    with session_scope(engine) as s:
        contact = next(c for c in repo.list_contacts(s) if c.user_id == user_id)
        token = repo.create_login_token(s, contact.id, now=AS_OF)
    assert (await client.get(f"/chat/login/{token}", allow_redirects=False)).status == 302
    page = await (await client.get("/chat")).text()
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m is not None
    return {"X-CSRF-Token": m.group(1)}


async def _say(client: Client, headers: dict[str, str], text: str) -> str:
    resp = await client.post("/chat/messages", json={"text": text}, headers=headers)
    assert resp.status == 200, await resp.text()
    reply: str = (await resp.json())["reply"]
    return reply


async def test_issue_13_examples_in_the_browser(client: Client, engine: Engine) -> None:
    energy = await _as(client, engine, "nyj-zhangwei")
    assert "已报完成" in await _say(client, energy, "3.8.3已完成")
    assert "已撤回" in await _say(client, energy, "刚才报错了")
    assert task_status(engine, "3.8.3") == "pending"
    assert "进展" in await _say(client, energy, "3.8.3计划下月完成")
    assert task_status(engine, "3.8.3") == "in_progress"
    reply = await _say(client, energy, "申请3.8.5延期到明年3月底，原因是设备到货推迟")
    assert "2025年3月31日" in reply
    assert "好的" in await _say(client, energy, "收到")

    coord = await _as(client, engine, "zfb-guomin")
    for text in ("逾期 能源局", "逾期 能源局 看一下", "查看一下逾期任务", "逾期 火星局"):
        assert await _say(client, coord, text)  # 200 with an answer, never a 500
    assert "已通知" in await _say(client, coord, "批准延期 3.8.5")
    with session_scope(engine) as s:
        notices = s.exec(select(Outbox).where(Outbox.kind == "decision")).all()
    assert {n.user_id for n in notices} == {"nyj-zhangwei", "nyj-liqiang"}


async def test_a_handler_error_is_an_apology_and_the_message_is_kept(
    client: Client, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Conversation, "_dispatch", boom)
    energy = await _as(client, engine, "nyj-zhangwei")
    reply = await _say(client, energy, "3.8.3已完成")
    assert "抱歉" in reply
    history = await (await client.get("/chat/messages")).json()
    assert [h["text"] for h in history if h["dir"] == "in"] == ["3.8.3已完成"]
