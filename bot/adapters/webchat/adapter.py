"""The built-in web chat: the embedded default platform, needing nothing else running.

A contact opens a one-time login link (`/chat/login/<token>`, printed by
`taskbot demo` or issued by an admin), gets a server-side session (cookie) and chats
in the browser. The "platform" is our own database: a message to a contact is
a row in the chat log, written idempotently by its key, so delivery is exactly
once by construction.

The page sends each message with a client id; the id is the message id the core claims,
so a retry after a dropped connection changes nothing and gets the first answer back.
When the core writes the log in the transaction that acts on the message
(`transcribed=True`, bot.conversation.handler.Transcript), a crash cannot leave an effect without
its log line.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

import aiohttp
from aiohttp import web
from jinja2 import Environment

from bot.adapters import WEBCHAT
from bot.adapters.base import AdapterDeps, ChatAdapter, MessageHandler
from bot.clock import Clock
from bot.config import Section, WebchatSettings
from bot.errors import UserError
from bot.events import IncomingMessage, Outgoing
from bot.web.sessions import Session, SessionStore, csrf_ok

_MAX_TEXT = 2000
_USER_TTL = 60.0  # seconds a looked-up chat user is trusted without asking the store
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_CANNOT = "抱歉，这条消息无法处理，请检查部门名称或任务编号后重试；输入“帮助”查看用法。"


def page_headers(nonce: str) -> dict[str, str]:
    """The chat page's security headers: its one inline script runs (by nonce), nothing
    else does; it cannot be framed (clickjacking a 完成 button) or cached."""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


@dataclass(frozen=True, slots=True)
class ChatLine:
    id: int
    direction: str  # "in" (from the person) or "out" (from the bot)
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ChatUser:
    contact_id: int
    user_id: str
    name: str
    department: str


class ChatStore(Protocol):
    """What the web chat needs from the store (implemented in the composition root)."""

    async def consume_token(self, token: str, now: datetime) -> ChatUser | None: ...

    async def user(self, contact_id: int) -> ChatUser | None: ...

    async def append(self, user_id: str, direction: str, text: str, key: str) -> None: ...

    async def append_many(self, user_id: str, lines: list[tuple[str, str, str]]) -> None:
        """Several (direction, text, key) lines in one transaction."""
        ...

    async def history(self, user_id: str, after: int, limit: int) -> list[ChatLine]: ...

    async def line(self, key: str) -> str | None:
        """The text of the log line written under `key`, if any."""
        ...


class WebChatAdapter(ChatAdapter):
    name: ClassVar[str] = WEBCHAT
    settings_model: ClassVar[type[Section]] = WebchatSettings

    @classmethod
    def build(cls, settings: Any, deps: AdapterDeps) -> ChatAdapter:
        from bot.adapters.webchat.store import DbChatStore
        from bot.render import find_templates_dir, make_environment

        return cls(
            settings,
            deps.http,
            deps.handler,
            store=DbChatStore(deps.db, deps.clock),
            sessions=deps.chat_sessions,
            clock=deps.clock,
            # The chat pages' whitespace is as written: no block trimming.
            pages=make_environment(find_templates_dir() / "chat", html=True, trim=False),
            transcribed=deps.transcribed,
        )

    def __init__(
        self,
        settings: Any,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        *,
        store: ChatStore,
        sessions: SessionStore,
        clock: Clock,
        pages: Environment,
        transcribed: bool = False,
    ) -> None:
        super().__init__(settings, http, handler)
        self.store = store
        self.sessions = sessions
        # True when the handler writes the log lines itself (bot.conversation.handler.Transcript).
        self.transcribed = transcribed
        self.clock = clock
        self.pages = pages
        # contact id -> (user, fetched at): a session is checked on every poll and post,
        # and who a contact is changes rarely; a minute of staleness is harmless.
        self._users: dict[int, tuple[ChatUser, float]] = {}

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/chat", self.page),
            web.get("/chat/login/{token}", self.login),
            web.post("/chat/logout", self.logout),
            web.get("/chat/messages", self.messages),
            web.post("/chat/messages", self.post_message),
        ]

    async def send(self, msg: Outgoing) -> None:
        await self.store.append(msg.user_id, "out", msg.text, msg.key or uuid.uuid4().hex)

    async def _user(self, request: web.Request) -> tuple[ChatUser, Session] | None:
        # The session is checked in the store on every request (a logout or a revoked
        # login ends it at once); who the contact is may be a minute stale.
        session = await self.sessions.from_request(request)
        if session is None:
            return None
        cached = self._users.get(session.contact_id)
        if cached is not None and time.monotonic() - cached[1] < _USER_TTL:
            return cached[0], session
        user = await self.store.user(session.contact_id)
        if user is None:
            self._users.pop(session.contact_id, None)
            return None
        if len(self._users) > 10_000:
            self._users.clear()
        self._users[session.contact_id] = (user, time.monotonic())
        return user, session

    def _html(self, template: str, status: int = 200, **data: Any) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        html = self.pages.get_template(template).render(nonce=nonce, **data)
        return web.Response(
            text=html, content_type="text/html", status=status, headers=page_headers(nonce)
        )

    async def page(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        if found is None:
            return self._html("chat_login_needed.html", status=401)
        user, session = found
        return self._html("chat.html", user=user, csrf=session.csrf)

    async def login(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        user = None
        if len(token) <= 200:
            user = await self.store.consume_token(token, self.clock.now())
        if user is None:
            return self._html("chat_login_needed.html", status=403, expired=True)
        cookie, _ = await self.sessions.create(user.contact_id, address=request.remote or "")
        resp = web.HTTPFound("/chat")
        self.sessions.set_cookie(resp, cookie)
        raise resp

    async def logout(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        if found is None or not await csrf_ok(request, found[1]):
            raise web.HTTPForbidden(text="需要登录")
        await self.sessions.revoke(found[1])
        resp = web.HTTPFound("/chat")
        self.sessions.clear_cookie(resp)
        raise resp

    async def messages(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        if found is None:
            raise web.HTTPUnauthorized(text="需要登录")
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="after 参数必须是数字") from None
        if not 0 <= after < 2**63:
            raise web.HTTPBadRequest(text="after 参数超出范围")
        lines = await self.store.history(found[0].user_id, after, 200)
        return web.json_response(
            [
                {"id": x.id, "dir": x.direction, "text": x.text, "at": x.at.isoformat()}
                for x in lines
            ]
        )

    async def post_message(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        if found is None:
            raise web.HTTPUnauthorized(text="需要登录")
        user, session = found
        if not await csrf_ok(request, session):
            raise web.HTTPForbidden(text="CSRF 令牌缺失或错误，请刷新页面")
        try:
            body = await request.json()
            raw_text, client_id = body["text"], body.get("client_id")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise web.HTTPBadRequest(text='请求格式应为 JSON {"text": "..."}') from None
        if not isinstance(raw_text, str):
            raise web.HTTPBadRequest(text="text 必须是文字")
        text = raw_text.strip()
        if not text or len(text) > _MAX_TEXT:
            raise web.HTTPBadRequest(text=f"消息长度应为 1 到 {_MAX_TEXT} 个字")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") cannot be stored or shown
            raise web.HTTPBadRequest(text="消息含有无效字符") from None
        if client_id is not None and not (
            isinstance(client_id, str) and _CLIENT_ID.match(client_id)
        ):
            raise web.HTTPBadRequest(text="client_id 格式不正确")
        # Scoped by sender: one contact's id cannot collide with (or probe) another's.
        message_id = (
            f"{user.contact_id}:{client_id}" if client_id is not None else uuid.uuid4().hex
        )
        incoming = IncomingMessage(
            platform=self.name,
            user_id=user.user_id,
            text=text,
            message_id=message_id,
            received_at=self.clock.now(),
        )
        try:
            reply = await self.handler(incoming)
        except UserError:
            # A command naming something that does not exist (逾期 with an unknown
            # department): the person gets words, not an error page their chat ignores.
            return web.json_response({"reply": _CANNOT})
        if reply is None:
            # Handled before (a retry with the same client id): nothing changes; answer
            # as the first time did, if that answer was logged.
            previous = await self.store.line(f"reply:{message_id}")
            return web.json_response({"reply": previous, "duplicate": True})
        if not self.transcribed:
            # The person's line and the answer are logged together: one write per message.
            lines = [("in", text, f"in:{message_id}"), ("out", reply, f"reply:{message_id}")]
            await self.store.append_many(user.user_id, lines)
        return web.json_response({"reply": reply})
