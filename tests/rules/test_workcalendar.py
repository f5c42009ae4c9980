"""WorkCalendar against tables of real dates (State Council schedules) and brute force."""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta

import chinese_calendar
import pytest

from bot.rules.workcalendar import WorkCalendar


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 10, 1), False),  # National Day, Tuesday
        (date(2024, 10, 7), False),  # Monday inside the Golden Week
        (date(2024, 10, 8), True),  # first day back
        (date(2024, 9, 29), True),  # Sunday, 调休 make-up day
        (date(2024, 10, 12), True),  # Saturday, 调休 make-up day
        (date(2024, 9, 28), False),  # plain Saturday
        (date(2024, 2, 4), True),  # Sunday before Spring Festival, 调休
        (date(2024, 2, 12), False),  # Spring Festival Monday
        (date(2024, 5, 6), True),  # plain Monday
        (date(2026, 1, 1), False),  # New Year's Day, last year the package knows
        (date(2027, 1, 1), True),  # Friday, beyond the package: Mon-Fri fallback
        (date(2027, 1, 2), False),  # Saturday, fallback
        (date(2003, 6, 2), True),  # Monday before the package's range
        (date(2003, 6, 1), False),  # Sunday before the package's range
    ],
)
def test_is_workday(day: date, expected: bool) -> None:
    assert WorkCalendar().is_workday(day) is expected


def test_weekdays_calendar_ignores_holidays() -> None:
    cal = WorkCalendar(kind="weekdays")
    assert cal.is_workday(date(2024, 10, 1))  # a Tuesday
    assert not cal.is_workday(date(2024, 9, 29))  # a Sunday, even though 调休 in "cn"


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown calendar"):
        WorkCalendar(kind="us")


@pytest.mark.parametrize(
    ("overrides", "day", "expected"),
    [
        ({date(2027, 2, 8): False}, date(2027, 2, 8), False),  # admin enters 2027 holidays
        ({date(2027, 2, 6): True}, date(2027, 2, 6), True),  # and a 2027 Saturday 调休
        ({date(2024, 10, 1): True}, date(2024, 10, 1), True),  # overrides beat the package
        ({date(2024, 5, 6): False}, date(2024, 5, 6), False),  # a local day off
        ({date(2024, 5, 6): False}, date(2024, 5, 7), True),  # only that day
    ],
)
def test_overrides_win(overrides: dict[date, bool], day: date, expected: bool) -> None:
    assert WorkCalendar(overrides).is_workday(day) is expected


def test_fallback_warns_once_per_year_per_instance(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.rules.workcalendar")
    cal = WorkCalendar()
    cal.is_workday(date(2027, 3, 1))
    cal.workdays_between(date(2027, 1, 1), date(2027, 12, 31))
    cal.add_workdays(date(2027, 6, 1), 40)
    assert len(caplog.records) == 1
    assert "2027" in caplog.records[0].getMessage()
    cal.is_workday(date(2028, 1, 3))
    assert len(caplog.records) == 2
    assert cal.fallback_years == {2027, 2028}
    # Known years never warn; a second calendar warns for itself (no shared state).
    cal.is_workday(date(2024, 1, 3))
    WorkCalendar().is_workday(date(2027, 3, 1))
    assert len(caplog.records) == 3


def test_fallback_year_fully_overridden_still_uses_overrides() -> None:
    overrides = {date(2027, 1, 1): False}
    cal = WorkCalendar(overrides)
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 1


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2024, 9, 27), date(2024, 9, 30), 2),  # Fri -> Mon over a 调休 Sunday
        (date(2024, 9, 30), date(2024, 10, 8), 1),  # across the Golden Week
        (date(2024, 5, 6), date(2024, 5, 6), 0),
        (date(2024, 5, 10), date(2024, 5, 13), 2),  # Fri -> Mon over a 调休 Saturday
        (date(2024, 5, 17), date(2024, 5, 20), 1),  # Fri -> Mon, plain weekend
        (date(2024, 5, 20), date(2024, 5, 17), -1),  # reversed
        (date(2023, 12, 29), date(2024, 1, 2), 1),  # across New Year
        (date(2026, 12, 31), date(2027, 1, 4), 2),  # into the fallback year: Jan 1 counts
    ],
)
def test_workdays_between(a: date, b: date, expected: int) -> None:
    assert WorkCalendar().workdays_between(a, b) == expected


@pytest.mark.parametrize("year", range(2005, 2027))
def test_whole_years_agree_with_the_package(year: int) -> None:
    # An independent oracle: the package's own list of working days for the year.
    expected = len(chinese_calendar.get_workdays(date(year, 1, 1), date(year, 12, 31)))
    first = date(year, 1, 1)
    assert WorkCalendar().workdays_between(first - timedelta(days=1), date(year, 12, 31)) == (
        expected
    )


def test_workdays_between_matches_brute_force() -> None:
    cal = WorkCalendar({date(2025, 3, 3): False, date(2025, 3, 8): True})
    rng = random.Random(20240929)
    start = date(2022, 6, 1)
    for _ in range(300):
        a = start + timedelta(days=rng.randrange(0, 2000))
        b = a + timedelta(days=rng.randrange(0, 500))
        brute = sum(cal.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
        assert cal.workdays_between(a, b) == brute, (a, b)


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (date(2024, 9, 30), 1, date(2024, 10, 8)),
        (date(2024, 10, 8), -1, date(2024, 9, 30)),
        (date(2024, 9, 27), 1, date(2024, 9, 29)),  # the 调休 Sunday
        (date(2024, 10, 1), 0, date(2024, 10, 1)),
        (date(2024, 5, 17), 5, date(2024, 5, 24)),
        (date(2024, 5, 10), 2, date(2024, 5, 13)),  # Sat 11th is a 调休 working day
        (date(2026, 12, 30), 3, date(2027, 1, 4)),  # fallback: 31st, Jan 1, Jan 4
    ],
)
def test_add_workdays(d: date, n: int, expected: date) -> None:
    assert WorkCalendar().add_workdays(d, n) == expected


@pytest.mark.parametrize("n", [-30, -7, -1, 1, 7, 30, 250])
def test_add_workdays_inverts_workdays_between(n: int) -> None:
    cal = WorkCalendar()
    for offset in range(0, 40):
        d = date(2024, 9, 20) + timedelta(days=offset)
        target = cal.add_workdays(d, n)
        assert cal.is_workday(target)
        assert (target > d) == (n > 0)
        # Spans are (a, b], so going back is exact only from a working day.
        if n > 0 or cal.is_workday(d):
            assert cal.workdays_between(d, target) == n, d


def test_next_workday() -> None:
    cal = WorkCalendar()
    assert cal.next_workday(date(2024, 10, 1)) == date(2024, 10, 8)
    assert cal.next_workday(date(2024, 9, 29)) == date(2024, 9, 29)
