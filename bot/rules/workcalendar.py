"""Chinese working days: weekends, public holidays and 调休 make-up days.

`chinesecalendar` knows the State Council's schedule for about 2004–2026. Outside
that range (or whenever it cannot answer) we fall back to Monday–Friday and log
one warning per year per calendar, so an admin knows to fill the override table.
The override table (date -> is_workday) always wins: it is how an admin enters
next year's schedule before the package is updated, or a local day off.

Everything is plain `datetime.date`; no time zones here. Per-year tables are built
once per instance, after which every query is O(1) (plus O(years) for spans).

No date may break a computation: an approved extension to 9999-12-31 is a valid date, so
spans into years nobody has a schedule for are counted Monday–Friday in closed form (no
per-day table for 8,000 years), and stepping past `date.max` stops at `date.max`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from itertools import accumulate

import chinese_calendar

log = logging.getLogger(__name__)

_CN_HOLIDAYS = frozenset(chinese_calendar.holidays)
_CN_WORKDAYS = frozenset(chinese_calendar.workdays)
# The years chinesecalendar has the State Council's schedule for.
_KNOWN_FIRST = min(chinese_calendar.holidays).year
_KNOWN_LAST = max(max(chinese_calendar.holidays), max(chinese_calendar.workdays)).year


def _weekdays_through(d: date) -> int:
    """Mondays–Fridays from 0001-01-01 (a Monday) through `d`, in O(1)."""
    n = d.toordinal()  # days 1..n, day 1 a Monday
    return (n // 7) * 5 + min(n % 7, 5)


def _plain_year(y: int) -> int:
    """Mondays–Fridays in year `y`."""
    return (
        _weekdays_through(date(y, 12, 31))
        - _weekdays_through(date(y, 1, 1))
        + int(date(y, 1, 1).weekday() < 5)
    )


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
        self._override_years = {d.year for d in self._overrides}
        self._log = logger or log
        self._years: dict[int, _Year] = {}
        # Years in which we fell back to Mon–Fri: warn once per year, per instance.
        self.fallback_years: set[int] = set()

    # -- building ---------------------------------------------------------------------------

    def _base_is_workday(self, d: date) -> bool:
        if self.kind == "cn":
            if _KNOWN_FIRST <= d.year <= _KNOWN_LAST:
                # The package's own tables, read directly: its is_workday costs ~20 µs a day,
                # which made building one year ~7 ms of every 逾期 query.
                if d in _CN_WORKDAYS:
                    return True
                return d.weekday() < 5 and d not in _CN_HOLIDAYS
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
            # Not date(y + 1, 1, 1): year 9999 has no successor.
            n = (date(y, 12, 31) - first).days + 1
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
        if a.year == b.year:
            return self._rank(b) - self._rank(a)
        # (a, end of a's year] + whole years between + (start of b's year, b].
        count = self._year(a.year).total - self._rank(a) + self._rank(b)
        first, last = a.year + 1, b.year - 1
        if first > last:
            return count
        # Years with a schedule (official or overridden) by table; the rest, however many,
        # as one run of plain weekdays in closed form.
        scheduled = [y for y in self._scheduled_years() if first <= y <= last]
        for y in scheduled:
            count += self._year(y).total
        plain = _weekdays_through(date(last, 12, 31)) - _weekdays_through(date(first, 1, 1))
        plain += int(date(first, 1, 1).weekday() < 5)
        for y in scheduled:
            plain -= _plain_year(y)
        return count + plain

    def _scheduled_years(self) -> set[int]:
        years = set(self._override_years) | set(self._years)
        if self.kind == "cn":
            years.update(range(_KNOWN_FIRST, _KNOWN_LAST + 1))
        return years

    def last_workday(self, d: date) -> date:
        """`d` when it is a working day, else the last working day before it."""
        try:
            while not self.is_workday(d):
                d -= timedelta(days=1)
        except OverflowError:
            return date.min
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after `d` (before it when n < 0); `d` itself when n == 0."""
        step = 1 if n > 0 else -1
        remaining = abs(n)
        cur = d
        try:
            while remaining:
                cur += timedelta(days=step)
                if self.is_workday(cur):
                    remaining -= 1
        except OverflowError:
            # Past the end of the calendar: the furthest representable day.
            return date.max if step > 0 else date.min
        return cur

    def next_workday(self, d: date) -> date:
        """`d` when it is a working day, else the first working day after it."""
        try:
            while not self.is_workday(d):
                d += timedelta(days=1)
        except OverflowError:
            return date.max
        return d


def make_calendar(kind: str, overrides: Mapping[date, bool] | None = None) -> WorkCalendar:
    """The one factory: the configured kind ("cn" unless "weekdays"), admin overrides on top.

    Every place that counts working days (reminders, 逾期, the dashboard, reports, the CLI)
    gets its calendar here, so an override counts everywhere at once.
    """
    return WorkCalendar(
        overrides,
        kind="weekdays" if kind == "weekdays" else "cn",
        logger=logging.getLogger("taskbot.calendar"),
    )
