"""Login sessions and CSRF tokens, shared by the web chat and the dashboard.

A logged-in session lives server-side (`SessionStore`, table web_session): the cookie is
a random token whose hash names the row, so logout, a password change or a role taken
away ends it at once, on every worker, and idle and absolute timeouts are enforced by
the server rather than trusted to the browser. The CSRF token lives in the session and
must come back with every state-changing request (form field `csrf` or header
`X-CSRF-Token`).

`SessionCodec` (a small HMAC-signed cookie, nothing stored) remains for the login form's
own CSRF token: an anonymous visitor must not be able to make the server write rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlmodel import Session as DbSession

from bot.clock import Clock
from bot.safetext import same_text
from bot.store.aio import Database
from bot.store.repo.sessions import (
    create_session,
    live_session,
    revoke_contact_sessions,
    revoke_session,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@dataclass(frozen=True, slots=True)
class Session:
    contact_id: int
    kind: str  # "chat" or "dash"
    csrf: str
    expires: float
    # The server-side row (SessionStore); "" for a signed-cookie session (SessionCodec).
    id: str = ""


class SessionCodec:
    """Issues and verifies session cookies for one cookie name."""

    def __init__(self, secret: bytes, cookie: str, max_age: int, secure: bool = False) -> None:
        if len(secret) < 16:
            raise ValueError("session secret too short")
        self._secret = secret
        self.cookie = cookie
        self.max_age = max_age
        self.secure = secure

    def _sign(self, body: str) -> str:
        raw = body.encode("utf-8", "surrogatepass")
        return _b64(hmac.new(self._secret, raw, hashlib.sha256).digest())

    def encode(self, contact_id: int, kind: str, now: float | None = None) -> tuple[str, Session]:
        expires = (now if now is not None else time.time()) + self.max_age
        session = Session(contact_id, kind, secrets.token_urlsafe(24), expires)
        body = _b64(
            json.dumps(
                {"c": contact_id, "k": kind, "x": session.csrf, "e": int(expires)},
                separators=(",", ":"),
            ).encode()
        )
        return f"{body}.{self._sign(body)}", session

    def decode(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie value, or None if missing, forged or expired."""
        if not value or "." not in value:
            return None
        body, sig = value.rsplit(".", 1)
        if not same_text(sig, self._sign(body)):
            return None
        try:
            data: dict[str, Any] = json.loads(_unb64(body))
            session = Session(
                int(data["c"]),
                str(data["k"]),
                str(data["x"]),
                float(data["e"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if session.expires < (now if now is not None else time.time()):
            return None
        return session

    def from_request(self, request: web.Request, kind: str) -> Session | None:
        session = self.decode(request.cookies.get(self.cookie))
        return session if session is not None and session.kind == kind else None

    def set_cookie(self, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(
            self.cookie,
            value,
            max_age=self.max_age,
            httponly=True,
            samesite="Strict",
            secure=self.secure,
            path="/",
        )

    def clear_cookie(self, response: web.StreamResponse) -> None:
        response.del_cookie(self.cookie, path="/")


async def csrf_ok(request: web.Request, session: Session) -> bool:
    """Whether the request carries this session's CSRF token (header or form field)."""
    token = request.headers.get("X-CSRF-Token")
    if token is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        raw = form.get("csrf")
        token = raw if isinstance(raw, str) else None
    return token is not None and same_text(token, session.csrf)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """One kind of server-side session: its cookie and how long it may live."""

    cookie: str
    kind: str  # "dash" or "chat"
    idle: timedelta  # ends when unused this long
    absolute: timedelta  # ends this long after login, however busy
    secure: bool = False


# Cookie values are tokens of 43 characters; anything much longer is not ours.
_MAX_COOKIE = 200


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SessionStore:
    """Server-side sessions of one kind (see `SessionPolicy`), over the database."""

    def __init__(self, db: Database, clock: Clock, policy: SessionPolicy) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy

    @property
    def cookie(self) -> str:
        return self.policy.cookie

    async def create(self, contact_id: int, *, address: str = "") -> tuple[str, Session]:
        """A new session for `contact_id`: (cookie value, session)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = self.clock.now()
        p = self.policy

        def work(s: DbSession) -> None:
            create_session(
                s,
                id=_token_id(token),
                contact_id=contact_id,
                kind=p.kind,
                csrf=csrf,
                address=address,
                now=now,
            )

        await self.db.run(work)
        expires = (now + p.absolute).timestamp()
        return token, Session(contact_id, p.kind, csrf, expires, id=_token_id(token))

    async def from_request(self, request: web.Request) -> Session | None:
        """The live session named by the request's cookie, or None."""
        token = request.cookies.get(self.policy.cookie)
        if not token or len(token) > _MAX_COOKIE:
            return None
        sid = _token_id(token)
        now = self.clock.now()
        p = self.policy

        def work(s: DbSession) -> Session | None:
            row = live_session(s, sid, kind=p.kind, now=now, idle=p.idle, absolute=p.absolute)
            if row is None:
                return None
            expires = min(row.created + p.absolute, now + p.idle).timestamp()
            return Session(row.contact_id, row.kind, row.csrf, expires, id=row.id)

        return await self.db.run(work)

    async def revoke(self, session: Session) -> None:
        now = self.clock.now()
        await self.db.run(lambda s: revoke_session(s, session.id, now=now))

    async def revoke_contacts(self, contact_ids: list[int]) -> int:
        now = self.clock.now()
        kind = self.policy.kind
        return await self.db.run(
            lambda s: revoke_contact_sessions(s, contact_ids, now=now, kind=kind)
        )

    def set_cookie(self, response: web.StreamResponse, value: str) -> None:
        # A browser-session cookie: the server decides when it ends, and closing the
        # browser should not leave a login lying on a shared office computer.
        response.set_cookie(
            self.policy.cookie,
            value,
            httponly=True,
            samesite="Strict",
            secure=self.policy.secure,
            path="/",
        )

    def clear_cookie(self, response: web.StreamResponse) -> None:
        response.del_cookie(self.policy.cookie, path="/")
