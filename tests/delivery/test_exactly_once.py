"""Exactly-once delivery with real processes: two workers on PostgreSQL, and kill -9.

Workers are separate OS processes (tests/outbox_worker.py) sharing one database;
each logs every send attempt, and delivery lands in the web chat log, whose
rows are unique by message key — what the person sees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from bot.store import repo
from bot.store.db import open_store, session_scope
from bot.store.models import ChatMessage, Outbox

WORKER = Path(__file__).resolve().parent.parent / "outbox_worker.py"


def _enqueue(url: str, n: int) -> list[str]:
    engine = open_store(url)
    keys = [f"reminder|2024-01-05|c{i}" for i in range(n)]
    with session_scope(engine) as s:
        for i, key in enumerate(keys):
            repo.enqueue_outbox(
                s, key=key, platform="webchat", user_id=f"user{i % 37}", text=f"第{i}条提醒"
            )
    engine.dispose()
    return keys


def _start(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, str(log), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _attempts(*logs: Path) -> Counter[str]:
    c: Counter[str] = Counter()
    for log in logs:
        if log.exists():
            c.update(line for line in log.read_text().splitlines() if line)
    return c


def _delivered(url: str) -> Counter[str]:
    engine = open_store(url)
    with session_scope(engine) as s:
        keys = Counter(m.key for m in s.exec(select(ChatMessage)))
        states = Counter(o.state for o in s.exec(select(Outbox)))
    engine.dispose()
    assert set(states) == {"sent"}, f"outbox not fully sent: {states}"
    return keys


@pytest.mark.postgres
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_two_workers_on_postgres_send_each_message_once(db_url: str, tmp_path: Path) -> None:
    url = db_url
    keys = _enqueue(url, 400)
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs = [_start(url, log, "--pause", "2", "--batch", "10") for log in logs]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    attempts = _attempts(*logs)
    assert sorted(attempts) == sorted(keys)
    assert max(attempts.values()) == 1, "a row was claimed by both workers"
    per_worker = [len(_attempts(log)) for log in logs]
    assert all(n > 0 for n in per_worker), f"both workers should share the load: {per_worker}"
    delivered = _delivered(url)
    assert sorted(delivered) == sorted(keys) and max(delivered.values()) == 1


def test_kill_9_mid_send_loses_nothing_and_shows_nothing_twice(
    db_url: str, tmp_path: Path
) -> None:
    url = db_url
    keys = _enqueue(url, 300)
    log1, log2 = tmp_path / "first.log", tmp_path / "second.log"
    first = _start(url, log1, "--pause", "5", "--batch", "10")
    deadline = time.monotonic() + 60
    while len(_attempts(log1)) < 80:
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        assert time.monotonic() < deadline, "worker made no progress"
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    sent_before = len(_attempts(log1))
    assert sent_before < len(keys), "killed too late to test anything"

    # The restarted worker treats the dead worker's claims as stale at once.
    second = _start(url, log2, "--stale-after", "0", "--batch", "10")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    attempts = _attempts(log1, log2)
    assert set(attempts) == set(keys), "every message was attempted"
    delivered = _delivered(url)
    assert sorted(delivered) == sorted(keys), "nothing lost"
    assert max(delivered.values()) == 1, "nothing shown twice"
