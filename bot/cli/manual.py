"""`taskbot tasks add`: a task from no plan (a meeting's minutes, a leader's instruction).

    taskbot tasks add --title 推进老旧小区加装电梯 --lead 住建局 --coop 财政局,自然资源局 \
        --due 2024-09-30 --source "2024年第3次市长办公会纪要" [--text …]

Departments are read as the chat reads them ("能源局" is the stored 市能源局). The task
goes into the manual plan named for its source (bot/store/manual.py) and is reminded,
counted and reported like any plan task.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.cli.state import state
from bot.errors import UserError
from bot.rules.datebounds import check_date


def tasks_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="What is to be done (short).")],
    lead: Annotated[str, typer.Option("--lead", help="Lead department (牵头单位).")],
    due: Annotated[str, typer.Option("--due", help="Deadline, YYYY-MM-DD.")],
    coop: Annotated[
        str, typer.Option("--coop", help="Cooperating departments, comma-separated.")
    ] = "",
    text: Annotated[str, typer.Option("--text", help="The full wording, if longer.")] = "",
    source: Annotated[
        str,
        typer.Option("--source", help='Where it comes from, e.g. "2024年第3次市长办公会纪要".'),
    ] = "",
) -> None:
    """Add a task that comes from no plan; it is reminded and reported like any other."""
    from bot.store.clock import resolve_clock
    from bot.store.db import open_store, session_scope
    from bot.store.departments import match_department
    from bot.store.manual import ManualTask, add_manual_task, split_departments
    from parser.units import canonicalize, is_known

    try:
        deadline = date.fromisoformat(due.strip())
    except ValueError:
        raise UserError(f"--due must be a date like 2024-09-30, not {due!r}") from None
    check_date(deadline, "--due")
    settings = state(ctx).settings
    engine = open_store(settings.database_url)
    clock, note = resolve_clock(engine, None, settings.tz)
    if note:
        typer.echo(note, err=True)
    entry = ManualTask(
        title=title,
        lead=lead,
        due=deadline,
        cooperating=split_departments(coop),
        text=text,
        source=source,
    )
    with session_scope(engine) as session:
        added = add_manual_task(
            session,
            entry,
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            actor="operator (cli)",
            now=clock.now(),
        )
    with_coop = f"，配合 {'、'.join(added.cooperating)}" if added.cooperating else ""
    typer.echo(
        f"added task {added.key} (plan {added.plan_id}): {added.lead} 牵头{with_coop}，"
        f"完成时限 {deadline.isoformat()}"
    )
