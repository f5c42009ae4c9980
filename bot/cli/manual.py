"""`taskbot tasks add | edit | withdraw`: a task from no plan (a meeting's minutes, a
leader's instruction), and correcting or withdrawing one.

    taskbot tasks add --title 推进老旧小区加装电梯 --lead 住建局 --coop 财政局,自然资源局 \
        --due 2024-09-30 --source "2024年第3次市长办公会纪要" [--text …]

Departments are read as the chat reads them ("能源局" is the stored 市能源局). The task
goes into the manual plan named for its source (bot/store/manual.py) and is reminded,
counted and reported like any plan task.

    taskbot tasks edit 0.3 --due 2024-10-31 --lead 财政局     (only what is given changes)
    taskbot tasks withdraw 0.3 --reason "已并入0.5"
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.cli.state import command_clock, open_database
from bot.errors import UserError
from bot.rules.datebounds import check_date


def _due(value: str) -> date:
    try:
        deadline = date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--due must be a date like 2024-09-30, not {value!r}") from None
    check_date(deadline, "--due")
    return deadline


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
    from bot.store.db import session_scope
    from bot.store.departments import match_department
    from bot.store.manual import ManualTask, add_manual_task, split_departments
    from parser.units import canonicalize, is_known

    deadline = _due(due)
    engine = open_database(ctx)
    clock = command_clock(ctx)
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


def tasks_edit(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="ID", help="A hand-made task's id, e.g. 0.3.")],
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    lead: Annotated[str | None, typer.Option("--lead", help="New lead department.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="New deadline, YYYY-MM-DD.")] = None,
    coop: Annotated[
        str | None,
        typer.Option("--coop", help='Cooperating departments, comma-separated ("" for none).'),
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="New full wording.")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="New source note (moves it to that list).")
    ] = None,
) -> None:
    """Correct a hand-made task; its departments are told what changed. (A plan's task is
    corrected in the plan's review.)"""
    from bot.render import Renderer
    from bot.store.db import session_scope
    from bot.store.departments import match_department
    from bot.store.manual import split_departments
    from bot.store.manual_changes import ManualEdit, edit_manual_task, find_manual_task
    from parser.units import canonicalize, is_known

    edit = ManualEdit(
        title=title,
        text=text,
        lead=lead,
        cooperating=None if coop is None else split_departments(coop),
        due=None if due is None else _due(due),
        source=source,
    )
    if edit == ManualEdit():
        raise UserError(
            "nothing to change: give --title, --lead, --coop, --due, --text or --source"
        )
    engine = open_database(ctx)
    clock = command_clock(ctx)
    render = Renderer().render
    with session_scope(engine) as session:
        task = find_manual_task(session, task_id)
        assert task.id is not None
        changed = edit_manual_task(
            session,
            task.id,
            edit,
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            render=render,
            actor="operator (cli)",
            now=clock.now(),
        )
    if not changed.fields:
        typer.echo(f"task {changed.key}: nothing changed")
        return
    for name, (old, new) in changed.fields.items():
        typer.echo(f"task {changed.key} {name}: {old or '-'} -> {new or '-'}")
    typer.echo(f"  {changed.told} message(s) queued for the departments")


def tasks_withdraw(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="ID", help="A hand-made task's id, e.g. 0.3.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (the departments see it).")] = "",
) -> None:
    """Withdraw (撤销) a hand-made task: no more reminders; replies and history are kept."""
    from bot.render import Renderer
    from bot.store.db import session_scope
    from bot.store.manual_changes import find_manual_task, withdraw_manual_task

    engine = open_database(ctx)
    clock = command_clock(ctx)
    render = Renderer().render
    with session_scope(engine) as session:
        task = find_manual_task(session, task_id)
        assert task.id is not None
        done = withdraw_manual_task(
            session, task.id, reason=reason, render=render, actor="operator (cli)", now=clock.now()
        )
    typer.echo(f"withdrew task {done.key}; {done.told} message(s) queued for the departments")
