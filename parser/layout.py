"""Positioned text (OCR boxes, OFD text objects) -> lines like pypdf's layout mode.

Fragments on one baseline become one line, left to right; the left indent and
gaps between fragments become spaces in units of one character's width, so a
task table's columns line up for `parser.pdftables.lift_layout_tables` exactly
as they do in a text PDF, and body text reads as wrapped lines.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fragment:
    x0: float
    x1: float
    y0: float  # top (y grows downwards, as in OFD and images)
    y1: float
    text: str


def layout_lines(fragments: Iterable[Fragment]) -> list[str]:
    items = [f for f in fragments if f.text.strip()]
    if not items:
        return []
    # One character's width: CJK glyphs are as wide as the text is high.
    char_w = max(statistics.median((f.x1 - f.x0) / max(len(f.text), 1) for f in items), 1e-6)
    left = min(f.x0 for f in items)
    items.sort(key=lambda f: ((f.y0 + f.y1) / 2, f.x0))
    lines: list[list[Fragment]] = []
    centre = height = 0.0
    for f in items:
        mid = (f.y0 + f.y1) / 2
        if lines and abs(mid - centre) < max(height, f.y1 - f.y0) / 2:
            lines[-1].append(f)
        else:
            lines.append([f])
            centre, height = mid, f.y1 - f.y0
    out = []
    for line in lines:
        line.sort(key=lambda f: f.x0)
        parts: list[str] = []
        column = 0
        for f in line:
            at = round((f.x0 - left) / char_w)
            gap = at - column
            if parts and gap < 1:
                pad = 0  # the next glyphs of one run of text
            elif parts:
                pad = max(gap, 2)  # a real gap: two spaces, as the table lifter wants them
            else:
                pad = max(gap, 0)
            parts.append(" " * pad + f.text)
            # The page position, not the string length: a widened gap must not push
            # the next column's text onto this one.
            column = max(column, at) + len(f.text)
        out.append("".join(parts).rstrip())
    return out


# "— 3 —", "-3-", "3", "第3页", "第3页共12页" — and OCR's reading of the dashes as 一.
_PAGE_NUMBER = re.compile(r"^[-—~·－一]*\d{1,3}[-—~·－一]*$|^第\d+页(?:[,，/]?共\d+页)?$")


def drop_page_numbers(lines: list[str]) -> list[str]:
    """A page's lines without its printed page number (a fixed layout's footer line)."""
    return [line for line in lines if not _PAGE_NUMBER.match("".join(line.split()))]
