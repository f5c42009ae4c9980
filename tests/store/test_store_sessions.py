"""Server-side sessions (web_session) on both backends: timeouts, touch, revoke, known
addresses, pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import session_scope
from bot.store.repo import ContactSpec
from bot.store.repo.sessions import (
    TOUCH_EVERY,
    create_session,
    known_address,
    live_session,
    prune_sessions,
    revoke_contact_sessions,
    revoke_session,
)

T0 = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
IDLE, ABSOLUTE = timedelta(hours=1), timedelta(hours=10)


def _contacts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市能源局", "郭敏", "webchat", "gm", "coordinator"),
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
            ],
        )
        ids = {c.user_id: c.id for c in repo.list_contacts(s)}
    return ids["gm"], ids["zw"]


def _live(engine: Engine, sid: str, now: datetime, kind: str = "dash") -> bool:
    with session_scope(engine) as s:
        row = live_session(s, sid, kind=kind, now=now, idle=IDLE, absolute=ABSOLUTE)
        return row is not None


def _new(engine: Engine, sid: str, contact: int, kind: str = "dash", addr: str = "") -> None:
    with session_scope(engine) as s:
        create_session(s, id=sid, contact_id=contact, kind=kind, csrf="c", address=addr, now=T0)


def test_idle_and_absolute_timeouts(engine: Engine) -> None:
    gm, _ = _contacts(engine)
    _new(engine, "a" * 64, gm)
    assert _live(engine, "a" * 64, T0 + timedelta(minutes=59))
    assert not _live(engine, "a" * 64, T0 + timedelta(minutes=59), kind="chat")
    # Used every 50 minutes, it still ends 10 hours after login …
    now = T0
    while now - T0 < ABSOLUTE - timedelta(minutes=50):
        now += timedelta(minutes=50)
        assert _live(engine, "a" * 64, now), now
    assert not _live(engine, "a" * 64, T0 + ABSOLUTE + timedelta(minutes=1))
    # … and once expired it stays dead even if the clock is turned back.
    assert not _live(engine, "a" * 64, T0 + timedelta(minutes=1))
    _new(engine, "b" * 64, gm)
    assert not _live(engine, "b" * 64, T0 + IDLE + timedelta(seconds=1))


def test_touch_is_rate_limited(engine: Engine) -> None:
    gm, _ = _contacts(engine)
    _new(engine, "c" * 64, gm)
    # Polled more often than TOUCH_EVERY: last_seen moves only once a minute, so a session
    # polled every 30 s for an hour and a half is alive (each touch counts).
    now = T0
    for _ in range(180):
        now += TOUCH_EVERY / 2
        assert _live(engine, "c" * 64, now)


def test_revocation_and_known_addresses(engine: Engine) -> None:
    gm, zw = _contacts(engine)
    _new(engine, "d" * 64, gm, addr="10.1.1.1")
    _new(engine, "e" * 64, gm, kind="chat")
    _new(engine, "f" * 64, zw, kind="chat")
    with session_scope(engine) as s:
        assert known_address(s, [gm], "10.1.1.1", since=T0 - timedelta(days=30))
        assert not known_address(s, [gm], "10.1.1.2", since=T0 - timedelta(days=30))
        assert not known_address(s, [zw], "10.1.1.1", since=T0 - timedelta(days=30))
        assert not known_address(s, [gm], "10.1.1.1", since=T0 + timedelta(days=1))
        revoke_session(s, "d" * 64, now=T0)
    assert not _live(engine, "d" * 64, T0)
    with session_scope(engine) as s:
        assert revoke_contact_sessions(s, [gm], now=T0) == 1  # the chat one left
    assert not _live(engine, "e" * 64, T0, kind="chat")
    assert _live(engine, "f" * 64, T0, kind="chat")
    with session_scope(engine) as s:
        assert prune_sessions(s, older_than=T0 + timedelta(seconds=1)) == 3
    assert not _live(engine, "f" * 64, T0, kind="chat")
