"""WeCom adapter: callbacks built and encrypted with wechatpy, sends checked by a stand-in."""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from standins import FakeClock, RecordingHandler, WeComStandIn, payload, serve_adapter
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.adapters import find_platform
from bot.adapters.base import AdapterAuthError, AdapterPermanentError, AdapterRateLimited
from bot.adapters.wecom import WeComAdapter, WecomSettings
from bot.events import Outgoing

pytestmark = pytest.mark.timeout(30)

CORP = "ww1234567890abcdef"
AGENT = 1000002
TOKEN = "QDG6eK7yU4"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
CONTACT = "zhangsan"


@dataclass
class Env:
    api: WeComStandIn
    adapter: WeComAdapter
    handler: RecordingHandler
    client: TestClient[Any, Any]
    clock: FakeClock
    crypto: WeChatCrypto  # the platform's side, from wechatpy


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock()
    users = {CONTACT, "lisi"} | {f"u{i:04d}" for i in range(2500)}
    async with (
        WeComStandIn(CORP, "app-secret", AGENT, users) as api,
        aiohttp.ClientSession() as http,
    ):
        settings = WecomSettings(
            corp_id=CORP,
            agent_id=AGENT,
            secret="app-secret",
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            api_base=api.url,
        )
        handler = RecordingHandler()
        adapter = WeComAdapter(settings, http, handler, clock=clock)
        async with serve_adapter(adapter) as client:
            yield Env(api, adapter, handler, client, clock, WeChatCrypto(TOKEN, AES_KEY, CORP))


def text_xml(content: str, msg_id: str = "7000000000000000001", user: str = CONTACT) -> str:
    return payload("wecom", "text_message.xml").format(
        corp_id=CORP, user=user, create_time=1750000000, content=content, msg_id=msg_id,
        agent_id=AGENT,
    )  # fmt: skip


def envelope(
    crypto: WeChatCrypto, plain: str, ts: float, nonce: str, to: str = CORP
) -> tuple[dict[str, str], str]:
    """What WeCom POSTs: query (msg_signature, timestamp, nonce) and the envelope XML."""
    sealed = ET.fromstring(crypto.encrypt_message(plain, nonce, str(int(ts))))
    encrypt = sealed.findtext("Encrypt") or ""
    params = {
        "msg_signature": sealed.findtext("MsgSignature") or "",
        "timestamp": str(int(ts)),
        "nonce": nonce,
    }
    body = payload("wecom", "envelope.xml").format(corp_id=to, agent_id=AGENT, encrypt=encrypt)
    return params, body


async def post(env: Env, params: dict[str, str], body: str | bytes) -> tuple[int, str]:
    resp = await env.client.post("/wecom/callback", params=params, data=body)
    return resp.status, await resp.text()


# -- URL verification --------------------------------------------------------------


async def test_url_verification_answers_the_bare_echostr(env: Env) -> None:
    ts, nonce = str(int(env.clock())), "1372623149"
    echostr = PrpCrypto(env.crypto.key).encrypt("5927782489442352469", CORP).decode()
    signer = WeChatSigner()
    signer.add_data(TOKEN, ts, nonce, echostr)
    sig = signer.signature
    assert env.crypto.check_signature(sig, ts, nonce, echostr) == "5927782489442352469"
    params = {"msg_signature": sig, "timestamp": ts, "nonce": nonce, "echostr": echostr}
    resp = await env.client.get("/wecom/callback", params=params)
    assert resp.status == 200
    assert await resp.text() == "5927782489442352469"
    assert resp.content_type == "text/plain"


async def test_url_verification_with_a_forged_signature_is_refused(env: Env) -> None:
    ts, nonce = str(int(env.clock())), "1372623149"
    echostr = PrpCrypto(env.crypto.key).encrypt("5927782489442352469", CORP).decode()
    params = {"msg_signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": echostr}
    resp = await env.client.get("/wecom/callback", params=params)
    assert resp.status == 403
    assert "5927782489442352469" not in await resp.text()


# -- the round trip ------------------------------------------------------------------


async def test_contact_receives_a_reminder_and_reports_done(env: Env) -> None:
    spec = find_platform("wecom")
    assert spec is not None and spec.load() is WeComAdapter
    await env.adapter.send(Outgoing("wecom", CONTACT, "【督办提醒】3.4.2 将于 7 天后到期", "ob:1"))
    assert env.api.delivered == [
        {"user": CONTACT, "text": "【督办提醒】3.4.2 将于 7 天后到期", "agentid": AGENT}
    ]

    params, body = envelope(env.crypto, text_xml("完成 3.4.2"), env.clock(), "1609000001")
    status, text = await post(env, params, body)
    assert (status, text) == (200, "")
    await env.adapter.drain()

    [msg] = env.handler.received
    assert (msg.platform, msg.user_id, msg.text) == ("wecom", CONTACT, "完成 3.4.2")
    assert msg.message_id == "7000000000000000001"
    assert env.api.delivered[-1] == {
        "user": CONTACT,
        "text": "已记录：3.4.2 已报完成",
        "agentid": AGENT,
    }
    assert env.api.token_fetches == 1  # the reply reused the cached token


