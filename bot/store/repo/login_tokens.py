"""One-time web chat login tokens (login_token): only a hash is stored; a token works once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, update
from sqlmodel import Session, col, select

from bot.store.models import LoginToken
from bot.store.repo.common import utcnow


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_login_token(
    session: Session,
    contact_id: int,
    *,
    ttl: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> str:
    """A fresh secret for a web chat link; only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    at = utcnow(now)
    session.add(
        LoginToken(
            token_hash=_token_hash(raw), contact_id=contact_id, created_at=at, expires_at=at + ttl
        )
    )
    session.flush()
    return raw


def live_login_token(at: datetime) -> ColumnElement[bool]:
    """A login token that still works at `at`: not used, not expired."""
    return and_(col(LoginToken.used_at).is_(None), col(LoginToken.expires_at) > at)


def consume_login_token(session: Session, raw: str, *, now: datetime | None = None) -> int | None:
    """The contact id if `raw` is valid, unused and unexpired — and mark it used (once only)."""
    at = utcnow(now)
    h = _token_hash(raw)
    result = session.exec(
        update(LoginToken)
        .where(col(LoginToken.token_hash) == h, live_login_token(at))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return None
    return session.exec(select(LoginToken.contact_id).where(LoginToken.token_hash == h)).one()
