"""Hand-made task ids under concurrency, on both backends: adds running at the same moment
in separate sessions (threads, as separate `taskbot tasks add` or dashboard workers are)
never share a "0.N", and the register text of their shared plan keeps every line."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.render import Renderer
from bot.store import repo
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.manual import AddedTask, ManualTask, add_manual_task
from bot.store.manual_changes import ManualEdit, edit_manual_task
from parser.units import canonicalize, is_known

NOW = datetime(2024, 2, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SOURCE = "2024年第3次市长办公会纪要"


def _entry(n: int) -> ManualTask:
    return ManualTask(title=f"事项{n}", lead="市能源局", due=date(2024, 3, 1), source=SOURCE)


def _add(session: object, n: int) -> AddedTask:
    return add_manual_task(
        session,  # type: ignore[arg-type]
        _entry(n),
        match=match_department,
        canonicalize=canonicalize,
        is_known=is_known,
        actor=f"worker {n}",
        now=NOW,
    )


def _check(engine: Engine, added: list[AddedTask], n: int) -> None:
    keys = sorted(a.key for a in added)
    assert len(set(keys)) == n, f"duplicate ids: {keys}"
    assert keys == sorted(f"0.{i}" for i in range(1, n + 1))
    with session_scope(engine) as s:
        assert len({a.plan_id for a in added}) == 1, "one plan per source"
        for a in added:
            sentence = repo.source_sentence(s, a.pk)
            assert sentence.startswith(f"{a.key} 事项"), (a.key, sentence)
            assert repo.find_task(s, a.key).id == a.pk


def test_adds_at_the_same_moment_get_distinct_ids(engine: Engine) -> None:
    n = 6
    barrier = threading.Barrier(n)
    added: list[AddedTask] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            with session_scope(engine) as s:
                added.append(_add(s, i))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    _check(engine, added, n)


def test_second_add_waits_for_the_first_uncommitted_one(engine: Engine) -> None:
    """The worst interleaving, forced: A has claimed 0.1 and not committed when B starts."""
    claimed = threading.Event()
    added: list[AddedTask] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with session_scope(engine) as s:
                added.append(_add(s, 1))
                claimed.set()
                time.sleep(0.5)  # B runs now, against A's uncommitted claim
        except BaseException as exc:
            claimed.set()
            errors.append(exc)

    def second() -> None:
        try:
            claimed.wait(30)
            with session_scope(engine) as s:
                added.append(_add(s, 2))
        except BaseException as exc:
            errors.append(exc)

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    a.join(60)
    b.join(60)
    assert not errors, errors
    assert [x.key for x in added] == ["0.1", "0.2"]
    _check(engine, added, 2)


def test_an_edit_and_an_add_at_once_keep_both_register_lines(engine: Engine) -> None:
    """An edit appends its corrected line to the same register an add appends to: neither
    may overwrite the other's line (each task's span must still point at its own)."""
    with session_scope(engine) as s:
        first = _add(s, 1)
    editing = threading.Event()
    errors: list[BaseException] = []
    added: list[AddedTask] = []

    def edit() -> None:
        try:
            with session_scope(engine) as s:
                edit_manual_task(
                    s,
                    first.pk,
                    ManualEdit(due=date(2024, 4, 1)),
                    match=match_department,
                    canonicalize=canonicalize,
                    is_known=is_known,
                    render=Renderer().render,
                    actor="editor",
                    now=NOW,
                )
                editing.set()
                time.sleep(0.5)  # the add runs now, against the uncommitted edit
        except BaseException as exc:
            editing.set()
            errors.append(exc)

    def add() -> None:
        try:
            editing.wait(30)
            with session_scope(engine) as s:
                added.append(_add(s, 2))
        except BaseException as exc:
            errors.append(exc)

    a, b = threading.Thread(target=edit), threading.Thread(target=add)
    a.start()
    b.start()
    a.join(60)
    b.join(60)
    assert not errors, errors
    with session_scope(engine) as s:
        assert repo.source_sentence(s, first.pk).startswith("0.1 事项1")
        assert "2024-04-01" in repo.source_sentence(s, first.pk)
        assert repo.source_sentence(s, added[0].pk).startswith("0.2 事项2")
