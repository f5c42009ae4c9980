"""Local stand-ins of the WeCom, DingTalk and Feishu HTTP APIs, and shared test helpers.

Each stand-in is a real aiohttp server on 127.0.0.1 and a free port. It checks
every field, token and header of what the bot sends the way the platform
documents it, answers mistakes with the platform's own error codes, and
records what it accepted so tests can assert on deliveries.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.webhook import WebhookAdapter
from bot.events import IncomingMessage

PAYLOADS = Path(__file__).resolve().parent / "data" / "payloads"
T0 = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC; every test clock starts here


def payload(platform: str, name: str) -> str:
    """A recorded payload from tests/data/payloads/<platform>/."""
    return (PAYLOADS / platform / name).read_text(encoding="utf-8")


class FakeClock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingHandler:
    """A small real core: records each message; answers 完成 with a confirmation."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.gate: asyncio.Event | None = None  # when set, the handler waits for it
        # Set when a message reaches the handler: tests wait on it, not on a loop step,
        # to know the adapter's background task has started.
        self.entered = asyncio.Event()

    async def __call__(self, msg: IncomingMessage) -> str | None:
        self.received.append(msg)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if msg.text.startswith("完成"):
            return f"已记录：{msg.text[2:].strip()} 已报完成"
        return None


@asynccontextmanager
async def serve_adapter(adapter: WebhookAdapter) -> AsyncIterator[TestClient[Any, Any]]:
    """The adapter's routes on a real server, and a client that talks to it."""
    app = web.Application()
    app.add_routes(adapter.routes())
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await adapter.close()
        await client.close()


