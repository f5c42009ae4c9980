"""What every dashboard handler is given: the store, the clock, settings, the cookie codec,
the page templates — and the access rules every page and form goes through.

Pages (GET) without a valid session redirect to /login; forms (POST) answer 401 without a
session, 403 without the session's CSRF token or without the role the action needs.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from argon2 import PasswordHasher
from jinja2 import Environment
from sqlmodel import Session

from bot.clock import Clock
from bot.config import Settings
from bot.render import find_templates_dir
from bot.render import make_environment as make_template_environment
from bot.store import repo
from bot.store.aio import Database
from bot.store.errors import NotFound
from bot.store.models import STATUS_LABELS, Role
from bot.web.labels import platform_label, reminder_kind_label
from bot.web.passwords import DASHBOARD_ROLES, make_hasher, verify
from bot.web.sessions import Session as WebSession
from bot.web.sessions import SessionCodec, SessionPolicy, SessionStore, csrf_ok
from bot.web.throttle import Network, parse_networks
from bot.worker import BoundedWorker

ROLE_LABELS = {"contact": "联络员", "leader": "领导", "coordinator": "督办", "admin": "管理员"}
DASH = "dash"  # session kind of a logged-in coordinator or admin
LOGIN = "login"  # session kind that only carries the login form's CSRF token
# A dashboard login ends after an hour unused, and after a working day however busy.
DASH_IDLE, DASH_ABSOLUTE = timedelta(hours=1), timedelta(hours=10)

# The dashboard's pages hold plan text and contacts: never cached, never framed, no scripts.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class User:
    """The logged-in person, re-read from the store on every request (a role change or a
    removed password takes effect at once)."""

    contact_id: int
    name: str
    role: str
    department: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def row_id(request: web.Request, name: str, missing: str) -> int:
    """A row id from the path (`{name:\\d+}` in the route), or 404 saying `missing`: past
    64 bits there is no such row, and the database driver could not bind the number."""
    raw = request.match_info[name]
    if len(raw) > 18:
        raise web.HTTPNotFound(text=missing)
    return int(raw)


def make_environment(templates_dir: Path | None = None) -> Environment:
    """The dashboard's environment: the one factory's HTML one, with the labels as filters."""
    env = make_template_environment(templates_dir or find_templates_dir() / "dashboard", html=True)
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["role_label"] = lambda r: ROLE_LABELS.get(r, r)
    env.filters["platform_label"] = platform_label
    env.filters["reminder_kind"] = reminder_kind_label
    return env


@dataclass(frozen=True, slots=True)
class DashContext:
    db: Database
    clock: Clock
    settings: Settings
    codec: SessionCodec  # the login form's CSRF cookie (nothing stored server-side)
    sessions: SessionStore  # logged-in sessions (server-side)
    proxies: list[Network]  # [server] trusted_proxies
    worker: BoundedWorker  # reads uploaded files in a capped child process
    env: Environment
    hasher: PasswordHasher
    # Checked when a name has no account, so a wrong name takes as long as a wrong password
    # and the login form does not reveal who has an account.
    dummy_hash: str

    def today(self) -> date:
        return self.clock.now().astimezone(self.settings.tz).date()

    def render(
        self, template: str, *, user: User | None, status: int = 200, **data: Any
    ) -> web.Response:
        html = self.env.get_template(template).render(
            user=user,
            today=self.today(),
            tz=self.settings.tz,
            page=template.removesuffix(".html"),
            **data,
        )
        return web.Response(
            text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
        )

    async def load_user(self, request: web.Request) -> User | None:
        found = await self.load_session(request)
        return None if found is None else found[0]

    async def load_session(self, request: web.Request) -> tuple[User, WebSession] | None:
        """The logged-in user and their live session, or None."""
        session = await self.sessions.from_request(request)
        if session is None:
            return None

        def q(s: Session) -> User | None:
            try:
                c = repo.get_contact(s, session.contact_id)
            except NotFound:
                return None
            # A role taken away or a password removed ends the session at once (a password
            # change revokes the sessions outright: bot/web/passwords.py).
            if c.role not in DASHBOARD_ROLES or not repo.password_hash(s, c.id):
                return None
            return User(c.id, c.name, c.role, c.department, session.csrf)

        user = await self.db.run(q)
        return None if user is None else (user, session)

    async def page_user(self, request: web.Request) -> User:
        """The user for a page, or a redirect to the login page (coming back here after)."""
        user = await self.load_user(request)
        if user is None:
            raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe=""))
        return user

    async def form_user(self, request: web.Request, *, admin: bool = False) -> User:
        """The user for a state-changing request: logged in, CSRF token present, allowed."""
        found = await self.load_session(request)
        if found is None:
            raise web.HTTPUnauthorized(text="请先登录 (login required)")
        user, session = found
        if not await csrf_ok(request, session):
            raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page")
        if admin and not user.is_admin:
            raise web.HTTPForbidden(text="只有管理员可以执行此操作 (admins only)")
        return user


def dash_sessions(db: Database, clock: Clock, settings: Settings) -> SessionStore:
    """The dashboard's server-side sessions under the configured public URL's scheme."""
    policy = SessionPolicy(
        cookie="taskbot_dash",
        kind=DASH,
        idle=DASH_IDLE,
        absolute=DASH_ABSOLUTE,
        secure=settings.server.public_url.startswith("https://"),
    )
    return SessionStore(db, clock, policy)


def build_context(
    *,
    db: Database,
    clock: Clock,
    settings: Settings,
    codec: SessionCodec,
    sessions: SessionStore | None = None,
    worker: BoundedWorker | None = None,
) -> DashContext:
    hasher = make_hasher()
    return DashContext(
        db=db,
        clock=clock,
        settings=settings,
        codec=codec,
        sessions=sessions or dash_sessions(db, clock, settings),
        proxies=parse_networks(settings.server.trusted_proxies),
        worker=worker or BoundedWorker(),
        env=make_environment(),
        hasher=hasher,
        dummy_hash=hasher.hash(secrets.token_urlsafe(16)),
    )


async def to_thread_verify(ctx: DashContext, digests: list[str], password: str) -> int | None:
    """Index of the first hash `password` matches (argon2 is slow on purpose: off the loop)."""

    def check() -> int | None:
        if not digests:
            verify(ctx.hasher, ctx.dummy_hash, password)
            return None
        for i, d in enumerate(digests):
            if verify(ctx.hasher, d, password):
                return i
        return None

    return await asyncio.to_thread(check)
