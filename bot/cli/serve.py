"""Bot commands: serve, demo, remind.

`demo` is the newcomer's first command: it loads the bundled seed plan and
sample contacts into its own database (./taskbot-demo.db, fresh each run unless
--keep; never TASKBOT_DB or the configured database, whose coordinators' passwords
it would reset), prints one-time web chat links and dashboard logins for the
address actually served, and serves (127.0.0.1:8080 unless --port, taskbot.toml
or TASKBOT_SERVER_PORT say otherwise). Both `demo` and `serve` check the port
before doing anything, and say how to choose another when it is taken.
"""

from __future__ import annotations

import logging
import secrets
import socket
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.state import open_database, state
from bot.errors import UserError

# The web app, the store and the adapters (aiohttp, SQLAlchemy, matplotlib through the
# reports) cost ~2 s to import: each command imports what it runs, so `taskbot --help`
# and the other commands' start-up do not pay for them.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.clock import Clock
    from bot.config import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = EXAMPLES / "taiyuan-energy-plan.txt"
SAMPLE_CONTACTS = EXAMPLES / "contacts.csv"
DEMO_DB = Path("taskbot-demo.db")
# The day the README's round trip is told on: 3.8.3 and 3.8.5 (due 2023-12-31) are
# overdue, so `完成 3.8.3` visibly takes 3.8.3 off `逾期 市能源局`.
DEMO_AS_OF = "2024-01-05"

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
    """The one clock (bot/store/clock.py): --as-of, else the demo's recorded clock, else now."""
    from bot.store.clock import resolve_clock

    clock, note = resolve_clock(engine, as_of, settings.tz)
    if note:
        typer.echo(note, err=True)
    return clock


def _listen_address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    return host or settings.server.host, port if port is not None else settings.server.port


def check_port(host: str, port: int) -> None:
    """Refuse a taken port up front, before seeding or a reminder pass, naming a free one."""
    if _can_bind(host, port):
        return
    free = next((q for q in range(port + 1, port + 50) if _can_bind(host, q)), port + 1)
    raise UserError(
        f"port {port} on {host} is already in use (another taskbot?). Choose another: "
        f"make run PORT={free}, taskbot demo --port {free}, TASKBOT_SERVER_PORT={free}, "
        f"or port = {free} under [server] in taskbot.toml"
    )


def _can_bind(host: str, port: int) -> bool:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UserError(f"cannot listen on {host!r}: unknown host name") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As aiohttp binds: a port left in TIME_WAIT by the last run is not "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


def _serve(
    settings: Settings,
    as_of: str | None,
    host: str,
    port: int,
    clock: Clock | None = None,
) -> None:
    from aiohttp import web

    from bot.app import build_app
    from bot.store.db import open_store
    from bot.web.login_links import public_base
    from bot.web.login_links import served_url as _served_url

    engine = open_store(settings.database_url)
    clock = clock or _clock(settings, engine, as_of)
    served = _served_url(host, port)
    public = public_base(settings, host, port)
    note = f" — public address {public}/" if public != served else ""
    web.run_app(
        build_app(settings, clock, engine),
        host=host,
        port=port,
        print=lambda _msg: typer.echo(f"taskbot serving on {served}/{note} (Ctrl-C to stop)"),
        shutdown_timeout=15,
    )


def serve(ctx: typer.Context, as_of: AsOf = None, host: Host = None, port: Port = None) -> None:
    """Run the bot: webhooks, reminder scheduler, web chat and dashboard."""
    settings = state(ctx).settings
    h, p = _listen_address(settings, host, port)
    check_port(h, p)
    _logging()
    _serve(settings, as_of, h, p)


def demo(
    ctx: typer.Context,
    as_of: AsOf = DEMO_AS_OF,
    host: Host = None,
    port: Port = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="Keep ./taskbot-demo.db from the last run (else start fresh)."
        ),
    ] = False,
) -> None:
    """Seed plan + sample contacts into ./taskbot-demo.db (fresh each run), then serve."""
    from rich.console import Console

    from bot.clock import make_clock
    from bot.store import repo
    from bot.store.contacts_import import import_contacts
    from bot.store.db import open_store, session_scope
    from bot.store.loading import load_plan
    from bot.store.repo.store_clock import record_store_clock
    from bot.web.login_links import public_base
    from bot.web.passwords import make_hasher, set_password
    from parser import parse_document
    from parser.units import canonicalize, is_known

    cli = state(ctx)
    settings = cli.settings
    h, p = _listen_address(settings, host, port)
    check_port(h, p)
    console = Console(soft_wrap=True)  # a password must never wrap mid-line
    if cli.db:
        fresh = False  # a database named on the command line is the user's: never wiped
        database_url = cli.db
    else:
        fresh = not keep or not DEMO_DB.exists()
        if not keep:
            for leftover in (
                DEMO_DB,
                *(Path(f"{DEMO_DB}{x}") for x in ("-wal", "-shm", "-journal")),
            ):
                leftover.unlink(missing_ok=True)
        database_url = f"sqlite:///{DEMO_DB}"
    settings = settings.model_copy(update={"database_url": database_url})
    engine = open_store(database_url)
    clock = make_clock(as_of, settings.tz)
    now = clock.now()
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
    base = public_base(settings, h, p)
    # Not the URL itself: one given with --db may carry a password.
    where = "a fresh ./taskbot-demo.db" if fresh else "./taskbot-demo.db" if not cli.db else "--db"
    console.print(
        f"[bold]taskbot demo[/bold] — plan {result.plan_id} "
        f"({'loaded' if result.created else 'already loaded'}) into {where}; "
        f"clock starts {now:%Y-%m-%d %H:%M}"
    )
    if not fresh:
        console.print(
            "  (earlier replies are kept; `make run` / `taskbot demo` without --keep starts clean)"
        )
    console.print("Web chat, one-time login links (each works once):")
    # The 市能源局 contact first: the README's walk-through starts there.
    links.sort(key=lambda x: (x[0].department != "市能源局", x[0].role, x[0].department))
    for c, token in links:
        if c.role in ("contact", "coordinator"):
            typer.echo(f"  {c.department} {c.name} ({c.role}): {base}/chat/login/{token}")
    typer.echo(f"Dashboard: {base}/")
    typer.echo(f"  log in as 郭敏 (coordinator) or 何军 (admin), password: {demo_password}")
    typer.echo("  (the password is new each run)")
    typer.echo(
        f"CLI on the demo's data: taskbot --db sqlite:///{DEMO_DB} tasks --overdue"
        if not cli.db
        else "CLI on the demo's data: add the same --db"
    )
    _logging()
    _serve(settings, as_of, h, p, clock)


def remind(
    ctx: typer.Context,
    as_of: AsOf = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show, do not queue or send.")
    ] = False,
) -> None:
    """One reminder pass: plan, queue and send what is due now."""
    import asyncio

    settings = state(ctx).settings
    engine = open_database(ctx)
    clock = _clock(settings, engine, as_of)
    asyncio.run(_remind(settings, clock, engine, dry_run))


async def _remind(settings: Settings, clock: Clock, engine: Engine, dry_run: bool) -> None:
    import aiohttp
    from rich.console import Console

    from bot.app import make_adapters, make_core
    from bot.delivery.outbox import OutboxSender

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
