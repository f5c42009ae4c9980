"""Find responsibility clauses in a stretch of text.

A clause is a bracketed group ("（…按职责分工负责）", tolerant of mismatched
brackets like 〔…）, which normalization already unified) or a labelled line
("牵头单位：…；配合单位：…"), or a trailing "各县（市、区）政府配合落实", or a
sentence that is nothing but units and their roles ("市卫健委牵头，市医保局配合。").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from parser.units import LABEL, is_clause_sentence, is_unit_list, looks_like_clause

_LABELLED = re.compile(rf"(?:^|(?<=[。；\n]))\s*({LABEL}[^\n]*)")
# "各县（市、区）政府配合落实。" after a measure's text or its bracketed clause.
_TRAILING_COOP = re.compile(
    r"(?:^|(?<=[。；\n）]))((?:各|由)?(?:[^。；\n（）]|（[^（）\n]{1,8}）){2,40}"
    r"(?:配合落实|配合实施|抓好落实))。?(?=\n|$)"
)

# A sentence of its own, outside brackets: "市卫健委牵头，市医保局、市市场监管局配合。"
_SENTENCE = re.compile(
    r"(?:^|(?<=[。；\n）]))((?:[^。；\n（）]|（[^（）\n]{1,12}）){4,200}?)(?=[。；]|\n|$)"
)


_BRACKET_OR_BREAK = re.compile(r"[（）\n]")


@dataclass(frozen=True, slots=True)
class Clause:
    start: int
    end: int
    content: str


def bracket_groups(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Top-level （…） groups in text[start:end], as [open, close] index pairs (inclusive).

    A bracket still open at the end of its line is a typo: it is dropped and the pairs
    inside it still count, so "（含试点。…（市商务局负责）" yields the clause. One pass
    with a stack, so a text full of "（（（" costs no more than any other.
    """
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in _BRACKET_OR_BREAK.finditer(text, start, end):
        i, ch = m.start(), m.group()
        if ch == "（":
            stack.append(i)
        elif ch == "）" and stack:
            pairs.append((stack.pop(), i))
        elif ch == "\n":
            stack.clear()
    pairs.sort()
    groups: list[tuple[int, int]] = []
    reach = -1
    for o, c in pairs:
        if o > reach:  # not inside an outer matched pair
            groups.append((o, c))
            reach = c
    return groups


def find_clauses(text: str, start: int, end: int) -> list[Clause]:
    """All responsibility clauses in text[start:end], in order."""
    found: list[Clause] = []
    covered = bytearray(end - start + 1)  # 1 where a clause already lies

    def add(a: int, b: int, content: str) -> None:
        found.append(Clause(a, b, content))
        covered[a - start : b - start] = b"\x01" * (b - a)

    for o, c in bracket_groups(text, start, end):
        content = text[o + 1 : c]
        after_sentence = o > start and text[o - 1] in "。；;！!\n"
        if looks_like_clause(content) or (after_sentence and is_unit_list(content)):
            # "…新型经营主体。（省农业农村厅）": a bracket of units alone after a sentence
            # names who is responsible; after a name it is another name ("组织部（公务员局）").
            add(o, c + 1, content)
    for m in _LABELLED.finditer(text, start, end):
        if not covered[m.start(1) - start]:
            add(m.start(1), m.end(1), m.group(1).strip())
    for m in _TRAILING_COOP.finditer(text, start, end):
        if not covered[m.start(1) - start] and looks_like_clause(m.group(1)):
            add(m.start(1), m.end(1), m.group(1))
    for m in _SENTENCE.finditer(text, start, end):
        if not covered[m.start(1) - start] and is_clause_sentence(m.group(1)):
            add(m.start(1), m.end(1), m.group(1))
    found.sort(key=lambda c: c.start)
    return found


class ClauseIndex:
    """Every clause of one text, found once; `within(start, end)` selects a range.

    Clauses never cross a line break (brackets reset there), so the clauses of a
    range are those of the whole text that lie inside it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.clauses = find_clauses(text, 0, len(text))
        self._starts = [c.start for c in self.clauses]

    def within(self, start: int, end: int) -> list[Clause]:
        i = bisect_left(self._starts, start)
        out: list[Clause] = []
        while i < len(self.clauses) and self.clauses[i].start < end:
            if self.clauses[i].end <= end:
                out.append(self.clauses[i])
            i += 1
        return out
