"""The built-in web chat through the whole app (aiohttp test server on loopback)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from sqlalchemy import Engine

from bot.app import build_app
from bot.config import Settings
from bot.conversation.matching import TaskMatcher
from bot.store import repo
from bot.store.db import session_scope

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return seeded_engine(f"sqlite:///{tmp_path / 'chat.db'}")


@pytest.fixture
async def client(engine: Engine, matcher: TaskMatcher) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = await build_app(
        Settings(), FixedClock(AS_OF), engine, run_scheduler=False, matcher=matcher
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


def _link(engine: Engine, user_id: str) -> str:
    with session_scope(engine) as s:
        contact = next(c for c in repo.list_contacts(s) if c.user_id == user_id)
        return repo.create_login_token(s, contact.id, now=AS_OF)


async def _login(client: TestClient, engine: Engine, user_id: str) -> str:  # type: ignore[type-arg]
    resp = await client.get(f"/chat/login/{_link(engine, user_id)}", allow_redirects=False)
    assert resp.status == 302
    page = await client.get("/chat")
    assert page.status == 200
    m = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
    assert m is not None
    return m.group(1)


async def test_healthz(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json()) == {"status": "ok"}


async def test_chat_requires_a_login_link(client: TestClient) -> None:  # type: ignore[type-arg]
    assert (await client.get("/chat")).status == 401
    assert (await client.get("/chat/messages")).status == 401
    assert (await client.get("/chat/login/not-a-token", allow_redirects=False)).status == 403


async def test_login_link_works_once(client: TestClient, engine: Engine) -> None:  # type: ignore[type-arg]
    token = _link(engine, "nyj-zhangwei")
    first = await client.get(f"/chat/login/{token}", allow_redirects=False)
    assert first.status == 302
    client.session.cookie_jar.clear()
    again = await client.get(f"/chat/login/{token}", allow_redirects=False)
    assert again.status == 403


async def test_report_done_in_the_browser_chat(client: TestClient, engine: Engine) -> None:  # type: ignore[type-arg]
    csrf = await _login(client, engine, "nyj-zhangwei")
    resp = await client.post(
        "/chat/messages", json={"text": "完成 3.8.3 已开工"}, headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 200
    assert "已报完成" in (await resp.json())["reply"]
    assert task_status(engine, "3.8.3") == "reported"
    history = await (await client.get("/chat/messages")).json()
    assert (history[0]["dir"], history[0]["text"]) == ("in", "完成 3.8.3 已开工")
    assert history[-1]["dir"] == "out" and "3.8.3" in history[-1]["text"]
    later = await (await client.get(f"/chat/messages?after={history[-1]['id']}")).json()
    assert later == []


async def test_post_without_csrf_token_changes_nothing(
    client: TestClient,  # type: ignore[type-arg]
    engine: Engine,
) -> None:
    await _login(client, engine, "nyj-zhangwei")
    resp = await client.post("/chat/messages", json={"text": "完成 3.8.3"})
    assert resp.status == 403
    wrong = await client.post(
        "/chat/messages", json={"text": "完成 3.8.3"}, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status == 403
    assert task_status(engine, "3.8.3") == "pending"


async def test_bad_bodies_are_4xx(client: TestClient, engine: Engine) -> None:  # type: ignore[type-arg]
    csrf = await _login(client, engine, "nyj-zhangwei")
    h = {"X-CSRF-Token": csrf}
    assert (await client.post("/chat/messages", data=b"{not json", headers=h)).status == 400
    assert (await client.post("/chat/messages", json={"text": ""}, headers=h)).status == 400
    assert (
        await client.post("/chat/messages", json={"text": "x" * 3000}, headers=h)
    ).status == 400
    assert (await client.get("/chat/messages?after=abc")).status == 400


async def test_forged_session_cookie_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    client.session.cookie_jar.update_cookies({"taskbot_chat": "eyJjIjoxfQ.forged"})
    assert (await client.get("/chat/messages")).status == 401
