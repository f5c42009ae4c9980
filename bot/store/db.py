"""Engines, migrations and transactions. Nothing here runs at import time.

    engine = make_engine("sqlite:///tasks.db")   # or postgresql+psycopg://…
    migrate(engine)                               # Alembic, to the newest revision
    with session_scope(engine) as session:        # one transaction; commit or roll back
        repo.list_tasks(session, as_of=…)

Database failures that are not the caller's fault (a locked SQLite file, an unreachable
server) come out of `session_scope` as one `ServiceError` with a readable message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from bot.errors import ServiceError

MIGRATIONS = Path(__file__).parent / "migrations"
# How long a SQLite writer waits for another writer before giving up (seconds).
# A URL may override it: sqlite:///tasks.db?timeout=0.5
SQLITE_BUSY_TIMEOUT = 5.0


def normalize_url(url: str) -> str:
    """Use psycopg 3 for bare postgresql:// URLs (the driver we ship)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Per connection: WAL lets readers work beside one writer; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with the connection settings the store relies on."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}))
        if "timeout" not in parsed.query:
            connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (Alembic); a no-op when it is there already."""
    try:
        with engine.begin() as conn:
            cfg = _alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except DBAPIError as exc:
        raise as_service_error(exc) from None


def as_service_error(exc: DBAPIError) -> ServiceError:
    """Turn a driver error into one line a person can act on."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "database is locked" in text or "database is busy" in text:
        return ServiceError(
            "the database is locked by another process (a long write is running); try again"
        )
    if isinstance(exc, OperationalError):
        return ServiceError(f"database unavailable: {first}")
    return ServiceError(f"database error: {first}")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    Driver-level failures become `ServiceError`; other exceptions (UserError from
    validation, …) pass through unchanged after the rollback.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        raise as_service_error(exc) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def open_store(url: str, **kwargs: Any) -> Engine:
    """make_engine + migrate: what a command or the bot calls once at start."""
    engine = make_engine(url, **kwargs)
    migrate(engine)
    return engine
