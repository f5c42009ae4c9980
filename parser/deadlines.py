"""Chinese time expressions -> due dates, and which of them are commitments.

An ordered chain of strategies, most specific first ("2024年6月30日" before
"2024年6月" before "2024年"). `find_times` returns every expression in a
string; `commitments` keeps those that date a commitment: at the start of a
clause ("到2025年，…", "2023年力争…", "力争2023年底前…") or an explicit
deadline anywhere ("…于2025年底前全部安装到位").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from parser.numbering import marker_length

_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_YEAR = r"((?:19|20|21)\d{2})"
_Y = _YEAR + r"\s*年"
_DEADLINE_SUFFIX = re.compile(r"(?:之前|以前|前|内)")


@dataclass(frozen=True, slots=True)
class TimeExpr:
    start: int
    end: int
    due: date
    deadline: bool  # followed by 前/之前: an explicit "by" date
    yearless: bool = False  # "6月底前": the year came from the text around it


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _exact(m: re.Match[str], _pe: date | None) -> date | None:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _month(m: re.Match[str], _pe: date | None) -> date | None:
    y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12:
        return None
    part = m.group(3) or ""
    if part == "上旬":
        return date(y, mo, 10)
    if part == "中旬":
        return date(y, mo, 20)
    return _month_end(y, mo)


def _quarter(m: re.Match[str], _pe: date | None) -> date | None:
    q = m.group(2)
    n = int(q) if q.isdigit() else _CN_NUM[q]
    return _month_end(int(m.group(1)), 3 * n) if 1 <= n <= 4 else None


def _half(m: re.Match[str], _pe: date | None) -> date | None:
    y = int(m.group(1))
    return date(y, 6, 30) if m.group(2) in ("上半年", "年中") else date(y, 12, 31)


def _range(m: re.Match[str], _pe: date | None) -> date | None:
    return date(int(m.group(2)), 12, 31)


def _year(m: re.Match[str], _pe: date | None) -> date | None:
    return date(int(m.group(1)), 12, 31)


def _years_from(m: re.Match[str], _pe: date | None) -> date | None:
    """ "2012年起5年内": the fifth year counted from 2012, i.e. the end of 2016."""
    n = m.group(2)
    count = int(n) if n.isdigit() else _CN_NUM.get(n, 10 if n == "十" else 0)
    return date(int(m.group(1)) + count - 1, 12, 31) if 0 < count <= 30 else None


def _five_year(m: re.Match[str], pe: date | None) -> date | None:
    n = 10 + _CN_NUM[m.group(1)]
    # 十四五 = 2021–2025: plan n ends in 1955 + 5n.
    return date(1955 + 5 * n, 12, 31)


Strategy = tuple[re.Pattern[str], Callable[[re.Match[str], date | None], date | None]]

STRATEGIES: tuple[Strategy, ...] = (
    (re.compile(_YEAR + r"\s*年?\s*[—\-－~至到]\s*" + _Y), _range),
    (
        re.compile(_Y + r"(?:起|开始)\s*(\d{1,2}|[一二三四五六七八九十])\s*年(?:内|间|时间内?)"),
        _years_from,
    ),
    (re.compile(_Y + r"(\d{1,2})\s*月(\d{1,2})\s*[日号]"), _exact),
    (re.compile(_Y + r"(\d{1,2})\s*月份?(底|末|上旬|中旬|下旬)?"), _month),
    (re.compile(_Y + r"(?:第)?([一二三四1-4])季度(?:末|底)?"), _quarter),
    (re.compile(_Y + r"(上半年|下半年|年中|年底|年末|底|末)"), _half),
    (re.compile(_Y + r"(?:度)?"), _year),
    (
        re.compile(r"[“\"‘]?十([一二三四五六七八九])五[”\"’]?(?:期末|末期|末|期间|时期|期内)"),
        _five_year,
    ),
)


def _yearless_month(m: re.Match[str], year: int) -> date | None:
    mo = int(m.group(1))
    if not 1 <= mo <= 12:
        return None
    if m.group(2):
        try:
            return date(year, mo, int(m.group(2)))
        except ValueError:
            return None
    part = m.group(3) or ""
    return (
        date(year, mo, {"上旬": 10, "中旬": 20}[part])
        if part in ("上旬", "中旬")
        else (_month_end(year, mo))
    )


def _yearless_year_end(_m: re.Match[str], year: int) -> date | None:
    return date(year, 12, 31)


YearlessStrategy = tuple[re.Pattern[str], Callable[[re.Match[str], int], date | None]]

# "6月底前", "9月30日前", "年底前" with no year: annual plans (工作要点, 任务分工) write
# them so. They take the year written earlier in the same text, else the plan's
# last year; "每年6月底前" is a recurring duty, not a date.
YEARLESS: tuple[YearlessStrategy, ...] = (
    (
        re.compile(
            r"(?<![\d年./\-每])(\d{1,2})\s*月(?:(\d{1,2})\s*[日号]|份?(底|末|上旬|中旬|下旬))?"
            r"(?=之前|以前|前|内|完成|启动|建成|出台)"
        ),
        _yearless_month,
    ),
    (
        re.compile(r"(?<![\d每当年])(?:年底|年末|年内)(?=之前|以前|前|内|完成|建成|[，。；,])"),
        _yearless_year_end,
    ),
    # "全年新增新能源公交车500辆" in an annual plan; not "全年度、全方位".
    (re.compile(r"(?<![\d每当])全年(?![度龄候])"), _yearless_year_end),
)


def find_times(s: str, period_end: date | None = None) -> list[TimeExpr]:
    """Every time expression in `s`, left to right, longest match first, no overlaps."""
    found: list[TimeExpr] = []
    taken = [False] * (len(s) + 1)

    def add(m: re.Match[str], due: date | None, yearless: bool = False) -> None:
        if due is None:
            return
        end = m.end()
        suffix = _DEADLINE_SUFFIX.match(s, end)
        if suffix:
            end = suffix.end()
        for i in range(m.start(), end):
            taken[i] = True
        found.append(TimeExpr(m.start(), end, due, suffix is not None, yearless))

    for pattern, resolve in STRATEGIES:
        for m in pattern.finditer(s):
            if not any(taken[m.start() : m.end()]):
                add(m, resolve(m, period_end))
    explicit = sorted(found, key=lambda t: t.start)
    for yl_pattern, yl_resolve in YEARLESS:
        for m in yl_pattern.finditer(s):
            if any(taken[m.start() : m.end()]):
                continue
            before = [t.due.year for t in explicit if t.start < m.start()]
            year = before[-1] if before else period_end.year if period_end else None
            if year is not None:
                add(m, yl_resolve(m, year), yearless=True)
    found.sort(key=lambda t: t.start)
    return found


_CLAUSE_BREAK = "，,。；;：:！？!?\n"
# Words that may stand between a clause start and its date: "力争到2025年", "1.到2025年".
_LEAD_IN = re.compile(
    r"(?:其中|同时|并|力争|确保|争取|计划|预计|截至|截止|最迟|力争在|确保在|力争到|确保到|到|至|于|在|从|自)*$"
)


def clause_start(s: str, pos: int) -> int:
    """Index where the clause holding `pos` begins."""
    i = pos
    while i > 0 and s[i - 1] not in _CLAUSE_BREAK:
        i -= 1
    return i


_ONGOING = re.compile(r"\s*(?:持续|继续|不断|长期|常态化)")
_SINCE = re.compile(r"\s*(?:以来|来|起|以后|之后|开始)")
_STARTS_WORK = re.compile(r"[，,]\s*(?:启动|开展|实施|建设|建成|推进|推动|开工|完成|全面)")


def commitments(s: str, period_end: date | None = None) -> list[TimeExpr]:
    """Time expressions that date a commitment (see module docstring)."""
    out: list[TimeExpr] = []
    for t in find_times(s, period_end):
        head = s[clause_start(s, t.start) : t.start].strip()
        head = head[marker_length(head) :]
        if _LEAD_IN.match(head) or t.deadline or head.endswith("于"):
            # Not a commitment: a date inside a title 《…2022年…》.
            if s.rfind("《", 0, t.start) > s.rfind("》", 0, t.start):
                continue
            # Nor a starting point: "2021年以来", "自2024年起免收…". But "2021年起，启动…"
            # opens a clause of its own with the date: that year's deliverable.
            # Nor a year of ongoing work: "2024年持续推进…" has nothing due.
            if not t.deadline and _ONGOING.match(s, t.end):
                continue
            since = _SINCE.match(s, t.end)
            if (since and not _STARTS_WORK.match(s, since.end())) or (since and "自" in head):
                continue
            out.append(t)
    return out


def is_bare_date(text: str) -> bool:
    """Whether `text` is only a time ("2019年3月", "2024年6月底前完成"): no task of its own."""
    times = find_times(text)
    if not times:
        return False
    rest = text[: times[0].start] + text[times[-1].end :]
    return len(re.sub(r"[完成前底内之以，,。；;\s]", "", rest)) == 0


def five_year_end(text: str) -> date | None:
    """End of the five-year plan a text names ("十四五" -> 2025-12-31), if any."""
    m = re.search(r"十([一二三四五六七八九])五", text)
    if not m:
        return None
    return date(1955 + 5 * (10 + _CN_NUM[m.group(1)]), 12, 31)
