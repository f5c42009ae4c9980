"""Pure plan parser: a document in, a `Plan` out. No database, no network.

    >>> from parser import parse_document
    >>> plan = parse_document("examples/taiyuan-energy-plan.txt")
    >>> plan.measures[0].lead
    '市生态环境局'
"""

from __future__ import annotations

from parser.errors import ParseError
from parser.model import DocumentInfo, Goal, Measure, Milestone, Plan

__all__ = [
    "DocumentInfo",
    "Goal",
    "Measure",
    "Milestone",
    "ParseError",
    "Plan",
    "parse_document",
    "parse_text",
]


def parse_document(path: str | "os.PathLike[str]") -> Plan:  # noqa: F821
    """Read a .txt/.docx/.pdf file and parse it (see `parse_text`)."""
    from parser.pipeline import parse_document as _parse

    return _parse(path)


def parse_text(text: str, source: str = "<text>") -> Plan:
    """Parse an already-read plan text."""
    from parser.pipeline import parse_text as _parse

    return _parse(text, source)
