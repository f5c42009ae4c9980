"""Task ids: how they are made, kept unique, and read back when people type them.

Ids are what department contacts type in chat ("完成 3.4.2"), so this module is their one
home: the parser makes them here, the store keeps them as made, and the chat reads them
back with `read_task_id` / `find_task_ids`.

- A measure is its numbers as printed, joined by dots: "3.4" (chapter 三、 item （四）),
  "2.2.5" (three levels), "7" (a task-table row). A milestone is its measure's id and an
  ordinal: "3.4.2", "2.2.5.1". Goals are "G1", "G2" …. At most `MAX_DEPTH` levels.
- A number printed twice in one place is renumbered to the next number not printed there
  (never "3.2-2", which nobody can type); the parser warns about it.
- Typed forms accepted: "3.4.2", "3.4-2", "３．４．２", "3。4。2", "T3.4.2", "g1"; a bare
  row number ("7") only where an id is expected (`read_task_id`, `row_id_at`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_DEPTH = 4  # chapter.section.item + a milestone ordinal

# Full-width ASCII folds to ASCII (one character for one, so offsets hold).
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# A run of numbers joined by id-ish separators. Which separators split ids and which join
# id parts is decided per run (`_split_run`): "3、4、2" is one id, "2.3、2.4" two.
_RUN = re.compile(
    r"(?<![0-9A-Za-z.])(?P<t>[Tt])?\d{1,4}(?:\s?[.\-。、·・]\s?\d{1,4})+(?![0-9])"
    r"|(?<![0-9A-Za-z])[Gg]\d{1,3}(?![0-9])"
)
# A bare row number ("完成 7"), read only where an id is expected.
_ROW_AT = re.compile(r"(?P<t>[Tt])?(\d{1,3})(?![0-9.．%％])")
# What follows a number that makes it a quantity or a date, not an id: "1.5万吨", "6.30前".
_NOT_ID_AFTER = re.compile(
    r"\s?(?:万|亿|元|吨|千(?!分之)|百(?!分之)|公里|千米|米|平方|亩|个|台|座|家|辆|户|人|倍|%|％|"
    r"前|之前|以前|号|日|左右|以内|小时|分)"
)
_ID_SHAPE = re.compile(rf"\d{{1,3}}(?:\.\d{{1,3}}){{1,{MAX_DEPTH - 1}}}")
_CANONICAL = re.compile(rf"^(?:\d{{1,3}}(?:\.\d{{1,3}}){{0,{MAX_DEPTH - 1}}}|G[0-9]{{1,3}})$")


def fold(text: str) -> str:
    """Full-width digits, letters and marks as ASCII; the same length as `text`."""
    return text.translate(_FOLD)


def _canon(parts: list[str]) -> str | None:
    if not 2 <= len(parts) <= MAX_DEPTH or not all(p.isdigit() for p in parts):
        return None
    key = ".".join(str(int(p)) for p in parts)
    return key if _ID_SHAPE.fullmatch(key) else None


def _split_run(run: str) -> list[str]:
    """'2.3、2.4' -> ['2.3', '2.4']; '3、4、2' -> ['3.4.2']; '3.4-2' -> ['3.4.2']."""
    s = re.sub(r"\s", "", run)
    if re.search(r"[.\-]", s):
        # With real id separators present, 、 and 。 separate ids in a list.
        out = []
        for p in re.split(r"[、。·・]", s):
            key = _canon(re.split(r"[.\-]", p))
            if key is not None:
                out.append(key)
        return out
    key = _canon(re.split(r"[、。·・]", s))
    return [key] if key is not None else []


def id_spans(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, ids) of every run of ids written anywhere in `text`.

    Ids anywhere in a sentence ("5.2完成了", "关于4.1：已办结"), several ("2.3、2.4均已完成"),
    spelt "3.4-2", "３．４．２", "T3.4.2", "3。4。2"; goals "G1". Numbers that are quantities
    or dates ("1.5万吨", "6.30前", "2024.6.30") are not ids; nor is a bare number.
    """
    t = fold(text)
    spans = []
    for m in _RUN.finditer(t):
        raw = m.group(0)
        if raw[0] in "Gg":
            spans.append((m.start(), m.end(), ["G" + str(int(raw[1:]))]))
            continue
        body = raw[1:] if m.group("t") else raw
        # A four-digit first part is a year ("2024.6.30"), not chapter 2024.
        if re.match(r"\d{4}", body) or _NOT_ID_AFTER.match(t, m.end()):
            continue
        keys = _split_run(body)
        if keys:
            spans.append((m.start(), m.end(), keys))
    return spans


def row_id_at(text: str, pos: int = 0) -> tuple[int, str] | None:
    """A bare row number ("7", "T7") at `pos`, where an id is expected: (end, id)."""
    t = fold(text)
    m = _ROW_AT.match(t, pos)
    if m is None or _NOT_ID_AFTER.match(t, m.end()):
        return None
    return m.end(), str(int(m.group(2)))


def find_task_ids(text: str) -> list[str]:
    """Every task id named in `text`, in order, without repeats."""
    out: list[str] = []
    for _, _, keys in id_spans(text):
        out += [k for k in keys if k not in out]
    return out


def read_task_id(raw: str) -> str | None:
    """One typed id in its stored form ("T3.4-2" -> "3.4.2", "g1" -> "G1", "7" -> "7")."""
    t = fold(raw).strip().strip("。.")
    spans = id_spans(t)
    if len(spans) == 1 and spans[0][:2] == (0, len(t)) and len(spans[0][2]) == 1:
        return spans[0][2][0]
    row = row_id_at(t)
    return row[1] if row is not None and row[0] == len(t) else None


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
