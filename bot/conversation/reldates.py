"""Dates as officials type them, absolute or relative to an injected `today`.

"2024-06-30", "2024年6月底", "6月30日", "明年3月底", "下月底", "年底前", "3个月内",
"下周五", "明年上半年", "三季度末", "24年6月". Pure: `today` is always a parameter.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

import cn2an

# Years a person may mean (one home for the bounds: bot/rules/datebounds.py).
from bot.rules.datebounds import MAX_YEAR, MIN_YEAR

__all__ = ["MAX_YEAR", "MIN_YEAR", "find_date"]

# Dates outside this window are typing errors, and would overflow calendar arithmetic.

_CN = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"


def _n(s: str) -> int:
    if s.isdigit():
        return int(s)
    return int(cn2an.cn2an(s, "smart"))


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


_YEAR_WORD = {"今年": 0, "本年": 0, "当年": 0, "年内": 0, "明年": 1, "来年": 1, "后年": 2}
_PREFIX = r"(?P<yw>今年|本年|明年|来年|后年)?"

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # 2024年6月30日, 2024年6月底, 2024年6月, 2024年底, 24年6月
    (
        "ymd",
        re.compile(
            rf"(?<!\d)(?P<y>\d{{4}}|\d{{2}})\s*年\s*(?:(?P<m>{_NUM})\s*月\s*"
            rf"(?:(?P<d>{_NUM})(?![\d{_CN}])\s*[日号]?|(?P<end>底|末|份)|(?P<mid>中旬|上旬|下旬))?"
            r"|(?P<yend>底|末|年底|年末)|(?P<h>上半年|下半年)|(?P<q>[一二三四1-4])季度末?|第(?P<q2>[一二三四1-4])季度)"
        ),
    ),
    # 2024-06-30, 2024/6/30, 2024.6.30
    (
        "iso",
        re.compile(r"(?<!\d)(?P<y>\d{4})\s*([-/.])\s*(?P<m>\d{1,2})\s*\2\s*(?P<d>\d{1,2})(?!\d)"),
    ),
    # 明年3月底, 3月30日, 三月底, 明年6月 (end of month)
    (
        "md",
        re.compile(
            rf"{_PREFIX}(?<![\d.])(?P<m>{_NUM})\s*月\s*"
            rf"(?:(?P<d>{_NUM})(?![\d{_CN}])\s*[日号]?|(?P<end>底|末|份)|(?P<mid>中旬|上旬|下旬))?"
            r"(?!\s*(?:内|以内|之内|后))"
        ),
    ),
    # 6/30
    ("slash", re.compile(r"(?<![\d./-])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")),
    # 下月底, 下个月15号, 本月底, 月底
    (
        "month_rel",
        re.compile(
            rf"(?P<which>下下个?月|下个?月|本月|这个?月|当月|月)(?:(?P<d>{_NUM})\s*[日号]|(?P<end>底|末))"
            r"|(?P<which2>下下个?月|下个?月)(?!\s*[内以之])"
        ),
    ),
    # 明年底, 年底, 今年年底, 明年上半年, 三季度末, 明年一季度
    (
        "year_rel",
        re.compile(
            rf"{_PREFIX}(?:(?P<yend>年底|年末|底)|(?P<h>上半年|下半年)"
            r"|(?P<q>[一二三四1-4])季度末?|第(?P<q2>[一二三四1-4])季度|(?P<inyear>年内))"
        ),
    ),
    # 3个月内, 三个月后, 两周内, 10天内, 15个工作日内, 半年内
    (
        "span",
        re.compile(
            rf"(?P<k>{_NUM}|半)\s*(?P<u>个月|个星期|周|星期|天|日|个工作日|工作日|年)\s*(?:内|以内|之内|后|左右)"
            # "延长3个月": counted from today, which for an overdue task is what is meant.
            rf"|(?<=延长|推迟|延期|顺延|延后|宽限)\s*(?P<k2>{_NUM}|半)\s*(?P<u2>个月|个星期|周|星期|天|个工作日|年)"
        ),
    ),
    # 下季度末, 本季度末, 下个季度
    ("quarter_rel", re.compile(r"(?P<qw>下个?|本|这个?)季度(?:末|底)?")),
    # 下周五, 下周
    ("week", re.compile(r"下(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])?")),
    # Anything else that looks like an attempt at a date, to name it as malformed.
    ("bad", re.compile(r"(?<!\d)\d{4}\s*[-/.年]\s*\d{1,3}(?:\s*[-/.月]\s*\d{0,3}[日号]?)?")),
)
_WEEKDAYS = (
    {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6} | {str(i + 1): i for i in range(7)}
)


def _quarter_end(y: int, q: str) -> date:
    return _month_end(y, 3 * _n(q) if not q.isdigit() else 3 * int(q))


def _resolve(kind: str, g: dict[str, str | None], today: date | None) -> tuple[date | None, bool]:
    """(date, year_was_explicit_or_relative). Raises ValueError for impossible dates."""
    if kind in ("ymd", "iso"):
        ys = g["y"] or ""
        y = int(ys) + (2000 if len(ys) == 2 else 0)
        if g.get("yend"):
            return date(y, 12, 31), True
        if g.get("h"):
            return (date(y, 6, 30) if g["h"] == "上半年" else date(y, 12, 31)), True
        if g.get("q") or g.get("q2"):
            return _quarter_end(y, g.get("q") or g["q2"] or ""), True
        return _day(y, g), True
    if today is None:
        return None, False
    yw = g.get("yw")
    y = today.year + (_YEAR_WORD[yw] if yw else 0)
    if kind in ("md", "slash"):
        return _day(y, g), bool(yw)
    if kind == "month_rel":
        which = g.get("which") or g.get("which2") or ""
        shift = 2 if which.startswith("下下") else 1 if which.startswith("下") else 0
        base = _add_months(today.replace(day=1), shift)
        if g.get("d"):
            return date(base.year, base.month, _n(g["d"] or "")), True
        return _month_end(base.year, base.month), True
    if kind == "year_rel":
        if g.get("h"):
            return (date(y, 6, 30) if g["h"] == "上半年" else date(y, 12, 31)), True
        if g.get("q") or g.get("q2"):
            return _quarter_end(y, g.get("q") or g["q2"] or ""), True
        return date(y, 12, 31), True
    if kind == "span":
        k = g["k"] or g["k2"] or ""
        u = g["u"] or g["u2"] or ""
        if k == "半":
            return (_add_months(today, 6) if u == "年" else _add_months(today, 0)), True
        n = _n(k)
        if u == "个月":
            return _add_months(today, n), True
        if u == "年":
            return _add_months(today, 12 * n), True
        if u in ("周", "星期", "个星期"):
            return today + timedelta(weeks=n), True
        if "工作日" in u:
            # Calendar weeks stand in for working days: 5 working days ≈ 7 days.
            return today + timedelta(days=n + 2 * (n // 5)), True
        return today + timedelta(days=n), True
    if kind == "quarter_rel":
        q = (today.month - 1) // 3 + (1 if (g.get("qw") or "").startswith("下") else 0)
        y, q = today.year + q // 4, q % 4
        return _month_end(y, 3 * q + 3), True
    if kind == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
        wd = g.get("wd")
        return monday + timedelta(days=_WEEKDAYS[wd] if wd else 6), True
    return None, False


def _day(y: int, g: dict[str, str | None]) -> date:
    m = _n(g["m"] or "")
    if not 1 <= m <= 12:
        raise ValueError("month")
    if g.get("d"):
        return date(y, m, _n(g["d"] or ""))
    mid = g.get("mid")
    if mid == "上旬":
        return date(y, m, 10)
    if mid == "中旬":
        return date(y, m, 20)
    return _month_end(y, m)


def find_date(text: str, today: date | None = None) -> tuple[date | None, str, str]:
    """The first date in `text`: (date, problem, matched text).

    problem is "" on success, `missing_date` when nothing looks like a date, `bad_date`
    for an impossible or out-of-range one (2024-02-30, 13月, year 0), `date_without_year`
    for a month and day when no `today` is given. A month and day without a year means
    the next such day from `today`.
    """
    hits = []
    for order, (kind, rx) in enumerate(_RULES):
        for m in rx.finditer(text):
            if m.group(0).strip() and (kind == "bad" or any(m.groupdict().values())):
                hits.append((m.start(), order, kind, m))
                break
    if not hits:
        return None, "missing_date", ""
    _, _, kind, m = min(hits, key=lambda h: (h[0], h[1]))
    raw = m.group(0).strip()
    if kind == "bad":
        return None, "bad_date", raw
    if today is None and kind not in ("ymd", "iso"):
        return None, "date_without_year", raw
    try:
        found, explicit = _resolve(kind, m.groupdict(), today)
    except (ValueError, OverflowError):
        return None, "bad_date", raw
    if found is None:
        return None, "date_without_year", raw
    if not explicit and today is not None and found < today:
        try:
            found = found.replace(year=found.year + 1)
        except ValueError:  # 2月29日 with next year not a leap year
            return None, "bad_date", raw
    if not MIN_YEAR <= found.year <= MAX_YEAR:
        return None, "bad_date", raw
    return found, "", raw
