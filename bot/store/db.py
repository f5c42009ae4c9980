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

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlmodel import Session

from bot.errors import DatabaseBusy, ServiceError

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
    # Reads of 20k+ task rows (the overdue list) go faster from a mapped file and a warm cache.
    cur.execute("PRAGMA mmap_size=268435456")
    cur.execute("PRAGMA cache_size=-32000")
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


def head_revision() -> str:
    """The newest migration's id, from the file names (versions/NNNN_what.py, id NNNN)."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if "alembic_version" in str(exc):  # no such table: nothing migrated yet
            return None
        raise


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (Alembic); a no-op when it is there already.

    The up-to-date check avoids importing Alembic, which would cost every command ~60 ms.
    """
    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # Batch migrations rebuild tables (copy, drop, rename); with foreign keys on,
                # dropping a referenced table fails. Off for the upgrade, checked after.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()  # ends SQLAlchemy's autobegun transaction (no SQLite BEGIN yet)
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise ServiceError("migration left rows with broken foreign keys")
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
    except DBAPIError as exc:
        raise as_service_error(exc) from None


def as_service_error(exc: DBAPIError) -> ServiceError:
    """Turn a driver error into one line a person can act on."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if any(m in text for m in ("database is locked", "database is busy", "lock timeout")):
        return DatabaseBusy(
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
