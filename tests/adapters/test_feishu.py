"""Feishu adapter: events sealed as Feishu seals them and judged by lark-oapi, API stand-in.

lark-oapi ships a decryptor and an event dispatcher but no encryptor, so each
event is encrypted here with `cryptography`, then lark-oapi's own `AESCipher`
must read it back and lark-oapi's `EventDispatcherHandler` must accept (or, for
the attacks, refuse) the exact request the adapter gets.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lark_oapi.core.model import RawRequest
from lark_oapi.core.utils import AESCipher
from lark_oapi.event.dispatcher_handler import EventDispatcherHandler
from standins import FakeClock, FeishuStandIn, RecordingHandler, payload, serve_adapter

from bot.adapters import find_platform
from bot.adapters.base import AdapterAuthError, AdapterPermanentError, AdapterRateLimited
from bot.adapters.feishu import FeishuAdapter, FeishuSettings
from bot.events import Outgoing

pytestmark = pytest.mark.timeout(30)

APP_ID = "cli_9f5343c580712544"
APP_SECRET = "feishu-app-secret"
VERIFY = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV"
ENCRYPT_KEY = "kl9kSbQ2ad0y4Jm1"
CONTACT = "ou_84aad35d084aa403a838cf73ee18467"


@dataclass
class Env:
    api: FeishuStandIn
    adapter: FeishuAdapter
    handler: RecordingHandler
    client: TestClient[Any, Any]
    clock: FakeClock


async def make_env(encrypt_key: str) -> AsyncIterator[Env]:
    clock = FakeClock()
    async with (
        FeishuStandIn(APP_ID, APP_SECRET, {CONTACT}) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = FeishuSettings(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            verification_token=VERIFY,
            encrypt_key=encrypt_key,
            api_base=api.url,
        )
        handler = RecordingHandler()
        adapter = FeishuAdapter(settings, http, handler, clock=clock)
        async with serve_adapter(adapter) as client:
            yield Env(api, adapter, handler, client, clock)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async for e in make_env(ENCRYPT_KEY):
        yield e


@pytest.fixture
async def plain_env() -> AsyncIterator[Env]:
    async for e in make_env(""):
        yield e


def event(text: str = "完成 3.4.2", event_id: str = "ev-1", **header: Any) -> dict[str, Any]:
    ev: dict[str, Any] = json.loads(payload("feishu", "im_message_receive_v1.json"))
    ev["header"].update(event_id=event_id, **header)
    ev["event"]["message"]["content"] = json.dumps({"text": text}, ensure_ascii=False)
    ev["event"]["message"]["message_id"] = f"om_{event_id}"
    return ev


def seal(ev: dict[str, Any], key: str = ENCRYPT_KEY) -> bytes:
    """`{"encrypt": ...}` as Feishu sends it; lark-oapi must be able to open it."""
    plain = json.dumps(ev, ensure_ascii=False).encode()
    padder = padding.PKCS7(128).padder()
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv))
    sealed = encryptor.encryptor()
    ct = sealed.update(padder.update(plain) + padder.finalize()) + sealed.finalize()
    encrypt = base64.b64encode(iv + ct).decode()
    assert json.loads(AESCipher(key).decrypt_str(encrypt)) == ev
    return json.dumps({"encrypt": encrypt}).encode()


def signed(body: bytes, ts: float, nonce: str, key: str = ENCRYPT_KEY) -> dict[str, str]:
    ts_s = str(int(ts))
    sig = hashlib.sha256((ts_s + nonce + key).encode() + body).hexdigest()
    return {
        "X-Lark-Request-Timestamp": ts_s,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": sig,
        "Content-Type": "application/json",
    }


def sdk_accepts(body: bytes, headers: dict[str, str], encrypt_key: str = ENCRYPT_KEY) -> bool:
    """Whether lark-oapi's own dispatcher accepts this exact request."""
    handler = (
        EventDispatcherHandler.builder(encrypt_key, VERIFY)
        .register_p2_im_message_receive_v1(lambda _: None)
        .build()
    )
    req = RawRequest()
    req.uri, req.headers, req.body = "/feishu/events", headers, body
    return handler.do(req).status_code == 200


