"""What every dashboard handler is given: the store, the clock, settings, the cookie codec,
the page templates — and the access rules every page and form goes through.

Pages (GET) without a valid session redirect to /login; forms (POST) answer 401 without a
session, 403 without the session's CSRF token or without the role the action needs.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from argon2 import PasswordHasher
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session

from bot.clock import Clock
from bot.config import Settings
from bot.database import Database
from bot.labels import platform_label, reminder_kind_label
from bot.render import find_templates_dir
from bot.store import repo
from bot.store.errors import NotFound
from bot.store.models import STATUS_LABELS, Role
from bot.web.passwords import DASHBOARD_ROLES, fingerprint, make_hasher, verify
from bot.web.sessions import SessionCodec, csrf_ok

ROLE_LABELS = {"contact": "联络员", "leader": "领导", "coordinator": "督办", "admin": "管理员"}
DASH = "dash"  # session kind of a logged-in coordinator or admin
LOGIN = "login"  # session kind that only carries the login form's CSRF token

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


def make_environment(templates_dir: Path | None = None) -> Environment:
    """The dashboard's own Jinja2 environment: HTML, always autoescaped, strict."""
    env = Environment(
        loader=FileSystemLoader(templates_dir or find_templates_dir() / "dashboard"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
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
    codec: SessionCodec
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
        session = self.codec.from_request(request, DASH)
        if session is None:
            return None

        def q(s: Session) -> User | None:
            try:
                c = repo.get_contact(s, session.contact_id)
            except NotFound:
                return None
            if c.role not in DASHBOARD_ROLES:
                return None
            digest = repo.password_hash(s, c.id)
            # Removing or changing the password ends the sessions granted under it.
            if not digest or fingerprint(digest) != session.stamp:
                return None
            return User(c.id, c.name, c.role, c.department, session.csrf)

        return await self.db.run(q)

    async def page_user(self, request: web.Request) -> User:
        """The user for a page, or a redirect to the login page (coming back here after)."""
        user = await self.load_user(request)
        if user is None:
            raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe=""))
        return user

    async def form_user(self, request: web.Request, *, admin: bool = False) -> User:
        """The user for a state-changing request: logged in, CSRF token present, allowed."""
        user = await self.load_user(request)
        if user is None:
            raise web.HTTPUnauthorized(text="请先登录 (login required)")
        session = self.codec.from_request(request, DASH)
        assert session is not None
        if not await csrf_ok(request, session):
            raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page")
        if admin and not user.is_admin:
            raise web.HTTPForbidden(text="只有管理员可以执行此操作 (admins only)")
        return user


def build_context(
    *, db: Database, clock: Clock, settings: Settings, codec: SessionCodec
) -> DashContext:
    hasher = make_hasher()
    return DashContext(
        db=db,
        clock=clock,
        settings=settings,
        codec=codec,
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
