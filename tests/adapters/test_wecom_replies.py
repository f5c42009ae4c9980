"""Issue 13's examples over the WeCom protocol (wechatpy crypto, a local stand-in API):
replies as officials write them, decisions reaching the department, no lost message."""

from __future__ import annotations

import base64
import itertools
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from standins import WeComStandIn, payload
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.adapters.wecom import WecomSettings
from bot.app import make_adapters, make_core
from bot.config import Settings
from bot.conversation.handler import Conversation
from bot.delivery.outbox import OutboxSender
from bot.web.sessions import SessionCodec

CORP, AGENT, TOKEN = "ww1234567890abcdef", 1000002, "QDG6eK7yU4"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)
_IDS = itertools.count(7200000000000000001)


def _sealed(user: str, text: str) -> tuple[dict[str, str], str]:
    msg_id = next(_IDS)
    plain = payload("wecom", "text_message.xml").format(
        corp_id=CORP, user=user, create_time=int(time.time()), content=text,
        msg_id=str(msg_id), agent_id=AGENT,
    )  # fmt: skip
    nonce, ts = str(msg_id)[-10:], str(int(time.time()))  # a fresh nonce: replays are dropped
    sealed = ET.fromstring(WeChatCrypto(TOKEN, AES_KEY, CORP).encrypt_message(plain, nonce, ts))
    params = {"msg_signature": sealed.findtext("MsgSignature") or "", "timestamp": ts,
              "nonce": nonce}  # fmt: skip
    body = payload("wecom", "envelope.xml").format(
        corp_id=CORP, agent_id=AGENT, encrypt=sealed.findtext("Encrypt") or ""
    )
    return params, body


async def test_issue_13_examples_over_wecom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = seeded_engine(
        f"sqlite:///{tmp_path / 'w.db'}",
        extra_contacts="市能源局,张三,wecom,zhangsan,contact\n"
        "市政府办公室,郭敏,wecom,guomin,coordinator\n",
    )
    clock = FixedClock(AS_OF)
    async with (
        WeComStandIn(CORP, "app-secret", AGENT, {"zhangsan", "guomin"}) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = Settings(
            wecom=WecomSettings(
                corp_id=CORP, agent_id=AGENT, secret="app-secret", token=TOKEN,
                encoding_aes_key=AES_KEY, api_base=api.url,
            )
        )  # fmt: skip
        core = make_core(settings, clock, engine)
        adapters = make_adapters(settings, http, core, clock, SessionCodec(b"k" * 32, "c", 60))
        app = web.Application()
        app.add_routes(adapters["wecom"].routes())
        sender = OutboxSender(core.db, adapters, clock)

        async with TestClient(TestServer(app)) as client:

            async def say(user: str, text: str) -> str:
                params, body = _sealed(user, text)
                resp = await client.post("/wecom/callback", params=params, data=body)
                assert resp.status == 200
                await adapters["wecom"].drain()  # type: ignore[attr-defined]
                await sender.drain()
                mine = [d["text"] for d in api.delivered if d["user"] == user]
                assert mine, f"nothing delivered to {user}"
                last: str = mine[-1]
                return last

            assert "已报完成" in await say("zhangsan", "3.8.3已完成")
            assert "3.8.5" in await say("guomin", "逾期 能源局")
            await say("guomin", "退回 3.8.3 佐证材料不全")
            notice = [d for d in api.delivered if d["user"] == "zhangsan"][-1]
            assert "【退回】3.8.3" in notice["text"] and "佐证材料不全" in notice["text"]
            assert "好的" in await say("zhangsan", "收到")

            def boom(*_: object) -> str:
                raise RuntimeError("a bug")

            monkeypatch.setattr(Conversation, "_dispatch", boom)
            assert "抱歉" in await say("zhangsan", "3.8.5已完成")
        for adapter in adapters.values():
            await adapter.close()
    assert task_status(engine, "3.8.3") == "returned"
    assert task_status(engine, "3.8.5") == "pending"
