"""Every id the parser makes from a real plan is found by the store and read by the chat.

Ids are what people type ("完成 3.4.2"); one grammar (parser/ids.py) makes them and reads
them back. Run over the whole corpus of real published plans (tests/data/corpus/).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.conversation.intents import parse_intent
from bot.store import repo
from bot.store.db import session_scope
from bot.store.loading import load_plan
from parser import parse_document
from parser.ids import find_task_ids, read_task_id

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
DOCS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".docx"))


def _typed_forms(task_id: str) -> list[str]:
    full_width = task_id.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)} | {0x2E: 0xFF0E})
    head, _, last = task_id.rpartition(".")
    dashed = f"{head}-{last}" if head else task_id
    return [task_id, f"T{task_id}", full_width, dashed, task_id.replace(".", "。")]


@pytest.mark.parametrize("doc", DOCS, ids=[p.stem for p in DOCS])
def test_every_parsed_id_is_found_and_understood(doc: Path, engine: Engine) -> None:
    plan = parse_document(doc)
    ids = [m.id for m in plan.measures] + [x.id for m in plan.measures for x in m.milestones]
    assert len(ids) == len(set(ids)), "ids must be unique within a plan"
    with session_scope(engine) as s:
        load_plan(s, plan, actor="test")
    with session_scope(engine) as s:
        for task_id in ids:
            for typed in _typed_forms(task_id):
                assert read_task_id(typed) == task_id, typed
                assert repo.find_task(s, typed).key == task_id, typed
            if "." in task_id:  # a bare row number in prose is just a number
                said = f"关于{task_id}，已完成"
                assert find_task_ids(said) == [task_id]
            intent = parse_intent(f"完成 {task_id}")
            assert getattr(intent, "task_id", None) == task_id, (task_id, intent)
