"""Outline of a plan: chapters 一、, items （一）, sub-items 1./（1）, with spans.

Works on the normalized text line by line. Every node knows its character
range in that text, so measures and milestones can point back to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from parser.normalize import TableAt
from parser.numbering import Level, heading_marker, is_heading

# "（2023—2025年）", "（试行）", "（征求意见稿）" after a title.
_TITLE_TAIL = re.compile(r"(?:（[^（）]{1,16}）)+$")
_COVER_NOTE = re.compile(r"印发《.+?》|关于印发.+的通知|的通知$")
# Chapter and item headings are never the title, even when one ends in "…方案".
_TITLE_WORDS = re.compile(r"(方案|计划|意见|要点|规划|办法|清单|通知|纲要|措施|细则)$")


@dataclass
class Node:
    """A chapter, item or sub-item: its number, heading title and text range."""

    level: int  # 1 chapter, 2 item, 3 sub-item, 4 a （1） under a 1.
    number: int
    title: str
    start: int
    end: int = 0
    children: list[Node] = field(default_factory=list)
    # How ids name this node: its number, or "2.1" for chapter 一、 of 第二章 when the
    # plan restarts 一、二、 in every 第X章.
    label: str = ""
    part: bool = False  # a 第X章/部分/节 heading rather than 一、
    paren: bool = False  # a （1） sub-item rather than 1.

    def __post_init__(self) -> None:
        if not self.label:
            self.label = str(self.number)


@dataclass
class Outline:
    title: str
    title_span: tuple[int, int]
    chapters: list[Node]
    preamble_end: int


def heading_title(rest: str) -> str:
    """The title part of a heading line: up to the first 。/；, without trailing punctuation."""
    head = re.split(r"[。；;！!]", rest, maxsplit=1)[0]
    if len(head) > 60:
        head = re.split(r"[，,：:]", head, maxsplit=1)[0][:60]
    return head.strip(" ：:，,")


def find_title(lines: list[tuple[int, str]]) -> tuple[str, tuple[int, int]]:
    """The plan's title: a short early line ending like a document name."""
    candidates = [
        (start, line) for start, line in lines[:30] if not is_heading(line, levels=Level.ITEM)
    ]
    for start, line in candidates:
        if _COVER_NOTE.search(line):
            continue  # a cover note ("关于印发…的通知"); the plan's own title line follows
        bare = _TITLE_TAIL.sub("", line.strip("《》"))
        if len(line) <= 60 and _TITLE_WORDS.search(bare) and "。" not in line:
            t = line.strip("《》")
            return t, (start + line.find(t), start + line.find(t) + len(t))
    for start, line in candidates:
        m = re.search(r"印发《(.+?)》", line) or re.search(r"关于印发(.+?)的通知", line)
        if m:
            return m.group(1), (start + m.start(1), start + m.end(1))
    start, line = candidates[0] if candidates else (0, "")
    return line[:60], (start, start + min(len(line), 60))


def build_outline(text: str, tables: tuple[TableAt, ...]) -> Outline:
    """Parse headings into a tree; lines inside tables are left to the table reader."""
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        if not any(t.start <= pos < t.end for t in tables):
            lines.append((pos, line))
        pos += len(line) + 1
    title, title_span = find_title(lines)
    chapters: list[Node] = []
    stack: list[Node] = []
    preamble_end = len(text)
    # A plan without 一、/（一） headings may be one flat "1. 2. 3." list of tasks.
    flat = not any(_heading(line, start, False) for start, line in lines)
    last_sub: int | None = None  # the last "N." seen, so "11.121人才…" reads as item 11
    for start, line in lines:
        expected = last_sub + 1 if last_sub is not None else None
        node = _heading(line, start, bool(chapters) or flat, expected)
        if node is None:
            continue
        if node.paren and any(n.level == 3 and not n.paren for n in stack):
            node.level = 4  # "2.推进…" then "（1）（2）…": one level deeper
        last_sub = node.number if node.level == 3 else last_sub
        if node.level == 1:
            if not chapters:
                preamble_end = start
            chapters.append(node)
            stack = [node]
            continue
        while stack and stack[-1].level >= node.level:
            stack.pop()
        if not stack:
            # An item before any chapter: give it an implicit chapter 0.
            implicit = Node(1, 0, "", start)
            chapters.append(implicit)
            stack = [implicit]
            preamble_end = min(preamble_end, start)
        stack[-1].children.append(node)
        stack.append(node)
    _label_restarted_chapters(chapters)
    _close(chapters, len(text))
    return Outline(title, title_span, chapters, preamble_end)


def _label_restarted_chapters(chapters: list[Node]) -> None:
    """一、 chapters that restart under each 第X章 are named by both numbers ("2.1")."""
    plain = [c for c in chapters if not c.part and c.number]
    restarts = any(b.number <= a.number for a, b in pairwise(plain))
    if not restarts:
        return
    part: Node | None = None
    for c in chapters:
        if c.part:
            part = c
        elif part is not None and c.number:
            c.label = f"{part.number}.{c.number}"


def _heading(
    line: str, start: int, in_chapters: bool, expected_sub: int | None = None
) -> Node | None:
    mk = heading_marker(line, expected_sub)
    if mk is None or mk.level == Level.CIRCLED:
        return None
    title = heading_title(line[mk.body :])
    if mk.level <= Level.CHAPTER:
        return Node(1, mk.number, title, start, part=mk.level == Level.PART)
    if mk.level == Level.ITEM:
        return Node(2, mk.number, title, start)
    return Node(3, mk.number, title, start, paren=mk.kind == "paren") if in_chapters else None


def _close(nodes: list[Node], end: int) -> None:
    """Set each node's end to the next sibling's start (or the parent's end)."""
    for i, node in enumerate(nodes):
        node.end = nodes[i + 1].start - 1 if i + 1 < len(nodes) else end
        _close(node.children, node.end)
