"""`taskbot contacts link NAME|USER_ID`: an admin's web chat login link for a contact.

Prints the link and writes it as a QR code PNG (for the contact's phone). The link works
once, within [webchat] link_days, and points at [server] public_url; issuing another
revokes it (bot/web/login_links.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
