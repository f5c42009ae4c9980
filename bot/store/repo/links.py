"""Admin-issued web chat login links: one live link per contact.

A link is a one-time login token (login_token, see repo.login_tokens.create_login_token); issuing
a new one for a contact makes every unused one of theirs expire at once, so a link sent to
the wrong person, or lost, is dead as soon as the admin issues the next — and it ends the
contact's web chat session too: whoever holds a session from an earlier link (a phone
left behind, a link opened by the wrong person) is logged out. `end_chat_access` is the
admin's "disable": no live link, no chat session, until a new link is issued.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.models import LoginToken
from bot.store.repo.audit import audit
from bot.store.repo.common import utcnow
from bot.store.repo.login_tokens import create_login_token, live_login_token
from bot.store.repo.sessions import revoke_contact_sessions

CHAT = "chat"  # the web chat's session kind (bot/app.py chat_session_store)


def revoke_login_tokens(session: Session, contact_id: int, *, now: datetime) -> int:
    """End every unused, unexpired link of this contact (they expire now)."""
    result = session.exec(
        update(LoginToken)
        .where(col(LoginToken.contact_id) == contact_id, live_login_token(now))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def issue_login_link(
    session: Session,
    contact_id: int,
    *,
    ttl: timedelta,
    actor: str,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """A new one-time login token for `contact_id` (revoking the old links and ending the
    contact's web chat sessions), and when it expires.

    Only the token's hash is stored and audited nothing of it: the raw token is the login."""
    at = utcnow(now)
    revoked = revoke_login_tokens(session, contact_id, now=at)
    ended = revoke_contact_sessions(session, [contact_id], now=at, kind=CHAT)
    token = create_login_token(session, contact_id, ttl=ttl, now=at)
    audit(
        session,
        actor=actor,
        action="login_link",
        detail={
            "contact_id": contact_id,
            "expires": (at + ttl).isoformat(),
            "revoked": revoked,
            "sessions_ended": ended,
        },
        now=at,
    )
    return token, at + ttl


def end_chat_access(
    session: Session, contact_id: int, *, actor: str, now: datetime | None = None
) -> tuple[int, int]:
    """Disable a contact's web chat: every unused link expires and every chat session ends
    now; audited. Returns (links revoked, sessions ended). A new link lets them back in."""
    at = utcnow(now)
    revoked = revoke_login_tokens(session, contact_id, now=at)
    ended = revoke_contact_sessions(session, [contact_id], now=at, kind=CHAT)
    audit(
        session,
        actor=actor,
        action="chat_disabled",
        detail={"contact_id": contact_id, "revoked": revoked, "sessions_ended": ended},
        now=at,
    )
    return revoked, ended


def live_link_count(session: Session, contact_id: int, *, now: datetime) -> int:
    """How many unused, unexpired links this contact has (0 or 1 after issue_login_link)."""
    rows = session.exec(
        select(LoginToken.id).where(LoginToken.contact_id == contact_id, live_login_token(now))
    )
    return len(list(rows))
