"""--as-of clocks: a start that runs on, and one clear error for a malformed date."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ShiftedClock, SystemClock, make_clock, parse_as_of
from bot.errors import UserError
from bot.store.clock import RecordedClock, resolve_clock
from bot.store.db import open_store, session_scope
from bot.store.repo.store_clock import record_store_clock

SH = ZoneInfo("Asia/Shanghai")


def test_a_date_starts_at_nine_in_the_configured_zone() -> None:
    assert parse_as_of("2023-06-01", SH) == datetime(2023, 6, 1, 9, 0, tzinfo=SH)
    assert parse_as_of("2023-06-01T14:30", SH) == datetime(2023, 6, 1, 14, 30, tzinfo=SH)


@pytest.mark.parametrize("bad", ["2023-13-01", "yesterday", "2023/06/01", ""])
def test_malformed_as_of_is_a_user_error(bad: str) -> None:
    with pytest.raises(UserError, match="as-of"):
        parse_as_of(bad, SH)


def test_shifted_clock_runs_on_from_its_start() -> None:
    clock = make_clock("2024-01-05", SH)
    assert isinstance(clock, ShiftedClock)
    first = clock.now()
    time.sleep(0.01)
    assert clock.now() > first >= datetime(2024, 1, 5, 9, 0, tzinfo=SH)
    assert isinstance(make_clock(None, SH), SystemClock)
    assert make_clock(None, SH).now().tzinfo is SH


def test_a_database_remembers_the_demo_clock(tmp_path: Path) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    clock, note = resolve_clock(engine, None, tz)
    assert isinstance(clock, SystemClock) and note is None
    start = datetime(2024, 1, 5, 9, 0, tzinfo=tz)
    with session_scope(engine) as s:
        record_store_clock(
            s, start=start, recorded_at=datetime.now(tz) - timedelta(hours=1), source="demo"
        )
    clock, note = resolve_clock(engine, None, tz)
    assert isinstance(clock, RecordedClock)
    # The demo's clock ran on for the hour since it was recorded, as the served one does.
    assert timedelta(minutes=59) < clock.now() - start < timedelta(minutes=61)
    assert note is not None and "demo clock" in note and "2024-01-05" in note
    clock, note = resolve_clock(engine, "2023-06-01", tz)  # --as-of wins, silently
    assert clock.now().date().isoformat() == "2023-06-01" and note is None


def test_as_of_outside_the_years_the_bot_handles_is_refused() -> None:
    from zoneinfo import ZoneInfo

    from bot.clock import parse_as_of
    from bot.errors import UserError

    with pytest.raises(UserError, match="outside 2000–2100"):
        parse_as_of("0001-01-01", ZoneInfo("Asia/Shanghai"))
    with pytest.raises(UserError, match="outside 2000–2100"):
        parse_as_of("9999-12-31T10:00", ZoneInfo("Asia/Shanghai"))
