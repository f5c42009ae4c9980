"""The built-in web chat: the embedded default platform, needing nothing else running.

A contact opens a one-time login link (`/chat/login/<token>`, printed by
`taskbot demo` or issued by an admin), gets a signed session cookie and chats
in the browser. The "platform" is our own database: a message to a contact is
a row in the chat log, written idempotently by its key, so delivery is exactly
once by construction.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

import aiohttp
from aiohttp import web
from jinja2 import Environment

from bot.adapters.base import ChatAdapter, MessageHandler
from bot.clock import Clock
from bot.events import IncomingMessage, Outgoing
from bot.web.sessions import SessionCodec, csrf_ok

_MAX_TEXT = 2000
_USER_TTL = 60.0  # seconds a looked-up chat user is trusted without asking the store


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


class WebChatAdapter(ChatAdapter):
    name: ClassVar[str] = "webchat"

    def __init__(
        self,
        settings: Any,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        *,
        store: ChatStore,
        codec: SessionCodec,
        clock: Clock,
        pages: Environment,
    ) -> None:
        super().__init__(settings, http, handler)
        self.store = store
        self.codec = codec
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

    async def _user(self, request: web.Request) -> tuple[ChatUser, str] | None:
        session = self.codec.from_request(request, "chat")
        if session is None:
            return None
        cached = self._users.get(session.contact_id)
        if cached is not None and time.monotonic() - cached[1] < _USER_TTL:
            return cached[0], session.csrf
        user = await self.store.user(session.contact_id)
        if user is None:
            self._users.pop(session.contact_id, None)
            return None
        if len(self._users) > 10_000:
            self._users.clear()
        self._users[session.contact_id] = (user, time.monotonic())
        return user, session.csrf

    async def page(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        if found is None:
            html = self.pages.get_template("chat_login_needed.html").render()
            return web.Response(text=html, content_type="text/html", status=401)
        user, csrf = found
        html = self.pages.get_template("chat.html").render(user=user, csrf=csrf)
        return web.Response(text=html, content_type="text/html")

    async def login(self, request: web.Request) -> web.Response:
        user = await self.store.consume_token(request.match_info["token"], self.clock.now())
        if user is None:
            html = self.pages.get_template("chat_login_needed.html").render(expired=True)
            return web.Response(text=html, content_type="text/html", status=403)
        cookie, _ = self.codec.encode(user.contact_id, "chat")
        resp = web.HTTPFound("/chat")
        self.codec.set_cookie(resp, cookie)
        raise resp

    async def logout(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        session = self.codec.from_request(request, "chat")
        if found is None or session is None or not await csrf_ok(request, session):
            raise web.HTTPForbidden(text="需要登录")
        resp = web.HTTPFound("/chat")
        self.codec.clear_cookie(resp)
        raise resp

    async def messages(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        if found is None:
            raise web.HTTPUnauthorized(text="需要登录")
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="after must be a number") from None
        lines = await self.store.history(found[0].user_id, after, 200)
        return web.json_response(
            [
                {"id": x.id, "dir": x.direction, "text": x.text, "at": x.at.isoformat()}
                for x in lines
            ]
        )

    async def post_message(self, request: web.Request) -> web.Response:
        found = await self._user(request)
        session = self.codec.from_request(request, "chat")
        if found is None or session is None:
            raise web.HTTPUnauthorized(text="需要登录")
        if not await csrf_ok(request, session):
            raise web.HTTPForbidden(text="CSRF token missing or wrong")
        try:
            body = await request.json()
            text = str(body["text"]).strip()
        except (ValueError, KeyError, TypeError):
            raise web.HTTPBadRequest(text='expected JSON {"text": "..."}') from None
        if not text or len(text) > _MAX_TEXT:
            raise web.HTTPBadRequest(text=f"text must be 1..{_MAX_TEXT} characters")
        user = found[0]
        message_id = uuid.uuid4().hex
        incoming = IncomingMessage(
            platform=self.name,
            user_id=user.user_id,
            text=text,
            message_id=message_id,
            received_at=self.clock.now(),
        )
        reply = await self.handler(incoming)
        # The person's line and the answer are logged together: one write per message.
        lines = [("in", text, f"in:{message_id}")]
        if reply:
            lines.append(("out", reply, f"reply:{message_id}"))
        await self.store.append_many(user.user_id, lines)
        return web.json_response({"reply": reply})
