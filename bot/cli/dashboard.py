"""Dashboard commands: `users set-password NAME`, `users disable NAME`, `report --out FILE`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.state import state
from bot.errors import UserError
from bot.rules.datebounds import check_date

# The report libraries (matplotlib, python-docx, openpyxl) and the store are imported in
# the commands that use them: `taskbot --help` must not pay ~1 s for them.

users_app = typer.Typer(help="Dashboard accounts (coordinators and admins).", no_args_is_help=True)


@users_app.command("set-password")
def set_password_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The contact's name, e.g. 郭敏.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
    ] = False,
) -> None:
    """Set a coordinator's or admin's dashboard password (prompted twice, stored hashed)."""
    from bot.store.db import open_store, session_scope
    from bot.web.passwords import check_new_password, make_hasher, set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    check_new_password(password)
    engine = open_store(state(ctx).settings.database_url)
    with session_scope(engine) as session:
        n = set_password(session, name, password, make_hasher())
    typer.echo(f"password set for {name} ({n} account row{'s' if n != 1 else ''})")


@users_app.command("disable")
def disable_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The contact's name, e.g. 郭敏.")],
) -> None:
    """Remove a person's dashboard password and end all their dashboard and chat sessions."""
    from bot.store.db import open_store, session_scope
    from bot.web.passwords import disable_account

    engine = open_store(state(ctx).settings.database_url)
    with session_scope(engine) as session:
        n = disable_account(session, name)
    typer.echo(f"disabled {name}: password removed, sessions ended ({n} contact row(s))")


def report(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="督办通报.docx (Word) or 台账.xlsx (Excel).")
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Report as of this date; default today.")
    ] = None,
) -> None:
    """Write the 督办通报 (.docx) or the 台账 (.xlsx)."""
    from bot.reports import build_report, collect
    from bot.store.clock import resolve_clock
    from bot.store.db import open_store, session_scope

    settings = state(ctx).settings
    if out.suffix.lower() not in (".docx", ".xlsx"):
        raise UserError(f"--out must end in .docx (督办通报) or .xlsx (台账), not {out.name}")
    if as_of is not None:
        try:
            given = date.fromisoformat(as_of[:10])
        except ValueError:
            raise UserError(f"--as-of must be a date like 2024-01-05, not {as_of!r}") from None
        check_date(given, "--as-of")
    engine = open_store(settings.database_url)
    # The one clock (bot/store/clock.py): --as-of, else the demo's recorded clock, else now.
    clock, note = resolve_clock(engine, as_of[:10] if as_of else None, settings.tz)
    if note:
        typer.echo(note, err=True)
    day = clock.now().astimezone(settings.tz).date()
    with session_scope(engine) as session:
        data = collect(
            session,
            as_of=day,
            tz_name=settings.timezone,
            calendar_kind=settings.reminders.calendar,
        )
    content = build_report(data, out)
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"wrote {out} ({data.total} tasks, {len(data.overdue)} overdue, as of {day})")


def register(app: typer.Typer) -> None:
    """Attach the dashboard commands to the root app."""
    app.command()(report)
    app.add_typer(users_app, name="users")
