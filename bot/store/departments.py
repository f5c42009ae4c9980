"""A department name as a person types it -> the stored department.

"市能源局", "能源局", "发改委", "市发展和改革委员会", "能源局的任务": through the parser's
alias table (parser/data/bureaus.txt) first, then the stored names and aliases, then a
unique partial match. Used wherever a department is typed: the chat (逾期, 催办), contacts
import, the dashboard's task filter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bot.store import repo
from bot.store.models import Department
from parser.units import canonicalize

# Words around a department name in a request: "看看能源局的逾期情况", "市能源局的任务".
_FILLER = re.compile(
    r"^(?:请|帮我|麻烦)?(?:查看|查询|查一下|看看|看一下|列出|统计)?(?:一下)?|"
    r"(?:的)?(?:逾期)?(?:任务|事项|情况|清单|名单|列表)?(?:有哪些|都有哪些|是哪些|吗)?[?？]*$"
)


@dataclass(frozen=True, slots=True)
class Resolved:
    """`department` when exactly one fits; otherwise `choices` (maybe empty) to offer."""

    typed: str
    department: Department | None
    choices: tuple[str, ...] = ()


def clean_typed(text: str) -> str:
    """Strip request words around a name: "看看能源局的逾期情况" -> "能源局"."""
    t = text.replace("逾期", "").strip(" ，,：:。")
    for _ in range(2):
        t = _FILLER.sub("", t).strip(" ，,：:。的")
    return t


def resolve(session: Session, typed: str) -> Resolved:
    """Find the department `typed` names; never raises for an unknown name."""
    name = clean_typed(typed)
    if not name:
        return Resolved(typed, None)
    departments = repo.list_departments(session)
    return _pick(name, departments)


def _pick(name: str, departments: Sequence[Department]) -> Resolved:
    by_name = {d.name: d for d in departments}
    candidates = [name, canonicalize(name)]
    if not name.startswith("市"):
        candidates += ["市" + name, canonicalize("市" + name)]
    for c in candidates:
        if c in by_name:
            return Resolved(name, by_name[c])
    for d in departments:
        if name in (d.aliases or []):
            return Resolved(name, d)
    # A short name inside a stored one ("能源" in 市能源局), or the other way round.
    core = name.removeprefix("市")
    if len(core) >= 2:
        hits = [d for d in departments if core in d.name or d.name.removeprefix("市") in name]
        if len(hits) == 1:
            return Resolved(name, hits[0])
        if hits:
            return Resolved(name, None, tuple(d.name for d in hits[:5]))
    return Resolved(name, None)


def match_department(typed: str, departments: Sequence[Department]) -> Department | None:
    """The one stored department a typed name means, or None (contacts import, filters)."""
    name = clean_typed(typed)
    return _pick(name, departments).department if name else None
