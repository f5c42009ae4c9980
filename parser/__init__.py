"""Pure plan parser: a document in, a `Plan` out. No database, no network.

>>> from parser import parse_document
>>> plan = parse_document("examples/taiyuan-energy-plan.txt")
>>> plan.measures[0].lead
'市生态环境局'
"""

from __future__ import annotations

from parser.errors import ParseError
from parser.model import DocumentInfo, Goal, Measure, Milestone, Plan
from parser.pipeline import parse_document, parse_text

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