async def post(env: Env, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    resp = await env.client.post("/feishu/events", data=body, headers=headers)
    text = await resp.text()
    return resp.status, (json.loads(text) if resp.status == 200 else text)


# -- url verification and the round trip ----------------------------------------------


async def test_url_verification_challenge(env: Env) -> None:
    body = seal(json.loads(payload("feishu", "url_verification.json")))
    headers = {"Content-Type": "application/json"}
    assert sdk_accepts(body, headers)
    assert await post(env, body, headers) == (200, {"challenge": "ajls384kdjx98XX"})


async def test_url_verification_with_a_wrong_token(env: Env) -> None:
    challenge = json.loads(payload("feishu", "url_verification.json")) | {"token": "guess"}
    body, headers = seal(challenge), {"Content-Type": "application/json"}
    assert not sdk_accepts(body, headers)
    assert (await post(env, body, headers))[0] == 403


async def test_contact_receives_a_reminder_and_reports_done(env: Env) -> None:
    spec = find_platform("feishu")
    assert spec is not None and spec.load() is FeishuAdapter
    await env.adapter.send(Outgoing("feishu", CONTACT, "【督办提醒】3.4.2 已逾期 3 天", "ob:7"))
    assert env.api.delivered == [{"user": CONTACT, "text": "【督办提醒】3.4.2 已逾期 3 天"}]

    body = seal(event("完成 3.4.2"))
    headers = signed(body, env.clock(), "n-1")
    assert sdk_accepts(body, headers)
    assert await post(env, body, headers) == (200, {})
    await env.adapter.drain()
    [msg] = env.handler.received
    assert (msg.platform, msg.user_id, msg.text) == ("feishu", CONTACT, "完成 3.4.2")
    assert msg.reply_context["chat_id"] == "oc_5ce6d572455d361153b7xx51da133945"
    assert env.api.delivered[-1] == {"user": CONTACT, "text": "已记录：3.4.2 已报完成"}
    assert env.api.token_fetches == 1


async def test_group_mentions_are_stripped(env: Env) -> None:
    body = seal(event("@_user_1 完成 2.1"))
    assert (await post(env, body, signed(body, env.clock(), "n-2")))[0] == 200
    await env.adapter.drain()
    assert env.handler.received[0].text == "完成 2.1"


async def test_callback_is_answered_before_the_handler_finishes(env: Env) -> None:
    env.handler.gate = asyncio.Event()
    body = seal(event("完成 3.4.2"))
    assert (await post(env, body, signed(body, env.clock(), "n-3")))[0] == 200
    await asyncio.wait_for(env.handler.entered.wait(), 5)  # the background task runs
    assert env.api.delivered == []
    env.handler.gate.set()
    await env.adapter.drain()
    assert len(env.api.delivered) == 1


async def test_plaintext_mode_with_only_a_verification_token(plain_env: Env) -> None:
    body = json.dumps(event("完成 5.1"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    assert sdk_accepts(body, headers, encrypt_key="")
    assert (await post(plain_env, body, headers))[0] == 200
    forged = json.dumps(event("完成 5.1", event_id="ev-2", token="guess")).encode()
    assert not sdk_accepts(forged, headers, encrypt_key="")
    assert (await post(plain_env, forged, headers))[0] == 403
    await plain_env.adapter.drain()
    assert [m.text for m in plain_env.handler.received] == ["完成 5.1"]


# -- attacks -------------------------------------------------------------------------


async def assert_refused(env: Env, status: int, expect: int) -> None:
    assert status == expect
    await env.adapter.drain()
    assert env.handler.received == []
    assert env.api.delivered == []


async def test_forged_signature(env: Env) -> None:
    body = seal(event())
    headers = signed(body, env.clock(), "n-10") | {"X-Lark-Signature": "0" * 64}
    assert not sdk_accepts(body, headers)
    await assert_refused(env, (await post(env, body, headers))[0], 403)


async def test_signature_with_another_key(env: Env) -> None:
    body = seal(event())
    headers = signed(body, env.clock(), "n-11", key="not-the-key")
    assert not sdk_accepts(body, headers)
    await assert_refused(env, (await post(env, body, headers))[0], 403)


async def test_body_swapped_under_a_valid_signature(env: Env) -> None:
    headers = signed(seal(event("进度 1.1")), env.clock(), "n-12")
    body = seal(event("完成 9.9"))
    assert not sdk_accepts(body, headers)
    await assert_refused(env, (await post(env, body, headers))[0], 403)


async def test_wrong_verification_token(env: Env) -> None:
    body = seal(event(token="guess"))
    headers = signed(body, env.clock(), "n-13")
    assert not sdk_accepts(body, headers)
    await assert_refused(env, (await post(env, body, headers))[0], 403)


async def test_event_for_another_app(env: Env) -> None:
    body = seal(event(app_id="cli_other"))
    await assert_refused(env, (await post(env, body, signed(body, env.clock(), "n-14")))[0], 403)


async def test_old_timestamp(env: Env) -> None:
    body = seal(event())
    headers = signed(body, env.clock() - 3600, "n-15")
    await assert_refused(env, (await post(env, body, headers))[0], 403)


async def test_replayed_request_is_dropped_silently(env: Env) -> None:
    body = seal(event())
    headers = signed(body, env.clock(), "n-16")
    assert (await post(env, body, headers))[0] == 200
    env.clock.advance(10)
    assert await post(env, body, headers) == (200, {})
    await env.adapter.drain()
    assert len(env.handler.received) == 1


async def test_feishu_retry_with_the_same_event_id_is_dropped(env: Env) -> None:
    ev = event(event_id="ev-retry")
    for nonce in ("n-17", "n-18"):  # a retry is a new request with the same event
        body = seal(copy.deepcopy(ev))
        assert await post(env, body, signed(body, env.clock(), nonce)) == (200, {})
        env.clock.advance(15)
    await env.adapter.drain()
    assert len(env.handler.received) == 1
    assert len(env.api.delivered) == 1


async def test_retry_an_hour_later_is_still_dropped(env: Env) -> None:
    ev = event(event_id="ev-late")
    body = seal(copy.deepcopy(ev))
    assert (await post(env, body, signed(body, env.clock(), "n-30")))[0] == 200
    env.clock.advance(3600)  # Feishu's third retry comes after an hour
    body = seal(copy.deepcopy(ev))
    assert await post(env, body, signed(body, env.clock(), "n-31")) == (200, {})
    await env.adapter.drain()
    assert len(env.handler.received) == 1


async def test_plaintext_event_when_an_encrypt_key_is_set(env: Env) -> None:
    body = json.dumps(event()).encode()
    await assert_refused(env, (await post(env, body, signed(body, env.clock(), "n-19")))[0], 403)


async def test_encrypted_event_without_a_signature(env: Env) -> None:
    body = seal(event())
    await assert_refused(
        env, (await post(env, body, {"Content-Type": "application/json"}))[0], 403
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[: len(b) // 2],
        lambda b: b"not json",
        lambda b: b"[]",
        lambda b: json.dumps({"encrypt": "AAAA" + json.loads(b)["encrypt"][4:-8]}).encode(),
        lambda b: json.dumps({"encrypt": 42}).encode(),
    ],
    ids=["truncated", "garbage", "array", "bad-ciphertext", "encrypt-not-string"],
)
async def test_malformed_body(env: Env, mangle: Any) -> None:
    body = mangle(seal(event()))
    await assert_refused(env, (await post(env, body, signed(body, env.clock(), "n-20")))[0], 400)


async def test_ciphertext_of_a_non_object(env: Env) -> None:
    body = seal(["not", "an", "event"])  # type: ignore[arg-type]
    await assert_refused(env, (await post(env, body, signed(body, env.clock(), "n-21")))[0], 400)


# -- sending ---------------------------------------------------------------------------


async def test_token_is_cached_and_refetched_on_99991663(env: Env) -> None:
    for i in range(3):
        await env.adapter.send(Outgoing("feishu", CONTACT, f"提醒 {i}"))
    assert env.api.token_fetches == 1
    env.api.expire_tokens()
    await env.adapter.send(Outgoing("feishu", CONTACT, "提醒 3"))
    assert env.api.token_fetches == 2
    assert [d["text"] for d in env.api.delivered] == [f"提醒 {i}" for i in range(4)]


async def test_outbox_key_makes_a_resend_harmless(env: Env) -> None:
    await env.adapter.send(Outgoing("feishu", CONTACT, "提醒", key="outbox:41"))
    await env.adapter.send(Outgoing("feishu", CONTACT, "提醒", key="outbox:41"))
    assert len(env.api.delivered) == 1
    await env.adapter.send(Outgoing("feishu", CONTACT, "提醒", key="outbox:" + "9" * 80))
    assert len(env.api.delivered) == 2


async def test_rate_limit_is_mapped(env: Env) -> None:
    env.api.rate_limit_next = 1
    with pytest.raises(AdapterRateLimited) as info:
        await env.adapter.send(Outgoing("feishu", CONTACT, "提醒"))
    assert info.value.retry_after == 3


async def test_user_without_availability_is_permanent(env: Env) -> None:
    with pytest.raises(AdapterPermanentError):
        await env.adapter.send(Outgoing("feishu", "ou_nobody", "提醒"))


async def test_wrong_app_secret_is_an_auth_error(env: Env) -> None:
    env.api.app_secret = "rotated"
    with pytest.raises(AdapterAuthError):
        await env.adapter.send(Outgoing("feishu", CONTACT, "提醒"))


# -- the stand-in is as strict as Feishu -----------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"msg_type": "post"}, 230001),
        ({"content": "plain text"}, 230001),
        ({"content": '{"content": "x"}'}, 230001),
        ({"uuid": "x" * 51}, 230001),
        ({"extra": 1}, 230001),
        ({"receive_id": "ou_nobody"}, 230013),
    ],
)
async def test_stand_in_refuses_what_feishu_refuses(
    env: Env, change: dict[str, Any], code: int
) -> None:
    token = await env.adapter.tokens.get()
    body = {"receive_id": CONTACT, "msg_type": "text", "content": '{"text": "x"}'}
    url = f"{env.api.url}/open-apis/im/v1/messages"
    params = {"receive_id_type": "open_id"}
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(url, params=params, headers=headers, json=body | change) as r:
            assert (await r.json())["code"] == code
        headers = {"Authorization": "Bearer t-forged"}
        async with http.post(url, params=params, headers=headers, json=body) as r:
            assert (await r.json())["code"] == 99991663
    assert env.api.delivered == []


async def test_a_non_ascii_signature_or_token_is_refused_not_a_500(env: Env) -> None:
    # hmac.compare_digest raised TypeError on non-ASCII str: a 500 with a traceback.
    body = seal(event())
    headers = signed(body, env.clock(), "n-20") | {
        "X-Lark-Signature": "签名".encode().decode("latin-1")
    }
    await assert_refused(env, (await post(env, body, headers))[0], 403)
    challenge = json.dumps(
        {"type": "url_verification", "token": "令牌\ud800", "challenge": "c"}
    ).encode()
    status, _ = await post(env, challenge, signed(challenge, env.clock(), "n-21"))
    assert 400 <= status < 500
