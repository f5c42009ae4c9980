"""DingTalk adapter: callbacks signed per DingTalk's docs, robot API checked by a stand-in.

There is no official Python SDK for the HTTP-mode callback signature, so the
test computes it from the documented recipe itself (not from the adapter):
sign = base64(HMAC-SHA256(key=appSecret, msg=timestamp + "\\n" + appSecret)).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from standins import DingTalkStandIn, FakeClock, RecordingHandler, payload, serve_adapter

from bot.adapters import find_platform
from bot.adapters.base import AdapterAuthError, AdapterPermanentError, AdapterRateLimited
from bot.adapters.dingtalk import DingTalkAdapter, DingtalkSettings
from bot.events import IncomingMessage, Outgoing

pytestmark = pytest.mark.timeout(30)

APP_KEY = "dingappkey0001"
APP_SECRET = "gV5kR3xq-app-secret-Zy9"
ROBOT = "dingROBOTCODE"
CORP = "dingCORP0000000001"
CONTACT = "zhangsan01"


@dataclass
class Env:
    api: DingTalkStandIn
    adapter: DingTalkAdapter
    handler: RecordingHandler
    client: TestClient[Any, Any]
    clock: FakeClock


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock()
    users = {CONTACT, "lisi02"} | {f"staff{i:02d}" for i in range(45)}
    async with (
        DingTalkStandIn(APP_KEY, APP_SECRET, ROBOT, users) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = DingtalkSettings(
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            robot_code=ROBOT,
            api_base=api.url,
            oapi_base=api.url,
            corp_id=CORP,
        )
        handler = RecordingHandler()
        adapter = DingTalkAdapter(settings, http, handler, clock=clock)
        async with serve_adapter(adapter) as client:
            yield Env(api, adapter, handler, client, clock)


def sign(timestamp: str, secret: str = APP_SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def message(env: Env, content: str, msg_id: str = "msgA1==", **changes: Any) -> dict[str, Any]:
    """A callback body as DingTalk sends it, with a live sessionWebhook."""
    body: dict[str, Any] = json.loads(payload("dingtalk", "text_message.json"))
    now_ms = int(env.clock() * 1000)
    body.update(
        msgId=msg_id,
        text={"content": content},
        createAt=now_ms,
        sessionWebhook=env.api.open_session(f"s-{msg_id}", body["conversationId"]),
        sessionWebhookExpiredTime=now_ms + 90 * 60 * 1000,
    )
    body.update(changes)
    return body


async def post(
    env: Env, body: dict[str, Any] | str, ts_ms: int | None = None, signature: str | None = None
) -> int:
    ts = str(ts_ms if ts_ms is not None else int(env.clock() * 1000))
    headers = {
        "timestamp": ts,
        "sign": signature if signature is not None else sign(ts),
        "Content-Type": "application/json",
    }
    data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    resp = await env.client.post(
        "/dingtalk/callback",
        data=data.encode(),
        headers=headers | {"Content-Type": "application/json"},
    )
    return resp.status


# -- the round trip ------------------------------------------------------------------


async def test_contact_receives_a_reminder_and_reports_done(env: Env) -> None:
    spec = find_platform("dingtalk")
    assert spec is not None and spec.load() is DingTalkAdapter
    await env.adapter.send(Outgoing("dingtalk", CONTACT, "【督办提醒】3.4.2 明天到期"))
    assert env.api.delivered == [{"user": CONTACT, "text": "【督办提醒】3.4.2 明天到期"}]

    assert await post(env, message(env, " 完成 3.4.2")) == 200
    await env.adapter.drain()
    [msg] = env.handler.received
    assert (msg.platform, msg.user_id, msg.text, msg.message_id) == (
        "dingtalk", CONTACT, "完成 3.4.2", "msgA1==",
    )  # fmt: skip
    # The reply went back through the message's sessionWebhook, not the batch API.
    assert env.api.session_replies == [
        {"conversation": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==", "text": "已记录：3.4.2 已报完成"}
    ]
    assert len(env.api.delivered) == 1


async def test_expired_session_webhook_falls_back_to_the_robot_api(env: Env) -> None:
    body = message(env, "完成 3.4.2", sessionWebhookExpiredTime=int(env.clock() * 1000) + 1000)
    assert await post(env, body) == 200
    await env.adapter.drain()
    assert env.api.session_replies == []
    assert env.api.delivered == [{"user": CONTACT, "text": "已记录：3.4.2 已报完成"}]


async def test_session_webhook_on_a_foreign_host_is_never_called(env: Env) -> None:
    body = message(env, "完成 3.4.2", sessionWebhook="http://127.0.0.2:9/robot/sendBySession?s=1")
    assert await post(env, body) == 200
    await env.adapter.drain()
    assert env.api.delivered == [{"user": CONTACT, "text": "已记录：3.4.2 已报完成"}]


async def test_callback_is_answered_before_the_handler_finishes(env: Env) -> None:
    env.handler.gate = asyncio.Event()
    assert await post(env, message(env, "完成 1.1")) == 200
    await asyncio.wait_for(env.handler.entered.wait(), 5)  # the background task runs
    assert env.api.session_replies == []
    env.handler.gate.set()
    await env.adapter.drain()
    assert len(env.api.session_replies) == 1


# -- attacks -------------------------------------------------------------------------


async def assert_refused(env: Env, status: int, expect: int) -> None:
    assert status == expect
    await env.adapter.drain()
    assert env.handler.received == []
    assert env.api.delivered == env.api.session_replies == []


async def test_forged_sign(env: Env) -> None:
    ts = int(env.clock() * 1000)
    forged = sign(str(ts), secret="guessed-secret")
    await assert_refused(env, await post(env, message(env, "完成"), ts, forged), 403)


async def test_sign_for_another_timestamp(env: Env) -> None:
    ts = int(env.clock() * 1000)
    await assert_refused(env, await post(env, message(env, "完成"), ts, sign(str(ts - 1))), 403)


@pytest.mark.parametrize("offset_s", [-3601, 3601])
async def test_timestamp_more_than_an_hour_off(env: Env, offset_s: int) -> None:
    ts = int((env.clock() + offset_s) * 1000)
    await assert_refused(env, await post(env, message(env, "完成"), ts), 403)


async def test_timestamp_within_the_hour_is_accepted(env: Env) -> None:
    assert await post(env, message(env, "完成"), int((env.clock() - 3500) * 1000)) == 200
    await env.adapter.drain()
    assert len(env.handler.received) == 1


async def test_retry_with_the_same_msgid_is_dropped(env: Env) -> None:
    body = message(env, "完成 3.4.2")
    assert await post(env, body) == 200
    env.clock.advance(3)
    assert await post(env, body) == 200
    await env.adapter.drain()
    assert len(env.handler.received) == 1
    assert len(env.api.session_replies) == 1


async def test_captured_headers_on_a_new_message_are_refused(env: Env) -> None:
    ts = int(env.clock() * 1000)
    assert await post(env, message(env, "进度 1.1", msg_id="m1"), ts) == 200
    # Same timestamp/sign (the sign does not cover the body), different message.
    assert await post(env, message(env, "完成 9.9", msg_id="m2"), ts) == 403
    await env.adapter.drain()
    assert [m.text for m in env.handler.received] == ["进度 1.1"]


@pytest.mark.parametrize(
    "body",
    ['{"msgId": "x", "text": {"content": "完成"', "not json", "[]", '{"text": {}}', ""],
    ids=["truncated", "garbage", "array", "no-msgid", "empty"],
)
async def test_malformed_body(env: Env, body: str) -> None:
    await assert_refused(env, await post(env, body), 400)


async def test_missing_headers(env: Env) -> None:
    resp = await env.client.post("/dingtalk/callback", json=message(env, "完成"))
    await assert_refused(env, resp.status, 400)


async def test_message_for_another_robot(env: Env) -> None:
    await assert_refused(env, await post(env, message(env, "完成", robotCode="dingOTHER")), 403)


async def test_message_from_another_organisation(env: Env) -> None:
    body = message(env, "完成", chatbotCorpId="dingOTHERCORP")
    await assert_refused(env, await post(env, body), 403)


async def test_non_text_and_outside_senders_do_not_reach_the_core(env: Env) -> None:
    assert await post(env, message(env, "x", msg_id="p1", msgtype="picture")) == 200
    outsider = message(env, "完成", msg_id="p2")
    del outsider["senderStaffId"]
    env.clock.advance(1)  # a new request has a new timestamp
    assert await post(env, outsider) == 200
    await env.adapter.drain()
    assert env.handler.received == []


# -- sending ---------------------------------------------------------------------------


async def test_token_is_cached_and_refetched_when_refused(env: Env) -> None:
    for i in range(3):
        await env.adapter.send(Outgoing("dingtalk", CONTACT, f"提醒 {i}"))
    assert env.api.token_fetches == 1
    env.api.live.clear()  # DingTalk revoked the token
    await env.adapter.send(Outgoing("dingtalk", CONTACT, "提醒 3"))
    assert env.api.token_fetches == 2
    assert len(env.api.delivered) == 4
    assert env.adapter.tokens.hits == 3  # the refused token was served from the cache too


async def test_wrong_app_secret_is_an_auth_error(env: Env) -> None:
    env.api.app_secret = "rotated"
    with pytest.raises(AdapterAuthError):
        await env.adapter.send(Outgoing("dingtalk", CONTACT, "提醒"))


async def test_throttling_is_rate_limited(env: Env) -> None:
    env.api.throttle_next = 1
    with pytest.raises(AdapterRateLimited):
        await env.adapter.send(Outgoing("dingtalk", CONTACT, "提醒"))
    env.api.flow_control_next = 1
    with pytest.raises(AdapterRateLimited):
        await env.adapter.send(Outgoing("dingtalk", CONTACT, "提醒"))
    await env.adapter.send(Outgoing("dingtalk", CONTACT, "提醒"))
    assert len(env.api.delivered) == 1


async def test_unknown_staff_id_is_a_permanent_error(env: Env) -> None:
    with pytest.raises(AdapterPermanentError):
        await env.adapter.send(Outgoing("dingtalk", "ghost", "提醒"))


async def test_batch_send_splits_by_20(env: Env) -> None:
    users = [f"staff{i:02d}" for i in range(45)]
    assert await env.adapter.send_text(users, "全员通知") == []
    assert env.api.calls == 3
    assert sorted(d["user"] for d in env.api.delivered) == users


# -- the stand-in is as strict as DingTalk ---------------------------------------------


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"robotCode": "dingOTHER"}, 400),
        ({"userIds": []}, 400),
        ({"userIds": [f"staff{i:02d}" for i in range(21)]}, 400),
        ({"msgKey": "sampleMarkdown"}, 400),
        ({"msgParam": {"content": "x"}}, 400),
        ({"msgParam": '{"text": "x"}'}, 400),
        ({"extra": 1}, 400),
    ],
)
async def test_stand_in_refuses_what_dingtalk_refuses(
    env: Env, change: dict[str, Any], status: int
) -> None:
    token = await env.adapter.tokens.get()
    body = {
        "robotCode": ROBOT,
        "userIds": [CONTACT],
        "msgKey": "sampleText",
        "msgParam": '{"content": "x"}',
    }
    url = f"{env.api.url}/v1.0/robot/oToMessages/batchSend"
    async with aiohttp.ClientSession() as http:
        headers = {"x-acs-dingtalk-access-token": token}
        async with http.post(url, headers=headers, json=body | change) as r:
            assert r.status == status
        async with http.post(url, headers={"x-acs-dingtalk-access-token": "x"}, json=body) as r:
            assert r.status == 401
    assert env.api.delivered == []


# -- hostile input (issue 12) -------------------------------------------------------


async def test_a_non_ascii_sign_is_refused_not_a_500(env: Env) -> None:
    # hmac.compare_digest raised TypeError on non-ASCII str: a 500 with a traceback.
    ts = str(int(env.clock() * 1000))
    resp = await env.client.post(
        "/dingtalk/callback",
        data=json.dumps(message(env, "完成 3.4.2")).encode(),
        headers={"timestamp": ts, "sign": "签名".encode().decode("latin-1")},
    )
    assert resp.status == 403


async def test_the_sender_is_answered_when_the_core_fails(env: Env) -> None:
    async def failing(msg: IncomingMessage) -> str | None:
        raise RuntimeError("the store fell over")

    env.adapter.handler = failing
    assert await post(env, message(env, "完成 3.4.2")) == 200
    await env.adapter.drain()
    [answer] = env.api.session_replies
    assert answer["text"].startswith("抱歉，这条消息未能处理")


async def test_a_lone_surrogate_reaches_the_core_as_a_replacement_character(env: Env) -> None:
    body = json.dumps(message(env, "完成 3.4.2 x")).replace(" x", " \\ud800")
    assert await post(env, body) == 200
    await env.adapter.drain()
    [msg] = env.handler.received
    assert msg.text == "完成 3.4.2 \ufffd"
    msg.text.encode("utf-8")  # storable
