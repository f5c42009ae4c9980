"""One clock per database: `--as-of`, else the demo's clock recorded in that database, else now.

`taskbot demo --as-of 2024-01-05` records where its clock started (and when, in real time) in
the database it serves. Every CLI command run against that database afterwards — `tasks`,
`report`, `remind`, `update`, `load`, `regenerate` — answers for the demo's day (the recorded
start plus the real time elapsed since, as the running demo's clock does) and says so on
stderr, so `taskbot tasks` in the demo's folder agrees with the demo's chat and dashboard.
Version and audit timestamps use the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Engine

from bot.clock import Clock, SystemClock, make_clock
from bot.store.db import session_scope
from bot.store.repo.store_clock import store_clock


@dataclass(frozen=True, slots=True)
class RecordedClock:
    """A clock that started at `start` when the real time was `recorded_at`, running on."""

    start: datetime
    recorded_at: datetime
    tz: tzinfo

    def now(self) -> datetime:
        return (self.start + (datetime.now(self.tz) - self.recorded_at)).astimezone(self.tz)


def resolve_clock(engine: Engine, as_of: str | None, tz: tzinfo) -> tuple[Clock, str | None]:
    """The clock a command uses, and a note to print when it is not the real one."""
    if as_of:
        return make_clock(as_of, tz), None
    with session_scope(engine) as s:
        row = store_clock(s)
        if row is None:
            return SystemClock(tz), None
        clock = RecordedClock(row.start, row.recorded_at, tz)
    note = (
        f"using the {row.source or 'demo'} clock recorded in this database "
        f"({clock.now():%Y-%m-%d %H:%M}); pass --as-of to choose another day"
    )
    return clock, note
