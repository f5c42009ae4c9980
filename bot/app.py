"""Composition root: the only place that wires engine, adapters, scheduler and web app.

`build_app` makes the whole service as one aiohttp Application. Long-lived
resources live in one cleanup context, created in order and closed in reverse:
the HTTP client, then the adapters, then the background loops. On SIGTERM
aiohttp runs the cleanup: loops finish their in-flight batch, adapters close,
the client closes — nothing half-sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from bot.adapters import WEBCHAT, platforms
from bot.adapters.base import AdapterDeps, ChatAdapter, MessageHandler
from bot.adapters.webchat.store import transcribe
from bot.clock import Clock
from bot.config import Settings
from bot.conversation.handler import Conversation
from bot.conversation.matching import TaskMatcher
from bot.delivery.outbox import OutboxSender
from bot.delivery.scheduler import Scheduler
from bot.events import IncomingMessage
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store.aio import Database
from bot.store.repo.incoming import prune_incoming
from bot.store.repo.sessions import prune_sessions
from bot.web import dashboard
from bot.web.guard import guard
from bot.web.sessions import SessionCodec, SessionPolicy, SessionStore
from bot.worker import BoundedWorker

log = logging.getLogger("taskbot")

# A web chat login lasts a month of use but ends after a week unused (the defaults of
# [webchat] session_days and idle_days; see chat_timeouts).
CHAT_IDLE, CHAT_ABSOLUTE = timedelta(days=7), timedelta(days=30)
# How long a chat message waits for a long write (a contacts import) before it fails.
BUSY_RETRY = 30.0

DB_KEY = web.AppKey("db", Database)
CLOCK_KEY = web.AppKey("clock", Clock)
SETTINGS_KEY = web.AppKey("settings", Settings)


@dataclass
class Core:
    """The bot's parts that do not depend on HTTP: shared by `serve` and `taskbot remind`."""

    db: Database
    conversation: Conversation
    reminders: ReminderService
    renderer: Renderer


def session_secret(settings: Settings) -> bytes:
    """The cookie-signing key: configured, or random per process (sessions end on restart)."""
    if settings.secret_key:
        return hashlib.sha256(settings.secret_key.encode()).digest()
    return secrets.token_bytes(32)


def make_core(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    matcher: TaskMatcher | None = None,
    *,
    queue_replies: bool = False,
) -> Core:
    """The bot's parts. `queue_replies`: answers on chat platforms go through the outbox
    (the service does this; one-shot commands and tests may answer inline)."""
    db = Database(engine, busy_retry=BUSY_RETRY)
    renderer = Renderer()
    # Platforms other than the web chat answer through the outbox (retries, rate limits).
    queued = frozenset(settings.platforms)
    conversation = Conversation(
        db,
        renderer,
        matcher or TaskMatcher(),
        clock,
        queue_replies=queued if queue_replies else frozenset(),
        transcript=transcribe,
    )
    reminders = ReminderService(db, renderer, settings)
    return Core(db, conversation, reminders, renderer)


def make_adapters(
    settings: Settings,
    http: aiohttp.ClientSession,
    core: Core,
    clock: Clock,
    chat_sessions: SessionStore | None = None,
    handler: MessageHandler | None = None,
) -> dict[str, ChatAdapter]:
    """One adapter per configured platform, from the explicit registry."""
    deps = AdapterDeps(
        http=http,
        handler=handler or core.conversation,
        db=core.db,
        clock=clock,
        chat_sessions=chat_sessions or chat_session_store(settings, core.db, clock),
        transcribed=core.conversation.transcript is not None,
    )
    adapters: dict[str, ChatAdapter] = {}
    for spec in platforms():
        section = settings.webchat if spec.name == WEBCHAT else settings.platform(spec.name)
        if section is None or (spec.name == WEBCHAT and not settings.webchat.enabled):
            continue
        adapters[spec.name] = spec.load().build(section, deps)
    return adapters


def chat_timeouts(settings: Settings) -> tuple[timedelta, timedelta]:
    """(idle, absolute) of a web chat login, as [webchat] configures them."""
    absolute = timedelta(days=settings.webchat.session_days)
    return min(timedelta(days=settings.webchat.idle_days), absolute), absolute


def chat_session_store(settings: Settings, db: Database, clock: Clock) -> SessionStore:
    idle, absolute = chat_timeouts(settings)
    policy = SessionPolicy(
        cookie="taskbot_chat",
        kind="chat",
        idle=idle,
        absolute=absolute,
        secure=settings.server.public_url.startswith("https://"),
    )
    return SessionStore(db, clock, policy)


async def healthz(request: web.Request) -> web.Response:
    ok = await request.app[DB_KEY].ping()
    if ok:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


async def build_app(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    *,
    run_scheduler: bool = True,
    remind_every: float = 60.0,
    matcher: TaskMatcher | None = None,
) -> web.Application:
    """The whole service (not started). Must run inside the event loop that will serve it."""
    app = web.Application(client_max_size=20 * 1024 * 1024, middlewares=[guard])
    core = make_core(settings, clock, engine, matcher, queue_replies=run_scheduler)
    app[DB_KEY] = core.db
    app[CLOCK_KEY] = clock
    app[SETTINGS_KEY] = settings
    secret = session_secret(settings)
    secure = settings.server.public_url.startswith("https://")
    # Only the login form's CSRF cookie is signed and stateless; logins live server-side.
    login_codec = SessionCodec(secret, "taskbot_login", max_age=8 * 3600, secure=secure)
    chat_sessions = chat_session_store(settings, core.db, clock)
    worker = BoundedWorker(
        memory_mb=settings.server.upload_memory_mb, seconds=settings.server.upload_seconds
    )
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    scheduler: Scheduler | None = None

    async def handle(msg: IncomingMessage) -> str | None:
        reply = await core.conversation.handle(msg)
        if scheduler is not None and msg.platform in core.conversation.queue_replies:
            scheduler.wake_sender()  # the answer is in the outbox: send it now
        return reply

    adapters = make_adapters(settings, http, core, clock, chat_sessions, handle)
    app.router.add_get("/healthz", healthz)
    for adapter in adapters.values():
        app.router.add_routes(adapter.routes())
    dashboard.setup(
        app, db=core.db, clock=clock, settings=settings, codec=login_codec, worker=worker
    )
    sender = OutboxSender(core.db, adapters, clock, max_attempts=settings.reminders.max_attempts)

    async def housekeeping() -> None:
        stale = await sender.requeue_stale()
        if stale:
            log.warning("requeued %d message(s) left unsent by a stopped worker", stale)
        now = clock.now()
        await core.db.run(lambda s: prune_incoming(s, older_than=timedelta(days=7), now=now))
        # Past the longer of the two absolute timeouts no session can be live any more.
        keep = max(chat_timeouts(settings)[1], CHAT_ABSOLUTE)
        await core.db.run(lambda s: prune_sessions(s, older_than=now - keep))

    scheduler = Scheduler(core.reminders, sender, clock, housekeeping, remind_every=remind_every)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        # The matcher's tokenizer takes ~0.5 s to load: do it before the first message.
        await asyncio.to_thread(core.conversation.matcher.warm)
        started: list[ChatAdapter] = []
        try:
            for adapter in adapters.values():
                await adapter.start()
                started.append(adapter)
            if run_scheduler:
                scheduler.start()
            yield
        finally:
            await scheduler.stop()
            for adapter in reversed(started):
                try:
                    await adapter.close()
                except Exception:
                    log.exception("closing adapter %s failed", adapter.name)
            await http.close()
            worker.close()

    app.cleanup_ctx.append(lifecycle)
    return app
