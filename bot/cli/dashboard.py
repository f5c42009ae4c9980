"""Dashboard commands: `users list | add | role | set-password | disable`, `report --out FILE`.

Admins do the same on the dashboard's accounts page (bot/web/accounts.py holds the rules).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.state import command_clock, open_database, state
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
    from bot.store.db import session_scope
    from bot.web.passwords import check_new_password, make_hasher, set_password

    password = _password(password_stdin)
    check_new_password(password)
    engine = open_database(ctx)
    with session_scope(engine) as session:
        n = set_password(session, name, password, make_hasher())
    typer.echo(f"password set for {name} ({n} account row{'s' if n != 1 else ''})")


@users_app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """Everyone who may use the dashboard: name, role, departments, enabled or not."""
    from bot.store.db import session_scope
    from bot.web.accounts import list_accounts

    engine = open_database(ctx)
    with session_scope(engine) as session:
        accounts = list_accounts(session)
    for a in accounts:
        shown = "enabled" if a.enabled else "disabled"
        typer.echo(f"{a.name}\t{a.role}\t{'、'.join(a.departments)}\t{shown}")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's name, e.g. 韩梅梅.")],
    department: Annotated[
        str, typer.Option("--dept", help="Their department, e.g. 市政府办公室.")
    ],
    role: Annotated[str, typer.Option("--role", help="coordinator or admin.")] = "coordinator",
    user_id: Annotated[
        str, typer.Option("--user-id", help="Web chat account id (default: the name).")
    ] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
    ] = False,
) -> None:
    """Create a coordinator or admin account (a web chat contact row with a password)."""
    from bot.store.db import session_scope
    from bot.store.departments import match_department
    from bot.store.manual import resolve_departments
    from bot.web.accounts import check_password, create_account
    from bot.web.passwords import make_hasher
    from parser.units import canonicalize, is_known

    password = _password(password_stdin)
    check_password(password)
    digest = make_hasher().hash(password)
    engine = open_database(ctx)
    with session_scope(engine) as session:
        (dept,) = resolve_departments(
            session,
            [department],
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
        )
        account = create_account(
            session,
            name=name,
            department=dept,
            role=role,
            user_id=user_id,
            digest=digest,
            actor="operator (cli)",
            now=datetime.now(UTC),
        )
    typer.echo(f"created {account.role} {account.name} ({dept})")


@users_app.command("role")
def role_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's name.")],
    role: Annotated[str, typer.Argument(help="coordinator or admin.")],
) -> None:
    """Make a dashboard user a coordinator or an admin (one enabled admin always stays)."""
    from bot.store.db import session_scope
    from bot.web.accounts import change_role

    engine = open_database(ctx)
    with session_scope(engine) as session:
        changed = change_role(session, name, role, actor="operator (cli)", now=datetime.now(UTC))
    typer.echo(f"{name} is {'now' if changed else 'already'} {role}")


@users_app.command("disable")
def disable_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The contact's name, e.g. 郭敏.")],
) -> None:
    """Remove a person's dashboard password and end all their dashboard and chat sessions."""
    from bot.store.db import session_scope
    from bot.web.passwords import disable_account

    engine = open_database(ctx)
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
    from bot.store.db import session_scope

    settings = state(ctx).settings
    if out.suffix.lower() not in (".docx", ".xlsx"):
        raise UserError(f"--out must end in .docx (督办通报) or .xlsx (台账), not {out.name}")
    if as_of is not None:
        try:
            given = date.fromisoformat(as_of[:10])
        except ValueError:
            raise UserError(f"--as-of must be a date like 2024-01-05, not {as_of!r}") from None
        check_date(given, "--as-of")
    engine = open_database(ctx)
    clock = command_clock(ctx, as_of[:10] if as_of else None)
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