async def test_callback_is_answered_before_the_handler_finishes(env: Env) -> None:
    env.handler.gate = asyncio.Event()
    params, body = envelope(env.crypto, text_xml("完成 3.4.2"), env.clock(), "1609000002")
    assert (await post(env, params, body))[0] == 200
    await asyncio.wait_for(env.handler.entered.wait(), 5)  # the background task runs
    assert len(env.handler.received) == 1
    assert env.api.delivered == []  # the handler is still running
    env.handler.gate.set()
    await env.adapter.drain()
    assert len(env.api.delivered) == 1


async def test_events_and_non_text_messages_do_not_reach_the_core(env: Env) -> None:
    event = payload("wecom", "enter_agent_event.xml").format(
        corp_id=CORP, user=CONTACT, create_time=1750000000, agent_id=AGENT
    )
    params, body = envelope(env.crypto, event, env.clock(), "1609000003")
    assert await post(env, params, body) == (200, "")
    await env.adapter.drain()
    assert env.handler.received == []


async def test_close_cancels_handlers_still_running(env: Env) -> None:
    env.handler.gate = asyncio.Event()  # never set
    params, body = envelope(env.crypto, text_xml("完成 1.1"), env.clock(), "1609000004")
    assert (await post(env, params, body))[0] == 200
    await asyncio.wait_for(env.handler.entered.wait(), 5)  # the background task runs
    await env.adapter.close()
    await env.adapter.drain()
    assert env.api.delivered == []


async def test_callback_during_shutdown_asks_wecom_to_retry(env: Env) -> None:
    await env.adapter.close()
    params, body = envelope(env.crypto, text_xml("完成 1.2"), env.clock(), "1609000005")
    assert (await post(env, params, body))[0] == 503
    assert env.handler.received == []


# -- attacks -------------------------------------------------------------------------


async def assert_refused(env: Env, status: int, expect: int) -> None:
    assert status == expect
    await env.adapter.drain()
    assert env.handler.received == []
    assert env.api.delivered == []


async def test_forged_signature(env: Env) -> None:
    params, body = envelope(env.crypto, text_xml("完成 3.4.2"), env.clock(), "1609000010")
    params["msg_signature"] = "a" * 40
    await assert_refused(env, (await post(env, params, body))[0], 403)


async def test_signature_from_another_token(env: Env) -> None:
    other = WeChatCrypto("not-our-token", AES_KEY, CORP)
    params, body = envelope(other, text_xml("完成 3.4.2"), env.clock(), "1609000011")
    await assert_refused(env, (await post(env, params, body))[0], 403)


async def test_old_timestamp_is_refused(env: Env) -> None:
    params, body = envelope(env.crypto, text_xml("完成"), env.clock() - 3600, "1609000012")
    await assert_refused(env, (await post(env, params, body))[0], 403)


async def test_replayed_request_reaches_the_core_once(env: Env) -> None:
    params, body = envelope(env.crypto, text_xml("完成 3.4.2"), env.clock(), "1609000013")
    assert (await post(env, params, body))[0] == 200
    env.clock.advance(30)
    assert await post(env, params, body) == (200, "")  # same nonce: dropped silently
    await env.adapter.drain()
    assert len(env.handler.received) == 1
    assert len(env.api.delivered) == 1


async def test_wecom_retry_with_the_same_msgid_is_dropped(env: Env) -> None:
    plain = text_xml("完成 3.4.2", msg_id="7000000000000000099")
    params, body = envelope(env.crypto, plain, env.clock(), "1609000014")
    assert (await post(env, params, body))[0] == 200
    env.clock.advance(5)
    params, body = envelope(env.crypto, plain, env.clock(), "1609000015")  # fresh nonce
    assert await post(env, params, body) == (200, "")
    await env.adapter.drain()
    assert len(env.handler.received) == 1


async def test_wrong_corp_id_inside_the_ciphertext(env: Env) -> None:
    other_corp = WeChatCrypto(TOKEN, AES_KEY, "wwOTHERCORP0000000")
    params, body = envelope(other_corp, text_xml("完成 3.4.2"), env.clock(), "1609000016")
    await assert_refused(env, (await post(env, params, body))[0], 403)


