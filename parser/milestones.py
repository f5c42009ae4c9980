"""Dated commitments inside a measure's text -> milestones."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from parser.deadlines import clause_start, commitments, find_times
from parser.ids import IdRegistry
from parser.model import Milestone
from parser.numbering import marker_length
from parser.quantities import first_quantity

_SENTENCE = re.compile(r"[^。！？；!?;\n]+")
_TRIM = "，,、：:；; "


def extract_milestones(
    text: str,
    start: int,
    end: int,
    masked: list[tuple[int, int]],
    measure_id: str,
    period_end: date | None,
    first_ordinal: int = 1,
    bare_date_text: tuple[int, int] | None = None,
) -> list[Milestone]:
    """Milestones in text[start:end]; `masked` ranges (responsibility clauses) are skipped.

    A date standing alone ("完成时限：2024年12月底前") dates the measure itself: its
    milestone's text and span are `bare_date_text` (the measure's title), if given.
    """
    body = list(text[start:end])
    for a, b in masked:
        for i in range(max(a, start), min(b, end)):
            body[i - start] = "。"
    chunk = "".join(body)
    out: list[Milestone] = []
    for sm in _SENTENCE.finditer(chunk):
        sentence = sm.group(0)
        anchors = commitments(sentence, period_end)
        for k, t in enumerate(anchors):
            s = clause_start(sentence, t.start)
            if k + 1 < len(anchors):
                nxt = clause_start(sentence, anchors[k + 1].start)
                e = nxt if nxt > t.end else anchors[k + 1].start
            else:
                e = len(sentence)
            piece = sentence[s:e]
            lead = len(piece) - len(piece.lstrip(" "))
            lead += marker_length(piece[lead:])
            trail = len(piece.rstrip(_TRIM))
            a = sm.start() + s + lead
            b = sm.start() + s + trail
            if b <= a:
                continue
            mtext = chunk[a:b]
            after = mtext[t.end - s - lead :] if t.end - s - lead > 0 else mtext
            span = (start + a, start + b)
            bare = len(mtext) <= (t.end - t.start) + 1
            if bare and bare_date_text and bare_date_text[1] > bare_date_text[0]:
                span = bare_date_text
                mtext = after = text[span[0] : span[1]]
            out.append(
                Milestone(
                    id=f"{measure_id}.{first_ordinal + len(out)}",
                    text=mtext,
                    due=t.due,
                    value=first_quantity(after),
                    span=span,
                )
            )
    return out


def reserve_ids(milestones: list[Milestone], measure_id: str, ids: IdRegistry) -> list[Milestone]:
    """Number milestones "3.4.1", "3.4.2" … skipping ids already used in the plan.

    A chapter-level measure "3" and an item "3.1" could otherwise share an id.
    """
    names = ids.ordinals(measure_id, len(milestones))
    return [replace(m, id=name) for m, name in zip(milestones, names, strict=True)]


def deadline_cell_milestones(
    cell: str,
    cell_start: int,
    task: str,
    measure_id: str,
    period_end: date | None,
    first_ordinal: int,
) -> list[Milestone]:
    """Milestones from a table's 完成时限 cell ("2024年6月底前完成方案；2025年底前全面完成").

    A bare date ("2019年3月") is the row's own deadline: the milestone is that cell, and
    whoever shows it names the task beside it (`is_bare_date`). Either way `text` is
    what `span` covers.
    """
    out: list[Milestone] = []
    times = find_times(cell, period_end)
    for k, t in enumerate(times):
        nxt = times[k + 1].start if k + 1 < len(times) else len(cell)
        part = cell[t.start : nxt].rstrip(_TRIM)
        text, span = part, (cell_start + t.start, cell_start + t.start + len(part))
        out.append(
            Milestone(
                id=f"{measure_id}.{first_ordinal + len(out)}",
                text=text,
                due=t.due,
                # A bare date carries no quantity: the task it dates does.
                value=first_quantity(text) or first_quantity(task),
                span=span,
            )
        )
    return out
