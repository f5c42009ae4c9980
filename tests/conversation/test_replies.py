"""The reply corpus (tests/data/replies/replies.txt) scored against the intent reader.

Each line is a message written the way officials write, with the intent, task ids, status,
percent and date it should be read as. The test holds a floor on the whole corpus and
checks every line on its own, so a regression names the reply it broke.

`python tests/bot/test_replies.py` prints the score (it also runs against an older checkout
of `bot/` put first on PYTHONPATH, which is how the before/after figures were measured).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

# REPLIES=path scores another file of the same format (a held-out set, say).
CORPUS = Path(
    os.environ.get("REPLIES", Path(__file__).resolve().parents[1] / "data/replies/replies.txt")
)
TODAY = date(2024, 1, 5)
FLOOR = 0.95

_NAMES = {
    "Done": "done",
    "Progress": "progress",
    "Extend": "extend",
    "ProgressQuery": "query",
    "Withdraw": "withdraw",
    "Ack": "ack",
    "Choice": "choice",
    "Help": "help",
    "MyTasks": "mytasks",
    "Overdue": "overdue",
    "Stats": "stats",
    "Close": "close",
    "Return": "return",
    "ApproveExtension": "approve",
    "RejectExtension": "reject",
    "Urge": "urge",
    "FreeText": "free",
    "Malformed": "malformed",
}


@dataclass(frozen=True)
class Row:
    line: int
    text: str
    expected: tuple[str, str, str, str, str]


def load_rows() -> list[Row]:
    rows = []
    for n, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        text, *fields = (f.strip() for f in raw.split("|"))
        assert len(fields) == 5, f"line {n}: {raw!r}"
        rows.append(Row(n, text, tuple(fields)))  # type: ignore[arg-type]
    return rows


def reading(intent: Any, guess_status: Any) -> tuple[str, str, str, str, str]:
    """(intent, ids, status, percent, date) as the corpus writes them."""
    kind = type(intent).__name__
    items = list(getattr(intent, "items", ())) or [intent]
    if kind == "Batch":
        kind = type(items[0]).__name__
    name = ("yes" if intent.yes else "no") if kind == "Confirm" else _NAMES.get(kind, kind)
    ids: list[str] = []
    for i in items:
        ids += list(getattr(i, "task_ids", ()))
        if getattr(i, "task_id", None):
            ids.append(i.task_id)
    status = percent = when = "-"
    first = items[0]
    if name == "done":
        status = "reported"
    elif name == "progress":
        status = "in_progress"
        percent = "-" if first.percent is None else str(first.percent)
    elif name == "extend":
        when = first.new_due.isoformat()
    elif name == "free":
        st, pct = guess_status(intent.text)
        status = st or "-"
        percent = "-" if pct is None else str(pct)
    if name == "done" and "%" in "".join(getattr(i, "note", "") for i in items):
        percent = "100" if "100" in first.note else percent
    return name, ",".join(ids) or "-", status, percent, when


def score() -> tuple[int, list[tuple[Row, tuple[str, ...]]]]:
    from bot.conversation.intents import parse_intent
    from bot.conversation.matching import guess_status

    rows = load_rows()
    wrong = []
    for r in rows:
        try:
            got = reading(parse_intent(r.text, TODAY), guess_status)
        except Exception as e:  # an old reader may crash: a miss
            got = ("error", type(e).__name__, "-", "-", "-")
        if got != r.expected:
            wrong.append((r, got))
    return len(rows), wrong


def test_corpus_is_big_enough() -> None:
    assert len(load_rows()) >= 280


def test_corpus_score_holds_its_floor() -> None:
    total, wrong = score()
    rate = 1 - len(wrong) / total
    report = "\n".join(
        f"  line {r.line}: {r.text!r} -> {got}, want {r.expected}" for r, got in wrong
    )
    assert rate >= FLOOR, f"{rate:.1%} of {total} replies read right:\n{report}"


@pytest.mark.parametrize("row", load_rows(), ids=lambda r: f"L{r.line}")
def test_each_reply(row: Row) -> None:
    from bot.conversation.intents import parse_intent
    from bot.conversation.matching import guess_status

    assert reading(parse_intent(row.text, TODAY), guess_status) == row.expected, row.text


HOSTILE = [
    "嗯" * 30 + "x",
    "收到" * 500 + "x",
    "1.1、" * 400,
    "3.8.3" + "已" * 2000,
    "百分之" + "十" * 2000,
    "明年" * 1000 + "3月底",
    "延期 3.8.3 " + "明年" * 900,
    "3.8.3 " + "未" * 2000 + "完成",
    "3.8.3已完成，" * 200,
    "三" * 2000 + "个月内",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:8])
def test_hostile_text_is_read_quickly(text: str) -> None:
    """No regex backtracks its way into minutes on a 2,000-character message."""
    import time

    from bot.conversation.intents import parse_intent
    from bot.conversation.matching import guess_status

    start = time.perf_counter()
    parse_intent(text, TODAY)
    guess_status(text)
    assert time.perf_counter() - start < 0.5


def test_too_many_ids_is_one_answer() -> None:
    from bot.conversation.intents import Malformed, parse_intent

    many = "、".join(f"3.{i}" for i in range(1, 40)) + "均已完成"
    assert parse_intent(many, TODAY) == Malformed("报送", "too_many_ids", "20")


if __name__ == "__main__":
    total, wrong = score()
    for r, got in wrong:
        print(f"line {r.line}: {r.text!r}\n    got  {got}\n    want {r.expected}")
    print(f"{total - len(wrong)}/{total} = {(total - len(wrong)) / total:.1%}")