async def test_envelope_addressed_to_another_corp(env: Env) -> None:
    params, body = envelope(
        env.crypto, text_xml("完成"), env.clock(), "1609000017", to="wwOTHERCORP0000000"
    )
    await assert_refused(env, (await post(env, params, body))[0], 403)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda body: body[: len(body) // 2],  # truncated
        lambda body: body.replace("</xml>", ""),  # unclosed
        lambda body: "",  # empty
        lambda body: "<xml><ToUserName>x</ToUserName></xml>",  # no Encrypt
        lambda body: "not xml at all",
    ],
    ids=["truncated", "unclosed", "empty", "no-encrypt", "garbage"],
)
async def test_malformed_body(env: Env, mangle: Any) -> None:
    params, body = envelope(env.crypto, text_xml("完成"), env.clock(), "1609000018")
    await assert_refused(env, (await post(env, params, mangle(body)))[0], 400)


async def test_ciphertext_that_does_not_decrypt(env: Env) -> None:
    # Correctly signed, but the ciphertext is cut: AES/padding must fail cleanly.
    params, body = envelope(env.crypto, text_xml("完成"), env.clock(), "1609000019")
    encrypt = ET.fromstring(body).findtext("Encrypt") or ""
    cut = base64.b64encode(base64.b64decode(encrypt)[:-16]).decode()
    signer = WeChatSigner()
    signer.add_data(TOKEN, params["timestamp"], params["nonce"], cut)
    params["msg_signature"] = signer.signature
    body = payload("wecom", "envelope.xml").format(corp_id=CORP, agent_id=AGENT, encrypt=cut)
    await assert_refused(env, (await post(env, params, body))[0], 400)


async def test_entity_expansion_in_the_envelope(env: Env) -> None:
    params, _ = envelope(env.crypto, text_xml("完成"), env.clock(), "1609000020")
    bomb = payload("wecom", "billion_laughs.xml")
    await assert_refused(env, (await post(env, params, bomb))[0], 400)


async def test_entity_expansion_inside_a_validly_encrypted_message(env: Env) -> None:
    bomb = payload("wecom", "billion_laughs.xml")
    params, body = envelope(env.crypto, bomb, env.clock(), "1609000021")
    await assert_refused(env, (await post(env, params, body))[0], 400)


async def test_missing_query_parameters(env: Env) -> None:
    params, body = envelope(env.crypto, text_xml("完成"), env.clock(), "1609000022")
    del params["nonce"]
    await assert_refused(env, (await post(env, params, body))[0], 400)


async def test_oversized_body(env: Env) -> None:
    params, _ = envelope(env.crypto, text_xml("完成"), env.clock(), "1609000023")
    await assert_refused(env, (await post(env, params, "<xml>" + "x" * 300_000))[0], 413)


# -- sending ---------------------------------------------------------------------------


async def test_token_is_cached_until_shortly_before_it_expires(env: Env) -> None:
    for i in range(3):
        await env.adapter.send(Outgoing("wecom", CONTACT, f"提醒 {i}"))
    assert env.api.token_fetches == 1
    assert (env.adapter.tokens.hits, env.adapter.tokens.fetches) == (2, 1)
    env.clock.advance(7200 - 301)
    await env.adapter.send(Outgoing("wecom", CONTACT, "提醒 3"))
    assert env.api.token_fetches == 1
    env.clock.advance(2)  # inside the 300 s safety margin
    await env.adapter.send(Outgoing("wecom", CONTACT, "提醒 4"))
    assert env.api.token_fetches == 2
    assert len(env.api.delivered) == 5


@pytest.mark.parametrize("errcode", [42001, 40014])
async def test_refused_token_is_refetched_once(env: Env, errcode: int) -> None:
    await env.adapter.send(Outgoing("wecom", CONTACT, "第一条"))
    if errcode == 42001:
        env.api.expire_tokens()  # WeCom expired it early
    else:
        env.api.live.clear()  # WeCom no longer knows it
    await env.adapter.send(Outgoing("wecom", CONTACT, "第二条"))
    assert env.api.token_fetches == 2
    assert [d["text"] for d in env.api.delivered] == ["第一条", "第二条"]


async def test_wrong_secret_is_an_auth_error(env: Env) -> None:
    env.api.secret = "rotated"
    with pytest.raises(AdapterAuthError):
        await env.adapter.send(Outgoing("wecom", CONTACT, "提醒"))
    assert env.api.delivered == []


async def test_errcode_45009_is_rate_limited(env: Env) -> None:
    env.api.fail_next = [45009]
    with pytest.raises(AdapterRateLimited) as info:
        await env.adapter.send(Outgoing("wecom", CONTACT, "提醒"))
    assert info.value.retry_after >= 30
    assert env.api.delivered == []
    await env.adapter.send(Outgoing("wecom", CONTACT, "提醒"))  # the outbox's retry
    assert len(env.api.delivered) == 1


