"""Word's automatic numbering: the "一、" / "（一）" / "1." that Word draws but never stores.

A paragraph in a numbered list carries only `w:numPr` (list id and level); the
label itself comes from `numbering.xml` (number format, label text like
"（%2）", start value) and a running counter. Without it a plan whose headings
are auto-numbered would have no chapters or items at all. The labels are
rebuilt here so the text reads as printed.
"""

from __future__ import annotations

from typing import Any

from parser.limits import MAX_LIST_LEVEL, MAX_NUMBER_START, check, parse_int

_MAX_LABEL = 200  # w:lvlText is prepended to every paragraph of its list

_CN = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ROMAN = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]  # fmt: skip
_CHINESE_FORMATS = {
    "chineseCounting",
    "chineseCountingThousand",
    "chineseLegalSimplified",
    "ideographDigital",
    "japaneseCounting",
    "taiwaneseCounting",
    "taiwaneseCountingThousand",
}


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 35 -> 三十五 (as plan headings write them)."""
    if n < 10:
        return _CN[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[units] if units else "")
    return str(n)


def format_number(n: int, fmt: str) -> str:
    """One counter in Word's number format `fmt` (w:numFmt)."""
    if fmt in _CHINESE_FORMATS:
        return chinese_number(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return _CIRCLED[n - 1] if 1 <= n <= len(_CIRCLED) else str(n)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman") and 1 <= n <= 3999:
        # One divmod per numeral: linear in the numeral's length, never in n.
        parts: list[str] = []
        for value, numeral in _ROMAN:
            count, n = divmod(n, value)
            parts.append(numeral * count)
        out = "".join(parts)
        return out if fmt == "upperRoman" else out.lower()
    return str(n)  # decimal, decimalZero, decimalFullWidth … read as digits


class Numbering:
    """Counters over one document's lists; `label(p)` is called in document order."""

    def __init__(self, document: Any, name: str = "document") -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self._name = name
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.abstract_of: dict[str, str] = {}
        self.style_num: dict[str, tuple[str | None, int | None]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return  # no numbering part: nothing is auto-numbered
        for abstract in root.findall(qn("w:abstractNum")):
            aid = abstract.get(qn("w:abstractNumId"))
            for lvl in abstract.findall(qn("w:lvl")):
                fmt = self._val(lvl, "w:numFmt") or "decimal"
                text = self._val(lvl, "w:lvlText") or ""
                check(name, "numbering label length", len(text), _MAX_LABEL)
                start = parse_int(
                    name, "numbering start", self._val(lvl, "w:start"), 1, MAX_NUMBER_START
                )
                ilvl = self._level(lvl.get(qn("w:ilvl")))
                self.levels[(aid, ilvl)] = (fmt, text, start)
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.abstract_of[num.get(qn("w:numId"))] = ref.get(qn("w:val"))
        for style in document.styles.element.findall(qn("w:style")):
            num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if num_pr is not None:
                self.style_num[style.get(qn("w:styleId"))] = self._num_pr(num_pr)

    def _val(self, el: Any, tag: str) -> str | None:
        child = el.find(self._qn(tag))
        return None if child is None else child.get(self._qn("w:val"))

    def _level(self, raw: str | None) -> int:
        """A list level 0..8; anything else is a malformed document (Word writes no other)."""
        return parse_int(self._name, "numbering level", raw, 0, MAX_LIST_LEVEL)

    def _num_pr(self, num_pr: Any) -> tuple[str | None, int | None]:
        ilvl = self._val(num_pr, "w:ilvl")
        return self._val(num_pr, "w:numId"), None if ilvl is None else self._level(ilvl)

    def label(self, p_el: Any) -> str:
        """The label Word shows before paragraph `p_el` ("" when it is not numbered)."""
        qn = self._qn
        p_pr = p_el.find(qn("w:pPr"))
        if p_pr is None or not self.levels:
            return ""
        num_id, ilvl = None, None
        style = p_pr.find(qn("w:pStyle"))
        if style is not None:
            num_id, ilvl = self.style_num.get(style.get(qn("w:val")), (None, None))
        num_pr = p_pr.find(qn("w:numPr"))
        if num_pr is not None:
            own_id, own_lvl = self._num_pr(num_pr)
            num_id, ilvl = own_id or num_id, own_lvl if own_lvl is not None else ilvl
        aid = self.abstract_of.get(num_id or "0")
        level = ilvl or 0
        if aid is None or (aid, level) not in self.levels:
            return ""
        fmt, text, _start = self.levels[(aid, level)]
        if fmt in ("bullet", "none"):
            return ""
        counts = self.counters.setdefault(aid, [0] * (MAX_LIST_LEVEL + 1))
        counts[level] += 1
        for deeper in range(level + 1, len(counts)):
            counts[deeper] = 0
        for k in range(1, 10):  # "%1、", "（%2）", "%1.%2."
            if f"%{k}" in text:
                lfmt, _t, start = self.levels.get((aid, k - 1), ("decimal", "", 1))
                value = start + max(counts[k - 1], 1) - 1
                text = text.replace(f"%{k}", format_number(value, lfmt))
        return text
