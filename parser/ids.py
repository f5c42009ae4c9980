"""Task ids: how they are made, kept unique, and read back when people type them.

Ids are what department contacts type in chat ("完成 3.4.2"), so this module is their one
home: the parser makes them here, the store keeps them as made, and the chat reads them
back with `read_task_id` / `find_task_ids`.

- A measure is its numbers as printed, joined by dots: "3.4" (chapter 三、 item （四）),
  "2.2.5" (three levels), "7" (a task-table row). A milestone is its measure's id and an
  ordinal: "3.4.2", "2.2.5.1". Goals are "G1", "G2" …. At most `MAX_DEPTH` levels.
- A number printed twice in one place is renumbered to the next number not printed there
  (never "3.2-2", which nobody can type); the parser warns about it.
- Typed forms accepted: "3.4.2", "3.4-2", "３．４．２", "3。4。2", "T3.4.2", "g1".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_DEPTH = 4  # chapter.section.item + a milestone ordinal

_PART = r"\d{1,3}"
# One id inside any text: not glued to other digits, letters or dots around it.
_TYPED = (
    rf"(?<![0-9A-Za-z.．])(?:[Tt]?{_PART}(?:\s?[.．。、\-－·・]\s?{_PART}){{1,{MAX_DEPTH - 1}}}"
    r"|[Gg][0-9]{1,3})(?![0-9]|[.．][0-9])"
)
TYPED_ID = re.compile(_TYPED)
# A task-table row is a single number ("7"); only where an id is expected, never in prose.
_ROW = re.compile(r"[Tt]?[0-9]{1,3}")
_SEPARATORS = re.compile(r"\s?[.．。、\-－·・]\s?")
_CANONICAL = re.compile(rf"^(?:{_PART}(?:\.{_PART}){{0,{MAX_DEPTH - 1}}}|G[0-9]{{1,3}})$")


def _fold_digits(s: str) -> str:
    return s.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)} | {0xFF34: 0x54})


def read_task_id(raw: str) -> str | None:
    """A typed id in its stored form ("T3.4-2" -> "3.4.2", "g1" -> "G1"); None if not one."""
    t = _fold_digits(raw.strip()).strip("。.．")
    if TYPED_ID.fullmatch(t) or _ROW.fullmatch(t):
        return _canonical(t)
    return None


def find_task_ids(text: str) -> list[tuple[int, int, str]]:
    """Every id written anywhere in `text` ("关于3.8.3，已完成", "2.3、2.4均已完成").

    Returns (start, end, id) in the order written; "2.3、2.4" is two ids, because a
    separator followed by a second dotted number starts a new one.
    """
    folded = _fold_digits(text)
    out: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = TYPED_ID.search(folded, pos)
        if m is None:
            return out
        raw = m.group(0)
        # "2.3、2.4": the 、 joined two ids into one four-part match; split them again.
        pieces = re.split(r"\s?[、，,]\s?", raw)
        if len(pieces) > 1 and all("." in p or "．" in p for p in pieces):
            at = m.start()
            for p in pieces:
                start = folded.index(p, at)
                out.append((start, start + len(p), _canonical(p)))
                at = start + len(p)
        else:
            out.append((m.start(), m.end(), _canonical(raw)))
        pos = m.end()


def _canonical(t: str) -> str:
    t = t.strip()
    if t[0] in "Gg":
        return "G" + str(int(t[1:]))
    parts = _SEPARATORS.split(t.lstrip("Tt"))
    return ".".join(str(int(p)) for p in parts if p)


def is_task_id(s: str) -> bool:
    """Whether `s` is an id in its stored form."""
    return bool(_CANONICAL.match(s))


def join(*parts: int | str) -> str:
    """The id of a node from its printed numbers: join(3, 4) -> "3.4"."""
    return ".".join(str(p) for p in parts if str(p))


def parent(task_id: str) -> str:
    """ "3.4.2" -> "3.4"; "3" -> ""."""
    return task_id.rpartition(".")[0]


@dataclass
class IdRegistry:
    """The ids of one plan, kept unique.

    `written` is every id the document prints, known before any is claimed, so a
    renumbered duplicate never takes a number that a later item prints.
    """

    written: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)

    @classmethod
    def expecting(cls, written: Iterable[str]) -> IdRegistry:
        return cls(written=set(written))

    def claim(self, wanted: str) -> tuple[str, bool]:
        """(the id to use, whether it had to be renumbered)."""
        if wanted not in self.taken:
            self.taken.add(wanted)
            return wanted, False
        head = parent(wanted)
        last = wanted.rpartition(".")[2]
        if not last.isdigit():
            n = 2
            while f"{wanted}.{n}" in self.taken:
                n += 1
            out = f"{wanted}.{n}"
        else:
            used = self.written | self.taken
            n = int(last) + 1
            while join(head, n) in used:
                n += 1
            out = join(head, n)
        self.taken.add(out)
        return out, True

    def ordinals(self, measure_id: str, count: int) -> list[str]:
        """Ids for `count` milestones of one measure: "3.4.1", "3.4.2" …, skipping used ones."""
        out: list[str] = []
        k = 1
        while len(out) < count:
            cand = f"{measure_id}.{k}"
            if cand not in self.taken and cand not in self.written:
                self.taken.add(cand)
                out.append(cand)
            k += 1
        return out
