"""Find responsibility clauses in a stretch of text.

A clause is a bracketed group ("（…按职责分工负责）", tolerant of mismatched
brackets like 〔…）, which normalization already unified) or a labelled line
("牵头单位：…；配合单位：…"), or a trailing "各县（市、区）政府配合落实".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parser.units import looks_like_clause

_LABELLED = re.compile(
    r"(?:^|(?<=[。；\n]))\s*((?:牵头单位|牵头部门|主责单位|主办单位|责任单位|责任部门"
    r"|配合单位|配合部门|协办单位|参与单位|协同单位)[：:][^\n]*)"
)
# "各县（市、区）政府配合落实。" after a measure's text or its bracketed clause.
_TRAILING_COOP = re.compile(
    r"(?:^|(?<=[。；\n）]))((?:各|由)?(?:[^。；\n（）]|（[^（）\n]{1,8}）){2,40}"
    r"(?:配合落实|配合实施|抓好落实))。?(?=\n|$)"
)


@dataclass(frozen=True, slots=True)
class Clause:
    start: int
    end: int
    content: str


def bracket_groups(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Top-level （…） groups in text[start:end], as [open, close] index pairs (inclusive)."""
    groups: list[tuple[int, int]] = []
    depth = 0
    opened = -1
    for i in range(start, end):
        ch = text[i]
        if ch == "（":
            if depth == 0:
                opened = i
            depth += 1
        elif ch == "）" and depth:
            depth -= 1
            if depth == 0:
                groups.append((opened, i))
    return groups


def find_clauses(text: str, start: int, end: int) -> list[Clause]:
    """All responsibility clauses in text[start:end], in order."""
    found: list[Clause] = []
    for o, c in bracket_groups(text, start, end):
        content = text[o + 1 : c]
        if looks_like_clause(content):
            found.append(Clause(o, c + 1, content))
    for m in _LABELLED.finditer(text, start, end):
        if not any(cl.start <= m.start(1) < cl.end for cl in found):
            found.append(Clause(m.start(1), m.end(1), m.group(1).strip()))
    for m in _TRAILING_COOP.finditer(text, start, end):
        inside = any(cl.start <= m.start(1) < cl.end for cl in found)
        if not inside and looks_like_clause(m.group(1)):
            found.append(Clause(m.start(1), m.end(1), m.group(1)))
    found.sort(key=lambda c: c.start)
    return found
