"""Composition root: the only place that wires engine, adapters, scheduler and web app.

`init_app` builds an aiohttp Application from settings, a clock and an engine.
Long-lived resources (the one ClientSession, adapters, background loops) are
created and closed in `cleanup_ctx`, in order, so shutdown on SIGTERM drains
cleanly: background loops stop first, then adapters, then the HTTP client.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.database import Database
from bot.web import dashboard
from bot.web.sessions import SessionCodec

log = logging.getLogger("taskbot")

DB_KEY = web.AppKey("db", Database)
CLOCK_KEY = web.AppKey("clock", Clock)
SETTINGS_KEY = web.AppKey("settings", Settings)
HTTP_KEY = web.AppKey("http", aiohttp.ClientSession)


def session_secret(settings: Settings) -> bytes:
    """The cookie-signing key: configured, or random per process (sessions end on restart)."""
    if settings.secret_key:
        return hashlib.sha256(settings.secret_key.encode()).digest()
    return secrets.token_bytes(32)


async def healthz(request: web.Request) -> web.Response:
    ok = await request.app[DB_KEY].ping()
    if ok:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


def init_app(settings: Settings, clock: Clock, engine: Engine) -> web.Application:
    """The whole service as one aiohttp Application (not started)."""
    app = web.Application(client_max_size=20 * 1024 * 1024)
    db = Database(engine)
    app[DB_KEY] = db
    app[CLOCK_KEY] = clock
    app[SETTINGS_KEY] = settings
    secret = session_secret(settings)
    secure = settings.server.public_url.startswith("https://")
    dash_codec = SessionCodec(secret, "taskbot_dash", max_age=8 * 3600, secure=secure)
    app.router.add_get("/healthz", healthz)

    dashboard.setup(app, db=db, clock=clock, settings=settings, codec=dash_codec)

    async def http_client(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            app[HTTP_KEY] = http
            yield

    app.cleanup_ctx.append(http_client)
    return app
