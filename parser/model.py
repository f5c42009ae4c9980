"""The parsed plan: plain dataclasses that serialise to the parse contract.

`../shared/design/parse-contract.md` is the authority on the JSON shape; these
classes add nothing to it that a consumer would have to know about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Self

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _DatedText:
    """A span of the plan with its due date and quantity: what a milestone and a goal hold."""

    id: str
    text: str
    due: date | None
    value: str | None
    span: Span

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "due": self.due.isoformat() if self.due else None,
            "value": self.value,
            "span": list(self.span),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return cls(
            id=d["id"],
            text=d["text"],
            due=date.fromisoformat(d["due"]) if d.get("due") else None,
            value=d.get("value"),
            span=(int(d["span"][0]), int(d["span"][1])),
        )


@dataclass(frozen=True, slots=True)
class Milestone(_DatedText):
    """A dated commitment inside a measure ("2023年力争全市新建充电桩1万台")."""


@dataclass(frozen=True, slots=True)
class Goal(_DatedText):
    """A quantified target from the plan's 主要目标 chapter."""


@dataclass(frozen=True, slots=True)
class Measure:
    """One numbered measure (（四）交通物流节能减排工程) with its responsibility."""

    id: str
    chapter: str
    title: str
    lead: str | None
    cooperating: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    span: Span
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "chapter": self.chapter,
            "title": self.title,
            "lead": self.lead,
            "cooperating": list(self.cooperating),
            "milestones": [m.to_dict() for m in self.milestones],
            "span": list(self.span),
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Measure:
        return cls(
            id=d["id"],
            chapter=d.get("chapter", ""),
            title=d.get("title", ""),
            lead=d.get("lead"),
            cooperating=tuple(d.get("cooperating", ())),
            milestones=tuple(Milestone.from_dict(m) for m in d.get("milestones", ())),
            span=(int(d["span"][0]), int(d["span"][1])),
            text=d.get("text", ""),
        )


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    title: str
    source: str
    sha256: str
    period_end: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "source": self.source,
            "sha256": self.sha256,
            "period_end": self.period_end.isoformat() if self.period_end else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DocumentInfo:
        pe = d.get("period_end")
        return cls(
            title=d.get("title", ""),
            source=d.get("source", ""),
            sha256=d.get("sha256", ""),
            period_end=date.fromisoformat(pe) if pe else None,
        )


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something an admin should look at before reminders go out.

    kind: no_clause (an item without a responsible unit), clause_without_item (a clause
    no measure holds), unknown_unit (a name that does not read as a unit), new_unit (a unit
    the alias table does not know), renumbered_id, month_without_year, repeated_document.
    """

    kind: str
    message: str
    span: Span | None = None
    measure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "span": list(self.span) if self.span else None,
            "measure": self.measure,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | str) -> ParseWarning:
        if isinstance(d, str):  # plans stored before warnings had kinds
            return cls("note", d)
        span = d.get("span")
        at = (int(span[0]), int(span[1])) if span else None
        return cls(d["kind"], d["message"], at, d.get("measure"))

    def __str__(self) -> str:
        where = f"measure {self.measure}: " if self.measure else ""
        return f"{where}{self.message}"


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the parser extracts from one document.

    `text` is the normalized text every `span` points into; it is not part of
    the JSON contract's required fields but is emitted so that consumers (the
    store keeps every version's text) need not re-read the file.
    """

    document: DocumentInfo
    county_cooperators: tuple[str, ...]
    goals: tuple[Goal, ...]
    measures: tuple[Measure, ...]
    text: str
    warnings: tuple[ParseWarning, ...] = field(default=())

    def to_dict(self, *, include_text: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "document": self.document.to_dict(),
            "county_cooperators": list(self.county_cooperators),
            "goals": [g.to_dict() for g in self.goals],
            "measures": [m.to_dict() for m in self.measures],
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if include_text:
            d["text"] = self.text
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        return cls(
            document=DocumentInfo.from_dict(d["document"]),
            county_cooperators=tuple(d.get("county_cooperators", ())),
            goals=tuple(Goal.from_dict(g) for g in d.get("goals", ())),
            measures=tuple(Measure.from_dict(m) for m in d.get("measures", ())),
            text=d.get("text", ""),
            warnings=tuple(ParseWarning.from_dict(w) for w in d.get("warnings", ())),
        )

    def milestone_count(self) -> int:
        return sum(len(m.milestones) for m in self.measures)
