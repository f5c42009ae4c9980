"""Onboarding a department contact onto the built-in web chat: an admin issues a login link.

`taskbot contacts link NAME|USER_ID` and the dashboard's contacts page both come here. The
link is `<public address>/chat/login/<token>`: it works once, within [webchat] link_days,
and issuing another revokes it (bot/store/repo/links.py). The contact's chat session then
lasts as [webchat] session_days / idle_days say (bot.app.chat_timeouts). A QR code of the
link (segno) lets the contact open it on a phone.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import segno
from sqlmodel import Session

from bot.adapters import WEBCHAT
from bot.config import Settings
from bot.errors import UserError
from bot.store import repo
from bot.store.repo import ContactView
from bot.store.repo.links import issue_login_link


@dataclass(frozen=True, slots=True)
class ChatLink:
    contact: ContactView
    url: str
    expires: datetime


def served_url(host: str, port: int) -> str:
    """The address a browser on this machine reaches a server listening on host:port."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def public_base(settings: Settings, host: str | None = None, port: int | None = None) -> str:
    """The address links point at: [server] public_url when configured, else the one served."""
    if "public_url" in settings.server.model_fields_set:
        return settings.server.public_url.rstrip("/")
    return served_url(
        host if host is not None else settings.server.host,
        port if port is not None else settings.server.port,
    )


def find_chat_contact(session: Session, who: str) -> ContactView:
    """The one web chat contact `who` names (a name or a web chat user id); else UserError
    saying what to type instead."""
    who = who.strip()
    if not who:
        raise UserError("say whose link: a contact's name or web chat user id")
    everyone = repo.list_contacts(session, with_disabled=True)
    chat = [c for c in everyone if c.platform == WEBCHAT]
    by_id = [c for c in chat if c.user_id == who]
    found = by_id or [c for c in chat if c.name == who]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listed = ", ".join(f"{c.user_id} ({c.department} {c.name})" for c in found)
        raise UserError(f"several web chat contacts are named {who}; give the user id: {listed}")
    elsewhere = sorted({c.platform for c in everyone if who in (c.name, c.user_id)})
    if elsewhere:
        raise UserError(
            f"{who} has no web chat account (only {', '.join(elsewhere)}); add a row with "
            "platform webchat to the contacts sheet and import it"
        )
    raise UserError(f"no contact named {who} (see `taskbot contacts list`)")


def issue_chat_link(
    session: Session,
    contact: ContactView,
    *,
    settings: Settings,
    actor: str,
    now: datetime,
    base: str | None = None,
) -> ChatLink:
    """A new login link for `contact` (the old one stops working)."""
    if contact.platform != WEBCHAT:
        raise UserError(f"{contact.name} ({contact.platform}) is not a web chat contact")
    if contact.disabled:
        raise UserError(
            f"{contact.name} is disabled; enable the contact first "
            f"(taskbot contacts enable {contact.user_id})"
        )
    token, expires = issue_login_link(
        session,
        contact.id,
        ttl=timedelta(days=settings.webchat.link_days),
        actor=actor,
        now=now,
    )
    root = base if base is not None else public_base(settings)
    return ChatLink(contact, f"{root}/chat/login/{token}", expires)


def qr_png(url: str) -> bytes:
    """The link as a QR code PNG, big enough to scan from a screen or paper."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def qr_data_uri(url: str) -> str:
    """The link as a QR code for an <img src> (the dashboard allows data: images only)."""
    return str(segno.make(url, error="m").png_data_uri(scale=5, border=4))


_UNSAFE = re.compile(r"[^\w.-]+")


def qr_path(contact: ContactView, folder: Path) -> Path:
    """Where `contacts link` writes the QR code: one file per contact, re-issued in place."""
    stem = _UNSAFE.sub("_", f"{contact.name}-{contact.user_id}").strip("_.")
    return folder / f"chat-link-{stem or contact.id}.png"
