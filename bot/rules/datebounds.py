"""The years a date the bot reads may fall in: one home for the bound.

A plan, a chat reply, a command-line option or the dashboard's filters can all carry a
date; one outside 2000–2100 is a typo (0000-01-01, 9999-12-31) and is refused with a
message rather than stored, where it would overflow calendar arithmetic later.
"""

from __future__ import annotations

from datetime import date

from bot.errors import UserError

MIN_YEAR, MAX_YEAR = 2000, 2100


def in_bounds(d: date) -> bool:
    return MIN_YEAR <= d.year <= MAX_YEAR


def check_date(d: date, what: str) -> date:
    """`d`, or a UserError saying that `what` is outside the years the bot handles."""
    if not in_bounds(d):
        raise UserError(f"{what}: {d.isoformat()} is outside {MIN_YEAR}–{MAX_YEAR}")
    return d
