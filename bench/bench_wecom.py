"""WeCom adapter throughput: what the callback crypto costs, and how well tokens are cached.

1. Inbound: encrypted WeCom text callbacks POSTed over HTTP to the adapter,
   decrypted, handed to a small handler that records them (the "store") and
   answers, the answer sent through `message/send` to a local stand-in of
   WeCom's API. The same run with the signature check and AES stubbed out (a
   subclass, here only) gives the baseline; the ratio shows the crypto's cost.
2. A reminder pass of 2,000 sends over ~100 minutes of (fake) clock, with one
   early token expiry by WeCom: token cache hit rate.

Everything talks to 127.0.0.1 on free ports; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.adapters.wecom import WeComAdapter, WecomSettings
from bot.events import IncomingMessage, Outgoing

CORP, AGENT, TOKEN, SECRET = "ww1234567890abcdef", 1000002, "benchtoken", "bench-secret"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
MESSAGES = 3000  # per inbound run
CONCURRENCY = 16  # callbacks in flight, as WeCom would deliver from many members
ROUNDS = 5  # alternate crypto / stubbed runs, keep the best of each
REMINDERS = 2000


class WeComAPI:
    """Just enough of qyapi.weixin.qq.com: gettoken and message/send, token checked."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.fetches = 0
        self.sent = 0
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/cgi-bin/gettoken", self.gettoken),
                web.post("/cgi-bin/message/send", self.send),
            ]
        )

    async def gettoken(self, request: web.Request) -> web.Response:
        if request.query.get("corpsecret") != SECRET or request.query.get("corpid") != CORP:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.fetches += 1
        token = f"tok{self.fetches}"
        self.tokens.add(token)
        return web.json_response({"errcode": 0, "access_token": token, "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") not in self.tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        body = await request.json()
        assert body["agentid"] == AGENT and body["text"]["content"]
        self.sent += 1
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": ""})


class PlainWeCom(WeComAdapter):
    """The same endpoint with the crypto stubbed out: <Encrypt> holds base64 plaintext."""

    def open_envelope(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        return base64.b64decode(encrypt).decode()


class Store:
    """The handler: records each message (the core's store write) and answers it."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    async def __call__(self, msg: IncomingMessage) -> str | None:
        self.rows.append((msg.user_id, msg.text))
        return f"已记录：{msg.text}"


def message_xml(i: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName>"
        f"<FromUserName><![CDATA[user{i % 500:03d}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[完成 3.4.{i}]]></Content><MsgId>{7_000_000_000 + i}</MsgId>"
        f"<AgentID>{AGENT}</AgentID></xml>"
    )


def callbacks(encrypted: bool, tag: str) -> list[tuple[dict[str, str], str]]:
    """Query and body of each callback, prepared before timing (that is WeCom's work)."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP)
    out = []
    ts = str(int(time.time()))
    for i in range(MESSAGES):
        nonce = f"{tag}{i}"
        if encrypted:
            sealed = ET.fromstring(crypto.encrypt_message(message_xml(i), nonce, ts))
            encrypt, sig = sealed.findtext("Encrypt") or "", sealed.findtext("MsgSignature") or ""
        else:
            encrypt, sig = base64.b64encode(message_xml(i).encode()).decode(), "-"
        body = (
            f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><AgentID>{AGENT}</AgentID>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )
        out.append(({"msg_signature": sig, "timestamp": ts, "nonce": nonce}, body))
    return out


def settings(api_base: str) -> WecomSettings:
    return WecomSettings(
        corp_id=CORP,
        agent_id=AGENT,
        secret=SECRET,
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        api_base=api_base,
    )


async def inbound_run(
    cls: type[WeComAdapter], http: aiohttp.ClientSession, api: TestServer, tag: str
) -> float:
    """Messages per second through POST → decrypt → handler → reply sent."""
    requests = callbacks(cls is WeComAdapter, tag)
    store = Store()
    # Replies go to 500 members, 6 each: inside WeCom's 30/min, so the limiter stays on.
    adapter = cls(settings(str(api.make_url("")).rstrip("/")), http, store)
    app = web.Application()
    app.add_routes(adapter.routes())
    server = TestServer(app)
    await server.start_server()
    url = str(server.make_url("/wecom/callback"))
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(params: dict[str, str], body: str) -> None:
        async with gate, http.post(url, params=params, data=body) as resp:
            assert resp.status == 200, await resp.text()

    start = time.perf_counter()
    await asyncio.gather(*(one(p, b) for p, b in requests))
    await adapter.drain()
    elapsed = time.perf_counter() - start
    await adapter.close()
    await server.close()
    assert len(store.rows) == MESSAGES, len(store.rows)
    return MESSAGES / elapsed


def crypto_cost_us() -> float:
    """Microseconds to verify and decrypt one callback, measured alone."""
    adapter = WeComAdapter(settings("http://127.0.0.1:9"), None, Store())  # type: ignore[arg-type]
    sample = callbacks(True, "c")[:1000]
    parsed = [(p, ET.fromstring(b).findtext("Encrypt") or "") for p, b in sample]
    start = time.perf_counter()
    for params, encrypt in parsed:
        adapter.open_envelope(
            params["msg_signature"], params["timestamp"], params["nonce"], encrypt
        )
    return (time.perf_counter() - start) / len(parsed) * 1e6


async def reminder_pass(http: aiohttp.ClientSession, api_server: TestServer, api: WeComAPI) -> Any:
    now = [time.time()]
    adapter = WeComAdapter(
        settings(str(api_server.make_url("")).rstrip("/")), http, Store(), clock=lambda: now[0]
    )
    fetches_before = api.fetches
    start = time.perf_counter()
    for i in range(REMINDERS):
        await adapter.send(Outgoing("wecom", f"user{i % 400:03d}", f"【督办提醒】任务 {i}"))
        now[0] += 3.0  # a pass spread over 100 minutes: the 2 h token outlives it
        if i == REMINDERS // 2:
            api.tokens.clear()  # WeCom expires the token early once (42001)
    elapsed = time.perf_counter() - start
    return adapter.tokens, api.fetches - fetches_before, REMINDERS / elapsed


async def main() -> None:
    api = WeComAPI()
    api_server = TestServer(api.app)
    await api_server.start_server()
    conn = aiohttp.TCPConnector(limit=CONCURRENCY * 2)
    async with aiohttp.ClientSession(connector=conn) as http:
        crypto_rates, plain_rates = [], []
        for r in range(ROUNDS):
            crypto_rates.append(await inbound_run(WeComAdapter, http, api_server, f"a{r}-"))
            plain_rates.append(await inbound_run(PlainWeCom, http, api_server, f"b{r}-"))
        tokens, fetched, send_rate = await reminder_pass(http, api_server, api)
    await api_server.close()

    best_crypto, best_plain = max(crypto_rates), max(plain_rates)
    print(f"WeCom inbound, {MESSAGES} callbacks x {ROUNDS} rounds, {CONCURRENCY} in flight")
    print(f"  with crypto (SHA1 signature + AES-256-CBC): {best_crypto:8.0f} msg/s")
    print(f"  crypto stubbed out:                         {best_plain:8.0f} msg/s")
    print(f"  ratio crypto / stubbed:                     {best_crypto / best_plain:8.2f}")
    print(f"  median of rounds:  {statistics.median(crypto_rates):.0f} vs "
          f"{statistics.median(plain_rates):.0f} msg/s")  # fmt: skip
    cost = crypto_cost_us()
    print(f"  verify + decrypt alone:                     {cost:8.1f} us/msg")
    print(f"  = share of one callback's time at best rate: {cost * best_crypto / 1e6:7.1%}")
    print(f"Reminder pass, {REMINDERS} sends to 400 members over 100 min of clock")
    print(f"  token hits {tokens.hits}, fetches {tokens.fetches} (stand-in saw {fetched})")
    print(f"  token cache hit rate:                       {tokens.hit_rate:8.2%}")
    print(f"  sends/s to the stand-in:                    {send_rate:8.0f}")


if __name__ == "__main__":
    asyncio.run(main())
