"""Damaged plans: whatever happens to the text, the parser answers with a plan whose
spans hold and whose ids are unique, or with its one-line `ParseError` — nothing else.

The damage is pseudo-random but seeded, so every run checks the same documents.
"""

from __future__ import annotations

import random

import pytest
from plan_files import CORPUS, SEED

from parser.errors import ParseError
from parser.model import Plan
from parser.pipeline import parse_text

SOURCES = [SEED, *sorted(CORPUS.glob("*.txt"))]
JUNK = "（）〔〕()【】、，。；：\n\t |*#—-0123456789年月日前底市局委牵头配合负责以下均需"


def damaged(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 40)):
        if len(chars) < 10:
            break
        pos = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            chars.insert(pos, rng.choice(JUNK))
        elif op < 0.7:
            del chars[pos]
        else:  # a lost page
            del chars[pos : pos + rng.randint(1, 300)]
    return "".join(chars)


def _check(plan: Plan) -> None:
    text = plan.text
    for g in plan.goals:
        assert text[g.span[0] : g.span[1]] == g.text
    ids: list[str] = []
    for m in plan.measures:
        assert text[m.span[0] : m.span[1]] == m.text
        ids.append(m.id)
        for x in m.milestones:
            assert text[x.span[0] : x.span[1]] == x.text
            ids.append(x.id)
    assert len(ids) == len(set(ids)), ids


@pytest.mark.parametrize("seed", range(4))
def test_damaged_plans(seed: int) -> None:
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in SOURCES]
    for _ in range(30):
        text = damaged(rng.choice(texts), rng)
        try:
            plan = parse_text(text)
        except ParseError as exc:
            assert "\n" not in str(exc)
            continue
        _check(plan)
        assert parse_text(text) == plan  # the same ids on every parse


def test_repeated_chapter_numbers_keep_ids_unique() -> None:
    plan = parse_text(
        "某市方案\n三、重点任务\n（一）甲项。（市商务局负责）\n（二）乙项。（市财政局负责）\n"
        "三、保障措施\n（一）丙项。（市发改委负责）\n"
    )
    # The repeated （一） becomes the next number not printed under 三、, never "3.1-2"
    # (which nobody can type), and the admin is told.
    assert [m.id for m in plan.measures] == ["3.1", "3.2", "3.3"]
    (w,) = [w for w in plan.warnings if w.kind == "renumbered_id"]
    assert w.measure == "3.3" and "3.1" in w.message
    assert plan.text[w.span[0] : w.span[1]].startswith("（一）丙项") if w.span else False


def test_unclosed_brackets_cost_linear_time() -> None:
    """96 KB of "（" once took 50 s (issue 12, finding 2); one pass with a stack now."""
    import time

    from parser.clauses import bracket_groups

    text = "（" * 96_000 + "（市发改委负责）"
    t0 = time.perf_counter()
    groups = bracket_groups(text, 0, len(text))
    assert groups == [(96_000, len(text) - 1)]
    # Generous: the quadratic version needed minutes; a linear pass needs milliseconds.
    assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize("title", ["0000年工作方案", "9999年工作方案", "2024—0000年行动计划"])
def test_impossible_years_in_a_title_are_no_period(title: str) -> None:
    """Year 0 in a plan title raised ValueError (issue 12, finding 4)."""
    plan = parse_text(f"{title}\n一、任务\n（一）建设平台。6月底前完成。（市发改委负责）\n")
    assert plan.document.period_end is None
    assert [m.lead for m in plan.measures] == ["市发展改革委"]
