"""WeCom through the whole bot: a reminder pass delivered to the stand-in, and a
callback built with wechatpy's crypto that reports 完成 into the real store."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from standins import WeComStandIn, payload
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.adapters.wecom import WecomSettings
from bot.app import make_adapters, make_core
from bot.config import Settings
from bot.delivery.outbox import OutboxSender

CORP, AGENT, TOKEN = "ww1234567890abcdef", 1000002, "QDG6eK7yU4"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


async def test_reminder_out_and_done_in_over_the_wecom_protocol(tmp_path: Path) -> None:
    engine = seeded_engine(
        f"sqlite:///{tmp_path / 'w.db'}", extra_contacts="市能源局,张三,wecom,zhangsan,contact\n"
    )
    clock = FixedClock(AS_OF)
    async with (
        WeComStandIn(CORP, "app-secret", AGENT, {"zhangsan"}) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = Settings(
            wecom=WecomSettings(
                corp_id=CORP, agent_id=AGENT, secret="app-secret", token=TOKEN,
                encoding_aes_key=AES_KEY, api_base=api.url,
            )
        )  # fmt: skip
        core = make_core(settings, clock, engine)
        adapters = make_adapters(settings, http, core, clock)
        app = web.Application()
        app.add_routes(adapters["wecom"].routes())
        async with TestClient(TestServer(app)) as client:
            await core.reminders.run_pass(clock.now())
            stats = await OutboxSender(core.db, adapters, clock).drain()
            assert stats.failed == 0 and stats.dead == 0
            to_zhang = [d for d in api.delivered if d["user"] == "zhangsan"]
            assert len(to_zhang) == 1 and "3.8.3" in to_zhang[0]["text"]

            plain = payload("wecom", "text_message.xml").format(
                corp_id=CORP, user="zhangsan", create_time=int(time.time()),
                content="完成 3.8.3", msg_id="7100000000000000001", agent_id=AGENT,
            )  # fmt: skip
            nonce, ts = "1609000001", str(int(time.time()))
            sealed = ET.fromstring(
                WeChatCrypto(TOKEN, AES_KEY, CORP).encrypt_message(plain, nonce, ts)
            )
            params = {"msg_signature": sealed.findtext("MsgSignature") or "", "timestamp": ts,
                      "nonce": nonce}  # fmt: skip
            body = payload("wecom", "envelope.xml").format(
                corp_id=CORP, agent_id=AGENT, encrypt=sealed.findtext("Encrypt") or ""
            )
            resp = await client.post("/wecom/callback", params=params, data=body)
            assert resp.status == 200
            await adapters["wecom"].drain()  # type: ignore[attr-defined]
        for adapter in adapters.values():
            await adapter.close()
    assert task_status(engine, "3.8.3") == "reported"
    assert "已报完成" in api.delivered[-1]["text"]
    assert api.delivered[-1]["user"] == "zhangsan"
