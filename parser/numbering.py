"""The one numbering grammar of Chinese government documents.

Markers, from the outermost: 第一章 / 第一部分 / 第一节 (part), 一、 (chapter), （一） (item),
1. / 1、 / （1） (sub-item), ① (circled). Real files write them with every separator there is
(`.` `．` `﹒` `、` `·`), in full or half width, with or without spaces; a character-by-character
NFKC fold (`fold`) makes them one spelling before matching, while every offset still points
into the text as written.

Structure must not depend on line breaks: a plan exported as one 5,000-character line, or
with a break every few characters, has the same markers. `split_paragraph` finds the markers
inside a paragraph that start a new heading (after a sentence end, after a clause, or right
after a heading's short title) and whose numbers continue the document's sequence, so a
"三、" inside a sentence stays text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from enum import IntEnum

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMERAL = re.compile(
    r"^(?:([一二三四五六七八九])?百)?(?:([一二三四五六七八九])?(十))?([一二三四五六七八九])?$"
)
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
CN = "一二三四五六七八九十百零〇"


def cn_to_int(s: str) -> int | None:
    """一 -> 1, 十 -> 10, 二十三 -> 23, 一百零五 -> 105; None for "三四" (not a numeral)."""
    if s.isdigit():
        return int(s) if len(s) <= 4 else None
    m = _CN_NUMERAL.match(s.replace("零", "").replace("〇", ""))
    if not s or not m or not any(m.groups()):
        return None
    hundreds, tens, ten, units = m.groups()
    total = CN_DIGITS[hundreds] * 100 if hundreds else 100 if "百" in s else 0
    total += (CN_DIGITS[tens] if tens else 1) * 10 if ten else 0
    return total + (CN_DIGITS[units] if units else 0)


def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


# Separators NFKC leaves alone that real files use after a number.
_EXTRA = {"﹒": ".", "·": ".", "・": ".", "〔": "(", "〕": ")", "【": "(", "】": ")", "〇": "〇"}
# Only the blocks where numbering and its separators live: general punctuation, CJK
# symbols, small forms and full-width forms (building all of Unicode costs start-up time).
_BLOCKS = ((0x2000, 0x2070), (0x3000, 0x3040), (0xFE50, 0xFE70), (0xFF00, 0xFFF0))
_FOLD_TABLE = {i: _fold_char(chr(i)) for a, b in _BLOCKS for i in range(a, b)}
_FOLD_TABLE = {i: c for i, c in _FOLD_TABLE.items() if c != chr(i)}
_FOLD_TABLE.update({ord(k): v for k, v in _EXTRA.items()})
# Circled digits stay themselves: NFKC would turn ① into a plain "1".
_FOLD_TABLE.update({ord(c): c for c in _CIRCLED})
_FOLD = str.maketrans(_FOLD_TABLE)


def fold(text: str) -> str:
    """NFKC, one character at a time, so the folded text has the original's offsets."""
    return text.translate(_FOLD)


class Level(IntEnum):
    PART = 0  # 第一章 / 第一部分 / 第一节
    CHAPTER = 1  # 一、
    ITEM = 2  # （一）
    SUB = 3  # 1. / 1、 / （1）
    CIRCLED = 4  # ①


_PART = rf"第(?P<part>[{CN}]+|\d{{1,2}})\s*(?P<kind>章|部分|节|篇)"
_CHAPTER = rf"(?P<chapter>[{CN}]{{1,3}})\s*[、.](?![{CN}]{{0,2}}[、.])"
_ITEM = rf"\(\s*(?P<item>[{CN}]{{1,3}})\s*\)"
_SUB = r"(?:(?P<sub>\d{1,2})\s*(?:[.、](?![\d.])|\)(?!\d))|\(\s*(?P<psub>\d{1,2})\s*\))"
_CIRC = rf"(?P<circ>[{_CIRCLED}])"
MARKER = re.compile(rf"(?:{_PART}|{_CHAPTER}|{_ITEM}|{_SUB}|{_CIRC})\s*")


