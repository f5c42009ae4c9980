"""Overdue: the one rule, in Chinese working days, for chat, digest, dashboard, CLI and reports.

A task is overdue when its department still owes work (status pending, in progress, returned
or extension requested) and at least one working day has passed since its due date. The number
of days overdue is the number of working days in (due, today] — the same count the reminders
use, on the same calendar (chinesecalendar with 调休, plus the admin's overrides), and it is
always shown as "N个工作日".

A deadline that falls on a weekend or holiday is therefore met by the next working day
(the way 期间届满 is read in Chinese administrative practice): due Saturday, Monday is the
first overdue day, and on Sunday nothing is overdue yet.

For SQL the rule has an equivalent cut-off date: overdue ⇔ due < `overdue_cutoff(today)`, the
last working day on or before today. Queries filter with it; rows get their day count here.
"""

from __future__ import annotations

from datetime import date

from bot.rules.workcalendar import WorkCalendar
from bot.store.models import OPEN_STATUSES

# The unit every overdue count is printed with.
UNIT = "个工作日"


def overdue_cutoff(today: date, calendar: WorkCalendar) -> date:
    """Due dates before this day are overdue at `today` (the last working day ≤ today)."""
    return calendar.last_workday(today)


def overdue_days(due: date | None, status: str, today: date, calendar: WorkCalendar) -> int:
    """Working days overdue at `today`; 0 for work not owed, not yet due, or no due date."""
    if due is None or status not in OPEN_STATUSES or due >= today:
        return 0
    return max(calendar.workdays_between(due, today), 0)


def overdue_label(days: int) -> str:
    """'逾期3个工作日' — how every channel says it."""
    return f"逾期{days}{UNIT}"
