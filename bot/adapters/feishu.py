"""Feishu (飞书) app: event subscription in, `im/v1/messages` out.

Inbound, per Feishu's event subscription spec, `POST /feishu/events` carries
either the plain event JSON or, with an encrypt key, `{"encrypt": base64}`:
AES-256-CBC with key = SHA-256(encrypt key) and the IV in the first 16 bytes.
Signed requests carry `X-Lark-Signature` = SHA-256 hex of
timestamp + nonce + encrypt key + raw body. The verification token sits in the
(decrypted) event. The adapter answers the `url_verification` challenge,
drops retries by `event_id`, and hands `im.message.receive_v1` text messages
to the core after answering (Feishu wants an answer within 3 s).

Outbound: `im/v1/messages?receive_id_type=open_id` with a cached
`tenant_access_token` (internal app), the outbox key as Feishu's `uuid` so a
resend within the hour is not delivered twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, ClassVar, Unpack

import aiohttp
from aiohttp import web

from bot.adapters import aescbc
from bot.adapters.base import (
    AdapterAuthError,
    AdapterError,
    AdapterRateLimited,
    ErrorCodes,
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

TOKEN_REFUSED = frozenset({99991661, 99991663, 99991665})  # missing / invalid tenant token
AUTH_ERRORS = frozenset({10003, 10014, 99991672, 99991679})  # bad app id/secret, scope missing
RATE_LIMITED = frozenset({99991400, 230020})
PERMANENT = frozenset({230001, 230002, 230006, 230013, 230017, 99992361, 99992402})
ERRORS = ErrorCodes(rate_limited=RATE_LIMITED, auth=AUTH_ERRORS, permanent=PERMANENT)
MENTION = re.compile(r"@_user_\d+\s*")


class Duplicate(Exception):
    """A request or event already accepted once (a platform retry or a replay)."""


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """`X-Lark-Signature` of a request body."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


class FeishuSettings(Section):
    app_id: str
    app_secret: str
    verification_token: str = ""
    encrypt_key: str = ""
    api_base: str = "https://open.feishu.cn"


