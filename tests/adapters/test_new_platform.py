"""A new platform takes one adapter module and one registry line, nothing else.

The platform here lives in this test module (its adapter, its settings model) and joins the
registry by one `PlatformSpec`. Everything else must follow from that line: its config
section and environment variables, the contacts sheet's word for it, the dashboard label,
the adapter the service builds, replies queued through the outbox, a reminder delivered to
it and a 完成 coming back from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status

import bot.adapters
from bot.adapters import PlatformSpec, platform_by_word
from bot.adapters.base import ChatAdapter
from bot.app import make_adapters, make_core
from bot.config import ConfigError, Section, load_settings
from bot.delivery.outbox import OutboxSender
from bot.events import IncomingMessage, Outgoing
from bot.web.labels import platform_label

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)
USER = "u-1001"


class NewChatSettings(Section):
    token: str
    greeting: str = "你好"


class NewChatAdapter(ChatAdapter):
    """A platform whose server is this adapter's own route: POST /testchat/inbox."""

    name: ClassVar[str] = "testchat"
    settings_model: ClassVar[type[Section]] = NewChatSettings

    def __init__(self, settings: Any, http: aiohttp.ClientSession, handler: Any) -> None:
        super().__init__(settings, http, handler)
        self.sent: list[Outgoing] = []

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post("/testchat/inbox", self._inbox)]

    async def _inbox(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Token") != self.settings.token:
            return web.json_response({"error": "bad token"}, status=403)
        body = await request.json()
        reply = await self.handler(
            IncomingMessage(
                platform=self.name,
                user_id=body["user"],
                text=body["text"],
                message_id=body["id"],
                received_at=AS_OF,
            )
        )
        return web.json_response({"reply": reply})

    async def send(self, msg: Outgoing) -> None:
        self.sent.append(msg)


SPEC = PlatformSpec("testchat", "测试平台", f"{__name__}:NewChatAdapter", ("测试聊天",))


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The one line a new platform adds to bot/adapters/__init__.py.
    monkeypatch.setattr(bot.adapters, "PLATFORMS", (*bot.adapters.PLATFORMS, SPEC))
    yield


def test_its_config_section_and_variables_are_typed_by_its_model(tmp_path: Path) -> None:
    toml = tmp_path / "taskbot.toml"
    toml.write_text('[testchat]\ntoken = "from-file"\n', encoding="utf-8")
    settings = load_settings(toml, env={"TASKBOT_TESTCHAT_GREETING": "您好"})
    section = settings.platform("testchat")
    assert isinstance(section, NewChatSettings)
    assert (section.token, section.greeting) == ("from-file", "您好")
    # Off unless configured.
    assert load_settings(None, env={}).platform("testchat") is None


def test_a_bad_key_in_its_section_names_the_section(tmp_path: Path) -> None:
    toml = tmp_path / "taskbot.toml"
    toml.write_text('[testchat]\ntoken = "t"\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"testchat\.colour"):
        load_settings(toml, env={})
    toml.write_text("[testchat]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"testchat\.token"):
        load_settings(toml, env={})


def test_its_names_come_from_the_registry_line() -> None:
    assert platform_by_word("测试聊天") == "testchat"
    assert platform_by_word("测试平台") == "testchat"
    assert platform_by_word("TestChat") == "testchat"
    assert platform_label("testchat") == "测试平台"


async def test_reminded_on_it_and_answered_from_it(tmp_path: Path) -> None:
    # The contacts sheet names the platform by its word; the import accepts it.
    engine = seeded_engine(
        f"sqlite:///{tmp_path / 'p.db'}", extra_contacts=f"市能源局,张三,测试聊天,{USER},contact\n"
    )
    settings = load_settings(None, env={"TASKBOT_TESTCHAT_TOKEN": "secret"})
    clock = FixedClock(AS_OF)
    async with aiohttp.ClientSession() as http:
        core = make_core(settings, clock, engine, queue_replies=True)
        adapters = make_adapters(settings, http, core, clock)
        adapter = adapters["testchat"]
        assert isinstance(adapter, NewChatAdapter)
        assert "testchat" in core.conversation.queue_replies

        await core.reminders.run_pass(clock.now())
        await OutboxSender(core.db, adapters, clock).drain()
        mine = [m for m in adapter.sent if m.user_id == USER]
        assert len(mine) == 1 and "3.8.3" in mine[0].text

        app = web.Application()
        app.add_routes(adapter.routes())
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        try:
            forged = await client.post(
                "/testchat/inbox",
                json={"user": USER, "text": "完成 3.8.3", "id": "m-0"},
                headers={"X-Token": "wrong"},
            )
            assert forged.status == 403
            resp = await client.post(
                "/testchat/inbox",
                json={"user": USER, "text": "完成 3.8.3", "id": "m-1"},
                headers={"X-Token": "secret"},
            )
            assert resp.status == 200
        finally:
            await client.close()
        # Answers on a platform other than the web chat go through the outbox.
        await OutboxSender(core.db, adapters, clock).drain()
    assert task_status(engine, "3.8.3") == "reported"
    assert "已报完成" in adapter.sent[-1].text
