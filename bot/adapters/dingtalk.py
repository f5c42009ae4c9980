"""DingTalk (钉钉) enterprise robot: HTTP-mode callback in, robot API out.

Inbound: DingTalk POSTs the message JSON to `/dingtalk/callback` with headers
`timestamp` (ms) and `sign` = base64(HMAC-SHA256(appSecret, "timestamp\\nappSecret")).
The sign does not cover the body, so besides the signature and the one-hour
window the adapter refuses a reused timestamp for a new msgId, checks the
robot code (and the organisation, when configured) and drops retries by msgId.

Outbound: replies go to the message's `sessionWebhook` while it is valid;
everything else (reminders) through the one-to-one batch send
`/v1.0/robot/oToMessages/batchSend` with a cached `/v1.0/oauth2/accessToken`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Unpack
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.adapters.base import (
    AdapterAuthError,
    AdapterError,
    AdapterPermanentError,
    AdapterRateLimited,
    MessageHandler,
)
from bot.adapters.webhook import (
    Rejected,
    WebhookAdapter,
    WebhookOptions,
    call_api,
    json_object,
    read_body,
)
from bot.config import Section
from bot.events import IncomingMessage, Outgoing
from bot.safetext import same_text

log = logging.getLogger(__name__)

SIGN_WINDOW = 3600.0  # DingTalk: refuse a timestamp more than one hour off
MAX_USERS = 20  # batchSend accepts at most 20 userIds per call
WEBHOOK_MARGIN_MS = 5_000  # do not use a sessionWebhook about to expire


def callback_sign(timestamp: str, app_secret: str) -> str:
    """The `sign` header of a DingTalk robot callback."""
    mac = hmac.new(app_secret.encode(), f"{timestamp}\n{app_secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class DingtalkSettings(Section):
    app_key: str
    app_secret: str
    robot_code: str
    api_base: str = "https://api.dingtalk.com"
    oapi_base: str = "https://oapi.dingtalk.com"
    # When set, callbacks from any other organisation (chatbotCorpId) are refused.
    corp_id: str = ""


class DingTalkAdapter(WebhookAdapter):
    """A DingTalk enterprise-internal app robot (企业内部应用机器人), HTTP mode."""

    name: ClassVar[str] = "dingtalk"
    settings_model: ClassVar[type[Section]] = DingtalkSettings
    settings: DingtalkSettings
    replay_window: ClassVar[float] = SIGN_WINDOW

    def __init__(
        self,
        settings: DingtalkSettings,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        **options: Unpack[WebhookOptions],
    ) -> None:
        super().__init__(settings, http, handler, **options)
        webhook_base = urlsplit(settings.oapi_base)
        self._webhook_origin = (webhook_base.scheme, webhook_base.netloc)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post("/dingtalk/callback", self.callback)]

    # -- inbound ---------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        try:
            incoming = await self._receive(request)
        except Rejected as exc:
            return self.refuse(exc, request)
        return self.accept(incoming, web.json_response({}))

    async def _receive(self, request: web.Request) -> IncomingMessage | None:
        timestamp, sign = request.headers.get("timestamp", ""), request.headers.get("sign", "")
        if not (timestamp and sign):
            raise Rejected(400, "missing timestamp/sign headers")
        try:
            ts_ms = int(timestamp)
        except ValueError:
            raise Rejected(400, "timestamp is not a number") from None
        if not self.replay.fresh(ts_ms / 1000):
            raise Rejected(403, f"timestamp {timestamp} more than an hour off")
        if not same_text(sign, callback_sign(timestamp, self.settings.app_secret)):
            raise Rejected(403, "bad sign")
        body = json_object(await read_body(request))
        msg_id = body.get("msgId")
        if not isinstance(msg_id, str) or not msg_id:
            raise Rejected(400, "no msgId")
        if body.get("robotCode") not in (None, self.settings.robot_code):
            raise Rejected(403, "message for another robot")
        corp = self.settings.corp_id
        if corp and body.get("chatbotCorpId") != corp:
            raise Rejected(403, "message from another organisation")
        if not self.seen.first_time(f"msg:{msg_id}"):
            log.info("dingtalk: dropped a retry of msgId %s", msg_id)
            return None
        # The sign depends on the timestamp only: the same headers on a new
        # message are a replay of captured headers, not DingTalk.
        if not self.replay.first_time(f"ts:{timestamp}"):
            raise Rejected(403, "timestamp/sign reused for another message")
        return self._incoming(body, msg_id)

    def _incoming(self, body: dict[str, Any], msg_id: str) -> IncomingMessage | None:
        if body.get("msgtype") != "text":
            return None
        text = body.get("text")
        content = text.get("content") if isinstance(text, dict) else None
        user = body.get("senderStaffId")
        if not isinstance(content, str) or not isinstance(user, str) or not user:
            return None  # outside users (no staffId) are not contacts
        context: dict[str, Any] = {"conversation_id": body.get("conversationId", "")}
        webhook, expires = body.get("sessionWebhook"), body.get("sessionWebhookExpiredTime")
        if isinstance(webhook, str) and isinstance(expires, int):
            context["session_webhook"] = webhook
            context["session_webhook_expires_ms"] = expires
        return IncomingMessage(
            platform=self.name,
            user_id=user,
            text=content.strip(),
            message_id=msg_id,
            received_at=datetime.fromtimestamp(self.clock(), tz=UTC),
            reply_context=context,
        )

    # -- outbound --------------------------------------------------------------

    async def _via_session_webhook(self, context: dict[str, Any], text: str) -> bool:
        """Answer through the message's sessionWebhook while it is valid; False if it is not."""
        webhook = context.get("session_webhook")
        expires = context.get("session_webhook_expires_ms", 0)
        if not (
            isinstance(webhook, str)
            and isinstance(expires, int)
            and self._trusted_webhook(webhook)
            and expires > self.clock() * 1000 + WEBHOOK_MARGIN_MS
        ):
            return False
        body = {"msgtype": "text", "text": {"content": text}}
        data = await self._call(webhook, body, {})
        code = data.get("errcode", 0)
        if code == 0:
            return True
        if code == 130101:  # sending too fast
            raise AdapterRateLimited(f"dingtalk webhook errcode {code}")
        raise AdapterError(f"dingtalk webhook errcode {code}: {data.get('errmsg', '')}")

    def _trusted_webhook(self, url: str) -> bool:
        # Never POST to a host the callback merely claims is DingTalk's.
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == self._webhook_origin

    async def send(self, msg: Outgoing) -> None:
        """An answer goes back through its message's sessionWebhook while that is valid
        (also when it was queued in the outbox); anything else is a one-to-one send."""
        if msg.reply_context and await self._via_session_webhook(msg.reply_context, msg.text):
            return
        invalid = await self.send_text([msg.user_id], msg.text)
        if invalid:
            raise AdapterPermanentError(f"dingtalk: {msg.user_id} cannot receive robot messages")

    async def send_text(self, user_ids: Sequence[str], text: str) -> list[str]:
        """One-to-one robot messages, 20 users per call; the staffIds DingTalk refused."""
        users = list(dict.fromkeys(user_ids))
        if not users or not all(users):
            raise AdapterPermanentError("dingtalk: bad recipient list")
        invalid: list[str] = []
        for start in range(0, len(users), MAX_USERS):
            body = {
                "robotCode": self.settings.robot_code,
                "userIds": users[start : start + MAX_USERS],
                "msgKey": "sampleText",
                "msgParam": json.dumps({"content": text}, ensure_ascii=False),
            }
            data = await self._api_post("/v1.0/robot/oToMessages/batchSend", body)
            limited = data.get("flowControlledStaffIdList") or []
            if limited:
                raise AdapterRateLimited(f"dingtalk: flow control for {limited}")
            invalid.extend(data.get("invalidStaffIdList") or [])
        return invalid

    async def _api_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self.settings.api_base.rstrip("/") + path
        for attempt in (1, 2):
            token = await self.tokens.get()
            try:
                return await self._call(url, body, {"x-acs-dingtalk-access-token": token})
            except AdapterAuthError:
                self.tokens.invalidate(token)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _fetch_token(self) -> tuple[str, float]:
        url = self.settings.api_base.rstrip("/") + "/v1.0/oauth2/accessToken"
        body = {"appKey": self.settings.app_key, "appSecret": self.settings.app_secret}
        try:
            data = await self._call(url, body, {})
        except AdapterPermanentError as exc:  # a wrong appKey/appSecret is a 400
            raise AdapterAuthError(str(exc)) from exc
        token = data.get("accessToken")
        if not isinstance(token, str) or not token:
            raise AdapterError("dingtalk: accessToken answered without a token")
        return token, float(data.get("expireIn", 7200))

    async def _call(
        self, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        reply = await call_api(
            self.http, "POST", url, platform="dingtalk", json=body, headers=headers
        )
        if reply.status == 200 and reply.body is not None:
            return reply.body
        _raise_for_status(reply.status, reply.body or {}, reply.headers.get("Retry-After", ""))
        raise AdapterError(f"dingtalk: HTTP {reply.status} with a body that is not an object")


def _raise_for_status(status: int, data: dict[str, Any], retry_after: str) -> None:
    code = str(data.get("code", ""))
    what = f"dingtalk HTTP {status} {code}: {data.get('message', '')}"
    if status == 429 or code.startswith("Throttling"):
        wait = float(retry_after) if retry_after.isdigit() else 60.0
        raise AdapterRateLimited(what, retry_after=wait)
    if status in (401, 403) or code.startswith(("InvalidAuthentication", "Forbidden")):
        raise AdapterAuthError(what)
    if 400 <= status < 500 and status != 408:
        raise AdapterPermanentError(what)
    if status != 200:
        raise AdapterError(what)