class StandIn:
    """Base of the platform stand-ins: a real server plus a record of accepted calls."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.server = TestServer(self.app)
        self.token_fetches = 0
        self.delivered: list[dict[str, Any]] = []  # one entry per accepted message
        self.calls = 0  # API calls other than token fetches
        self.live: set[str] = set()  # access tokens the API accepts
        self.expired: set[str] = set()  # tokens the platform expired early
        self._tokens = itertools.count(1)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def __aenter__(self) -> Self:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()

    def new_token(self, prefix: str) -> str:
        """Issue an access token: one more fetch, accepted from now on."""
        self.token_fetches += 1
        token = f"{prefix}{next(self._tokens):06d}"
        self.live.add(token)
        return token

    def expire_tokens(self) -> None:
        """The platform invalidated every token early."""
        self.expired |= self.live
        self.live.clear()


async def _json_body(request: web.Request) -> Any:
    if request.content_type != "application/json":
        return None
    try:
        return json.loads(await request.text())
    except ValueError:
        return None


# -- WeCom -----------------------------------------------------------------------


class WeComStandIn(StandIn):
    """qyapi.weixin.qq.com: `cgi-bin/gettoken` and `cgi-bin/message/send`."""

    def __init__(self, corp_id: str, secret: str, agent_id: int, users: set[str]) -> None:
        super().__init__()
        self.corp_id, self.secret, self.agent_id, self.users = corp_id, secret, agent_id, users
        self.fail_next: list[int] = []  # errcodes to answer the next sends with
        self.expires_in = 7200
        self.app.add_routes(
            [
                web.get("/cgi-bin/gettoken", self._gettoken),
                web.post("/cgi-bin/message/send", self._send),
            ]
        )

    @staticmethod
    def _err(code: int, msg: str) -> web.Response:
        return web.json_response({"errcode": code, "errmsg": msg})

    async def _gettoken(self, request: web.Request) -> web.Response:
        q = request.query
        if set(q) != {"corpid", "corpsecret"}:
            return self._err(40013, "invalid corpid")
        if q["corpid"] != self.corp_id:
            return self._err(40013, "invalid corpid")
        if q["corpsecret"] != self.secret:
            return self._err(40001, "invalid credential")
        token = self.new_token("wecom-")
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}
        )

    async def _send(self, request: web.Request) -> web.Response:
        self.calls += 1
        token = request.query.get("access_token")
        if not token:
            return self._err(41001, "access_token missing")
        if token in self.expired:  # expire_tokens(): errcode 42001 from now on
            return self._err(42001, "access_token expired")
        if token not in self.live:
            return self._err(40014, "invalid access_token")
        body = await _json_body(request)
        if not isinstance(body, dict):
            return self._err(40008, "invalid message body")
        allowed = {
            "touser",
            "msgtype",
            "agentid",
            "text",
            "safe",
            "enable_duplicate_check",
            "duplicate_check_interval",
        }
        if not set(body) <= allowed or body.get("msgtype") != "text":
            return self._err(40008, "invalid message type")
        if type(body.get("agentid")) is not int or body["agentid"] != self.agent_id:
            return self._err(40056, "invalid agentid")
        text = body.get("text")
        if not isinstance(text, dict) or set(text) != {"content"}:
            return self._err(44004, "empty content")
        content = text["content"]
        if not isinstance(content, str) or not content:
            return self._err(44004, "empty content")
        if len(content.encode()) > 2048:
            return self._err(45002, "content size out of limit")
        if body.get("safe", 0) not in (0, 1) or body.get("enable_duplicate_check", 0) not in (
            0,
            1,
        ):
            return self._err(40008, "invalid flag")
        interval = body.get("duplicate_check_interval", 1800)
        if type(interval) is not int or not 0 < interval <= 14400:
            return self._err(40008, "invalid duplicate_check_interval")
        touser = body.get("touser")
        users = touser.split("|") if isinstance(touser, str) and touser else []
        if not users or len(users) > 1000:
            return self._err(40031, "invalid user list")
        if self.fail_next:
            code = self.fail_next.pop(0)
            return self._err(code, "injected")
        valid = [u for u in users if u in self.users]
        if not valid:
            return self._err(81013, "user & party & tag all invalid")
        for user in valid:
            self.delivered.append({"user": user, "text": content, "agentid": body["agentid"]})
        invalid = "|".join(u for u in users if u not in self.users)
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "invaliduser": invalid, "msgid": f"m{self.calls}"}
        )


# -- DingTalk --------------------------------------------------------------------


class DingTalkStandIn(StandIn):
    """api.dingtalk.com (token, robot batch send) and oapi's sessionWebhook, on one host."""

    def __init__(self, app_key: str, app_secret: str, robot_code: str, users: set[str]) -> None:
        super().__init__()
        self.app_key, self.app_secret, self.robot_code, self.users = (
            app_key,
            app_secret,
            robot_code,
            users,
        )
        self.sessions: dict[str, str] = {}  # session -> conversation
        self.session_replies: list[dict[str, Any]] = []
        self.throttle_next = 0
        self.flow_control_next = 0
        self.app.add_routes(
            [
                web.post("/v1.0/oauth2/accessToken", self._token),
                web.post("/v1.0/robot/oToMessages/batchSend", self._batch_send),
                web.post("/robot/sendBySession", self._session),
            ]
        )

    def open_session(self, session: str, conversation: str) -> str:
        """A sessionWebhook URL as DingTalk puts it into a callback."""
        self.sessions[session] = conversation
        return f"{self.url}/robot/sendBySession?session={session}"

    @staticmethod
    def _err(status: int, code: str, message: str) -> web.Response:
        return web.json_response(
            {"code": code, "message": message, "requestid": "R1"}, status=status
        )

    async def _token(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) != {"appKey", "appSecret"}:
            return self._err(400, "MissingParameter", "appKey/appSecret required")
        if body["appKey"] != self.app_key or body["appSecret"] != self.app_secret:
            return self._err(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        token = self.new_token("ding-")
        return web.json_response({"accessToken": token, "expireIn": 7200})

    async def _batch_send(self, request: web.Request) -> web.Response:
        self.calls += 1
        if request.headers.get("x-acs-dingtalk-access-token") not in self.live:
            return self._err(401, "InvalidAuthentication", "不合法的access_token")
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) != {
            "robotCode",
            "userIds",
            "msgKey",
            "msgParam",
        }:
            return self._err(400, "MissingParameter", "robotCode/userIds/msgKey/msgParam")
        if body["robotCode"] != self.robot_code:
            return self._err(400, "resource.not.found", "robot 不存在")
        users = body["userIds"]
        if (
            not isinstance(users, list)
            or not 1 <= len(users) <= 20
            or not all(isinstance(u, str) and u for u in users)
        ):
            return self._err(400, "invalidParameter.userIds", "userIds: 1..20 staffIds")
        if body["msgKey"] != "sampleText" or not isinstance(body["msgParam"], str):
            return self._err(400, "invalidParameter.msgKey", "msgKey/msgParam")
        try:
            param = json.loads(body["msgParam"])
        except ValueError:
            return self._err(400, "invalidParameter.msgParam", "msgParam is not JSON")
        if not isinstance(param, dict) or set(param) != {"content"} or not param["content"]:
            return self._err(400, "invalidParameter.msgParam", "sampleText needs content")
        if self.throttle_next:
            self.throttle_next -= 1
            return self._err(429, "Throttling.Api", "请求被流控")
        flow = []
        if self.flow_control_next:
            self.flow_control_next -= 1
            flow = list(users)
        invalid = [u for u in users if u not in self.users]
        for user in users:
            if user in self.users and not flow:
                self.delivered.append({"user": user, "text": param["content"]})
        return web.json_response(
            {
                "processQueryKey": f"pq{self.calls}",
                "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": flow,
            }
        )

    async def _session(self, request: web.Request) -> web.Response:
        session = request.query.get("session", "")
        if session not in self.sessions:
            return web.json_response({"errcode": 300001, "errmsg": "session 不存在"})
        body = await _json_body(request)
        if (
            not isinstance(body, dict)
            or body.get("msgtype") != "text"
            or not isinstance(body.get("text"), dict)
            or not body["text"].get("content")
        ):
            return web.json_response({"errcode": 40035, "errmsg": "缺少参数 json"})
        self.session_replies.append(
            {"conversation": self.sessions[session], "text": body["text"]["content"]}
        )
        return web.json_response({"errcode": 0, "errmsg": "ok"})