class FeishuAdapter(WebhookAdapter):
    """A Feishu custom app (企业自建应用) with the bot capability."""

    name: ClassVar[str] = "feishu"
    settings_model: ClassVar[type[Section]] = FeishuSettings
    settings: FeishuSettings

    def __init__(
        self,
        settings: FeishuSettings,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        **options: Unpack[WebhookOptions],
    ) -> None:
        super().__init__(settings, http, handler, **options)
        self._key = hashlib.sha256(settings.encrypt_key.encode()).digest()
        if not (settings.encrypt_key or settings.verification_token):
            log.warning("feishu: neither encrypt_key nor verification_token set; events unchecked")

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post("/feishu/events", self.events)]

    # -- inbound ---------------------------------------------------------------

    async def events(self, request: web.Request) -> web.Response:
        try:
            event, incoming = await self._receive(request)
        except Rejected as exc:
            return self.refuse(exc, request)
        except Duplicate as exc:
            # A repeat of a request already accepted: answer 200 so Feishu stops.
            log.info("feishu: dropped a repeated %s", exc)
            return web.json_response({})
        if event.get("type") == "url_verification":
            return web.json_response({"challenge": event.get("challenge", "")})
        return self.accept(incoming, web.json_response({}))

    async def _receive(
        self, request: web.Request
    ) -> tuple[dict[str, Any], IncomingMessage | None]:
        raw = await read_body(request)
        outer = json_object(raw)
        signed = self._check_signature(request, raw)
        if "encrypt" in outer:
            if not self.settings.encrypt_key:
                raise Rejected(400, "encrypted event but no encrypt_key configured")
            event = json_object(self.decrypt(outer["encrypt"]))
        elif self.settings.encrypt_key:
            raise Rejected(403, "plaintext event although an encrypt key is configured")
        else:
            event = outer
        if event.get("type") == "url_verification":
            self._check_token(event.get("token"))
            return event, None
        if self.settings.encrypt_key and not signed:
            raise Rejected(403, "event without X-Lark-Signature")
        header = event.get("header")
        if event.get("schema") != "2.0" or not isinstance(header, dict):
            return event, None  # v1 events are not subscribed
        self._check_token(header.get("token"))
        if header.get("app_id") != self.settings.app_id:
            raise Rejected(403, "event for another app")
        event_id = header.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise Rejected(400, "no event_id")
        if not self.seen.first_time(f"event:{event_id}"):
            raise Duplicate(f"event {event_id}")
        if header.get("event_type") != "im.message.receive_v1":
            return event, None
        return event, self._incoming(event.get("event"), event_id)

    def _check_signature(self, request: web.Request, raw: bytes) -> bool:
        """Verify X-Lark-Signature when present; True if the request was signed."""
        sig = request.headers.get("X-Lark-Signature")
        if sig is None or not self.settings.encrypt_key:
            return False
        ts = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        try:
            fresh = self.replay.fresh(int(ts))
        except ValueError:
            raise Rejected(400, "bad X-Lark-Request-Timestamp") from None
        if not fresh:
            raise Rejected(403, f"stale timestamp {ts}")
        expected = signature(ts, nonce, self.settings.encrypt_key, raw)
        if not same_text(sig, expected):
            raise Rejected(403, "bad X-Lark-Signature")
        if not self.replay.first_time(f"nonce:{nonce}"):
            raise Duplicate(f"nonce {nonce}")
        return True

    def _check_token(self, token: object) -> None:
        expected = self.settings.verification_token
        if expected and not (isinstance(token, str) and same_text(token, expected)):
            raise Rejected(403, "bad verification token")

    def decrypt(self, encrypt: object) -> bytes:
        """The plaintext of an `encrypt` field (IV in the first block)."""
        if not isinstance(encrypt, str):
            raise Rejected(400, "encrypt is not a string")
        try:
            data = base64.b64decode(encrypt, validate=True)
            if len(data) < 32:
                raise ValueError("too short")
            return aescbc.decrypt(self._key, data[:16], data[16:])
        except (binascii.Error, ValueError):
            raise Rejected(400, "encrypt does not decrypt") from None

    def _incoming(self, event: object, event_id: str) -> IncomingMessage | None:
        if not isinstance(event, dict):
            raise Rejected(400, "no event body")
        sender, message = event.get("sender"), event.get("message")
        if not isinstance(sender, dict) or not isinstance(message, dict):
            raise Rejected(400, "message event without sender/message")
        if sender.get("sender_type") != "user" or message.get("message_type") != "text":
            return None
        ids = sender.get("sender_id")
        open_id = ids.get("open_id") if isinstance(ids, dict) else None
        try:
            content = json.loads(message.get("content", ""))
        except (TypeError, ValueError):
            raise Rejected(400, "message content is not JSON") from None
        text = content.get("text") if isinstance(content, dict) else None
        if not isinstance(open_id, str) or not open_id or not isinstance(text, str):
            raise Rejected(400, "text message without open_id/text")
        return IncomingMessage(
            platform=self.name,
            user_id=open_id,
            text=MENTION.sub("", text).strip(),
            message_id=str(message.get("message_id") or event_id),
            received_at=datetime.fromtimestamp(self.clock(), tz=UTC),
            reply_context={
                "chat_id": message.get("chat_id", ""),
                "chat_type": message.get("chat_type", ""),
            },
        )

    # -- outbound --------------------------------------------------------------

    async def send(self, msg: Outgoing) -> None:
        body: dict[str, Any] = {
            "receive_id": msg.user_id,
            "msg_type": "text",
            "content": json.dumps({"text": msg.text}, ensure_ascii=False),
        }
        if msg.key:
            # Feishu drops a second message with the same uuid within an hour.
            key = msg.key if len(msg.key) <= 50 else hashlib.sha1(msg.key.encode()).hexdigest()
            body["uuid"] = key
        url = self.settings.api_base.rstrip("/") + "/open-apis/im/v1/messages"
        for attempt in (1, 2):
            token = await self.tokens.get()
            headers = {"Authorization": f"Bearer {token}"}
            params = {"receive_id_type": "open_id"}
            code, data, retry_after = await self._call(url, body, headers, params)
            if code in TOKEN_REFUSED:
                self.tokens.invalidate(token)
                if attempt == 1:
                    continue
                raise AdapterAuthError(f"feishu: token refused twice (code {code})")
            _raise_for_code(code, data, retry_after)
            return

    async def _fetch_token(self) -> tuple[str, float]:
        url = (
            self.settings.api_base.rstrip("/") + "/open-apis/auth/v3/tenant_access_token/internal"
        )
        body = {"app_id": self.settings.app_id, "app_secret": self.settings.app_secret}
        code, data, retry_after = await self._call(url, body, {}, {})
        if code != 0 and code not in RATE_LIMITED:
            raise AdapterAuthError(f"feishu: tenant_access_token refused (code {code})")
        _raise_for_code(code, data, retry_after)
        token = data.get("tenant_access_token")
        if not isinstance(token, str) or not token:
            raise AdapterError("feishu: tenant_access_token answered without a token")
        return token, float(data.get("expire", 7200))

    async def _call(
        self, url: str, body: dict[str, Any], headers: dict[str, str], params: dict[str, str]
    ) -> tuple[int, dict[str, Any], float]:
        """POST; (code, body, retry-after seconds). HTTP errors carry a code too."""
        reply = await call_api(
            self.http, "POST", url, platform="feishu", json=body, headers=headers, params=params
        )
        reset = reply.headers.get("x-ogw-ratelimit-reset", "")
        retry_after = float(reset) if reset.isdigit() else 60.0
        if reply.status == 429:
            raise AdapterRateLimited(f"feishu: HTTP 429 from {url}", retry_after=retry_after)
        data = reply.body
        if data is None or not isinstance(data.get("code"), int):
            raise AdapterError(f"feishu: HTTP {reply.status} without a code")
        return data["code"], data, retry_after


def _raise_for_code(code: int, data: dict[str, Any], retry_after: float) -> None:
    ERRORS.check(code, f"feishu code {code}: {data.get('msg', '')}", retry_after)
