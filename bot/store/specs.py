"""What a plan says about each task, in a shape the store and the diff share (pure, no SQL)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from parser.model import Plan

_LABEL = re.compile(r"^\s*(?:[（(][一二三四五六七八九十百零〇\d]+[）)]|\d+[.、．])\s*")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One measure or milestone as a plan version states it."""

    key: str
    kind: str  # "measure" | "milestone"
    parent_key: str | None
    chapter: str
    title: str
    text: str
    value: str | None
    due: date | None
    span: tuple[int, int]
    lead: str | None
    cooperating: tuple[str, ...]
    position: int

    @property
    def match_text(self) -> str:
        """The words used to recognise the task across revisions, without the item label
        ("（三）", "3.") that a renumbering changes."""
        if self.kind == "measure" and self.text != self.title:
            return f"{strip_label(self.title)}\n{strip_label(self.text)}"
        return strip_label(self.text)


@dataclass(frozen=True, slots=True)
class StoredTask:
    """A task already in the database, as the diff sees it."""

    pk: int
    status: str
    spec: TaskSpec
    extra: dict[str, object] = field(default_factory=dict)


def strip_label(text: str) -> str:
    """Text without a leading item label ("（三）", "3.") that a renumbering changes."""
    return _LABEL.sub("", text)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_specs(plan: Plan) -> list[TaskSpec]:
    """Measures and their milestones in document order.

    A measure's due date is its latest milestone's, else the plan's period end: a measure
    with no date of its own runs for the whole plan period.
    """
    specs: list[TaskSpec] = []
    period_end = plan.document.period_end
    for m in plan.measures:
        dues = [ms.due for ms in m.milestones if ms.due is not None]
        lead = m.lead
        coop = tuple(c for c in dict.fromkeys(m.cooperating) if c != lead)
        specs.append(
            TaskSpec(
                key=m.id,
                kind="measure",
                parent_key=None,
                chapter=m.chapter,
                title=m.title,
                text=m.text or m.title,
                value=None,
                due=max(dues) if dues else period_end,
                span=m.span,
                lead=lead,
                cooperating=coop,
                position=len(specs),
            )
        )
        for ms in m.milestones:
            specs.append(
                TaskSpec(
                    key=ms.id,
                    kind="milestone",
                    parent_key=m.id,
                    chapter=m.chapter,
                    title=m.title,
                    text=ms.text,
                    value=ms.value,
                    due=ms.due,
                    span=ms.span,
                    lead=lead,
                    cooperating=coop,
                    position=len(specs),
                )
            )
    return specs