@dataclass(frozen=True, slots=True)
class Marker:
    """A numbering marker: its level, number, and where it and the text after it start."""

    level: Level
    number: int
    start: int
    body: int  # offset of the heading's text after the marker
    kind: str = ""  # 章/部分/节/篇 for a part; "paren" for a （1） sub-item


def match_marker(folded: str, pos: int = 0) -> Marker | None:
    """The marker at `pos` of a folded text, if one starts there."""
    m = MARKER.match(folded, pos)
    if not m:
        return None
    g = m.groupdict()
    if g["part"]:
        n = cn_to_int(g["part"])
        return Marker(Level.PART, n, m.start(), m.end(), g["kind"]) if n else None
    if g["chapter"]:
        n = cn_to_int(g["chapter"])
        return Marker(Level.CHAPTER, n, m.start(), m.end()) if n else None
    if g["item"]:
        n = cn_to_int(g["item"])
        return Marker(Level.ITEM, n, m.start(), m.end()) if n else None
    if g["sub"] or g["psub"]:
        n = int(g["sub"] or g["psub"])
        kind = "paren" if g["psub"] else ""
        return Marker(Level.SUB, n, m.start(), m.end(), kind) if n else None
    return Marker(Level.CIRCLED, _CIRCLED.index(g["circ"]) + 1, m.start(), m.end())


# "11.121人才梯队项目": a number right after the dot reads as a decimal ("1.5万吨") unless
# the numbering expects exactly this item next.
_SUB_BEFORE_DIGIT = re.compile(r"(\d{1,2})\s*\.(?=\d)")


def heading_marker(line: str, expected_sub: int | None = None) -> Marker | None:
    """The marker that opens a line ("（三）…", "３．…", "第二章 …"), if any."""
    folded = fold(line)
    stripped = len(folded) - len(folded.lstrip())
    mk = match_marker(folded, stripped)
    if mk is None and expected_sub is not None:
        m = _SUB_BEFORE_DIGIT.match(folded, stripped)
        if m and int(m.group(1)) == expected_sub:
            return Marker(Level.SUB, expected_sub, m.start(), m.end())
    return mk


def marker_length(text: str) -> int:
    """Length of the numbering marker (and spaces) opening `text`; 0 if there is none."""
    mk = heading_marker(text)
    return mk.body if mk is not None else 0


def is_heading(line: str, *, levels: Level = Level.SUB) -> bool:
    """Whether a line opens with a marker at `levels` or outer (第X条 and 附件 count too)."""
    mk = heading_marker(line)
    if mk is not None:
        return mk.level <= levels
    return bool(_OTHER_HEADING.match(line))


_OTHER_HEADING = re.compile(rf"^(?:第[{CN}]+条|附件|附表)")


# What may stand right before a marker that starts a heading inside a paragraph.
_SENTENCE_END = set("。;!?:；！？：")
_CLAUSE_CLOSE = ")"
# A heading's own title is short: a marker this close after another, with no sentence end
# between, is the first child written on the same line ("一、总体要求（一）指导思想").
_SHORT_TITLE = 40


@dataclass
class Counter:
    """The last number seen at each level, to tell a heading from a number in a sentence."""

    last: dict[Level, int] = field(default_factory=dict)
    # Levels that an outer heading has interrupted since their last number: they may
    # start again at 1, or run on (（三） under 二、 after （一）（二） under 一、).
    restartable: set[Level] = field(default_factory=set)

    def next_numbers(self, level: Level) -> tuple[int, ...]:
        prev = self.last.get(level)
        if prev is None:
            return (1, 2)
        ahead = (prev + 1, prev + 2)
        return (1, *ahead) if level in self.restartable else ahead

    def expects(self, mk: Marker) -> bool:
        return mk.number in self.next_numbers(mk.level)

    def see(self, mk: Marker) -> None:
        self.last[mk.level] = mk.number
        self.restartable.discard(mk.level)
        self.restartable.update(lv for lv in Level if lv > mk.level)


