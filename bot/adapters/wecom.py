"""WeCom (企业微信) self-built app: encrypted callback in, `message/send` out.

Inbound, per WeCom's callback spec: `GET /wecom/callback` verifies the URL
(answer the decrypted echostr), `POST /wecom/callback` carries an `<Encrypt>`
XML envelope. Both are signed with msg_signature = SHA1 of the sorted
token/timestamp/nonce/ciphertext; the ciphertext is AES-256-CBC (key = the
EncodingAESKey, IV = its first 16 bytes, PKCS#7 to 32 bytes) of
random(16) | length(4, big endian) | message | corp id.

Outbound: `gettoken` (cached until shortly before `expires_in`, refetched when
refused) and `message/send` with touser batches of up to 1000, a client-side
limit of 30 messages a minute and 1000 an hour per member, and errcode 45009
mapped to `AdapterRateLimited`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Unpack
from xml.etree.ElementTree import Element, ParseError

import aiohttp
import defusedxml.ElementTree as SafeET
from aiohttp import web
from defusedxml import DefusedXmlException

from bot.adapters import aescbc
from bot.adapters.base import (
    AdapterAuthError,
    AdapterError,
    AdapterPermanentError,
    AdapterRateLimited,
    ErrorCodes,
    MessageHandler,
)
from bot.adapters.webhook import (
    Rejected,
    WebhookAdapter,
    WebhookOptions,
    call_api,
    read_body,
    split_utf8,
)
from bot.config import ConfigError, Section
from bot.events import IncomingMessage, Outgoing
from bot.ratelimit import MemberRateLimiter
from bot.safetext import same_text

log = logging.getLogger(__name__)

MAX_TOUSER = 1000  # message/send accepts at most 1000 userids per call
MAX_TEXT_BYTES = 2048  # text.content limit
TOKEN_REFUSED = frozenset({40001, 40014, 42001})  # invalid credential / token, token expired
AUTH_ERRORS = frozenset({40013, 40091, 48002, 60020, 301002})  # bad corp, secret, ip, scope
RATE_LIMITED = frozenset({45009, 45033})  # api frequency, concurrency
PERMANENT = frozenset({44004, 45002, 60111, 81013, 82001})  # empty/too long, no such user
ERRORS = ErrorCodes(rate_limited=RATE_LIMITED, auth=AUTH_ERRORS, permanent=PERMANENT)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """WeCom's msg_signature: SHA1 over the four strings, sorted and concatenated."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def parse_xml(data: bytes | str) -> Element:
    """Parse untrusted XML: no DTDs, no entities, no external references."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise Rejected(400, f"bad XML: {exc.__class__.__name__}") from None


class WecomSettings(Section):
    corp_id: str
    agent_id: int
    secret: str
    token: str
    encoding_aes_key: str
    api_base: str = "https://qyapi.weixin.qq.com"
    # WeCom drops a repeat of the same text to the same member within this many
    # seconds (guards against resending after a crash); 0 turns it off.
    duplicate_check_interval: int = 1800


class WeComAdapter(WebhookAdapter):
    """A WeCom self-built app (自建应用) reached by callback and `message/send`."""

    name: ClassVar[str] = "wecom"
    settings_model: ClassVar[type[Section]] = WecomSettings
    settings: WecomSettings

    def __init__(
        self,
        settings: WecomSettings,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        *,
        limiter: MemberRateLimiter | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None:
        super().__init__(settings, http, handler, **options)
        try:
            self._key = base64.b64decode(settings.encoding_aes_key + "=", validate=True)
        except binascii.Error:
            self._key = b""
        if len(settings.encoding_aes_key) != 43 or len(self._key) != 32:
            raise ConfigError(
                "wecom.encoding_aes_key must be the 43-character key from the console"
            )
        self.limiter = limiter if limiter is not None else MemberRateLimiter(clock=self.clock)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/wecom/callback", self.verify_url),
            web.post("/wecom/callback", self.callback),
        ]

    # -- inbound ---------------------------------------------------------------

    def _signed_params(self, request: web.Request) -> tuple[str, str, str]:
        q = request.query
        signature, timestamp, nonce = (
            q.get(k, "") for k in ("msg_signature", "timestamp", "nonce")
        )
        if not (signature and timestamp and nonce):
            raise Rejected(400, "missing msg_signature/timestamp/nonce")
        try:
            ts = int(timestamp)
        except ValueError:
            raise Rejected(400, "timestamp is not a number") from None
        if not self.replay.fresh(ts):
            raise Rejected(403, f"stale timestamp {timestamp}")
        return signature, timestamp, nonce

    def open_envelope(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """Check the signature, decrypt, check the corp id; the plaintext message."""
        expected = msg_signature(self.settings.token, timestamp, nonce, encrypt)
        if not same_text(signature.lower(), expected):
            raise Rejected(403, "bad msg_signature")
        try:
            data = base64.b64decode(encrypt, validate=True)
            plain = aescbc.decrypt(self._key, self._key[:16], data, pad_block=32)
        except (binascii.Error, ValueError):
            raise Rejected(400, "ciphertext does not decrypt") from None
        if len(plain) < 20:
            raise Rejected(400, "plaintext too short")
        length = int.from_bytes(plain[16:20], "big")
        if length > len(plain) - 20:
            raise Rejected(400, "bad message length")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.settings.corp_id.encode()):
            raise Rejected(403, "wrong corp id")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, "message is not UTF-8") from None

    async def verify_url(self, request: web.Request) -> web.Response:
        """URL verification (验证URL有效性): answer the bare decrypted echostr."""
        try:
            signature, timestamp, nonce = self._signed_params(request)
            echostr = request.query.get("echostr", "")
            if not echostr:
                raise Rejected(400, "missing echostr")
            plain = self.open_envelope(signature, timestamp, nonce, echostr)
        except Rejected as exc:
            return self.refuse(exc, request)
        return web.Response(text=plain, content_type="text/plain")

    async def callback(self, request: web.Request) -> web.Response:
        """An encrypted message or event; answered at once, handled afterwards."""
        try:
            incoming = await self._receive(request)
        except Rejected as exc:
            return self.refuse(exc, request)
        # An empty 200 tells WeCom "received, no passive reply".
        return self.accept(incoming, web.Response(text=""))

    async def _receive(self, request: web.Request) -> IncomingMessage | None:
        signature, timestamp, nonce = self._signed_params(request)
        envelope = parse_xml(await read_body(request))
        encrypt = envelope.findtext("Encrypt")
        if envelope.tag != "xml" or not encrypt:
            raise Rejected(400, "no <Encrypt> in body")
        to_user = envelope.findtext("ToUserName")
        if to_user is not None and to_user != self.settings.corp_id:
            raise Rejected(403, "envelope addressed to another corp")
        plain = self.open_envelope(signature, timestamp, nonce, encrypt)
        if not self.replay.first_time(f"nonce:{nonce}"):
            log.info("wecom: dropped a repeated nonce %s", nonce)
            return None
        msg = parse_xml(plain)
        if msg.findtext("MsgType") != "text":
            return None  # events (enter_agent, subscribe) and media are not for the core
        user, content, msg_id = (msg.findtext(k) for k in ("FromUserName", "Content", "MsgId"))
        if not (user and content is not None and msg_id):
            raise Rejected(400, "text message without FromUserName/Content/MsgId")
        if msg.findtext("AgentID", "").strip() != str(self.settings.agent_id):
            log.warning("wecom: message for agent %s ignored", msg.findtext("AgentID"))
            return None
        if not self.seen.first_time(f"msg:{msg_id}"):
            log.info("wecom: dropped a retry of MsgId %s", msg_id)
            return None
        return IncomingMessage(
            platform=self.name,
            user_id=user,
            text=content.strip(),
            message_id=msg_id,
            received_at=datetime.fromtimestamp(self.clock(), tz=UTC),
            reply_context={"agent_id": self.settings.agent_id},
        )

    # -- outbound --------------------------------------------------------------

    async def send(self, msg: Outgoing) -> None:
        invalid = await self.send_text([msg.user_id], msg.text)
        if invalid:
            raise AdapterPermanentError(f"wecom: {msg.user_id} cannot receive app messages")

    async def send_text(self, user_ids: Sequence[str], text: str) -> list[str]:
        """Send `text` to every user, 1000 per call; the userids WeCom refused.

        Raises `AdapterRateLimited` (nothing sent in that batch) when a member
        is over 30/min or 1000/h, or WeCom answers 45009.
        """
        users = list(dict.fromkeys(user_ids))
        if not users or any(not u or "|" in u for u in users):
            raise AdapterPermanentError("wecom: bad recipient list")
        pieces = split_utf8(text, MAX_TEXT_BYTES)
        invalid: list[str] = []
        for start in range(0, len(users), MAX_TOUSER):
            batch = users[start : start + MAX_TOUSER]
            for piece in pieces:
                wait = self.limiter.acquire(batch)
                if wait > 0:
                    raise AdapterRateLimited("wecom: member send limit reached", retry_after=wait)
                body = self._message(batch, piece)
                result = await self._api_post("/cgi-bin/message/send", body)
                refused = [u for u in str(result.get("invaliduser") or "").split("|") if u]
                refused += [u for u in str(result.get("unlicenseduser") or "").split("|") if u]
                invalid.extend(u for u in refused if u not in invalid)
        return invalid

    def _message(self, users: list[str], text: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "touser": "|".join(users),
            "msgtype": "text",
            "agentid": self.settings.agent_id,
            "text": {"content": text},
            "safe": 0,
        }
        if self.settings.duplicate_check_interval > 0:
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = self.settings.duplicate_check_interval
        return body

    async def _api_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with the cached token; refetch once if WeCom refuses the token."""
        for attempt in (1, 2):
            token = await self.tokens.get()
            data = await self._call("POST", path, params={"access_token": token}, json=body)
            code = int(data.get("errcode", 0))
            if code in TOKEN_REFUSED:
                self.tokens.invalidate(token)
                if attempt == 1:
                    continue
                raise AdapterAuthError(f"wecom: token refused twice (errcode {code})")
            _raise_for_errcode(code, data)
            return data
        raise AssertionError("unreachable")

    async def _fetch_token(self) -> tuple[str, float]:
        data = await self._call(
            "GET",
            "/cgi-bin/gettoken",
            params={"corpid": self.settings.corp_id, "corpsecret": self.settings.secret},
        )
        code = int(data.get("errcode", 0))
        if code in TOKEN_REFUSED or code in AUTH_ERRORS:
            raise AdapterAuthError(f"wecom: gettoken refused (errcode {code})")
        _raise_for_errcode(code, data)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise AdapterError("wecom: gettoken answered without a token")
        return token, float(data.get("expires_in", 7200))

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self.settings.api_base.rstrip("/") + path
        reply = await call_api(self.http, method, url, platform="wecom", **kwargs)
        if reply.status != 200:
            raise AdapterError(f"wecom: HTTP {reply.status} from {path}")
        if reply.body is None:
            raise AdapterError(f"wecom: {path} answered something other than a JSON object")
        return reply.body


def _raise_for_errcode(code: int, data: dict[str, Any]) -> None:
    ERRORS.check(code, f"wecom errcode {code}: {data.get('errmsg', '')}", retry_after=60.0)
