"""Faults: a locked database, kill -9 mid-apply, a corrupt workbook, a revision that is no plan.
Each gives one clear error and leaves the database exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_helpers import ROOT, SEED, invoke, taskbot
from seed_revision import revised_seed_text
from sqlalchemy import Engine
from sqlmodel import SQLModel, select
from store_factory import BASE, make_plan

from bot.errors import ServiceError
from bot.store.db import make_engine, session_scope
from bot.store.loading import load_plan


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: 'exactly as before' made checkable."""
    engine = make_engine(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                rows = conn.execute(select(table).order_by(*table.primary_key.columns))
                out[table.name] = [tuple(r) for r in rows]
    finally:
        engine.dispose()
    return out


def test_locked_sqlite_database_is_one_clear_error(tmp_path: Path) -> None:
    import sqlite3

    from bot.store.db import open_store

    url = f"sqlite:///{tmp_path / 'busy.db'}?timeout=0.2"
    open_store(url).dispose()
    holder = sqlite3.connect(tmp_path / "busy.db")
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        engine = make_engine(url)
        with (
            pytest.raises(ServiceError, match="locked by another process"),
            session_scope(engine) as s,
        ):
            load_plan(s, make_plan(BASE))
        engine.dispose()
        proc = taskbot(url, "load", str(SEED))
        assert proc.returncode == 1
        assert proc.stderr.startswith("taskbot: error: the database is locked")
        assert proc.stderr.count("\n") == 1
    finally:
        holder.rollback()
        holder.close()
    assert snapshot(url)["task"] == []


# PostgreSQL only: SQLite's lock case is the test above.
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_locked_postgresql_table_is_one_clear_error(engine: Engine, store_url: str) -> None:
    plain = store_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as holder:
        holder.execute("LOCK TABLE plan IN ACCESS EXCLUSIVE MODE")
        impatient = make_engine(store_url, connect_args={"options": "-c lock_timeout=200"})
        with (
            pytest.raises(ServiceError, match="locked by another process"),
            session_scope(impatient) as s,
        ):
            load_plan(s, make_plan(BASE))
        impatient.dispose()
        holder.rollback()
    assert snapshot(store_url)["task"] == []


KILLER = """
import pathlib, sys, time
from bot.store import repo
marker = pathlib.Path(sys.argv[1])
real = repo.withdraw_task
def withdraw_then_hang(session, *args, **kwargs):
    real(session, *args, **kwargs)
    session.flush()  # the half-applied revision is in the database's open transaction
    marker.write_text("inside the transaction")
    time.sleep(120)
repo.withdraw_task = withdraw_then_hang
sys.argv = ["taskbot", "--db", sys.argv[2], "regenerate", sys.argv[3], "--apply"]
from bot.cli import main
main()
"""


def test_kill_9_during_regenerate_apply_leaves_the_database_as_before(
    store_url: str, tmp_path: Path
) -> None:
    assert invoke(store_url, "load", str(SEED), "--publish").returncode == 0
    assert invoke(store_url, "update", "3.4.2", "进度", "--note", "半数完成").returncode == 0
    v2 = tmp_path / "v2.txt"
    v2.write_text(revised_seed_text(), encoding="utf-8")
    before = snapshot(store_url)
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKBOT_")}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(marker), store_url, str(v2)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child never reached the transaction"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    # PostgreSQL notices the dead client and rolls back; give it a moment to do so.
    for _ in range(50):
        after = snapshot(store_url)
        if after == before:
            break
        time.sleep(0.1)
    assert after == before
    # And the same revision still applies cleanly afterwards.
    applied = invoke(store_url, "regenerate", str(v2), "--apply")
    assert applied.returncode == 0 and "applied" in applied.stdout


def test_corrupt_xlsx_refused_and_nothing_stored(store_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "contacts.xlsx"
    bad.write_bytes(os.urandom(2048))
    before = snapshot(store_url)
    proc = invoke(store_url, "contacts", "import", str(bad))
    assert proc.returncode == 2 and "not a readable .xlsx" in proc.stderr
    assert snapshot(store_url) == before


@pytest.mark.parametrize(
    "content",
    [
        "会议纪要\n\n今天天气很好，大家讨论了午饭吃什么，没有形成任何决定。\n",
        "",
    ],
    ids=["prose", "empty"],
)
def test_a_revision_that_is_not_a_plan(store_url: str, tmp_path: Path, content: str) -> None:
    assert invoke(store_url, "load", str(SEED), "--publish").returncode == 0
    before = snapshot(store_url)
    notes = tmp_path / "notes.txt"
    notes.write_text(content, encoding="utf-8")
    for args in (("regenerate", str(notes)), ("regenerate", str(notes), "--apply")):
        proc = invoke(store_url, *args)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("taskbot: error:") and proc.stderr.count("\n") == 1
    assert snapshot(store_url) == before
