"""Schema and connection behaviour, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect, text

from bot.store.db import head_revision, make_engine, migrate, session_scope
from bot.store.models import AuditLog

TABLES = {
    "department",
    "contact",
    "plan",
    "plan_version",
    "task",
    "assignment",
    "status_event",
    "reminder_sent",
    "outbox",
    "login_token",
    "audit_log",
}


def test_migrations_create_every_table_and_are_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # a second run is a no-op, not an error
        names = set(inspect(engine).get_table_names())
        assert names >= TABLES
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == head_revision()
        indexes = {i["name"] for i in inspect(engine).get_indexes("task")}
        assert "ix_task_status_due_id" in indexes
    finally:
        engine.dispose()


def test_timestamps_come_back_timezone_aware_utc(engine: Engine) -> None:
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2024, 1, 5, 9, 30, tzinfo=shanghai)
    with session_scope(engine) as s:
        s.add(AuditLog(at=at, actor="t", action="x", detail={"k": "值"}))
    with session_scope(engine) as s:
        row = s.get(AuditLog, 1)
        assert row is not None
        assert row.at.tzinfo is not None
        assert row.at == at
        assert row.at.astimezone(UTC).hour == 1
        assert row.detail == {"k": "值"}


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as s:
        s.add(AuditLog(at=datetime(2024, 1, 5), actor="t", action="x", detail={}))  # noqa: DTZ001
        s.flush()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_head_revision_from_file_names_matches_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == head_revision()


def test_0004_backfills_the_copied_department_columns(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0003")
        now = "2024-01-05 00:00:00"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO department (id, name, aliases) VALUES "
                    "(1, '市能源局', '[]'), (2, '市财政局', '[]'), (3, '市交通局', '[]')"
                )
            )
            conn.execute(
                text(f"INSERT INTO plan (id, title, created_at) VALUES (1, 'p', '{now}')")
            )
            conn.execute(
                text(
                    "INSERT INTO plan_version (id, plan_id, number, title, source, sha256, text, "
                    f"is_current, loaded_at) VALUES (1, 1, 1, 'p', 's', 'x', 't', true, '{now}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO task (id, plan_id, key, kind, chapter, title, text, status, "
                    "span_start, span_end, version_id, created_version_id, position, "
                    f"status_changed_at) VALUES (1, 1, '1.1', 'measure', '', '', '', 'pending', "
                    f"0, 1, 1, 1, 0, '{now}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO assignment (task_id, department_id, role, position) VALUES "
                    "(1, 3, 'cooperating', 2), (1, 1, 'lead', 0), (1, 2, 'cooperating', 1)"
                )
            )
        migrate(engine)
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT lead_department_id, cooperating_ids FROM task WHERE id = 1")
            ).one()
        assert tuple(row) == (1, "2,3")
    finally:
        engine.dispose()
