"""`taskbot contacts link NAME|USER_ID`: an admin's web chat login link for a contact.

Prints the link and writes it as a QR code PNG (for the contact's phone). The link works
once, within [webchat] link_days, and points at [server] public_url; issuing another
revokes it (bot/web/login_links.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.state import command_clock, open_database, state
from bot.errors import UserError


def contacts_link(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(metavar="NAME|USER_ID", help="The web chat contact.")],
    qr: Annotated[
        Path | None,
        typer.Option("--qr", help="Write the QR code here (default ./chat-link-NAME-ID.png)."),
    ] = None,
    no_qr: Annotated[bool, typer.Option("--no-qr", help="Print the link only.")] = False,
) -> None:
    """Issue a web chat login link for a contact (the previous link stops working)."""
    from bot.store.db import session_scope
    from bot.web.login_links import find_chat_contact, issue_chat_link, qr_path, qr_png

    settings = state(ctx).settings
    if qr is not None and not no_qr and not qr.parent.is_dir():
        raise UserError(f"--qr: folder {qr.parent} does not exist")
    engine = open_database(ctx)
    clock = command_clock(ctx)
    with session_scope(engine) as session:
        contact = find_chat_contact(session, who)
        link = issue_chat_link(
            session, contact, settings=settings, actor="operator (cli)", now=clock.now()
        )
        # The QR file is written inside the transaction: if it cannot be written, the old
        # link is not revoked and no new one exists (nothing half-done).
        path = None
        if not no_qr:
            path = qr if qr is not None else qr_path(contact, Path.cwd())
            try:
                path.write_bytes(qr_png(link.url))
            except OSError as exc:
                raise UserError(f"cannot write the QR code to {path}: {exc.strerror}") from None
    expires = link.expires.astimezone(settings.tz)
    typer.echo(f"{contact.department} {contact.name} ({contact.user_id}): {link.url}")
    typer.echo(f"  works once, until {expires:%Y-%m-%d %H:%M}; any earlier link is revoked")
    if path is not None:
        typer.echo(f"  QR code: {path}")


def _person_rows(session: Any, who: str, dept: str | None) -> list[Any]:
    """Every contact row of the person `who` names (a name, or a user id on any platform),
    in `dept` if given; UserError when none, or when the name is in several departments."""
    from bot.store import repo

    who = who.strip()
    named = [
        c
        for c in repo.list_contacts(session, with_disabled=True)
        if who in (c.name, c.user_id) and (dept is None or c.department == dept)
    ]
    people = sorted({(c.department, c.name) for c in named})
    if not people:
        raise UserError(f"no contact named {who} (see `taskbot contacts list`)")
    if len(people) > 1:
        depts = ", ".join(d for d, _ in people)
        raise UserError(f"{who} is a contact of {depts}; say which with --dept")
    return repo.person_contacts(session, named[0])


def _set_enabled(ctx: typer.Context, who: str, dept: str | None, *, enabled: bool) -> None:
    from bot.store import repo
    from bot.store.db import session_scope

    engine = open_database(ctx)
    clock = command_clock(ctx)
    with session_scope(engine) as session:
        rows = _person_rows(session, who, dept)
        changed = repo.set_contacts_enabled(
            session, [c.id for c in rows], enabled=enabled, actor="operator (cli)", now=clock.now()
        )
    first = rows[0]
    word = "enabled" if enabled else "disabled"
    if not changed:
        typer.echo(f"{first.department} {first.name}: already {word}")
        return
    typer.echo(f"{first.department} {first.name}: {word} ({changed} of {len(rows)} account(s))")
    if not enabled:
        typer.echo("  no longer reminded or recognised in chat; web chat links and sessions ended")


Who = Annotated[str, typer.Argument(metavar="NAME|USER_ID", help="The contact.")]
Dept = Annotated[
    str | None, typer.Option("--dept", help="The department, if the name is in several.")
]


def contacts_disable(ctx: typer.Context, who: Who, dept: Dept = None) -> None:
    """Disable a contact (e.g. left the department): no more reminders, not recognised in
    chat, web chat ended; the history stays."""
    _set_enabled(ctx, who, dept, enabled=False)


def contacts_enable(ctx: typer.Context, who: Who, dept: Dept = None) -> None:
    """Enable a disabled contact again (a new web chat link is needed to log in)."""
    _set_enabled(ctx, who, dept, enabled=True)