async def test_per_member_limit_of_30_a_minute(env: Env) -> None:
    for i in range(30):
        await env.adapter.send(Outgoing("wecom", CONTACT, f"消息 {i}"))
        env.clock.advance(1)
    with pytest.raises(AdapterRateLimited) as info:
        await env.adapter.send(Outgoing("wecom", CONTACT, "第 31 条"))
    assert 0 < info.value.retry_after <= 31
    await env.adapter.send(Outgoing("wecom", "lisi", "别人不受影响"))
    env.clock.advance(info.value.retry_after)
    await env.adapter.send(Outgoing("wecom", CONTACT, "第 31 条"))
    assert sum(d["user"] == CONTACT for d in env.api.delivered) == 31
    assert env.api.calls == 32  # the refused send never reached WeCom


async def test_per_member_limit_of_1000_an_hour(env: Env) -> None:
    for _ in range(1000):
        assert env.adapter.limiter.acquire([CONTACT]) == 0
        env.clock.advance(2.5)  # 24 a minute: under the minute limit
    with pytest.raises(AdapterRateLimited) as info:
        await env.adapter.send(Outgoing("wecom", CONTACT, "第 1001 条"))
    assert info.value.retry_after == pytest.approx(3600 - 2500 + 0, abs=1)


async def test_touser_is_batched_by_1000(env: Env) -> None:
    users = [f"u{i:04d}" for i in range(2500)] + ["ghost"]
    invalid = await env.adapter.send_text(users, "全员通知")
    assert invalid == ["ghost"]
    assert env.api.calls == 3
    assert len(env.api.delivered) == 2500


async def test_unknown_user_is_a_permanent_error(env: Env) -> None:
    with pytest.raises(AdapterPermanentError):
        await env.adapter.send(Outgoing("wecom", "ghost", "提醒"))


async def test_long_text_is_split_at_2048_bytes(env: Env) -> None:
    text = "督办" * 1500  # 9000 bytes of UTF-8
    await env.adapter.send(Outgoing("wecom", CONTACT, text))
    parts = [d["text"] for d in env.api.delivered]
    assert "".join(parts) == text
    assert len(parts) == 5
    assert all(len(p.encode()) <= 2048 for p in parts)


def test_bad_encoding_aes_key_is_refused_at_startup() -> None:
    settings = WecomSettings(
        corp_id=CORP, agent_id=AGENT, secret="s", token=TOKEN, encoding_aes_key="short"
    )
    with pytest.raises(ValueError, match="encoding_aes_key"):
        WeComAdapter(settings, None, RecordingHandler())  # type: ignore[arg-type]


async def test_any_entity_declaration_is_refused(env: Env) -> None:
    # Small enough for expat's own amplification limit: only defusedxml refuses it.
    quadratic = '<!DOCTYPE xml [<!ENTITY a "' + "完成" * 2000 + '">]>' + text_xml("&a;" * 50)
    params, body = envelope(env.crypto, quadratic, env.clock(), "1609000024")
    await assert_refused(env, (await post(env, params, body))[0], 400)


# -- the stand-in is as strict as WeCom ----------------------------------------------


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        ({"agentid": str(AGENT)}, 40056),
        ({"agentid": AGENT + 1}, 40056),
        ({"msgtype": "markdown"}, 40008),
        ({"text": {"content": ""}}, 44004),
        ({"text": {"content": "长" * 700}}, 45002),
        ({"touser": "|".join(f"u{i:04d}" for i in range(1001))}, 40031),
        ({"bogus": 1}, 40008),
    ],
)
async def test_stand_in_refuses_what_wecom_refuses(
    env: Env, change: dict[str, Any], errcode: int
) -> None:
    token = await env.adapter.tokens.get()
    body = {"touser": CONTACT, "msgtype": "text", "agentid": AGENT, "text": {"content": "x"}}
    async with aiohttp.ClientSession() as http:
        url = f"{env.api.url}/cgi-bin/message/send"
        async with http.post(url, params={"access_token": token}, json=body | change) as r:
            assert (await r.json())["errcode"] == errcode
        async with http.post(url, params={"access_token": "forged"}, json=body) as r:
            assert (await r.json())["errcode"] == 40014
    assert env.api.delivered == []


async def test_a_non_ascii_signature_is_refused_not_a_500(env: Env) -> None:
    # hmac.compare_digest raised TypeError on non-ASCII str: a 500 with a traceback.
    params, body = envelope(env.crypto, text_xml("完成 3.4.2"), env.clock(), "n-ascii")
    params["msg_signature"] = "签名" * 20
    await assert_refused(env, (await post(env, params, body))[0], 403)
