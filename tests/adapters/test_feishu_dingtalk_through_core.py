"""Feishu and DingTalk through the whole bot: the reminder pass delivers to the stand-in,
and a signed (Feishu: encrypted) 完成 callback changes the task in the real store."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from sqlalchemy import Engine
from standins import DingTalkStandIn, FeishuStandIn

from bot.adapters.base import ChatAdapter
from bot.adapters.dingtalk import DingtalkSettings
from bot.adapters.feishu import FeishuSettings
from bot.app import Core, make_adapters, make_core
from bot.config import Settings
from bot.delivery.outbox import OutboxSender

from . import test_dingtalk as dt
from . import test_feishu as fs

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


async def _remind(core: Core, adapters: dict[str, ChatAdapter], clock: FixedClock) -> None:
    await core.reminders.run_pass(clock.now())
    stats = await OutboxSender(core.db, adapters, clock).drain()
    assert stats.failed == 0 and stats.dead == 0


def _engine(tmp_path: Path, platform: str, user: str) -> Engine:
    return seeded_engine(
        f"sqlite:///{tmp_path / 'p.db'}",
        extra_contacts=f"市能源局,张三,{platform},{user},contact\n",
    )


async def _serve(adapter: ChatAdapter) -> TestClient[Any, Any]:
    app = web.Application()
    app.add_routes(adapter.routes())
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_feishu_reminder_out_and_done_in(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "feishu", fs.CONTACT)
    clock = FixedClock(AS_OF)
    async with (
        FeishuStandIn(fs.APP_ID, fs.APP_SECRET, {fs.CONTACT}) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = Settings(
            feishu=FeishuSettings(
                app_id=fs.APP_ID, app_secret=fs.APP_SECRET, verification_token=fs.VERIFY,
                encrypt_key=fs.ENCRYPT_KEY, api_base=api.url,
            )
        )  # fmt: skip
        core = make_core(settings, clock, engine)
        adapters = make_adapters(settings, http, core, clock)
        client = await _serve(adapters["feishu"])
        try:
            await _remind(core, adapters, clock)
            mine = [d for d in api.delivered if d["user"] == fs.CONTACT]
            assert len(mine) == 1 and "3.8.3" in mine[0]["text"]
            body = fs.seal(fs.event("完成 3.8.3", event_id="ev-core-1"))
            headers = fs.signed(body, time.time(), "n-core-1")
            assert fs.sdk_accepts(body, headers)
            resp = await client.post("/feishu/events", data=body, headers=headers)
            assert resp.status == 200
            await adapters["feishu"].drain()  # type: ignore[attr-defined]
        finally:
            for adapter in adapters.values():
                await adapter.close()
            await client.close()
    assert task_status(engine, "3.8.3") == "reported"
    assert api.delivered[-1]["user"] == fs.CONTACT
    assert "已报完成" in api.delivered[-1]["text"]


async def test_dingtalk_reminder_out_and_done_in(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "dingtalk", dt.CONTACT)
    clock = FixedClock(AS_OF)
    async with (
        DingTalkStandIn(dt.APP_KEY, dt.APP_SECRET, dt.ROBOT, {dt.CONTACT}) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = Settings(
            dingtalk=DingtalkSettings(
                app_key=dt.APP_KEY, app_secret=dt.APP_SECRET, robot_code=dt.ROBOT,
                api_base=api.url, oapi_base=api.url, corp_id=dt.CORP,
            )
        )  # fmt: skip
        core = make_core(settings, clock, engine)
        adapters = make_adapters(settings, http, core, clock)
        client = await _serve(adapters["dingtalk"])
        try:
            await _remind(core, adapters, clock)
            mine = [d for d in api.delivered if d["user"] == dt.CONTACT]
            assert len(mine) == 1 and "3.8.3" in mine[0]["text"]
            # The platform's clock is the real one: the adapter checks timestamps against it.
            body = dt.message(SimpleNamespace(api=api, clock=time.time), "完成 3.8.3", "msgCore1")  # type: ignore[arg-type]
            ts = str(int(time.time() * 1000))
            resp = await client.post(
                "/dingtalk/callback",
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers={"timestamp": ts, "sign": dt.sign(ts), "Content-Type": "application/json"},
            )
            assert resp.status == 200
            await adapters["dingtalk"].drain()  # type: ignore[attr-defined]
        finally:
            for adapter in adapters.values():
                await adapter.close()
            await client.close()
    assert task_status(engine, "3.8.3") == "reported"
    assert any("已报完成" in r["text"] for r in api.session_replies)
