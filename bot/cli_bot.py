"""Bot commands: serve, demo, remind.

`demo` is the newcomer's first command: it loads the bundled seed plan and
sample contacts into the default database (once), prints one-time web chat
links and dashboard logins, and serves on 127.0.0.1:8080.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated

import aiohttp
import typer
from aiohttp import web
from rich.console import Console
from sqlalchemy import Engine

from bot.app import build_app, make_adapters, make_core
from bot.cli import state
from bot.clock import Clock, make_clock
from bot.config import Settings
from bot.outbox import OutboxSender
from bot.store import repo
from bot.store.contacts_import import import_contacts
from bot.store.db import open_store, session_scope
from bot.store.loading import load_plan
from bot.store.repo.clock import record_store_clock
from bot.store_clock import resolve_clock
from bot.web.passwords import make_hasher, set_password
from parser import parse_document
from parser.units import canonicalize, is_known

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = EXAMPLES / "taiyuan-energy-plan.txt"
SAMPLE_CONTACTS = EXAMPLES / "contacts.csv"

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Start the clock here (YYYY-MM-DD or YYYY-MM-DDTHH:MM)."),
]
Host = Annotated[str | None, typer.Option("--host", help="Listen address (default from config).")]
Port = Annotated[int | None, typer.Option("--port", help="Listen port (default from config).")]


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _clock(settings: Settings, engine: Engine, as_of: str | None) -> Clock:
    """The one clock (bot/store_clock.py): --as-of, else the demo's recorded clock, else now."""
    clock, note = resolve_clock(engine, as_of, settings.tz)
    if note:
        typer.echo(note, err=True)
    return clock


def _serve(
    settings: Settings,
    as_of: str | None,
    host: str | None,
    port: int | None,
    clock: Clock | None = None,
) -> None:
    engine = open_store(settings.database_url)
    clock = clock or _clock(settings, engine, as_of)
    h = host or settings.server.host
    p = port if port is not None else settings.server.port
    web.run_app(
        build_app(settings, clock, engine),
        host=h,
        port=p,
        print=lambda _msg: typer.echo(f"taskbot serving on http://{h}:{p}/ (Ctrl-C to stop)"),
        shutdown_timeout=15,
    )


def serve(ctx: typer.Context, as_of: AsOf = None, host: Host = None, port: Port = None) -> None:
    """Run the bot: webhooks, reminder scheduler, web chat and dashboard."""
    _logging()
    _serve(state(ctx).settings, as_of, host, port)


def demo(
    ctx: typer.Context, as_of: AsOf = "2023-06-01", host: Host = None, port: Port = None
) -> None:
    """Seed plan + sample contacts into the default database, then serve on 127.0.0.1:8080."""
    settings = state(ctx).settings
    engine = open_store(settings.database_url)
    clock = make_clock(as_of, settings.tz)
    now = clock.now()
    console = Console()
    demo_password = secrets.token_urlsafe(9)
    with session_scope(engine) as s:
        # CLI commands against this database will answer for this clock (and say so).
        record_store_clock(s, start=now, recorded_at=datetime.now(settings.tz), source="demo")
        result = load_plan(s, parse_document(SEED), actor="demo", now=now)
        if not repo.list_contacts(s):
            import_contacts(
                s, SAMPLE_CONTACTS, canonicalize=canonicalize, is_known=is_known, actor="demo"
            )
        hasher = make_hasher()
        for c in repo.list_contacts(s):
            if c.role in ("coordinator", "admin"):
                set_password(s, c.name, demo_password, hasher)
        links = [
            (c, repo.create_login_token(s, c.id, now=now))
            for c in repo.list_contacts(s)
            if c.platform == "webchat"
        ]
    base = settings.server.public_url.rstrip("/")
    if host or port:
        base = f"http://{host or settings.server.host}:{port or settings.server.port}"
    console.print(
        f"[bold]taskbot demo[/bold] — plan {result.plan_id} "
        f"({'loaded' if result.created else 'already loaded'}), clock starts {now:%Y-%m-%d %H:%M}"
    )
    console.print("Web chat, one-time login links (each works once):")
    # The 市能源局 contact first: the README's walk-through starts there.
    links.sort(key=lambda x: (x[0].department != "市能源局", x[0].role, x[0].department))
    for c, token in links:
        if c.role in ("contact", "coordinator"):
            typer.echo(f"  {c.department} {c.name} ({c.role}): {base}/chat/login/{token}")
    console.print(
        f"Dashboard: {base}/  — log in as 郭敏 (coordinator) or 何军 (admin), "
        f"password [bold]{demo_password}[/bold] (new each run)"
    )
    _logging()
    _serve(settings, as_of, host, port, clock)


def remind(
    ctx: typer.Context,
    as_of: AsOf = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show, do not queue or send.")
    ] = False,
) -> None:
    """One reminder pass: plan, queue and send what is due now."""
    settings = state(ctx).settings
    engine = open_store(settings.database_url)
    clock = _clock(settings, engine, as_of)
    asyncio.run(_remind(settings, clock, engine, dry_run))


async def _remind(settings: Settings, clock: Clock, engine: Engine, dry_run: bool) -> None:
    core = make_core(settings, clock, engine)
    result = await core.reminders.run_pass(clock.now(), dry_run=dry_run)
    console = Console()
    for msg in result.planned:
        console.print(
            f"[bold]{msg.contact.department} {msg.contact.name}[/bold] "
            f"({msg.contact.platform}:{msg.contact.user_id}) — {msg.kind}, "
            f"{len(msg.items)} item(s)"
        )
    if dry_run:
        console.print(f"dry run: {len(result.planned)} message(s) would be queued")
        return
    async with aiohttp.ClientSession() as http:
        adapters = make_adapters(settings, http, core, clock)
        for a in adapters.values():
            await a.start()
        try:
            stats = await OutboxSender(core.db, adapters, clock).drain()
        finally:
            for a in adapters.values():
                await a.close()
    console.print(
        f"queued {result.queued} new message(s); sent {stats.sent}, "
        f"failed {stats.failed} (will retry), dead {stats.dead}"
    )


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(demo)
    app.command()(remind)
