"""Chinese working days: weekends, public holidays and 调休 make-up days.

`chinesecalendar` knows the State Council's schedule for about 2004–2026. Outside
that range (or whenever it cannot answer) we fall back to Monday–Friday and log
one warning per year per calendar, so an admin knows to fill the override table.
The override table (date -> is_workday) always wins: it is how an admin enters
next year's schedule before the package is updated, or a local day off.

Everything is plain `datetime.date`; no time zones here. Per-year tables are built
once per instance, after which every query is O(1) (plus O(years) for spans).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from itertools import accumulate

import chinese_calendar

log = logging.getLogger(__name__)


class _Year:
    """One year's working days as flags plus running counts, for O(1) span queries."""

    __slots__ = ("first", "flags", "prefix", "total")

    def __init__(self, first: date, flags: list[bool]) -> None:
        self.first = first
        self.flags = flags
        # prefix[i] = working days among the year's first i days (prefix[0] == 0).
        self.prefix = [0, *accumulate(int(f) for f in flags)]
        self.total = self.prefix[-1]


class WorkCalendar:
    """Working-day arithmetic for one configuration (kind + overrides).

    `kind` is ``"cn"`` (Chinese holidays with 调休) or ``"weekdays"`` (plain
    Monday–Friday, for tests or non-Chinese deployments).
    """

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        *,
        kind: str = "cn",
        logger: logging.Logger | None = None,
    ) -> None:
        if kind not in ("cn", "weekdays"):
            raise ValueError(f"unknown calendar {kind!r}; use 'cn' or 'weekdays'")
        self.kind = kind
        self._overrides = dict(overrides or {})
        self._log = logger or log
        self._years: dict[int, _Year] = {}
        # Years in which we fell back to Mon–Fri: warn once per year, per instance.
        self.fallback_years: set[int] = set()

    # -- building ---------------------------------------------------------------------------

    def _base_is_workday(self, d: date) -> bool:
        if self.kind == "cn":
            try:
                return bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                if d.year not in self.fallback_years:
                    self.fallback_years.add(d.year)
                    self._log.warning(
                        "no official holiday data for %d: using Monday-Friday; "
                        "add holidays and 调休 days to the calendar override table",
                        d.year,
                    )
        return d.weekday() < 5

    def _year(self, y: int) -> _Year:
        yr = self._years.get(y)
        if yr is None:
            first = date(y, 1, 1)
            n = (date(y + 1, 1, 1) - first).days
            flags = []
            for i in range(n):
                d = first + timedelta(days=i)
                override = self._overrides.get(d)
                flags.append(self._base_is_workday(d) if override is None else override)
            yr = self._years[y] = _Year(first, flags)
        return yr

    # -- queries ----------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """True when people work on `d` (weekday not a holiday, or a 调休 make-up day)."""
        yr = self._year(d.year)
        return yr.flags[(d - yr.first).days]

    def _rank(self, d: date) -> int:
        # Working days from Jan 1 of d's year up to and including d.
        yr = self._year(d.year)
        return yr.prefix[(d - yr.first).days + 1]

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in the half-open span (a, b]; negative when b < a.

        So the day after a Friday deadline, Monday, is 1 working day overdue, and a
        deadline tomorrow (a working day) is 1 working day away.
        """
        if b < a:
            return -self.workdays_between(b, a)
        count = self._rank(b) - self._rank(a)
        for y in range(a.year, b.year):
            count += self._year(y).total
        return count

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after `d` (before it when n < 0); `d` itself when n == 0."""
        step = 1 if n > 0 else -1
        remaining = abs(n)
        cur = d
        while remaining:
            cur += timedelta(days=step)
            if self.is_workday(cur):
                remaining -= 1
        return cur

    def next_workday(self, d: date) -> date:
        """`d` when it is a working day, else the first working day after it."""
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d
