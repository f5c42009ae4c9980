"""Free text and the questions it leads to: what to ask, and what a yes would record.

A question is stored as JSON (`pending_question.payload`): {"kind": "confirm", "items":
[…]} for 是/否, {"kind": "choose", "options": […]} for a numbered choice, each entry an
encoded Done or Progress, plus the raw message the report came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.conversation import intents as it
from bot.conversation.matching import TaskMatcher
from bot.conversation.queries import row_items
from bot.store.repo import TaskRow

Render = Callable[..., str]


def encode(i: it.Done | it.Progress) -> dict[str, Any]:
    if isinstance(i, it.Done):
        return {"type": "done", "task_id": i.task_id, "note": i.note}
    return {
        "type": "progress",
        "task_id": i.task_id,
        "percent": i.percent,
        "note": i.note,
        "stage": i.stage,
    }


def decode(d: dict[str, Any]) -> it.Done | it.Progress:
    if d["type"] == "done":
        return it.Done(d["task_id"], d["note"], worded=True)
    return it.Progress(d["task_id"], d["percent"], d["note"], d.get("stage", ""))


def free_text_answer(
    matcher: TaskMatcher, render: Render, text: str, raw: str, rows: list[tuple[TaskRow, bool]]
) -> tuple[str, dict[str, Any] | None]:
    """The question to ask about a free-text report, and what a yes would record.

    Only the sender's departments' tasks are candidates; on a task it only cooperates
    on, a report of completion becomes its progress note, and the question says so."""
    by_id: dict[str, tuple[TaskRow, bool]] = {}
    for r, lead in rows:
        prev = by_id.get(r.id)
        by_id[r.id] = (r, lead or (prev is not None and prev[1]))
    result = matcher.match(text, [(r.id, r.label) for r, _ in by_id.values()])
    stage = it.reading_of(text)

    def action(task_id: str) -> tuple[it.Done | it.Progress, bool]:
        _, lead = by_id[task_id]
        if result.status == "reported" and lead:
            return it.Done(task_id, text, worded=True), lead
        return it.Progress(task_id, result.percent, text, stage), lead

    best = result.best()
    if best is not None and result.status is not None:
        act, lead = action(best.task_id)
        row = by_id[best.task_id][0]
        question = render(
            "confirm_question",
            task_id=best.task_id,
            text=row.label,
            status="reported" if isinstance(act, it.Done) else "in_progress",
            percent=result.percent,
            cooperating=not lead,
            said_done=result.status == "reported",
        )
        return question, {"kind": "confirm", "items": [encode(act)], "raw": raw}
    close = [c for c in result.candidates[:3] if c.score >= 0.25]
    if result.status is not None and len(close) >= 2:
        options = [action(c.task_id)[0] for c in close]
        items = [
            row_items(by_id[o.task_id][0])
            | {"verb": "已完成" if isinstance(o, it.Done) else "进展"}
            for o in options
        ]
        question = render("choose_task", candidates=items, numbered=True)
        return question, {
            "kind": "choose",
            "options": [encode(o) for o in options],
            "raw": raw,
        }
    candidates = [row_items(by_id[c.task_id][0]) for c in result.candidates[:5]]
    return render("choose_task", candidates=candidates, numbered=False), None
