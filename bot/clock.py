"""Injected time. Everything that depends on "now" takes a `Clock`.

`--as-of` gives a clock that starts at a chosen moment and runs on, so a demo
or a test can stand on 2023-06-01 while reminders still fire as time passes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

from bot.errors import UserError
from bot.rules.datebounds import check_date


class Clock(Protocol):
    def now(self) -> datetime:
        """The current aware datetime."""
        ...


@dataclass(frozen=True, slots=True)
class SystemClock:
    tz: tzinfo

    def now(self) -> datetime:
        return datetime.now(self.tz)


@dataclass(frozen=True, slots=True)
class ShiftedClock:
    """Starts at `start` and advances with the real monotonic clock."""

    start: datetime
    _t0: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


def parse_as_of(value: str, tz: tzinfo) -> datetime:
    """'2023-06-01' (09:00 that day) or '2023-06-01T10:30' -> an aware datetime in `tz`."""
    v = value.strip()
    try:
        if len(v) == 10:
            d = check_date(date.fromisoformat(v), "--as-of")
            return datetime(d.year, d.month, d.day, 9, 0, tzinfo=tz)
        dt = datetime.fromisoformat(v.replace(" ", "T"))
    except ValueError:
        raise UserError(f"bad --as-of {value!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    check_date(dt.date(), "--as-of")
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def make_clock(as_of: str | None, tz: tzinfo) -> Clock:
    return ShiftedClock(parse_as_of(as_of, tz)) if as_of else SystemClock(tz)
