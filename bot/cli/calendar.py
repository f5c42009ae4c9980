"""`taskbot calendar`: the admin's override table of working days.

chinesecalendar knows the State Council's holiday arrangements only for the
years it was released with; for a later year (or a local arrangement) an admin
enters the days here, and reminders follow them from the next pass on.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.cli.state import open_database
from bot.errors import UserError
from bot.rules.datebounds import check_date

# The store (SQLAlchemy) is imported in the commands: `taskbot --help` does not pay for it.

calendar_app = typer.Typer(help="Working-day overrides (调休, holidays of years not yet known).")

_KINDS = {"workday": True, "上班": True, "holiday": False, "休息": False, "休": False}


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    return check_date(day, "date")


@calendar_app.command("set")
def set_day(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    kind: Annotated[str, typer.Argument(help="workday | holiday (上班 | 休息)")],
    note: Annotated[str, typer.Option("--note", help="e.g. 春节调休")] = "",
) -> None:
    """Declare a day a working day or a holiday."""
    from bot.store.db import session_scope
    from bot.store.repo.calendar import set_calendar_override

    if kind not in _KINDS:
        raise UserError(f"kind must be workday or holiday, not {kind!r}")
    d = _day(day)
    with session_scope(open_database(ctx)) as s:
        set_calendar_override(s, d, _KINDS[kind], note=note, actor="cli")
    typer.echo(f"{d}: {'working day' if _KINDS[kind] else 'holiday'}")


@calendar_app.command("unset")
def unset_day(ctx: typer.Context, day: Annotated[str, typer.Argument(help="YYYY-MM-DD")]) -> None:
    """Remove a day's override (the built-in calendar decides again)."""
    from bot.store.db import session_scope
    from bot.store.repo.calendar import unset_calendar_override

    d = _day(day)
    with session_scope(open_database(ctx)) as s:
        found = unset_calendar_override(s, d, actor="cli")
    if not found:
        raise UserError(f"{d} has no override")
    typer.echo(f"{d}: override removed")


@calendar_app.command("list")
def list_days(ctx: typer.Context) -> None:
    """Show every override."""
    from rich.console import Console
    from rich.table import Table

    from bot.store.db import session_scope
    from bot.store.repo.calendar import list_calendar_overrides

    with session_scope(open_database(ctx)) as s:
        rows = list_calendar_overrides(s)
    table = Table("day", "kind", "note", "set by")
    for r in rows:
        table.add_row(r.day.isoformat(), "workday" if r.workday else "holiday", r.note, r.set_by)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")
