"""What every repo module shares: the time a row is stamped with, and INSERT … ON CONFLICT DO
NOTHING on either backend."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session


def utcnow(now: datetime | None = None) -> datetime:
    """`now` if given (tests and --as-of inject the clock), else the real UTC time."""
    return now if now is not None else datetime.now(UTC)


def insert_ignore(
    session: Session, table: Any, values: dict[str, Any], key: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either backend; True if a row was inserted."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # The engine has imported its own dialect already; naming the other one here would
        # cost every SQLite command PostgreSQL's (~60 ms of imports).
        mod = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
        stmt = (
            mod.insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=key)
            .returning(table.c[key[0]])
        )
        # RETURNING, not rowcount: drivers disagree on rowcount for a skipped insert.
        return session.exec(stmt).first() is not None
    try:  # other databases: a savepoint keeps the caller's transaction usable
        with session.begin_nested():
            session.exec(table.insert().values(**values))
        return True
    except IntegrityError:
        return False
