"""Migration 0011 on both backends: the ids of hand-made tasks stored before it are claimed
in manual_task_key, so the next add continues after them (and a document's task ids do
not count)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bot.store.db import make_engine, migrate, session_scope
from bot.store.departments import match_department
from bot.store.manual import ManualTask, add_manual_task
from parser.units import canonicalize, is_known

NOW = "2024-01-05 00:00:00"


def _rows(plan_id: int, kind: str, keys: list[str], first_id: int) -> list[str]:
    out = [
        f"INSERT INTO plan (id, title, kind, created_at) VALUES ({plan_id}, 'p{plan_id}', "
        f"'{kind}', '{NOW}')",
        "INSERT INTO plan_version (id, plan_id, number, title, source, sha256, text, "
        f"is_current, loaded_at) VALUES ({plan_id}, {plan_id}, 1, 'p', 's', 'x', 't', true, "
        f"'{NOW}')",
    ]
    for n, key in enumerate(keys):
        out.append(
            "INSERT INTO task (id, plan_id, key, kind, chapter, title, text, status, "
            "span_start, span_end, version_id, created_version_id, position, "
            f"status_changed_at) VALUES ({first_id + n}, {plan_id}, '{key}', 'measure', '', "
            f"'', '', 'pending', 0, 1, {plan_id}, {plan_id}, {n}, '{NOW}')"
        )
    return out


def test_0011_claims_the_stored_hand_made_ids(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0009")
        with engine.begin() as conn:
            for sql in [
                *_rows(1, "manual", ["0.1", "0.3"], 1),
                *_rows(2, "manual", ["0.2"], 10),
                *_rows(3, "document", ["0.7", "1.1"], 20),
            ]:
                conn.execute(text(sql))
            if conn.dialect.name == "postgresql":  # explicit ids leave the sequences behind
                for table in ("plan", "plan_version", "task"):
                    conn.execute(text(f"SELECT setval('{table}_id_seq', 100)"))
        migrate(engine)
        with engine.connect() as conn:
            keys = sorted(conn.execute(text("SELECT key FROM manual_task_key")).scalars())
        assert keys == ["0.1", "0.2", "0.3"]
        with session_scope(engine) as s:
            added = add_manual_task(
                s,
                ManualTask("新任务", "市能源局", date(2024, 3, 1)),
                match=match_department,
                canonicalize=canonicalize,
                is_known=is_known,
                actor="test",
                now=datetime(2024, 2, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
            )
        assert added.key == "0.4"
    finally:
        engine.dispose()