# -- Feishu ----------------------------------------------------------------------


class FeishuStandIn(StandIn):
    """open.feishu.cn: tenant_access_token/internal and im/v1/messages."""

    def __init__(self, app_id: str, app_secret: str, users: set[str]) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.users = app_id, app_secret, users
        self.uuids: dict[str, str] = {}
        self.rate_limit_next = 0
        self.app.add_routes(
            [
                web.post("/open-apis/auth/v3/tenant_access_token/internal", self._token),
                web.post("/open-apis/im/v1/messages", self._send),
            ]
        )

    @staticmethod
    def _err(status: int, code: int, msg: str) -> web.Response:
        return web.json_response({"code": code, "msg": msg}, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) != {"app_id", "app_secret"}:
            return self._err(400, 10003, "invalid param")
        if body["app_id"] != self.app_id or body["app_secret"] != self.app_secret:
            return self._err(400, 10014, "app secret invalid")
        token = self.new_token("t-")
        return web.json_response(
            {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        )

    async def _send(self, request: web.Request) -> web.Response:
        self.calls += 1
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if token not in self.live:
            return self._err(400, 99991663, "Invalid access token for authorization")
        if request.query.get("receive_id_type") != "open_id" or len(request.query) != 1:
            return self._err(400, 230001, "invalid receive_id_type")
        body = await _json_body(request)
        if not isinstance(body, dict) or not {"receive_id", "msg_type", "content"} <= set(
            body
        ) <= {"receive_id", "msg_type", "content", "uuid"}:
            return self._err(400, 230001, "invalid request body")
        if body["msg_type"] != "text" or not isinstance(body["content"], str):
            return self._err(400, 230001, "invalid msg_type/content")
        try:
            content = json.loads(body["content"])
        except ValueError:
            return self._err(400, 230001, "content is not JSON")
        if not isinstance(content, dict) or set(content) != {"text"} or not content["text"]:
            return self._err(400, 230001, "text content required")
        uuid = body.get("uuid")
        if uuid is not None and (not isinstance(uuid, str) or not 0 < len(uuid) <= 50):
            return self._err(400, 230001, "invalid uuid")
        if self.rate_limit_next:
            self.rate_limit_next -= 1
            resp = self._err(429, 99991400, "request trigger frequency limit")
            resp.headers["x-ogw-ratelimit-reset"] = "3"
            return resp
        if body["receive_id"] not in self.users:
            return self._err(400, 230013, "Bot has NO availability to this user.")
        if uuid in self.uuids:  # Feishu: same uuid within an hour is sent once
            message_id = self.uuids[uuid]
        else:
            message_id = f"om_{self.calls:08d}"
            self.delivered.append({"user": body["receive_id"], "text": content["text"]})
            if uuid is not None:
                self.uuids[uuid] = message_id
        return web.json_response({"code": 0, "msg": "success", "data": {"message_id": message_id}})