def split_paragraph(text: str, seq: Counter) -> list[str]:
    """Split one paragraph before the markers inside it that start headings.

    `seq` carries the numbering across paragraphs; the paragraph's own opening marker, if
    any, is recorded too.
    """
    folded = fold(text)
    cuts: list[int] = []
    opening = match_marker(folded, 0)
    last_heading: tuple[int, Level] | None = None
    if opening is not None and opening.level <= Level.SUB:
        seq.see(opening)
        last_heading = (opening.body, opening.level)
    inline: int | None = None  # the last number of a list run into a sentence
    for m in MARKER.finditer(folded, 1):
        mk = match_marker(folded, m.start())
        if mk is None or mk.level == Level.CIRCLED:
            continue
        before = folded[: mk.start].rstrip()
        if not before:
            continue
        prev = before[-1]
        strong = prev in _SENTENCE_END or (
            prev == _CLAUSE_CLOSE
            and (_closes_clause(before) or (_exactly_next(seq, mk) and mk.level <= Level.ITEM))
        )
        right_after_heading = (
            last_heading is not None
            and mk.level > last_heading[1]
            and seq.expects(mk)
            and _title_only(folded, last_heading[0], mk.start)
        )
        # After a colon a list starts at 1 ("包括：1.…；2.…"); "实施如下重点项目：16.…" is
        # the document's own numbering running on, not a list inside the sentence.
        runs_on = _exactly_next(seq, mk) and mk.number > 1
        in_list = (prev == ":" and not runs_on) or (inline is not None and mk.number == inline + 1)
        if mk.level == Level.SUB and not right_after_heading and in_list:
            # "包括：1.…；2.…" is a list inside the sentence, not headings.
            inline = mk.number
            continue
        fits = seq.expects(mk)
        if not fits and not (mk.number == 1 and mk.level <= Level.ITEM):
            continue
        # A heading directly followed by its first child confirms itself, even with
        # no sentence end before it ("…个300二、高质量发展…（一）高标准…").
        confirmed = right_after_heading or _has_first_child(folded, mk, seq)
        if not (confirmed or (strong and fits)):
            continue
        cuts.append(mk.start)
        seq.see(mk)
        last_heading = (mk.body, mk.level)
    if not cuts:
        return [text]
    bounds = [0, *cuts, len(text)]
    return [text[a:b].strip() for a, b in itertools.pairwise(bounds) if text[a:b].strip()]


def _exactly_next(seq: Counter, mk: Marker) -> bool:
    prev = seq.last.get(mk.level)
    return prev is not None and mk.number == prev + 1


def _title_only(folded: str, start: int, end: int) -> bool:
    """Whether folded[start:end] is short and holds no sentence end: a heading's title."""
    return end - start <= _SHORT_TITLE and not any(c in _SENTENCE_END for c in folded[start:end])


def _has_first_child(folded: str, mk: Marker, seq: Counter) -> bool:
    """Whether a heading's short title is followed at once by its first sub-heading."""
    for m in MARKER.finditer(folded, mk.body, min(len(folded), mk.body + _SHORT_TITLE + 8)):
        child = match_marker(folded, m.start())
        if child is None or child.level <= mk.level:
            continue
        prev = seq.last.get(child.level)
        if child.number == 1 or (prev is not None and child.number in (prev + 1, prev + 2)):
            return _title_only(folded, mk.body, child.start) and child.start > mk.body
    return False


_CLAUSE_WORDS = re.compile(r"负责|牵头|配合|责任|完成|单位|部门|政府|[厅局委办]\)$")


def _closes_clause(before: str) -> bool:
    """Whether the ")" ending `before` closes a responsibility or deadline bracket."""
    depth = 0
    for i in range(len(before) - 1, max(-1, len(before) - 200), -1):
        ch = before[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return bool(_CLAUSE_WORDS.search(before[i:]))
    return False
