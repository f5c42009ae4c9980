"""The rules, table-driven (pure functions, time injected): overdue in working days, the
counting unit's roll-up, the named completion rates, spreadsheet text that cannot run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.cli.parse_output import plain_utf8
from bot.reports.xlsx_ledger import neutralise
from bot.rules.completion import completion, rollup_status
from bot.rules.overdue import overdue_cutoff, overdue_days, overdue_label
from bot.rules.workcalendar import make_calendar

CN = make_calendar("cn")


@pytest.mark.parametrize(
    ("due", "status", "today", "days"),
    [
        (date(2024, 1, 4), "pending", date(2024, 1, 5), 1),  # Thursday's deadline, Friday
        (date(2024, 1, 5), "pending", date(2024, 1, 5), 0),  # due today: not yet
        (date(2023, 12, 31), "pending", date(2024, 1, 1), 0),  # Sunday, then 元旦: not yet
        (date(2023, 12, 31), "pending", date(2024, 1, 2), 1),
        (date(2023, 12, 31), "in_progress", date(2024, 1, 5), 4),
        (date(2023, 12, 31), "returned", date(2024, 1, 5), 4),
        (date(2023, 12, 31), "extension_requested", date(2024, 1, 5), 4),  # still owed
        (date(2023, 12, 31), "reported", date(2024, 1, 5), 0),  # awaits the coordinator
        (date(2023, 12, 31), "closed", date(2024, 1, 5), 0),
        (date(2023, 12, 31), "withdrawn", date(2024, 1, 5), 0),
        (None, "pending", date(2024, 1, 5), 0),
        (date(2024, 1, 5), "pending", date(2024, 1, 6), 0),  # Friday's deadline, Saturday
        (date(2024, 1, 5), "pending", date(2024, 1, 8), 1),  # … and Monday
        (date(2024, 2, 9), "pending", date(2024, 2, 17), 0),  # 春节 2024-02-10..17
        (date(2024, 2, 9), "pending", date(2024, 2, 18), 1),  # the Sunday 调休 day counts
        (date(2024, 2, 9), "pending", date(2024, 2, 19), 2),
        (date(9999, 12, 31), "pending", date(2024, 1, 5), 0),  # an extension to the end
    ],
)
def test_overdue_days(due: date | None, status: str, today: date, days: int) -> None:
    assert overdue_days(due, status, today, CN) == days


def test_the_cutoff_is_the_rule_in_sql_form() -> None:
    # For every due date and day in a span with weekends, 元旦, 春节 and 调休: overdue by the
    # rule exactly when due < cutoff (what the queries filter with).
    start = date(2023, 12, 20)
    for t in range(60):
        today = start + timedelta(days=t)
        cutoff = overdue_cutoff(today, CN)
        for d in range(-10, 40):
            due = start + timedelta(days=d)
            assert (overdue_days(due, "pending", today, CN) > 0) == (due < cutoff), (due, today)


def test_an_override_counts() -> None:
    off = make_calendar("cn", {date(2024, 1, 2): False})
    assert overdue_days(date(2023, 12, 31), "pending", date(2024, 1, 5), off) == 3
    assert overdue_days(date(2023, 12, 31), "pending", date(2024, 1, 2), off) == 0
    assert overdue_label(3) == "逾期3个工作日"


@pytest.mark.parametrize(
    ("own", "children", "rolled"),
    [
        ("pending", [], "pending"),  # no milestones: the measure's own
        ("pending", ["pending", "pending"], "pending"),
        ("pending", ["closed", "closed"], "closed"),
        ("pending", ["closed", "reported"], "reported"),
        ("pending", ["closed", "pending"], "in_progress"),
        ("pending", ["returned", "pending"], "in_progress"),
        ("pending", ["extension_requested"], "in_progress"),
        ("pending", ["closed", "withdrawn"], "closed"),  # withdrawn ones do not count
        ("closed", ["pending"], "closed"),  # a coordinator closed the whole measure
        ("withdrawn", ["pending"], "withdrawn"),
        ("returned", ["pending"], "returned"),
    ],
)
def test_rollup(own: str, children: list[str], rolled: str) -> None:
    assert rollup_status(own, children) == rolled


def test_the_two_rates_have_names() -> None:
    done = completion({"closed": 1, "reported": 1, "pending": 2})
    assert (done.total, done.closed_rate, done.reported_rate) == (4, 25.0, 50.0)
    assert done.text() == "已销号率25.0%，已报完成率50.0%"
    assert completion({}).closed_rate == 0.0


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("已完成=100%", "已完成=100%"),
        ("", ""),
    ],
)
def test_neutralise(text: str, written: str) -> None:
    assert neutralise(text) == written


def test_graphml_is_plain_utf8() -> None:
    xml = '<graphml><data key="d0">&#22826;&#21407; &lt;&amp;&gt; &#10;</data></graphml>'
    out = plain_utf8(xml)
    assert out.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert "太原 &lt;&amp;&gt; &#10;" in out  # markup escapes and control characters stay
