"""Store commands: load, publish, regenerate, contacts import/list, tasks, update.

Each command opens the configured database (migrating it to the newest schema), runs in
one transaction and prints a rich table or JSON. Errors are UserError / ServiceError and
reach the user as one line (bot.cli.main).

The store (SQLAlchemy, Alembic, rich) takes ~0.4 s to import, so it is imported inside the
commands that use it: `taskbot parse` and `taskbot --help` do not pay for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.manual import tasks_add, tasks_edit, tasks_withdraw
from bot.cli.onboard import contacts_disable, contacts_enable, contacts_link
from bot.cli.review import publish
from bot.cli.state import command_clock, open_database, state
from bot.errors import UserError
from bot.rules.datebounds import check_date

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.store.regenerate import PlanDiff
    from parser.model import Plan

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Answer as of this date (YYYY-MM-DD); default today.")
]
Fmt = Annotated[str, typer.Option("--format", "-f", help="table | json")]


def _engine(ctx: typer.Context) -> Engine:
    return open_database(ctx)


def _now(ctx: typer.Context, engine: Engine, as_of: str | None = None) -> datetime:
    """Now on the one clock (bot/store/clock.py): --as-of, the demo's clock recorded in this
    database (said on stderr), else the real time."""
    if as_of is not None:
        _date("--as-of", as_of)  # one clear message for a malformed date
    return command_clock(ctx, as_of).now()


def _today(ctx: typer.Context, engine: Engine, as_of: str | None) -> date:
    if as_of is not None:
        return _date("--as-of", as_of)
    return _now(ctx, engine).date()


def _date(option: str, value: str) -> date:
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise UserError(f"{option} must be a date like 2024-01-05, not {value!r}") from None
    return check_date(day, option)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise UserError(f"unknown --format {fmt!r}; use table or json")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _parse(file: Path) -> Plan:
    from parser import parse_document

    if not file.is_file():
        raise UserError(f"file not found: {file}")
    return parse_document(file)


def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The plan.")],
    publish: Annotated[
        bool,
        typer.Option("--publish", help="Publish at once (no review): reminders may go out."),
    ] = False,
    plan: Annotated[
        int | None, typer.Option("--plan", help="Load as a revision of this plan.")
    ] = None,
) -> None:
    """Parse a plan and store it as a draft to review (or --publish at once); a no-op if
    this exact text is stored already."""
    from bot.cli.review import print_draft_help, print_warnings
    from bot.store.db import session_scope
    from bot.store.loading import apply_revision, load_draft, load_plan

    parsed = _parse(file)
    engine = _engine(ctx)
    now = _now(ctx, engine)
    if plan is not None and publish:
        with session_scope(engine) as session:
            rev = apply_revision(session, parsed, plan_id=plan, actor="cli", now=now)
        if rev.version is None:
            typer.echo(f"unchanged: this text is plan {rev.plan_id}'s current version")
        else:
            c = rev.diff.counts()
            typer.echo(
                f"published plan {rev.plan_id} version {rev.version.number}: "
                f"{c['added']} added, {c['changed']} changed, {c['withdrawn']} withdrawn"
            )
        return
    with session_scope(engine) as session:
        if publish:
            result = load_plan(session, parsed, actor="cli", now=now)
        else:
            result = load_draft(session, parsed, plan_id=plan, actor="cli", now=now)
    if not result.created:
        kind = "a draft" if result.draft else "plan"
        typer.echo(
            f"unchanged: this text is stored already as {kind} {result.plan_id} "
            f"version {result.version.number}"
        )
        if result.draft:
            print_draft_help(state(ctx).settings, result)
        return
    state_word = "as a draft" if result.draft else "and published"
    typer.echo(
        f"loaded plan {result.plan_id} (version {result.version.number}) {state_word}: "
        f"{result.tasks} tasks from {file.name}"
    )
    # What an admin should check before reminders go out; on stderr, so scripts that
    # read the summary line are not disturbed.
    print_warnings(parsed)
    if result.draft:
        print_draft_help(state(ctx).settings, result)


def regenerate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The revised plan.")],
    plan: Annotated[int | None, typer.Option("--plan", help="Plan id (if several).")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Make it the current version.")] = False,
    take_plan_due: Annotated[
        list[str] | None,
        typer.Option(
            "--take-plan-due",
            metavar="ID",
            help="Where the plan's date changed but an approved extension is in force, take "
            "the plan's new date for this task (repeatable); default: the approved date stays.",
        ),
    ] = None,
    fmt: Fmt = "table",
) -> None:
    """Show what a revised plan changes; with --apply, make it current in one transaction."""
    from bot.conversation.decisions import notify_revision
    from bot.render import Renderer
    from bot.store.db import session_scope
    from bot.store.loading import apply_revision, preview_revision

    _check_format(fmt)
    parsed = _parse(file)
    engine = _engine(ctx)
    with session_scope(engine) as session:
        if apply:
            now = _now(ctx, engine)
            rev = apply_revision(
                session,
                parsed,
                plan_id=plan,
                actor="cli",
                now=now,
                take_plan_due=take_plan_due or (),
            )
            # The departments whose tasks it withdrew or re-dated hear it (via the outbox).
            notify_revision(session, Renderer().render, rev, now=now)
        else:
            rev = preview_revision(session, parsed, plan_id=plan)
    if fmt == "json":
        data = rev.diff.to_json()
        data["plan"] = rev.plan_id
        data["applied"] = rev.version is not None
        data["version"] = rev.version.number if rev.version else None
        _print_json(data)
        return
    _diff_table(rev.diff)
    if rev.identical:
        typer.echo("no change: the text is identical to the current version")
    elif rev.version is not None:
        typer.echo(f"applied: plan {rev.plan_id} is now at version {rev.version.number}")
    else:
        typer.echo("preview only; run again with --apply to make it the current version")


def _diff_table(diff: PlanDiff) -> None:
    from rich.console import Console
    from rich.table import Table

    counts = diff.counts()
    table = Table(
        title="revision: "
        + ", ".join(f"{counts[k]} {k}" for k in ("added", "changed", "withdrawn", "unchanged"))
    )
    for col in ("change", "id", "was", "text", "what changed"):
        table.add_column(col, overflow="fold")
    for c in diff.changes:
        if c.kind == "unchanged":
            continue
        j = c.to_json()
        what = "; ".join(
            f"{k}: {_short(a)} → {_short(b)}" for k, (a, b) in j["fields"].items() if k != "text"
        )
        if j["decided_due"]:
            what += f"{'; ' if what else ''}approved due {j['decided_due']} stays" + (
                " (--take-plan-due to take the plan's)" if c.due_conflict else ""
            )
        if "text" in j["fields"]:
            what = "text reworded" + ("; " + what if what else "")
        table.add_row(c.kind, j["id"], j["old_id"] or "", _short(j["text"], 40), what)
    Console().print(table)


def _short(v: Any, n: int = 24) -> str:
    s = "、".join(v) if isinstance(v, list) else "—" if v is None else str(v)
    return s if len(s) <= n else s[: n - 1] + "…"


contacts_app = typer.Typer(help="Who is reached where.", no_args_is_help=True)
contacts_app.command("link")(contacts_link)  # issue a web chat login link (bot/cli/onboard.py)
contacts_app.command("disable")(contacts_disable)
contacts_app.command("enable")(contacts_enable)


@contacts_app.command("import")
def contacts_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=".csv or .xlsx with department,name,…")],
) -> None:
    """Import contacts: every row is checked first; one bad row refuses the whole file."""
    from bot.store.contacts_import import import_contacts
    from bot.store.db import session_scope
    from bot.store.departments import match_department
    from parser.units import canonicalize, is_known

    with session_scope(_engine(ctx)) as session:
        n, created, updated = import_contacts(
            session,
            file,
            canonicalize=canonicalize,
            is_known=is_known,
            match=match_department,  # "能源局" is the stored 市能源局
        )
    typer.echo(f"imported {n} contacts ({created} new, {updated} updated)")


@contacts_app.command("list")
def contacts_list(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", help="Only this department.")] = None,
    fmt: Fmt = "table",
) -> None:
    """List contacts by department."""
    from rich.console import Console
    from rich.table import Table

    from bot.store import repo
    from bot.store.db import session_scope

    _check_format(fmt)
    with session_scope(_engine(ctx)) as session:
        found = repo.list_contacts(session, department=_canonical(dept), with_disabled=True)
    if fmt == "json":
        _print_json([{k: getattr(c, k) for k in c.__slots__} for c in found])
        return
    table = Table(title=f"{len(found)} contacts")
    for col in ("department", "name", "role", "platform", "user_id", "state"):
        table.add_column(col)
    for c in found:
        state_ = "disabled" if c.disabled else ""
        table.add_row(c.department, c.name, c.role, c.platform, c.user_id, state_)
    Console().print(table)


def _canonical(dept: str | None) -> str | None:
    if dept is None:
        return None
    try:
        from parser.units import canonicalize
    except ImportError:  # the alias table is optional for queries
        return dept
    return canonicalize(dept)


def tasks(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", help="Led or cooperated by.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="e.g. pending")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue tasks.")] = False,
    plan: Annotated[int | None, typer.Option("--plan", help="Only this plan.")] = None,
    as_of: AsOf = None,
    fmt: Fmt = "table",
) -> None:
    """Query tasks (overdue is computed against --as-of); `tasks add` makes one by hand."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from bot.store import repo
    from bot.store.db import session_scope
    from bot.store.models import STATUS_LABELS
    from bot.store.repo import corrections as rc

    _check_format(fmt)
    if status is not None and status not in STATUS_LABELS:
        raise UserError(f"unknown --status {status!r}; use one of {', '.join(STATUS_LABELS)}")
    engine = _engine(ctx)
    today = _today(ctx, engine, as_of)
    with session_scope(engine) as session:
        rows = repo.list_tasks(
            session,
            as_of=today,
            department=_canonical(dept),
            status=status,
            overdue=overdue,
            plan_id=plan,
        )
        drafts = [(v.id, v.plan_id) for v in rc.open_drafts(session)]
    # A draft's tasks are not listed (nothing is reminded from it): say where they wait, on
    # stderr, so the list a script reads is unchanged.
    for version_id, plan_id in drafts:
        typer.echo(
            f"plan {plan_id} has a draft waiting for review: taskbot publish {version_id}",
            err=True,
        )
    if fmt == "json":
        _print_json([r.to_json() for r in rows])
        return
    table = Table(title=f"{len(rows)} tasks as of {today.isoformat()}")
    for col in ("id", "task", "lead", "cooperating", "due", "status", "overdue"):
        # Ids, dates, statuses and day counts never break mid-value; the texts fold.
        table.add_column(col, overflow="fold", no_wrap=col not in ("task", "cooperating"))
    for r in rows:
        table.add_row(
            r.id,
            _short(r.label, 40),
            r.lead or "",
            _short(r.cooperating, 30),
            r.due.isoformat() if r.due else "",
            STATUS_LABELS.get(r.status, r.status),
            f"{r.overdue_days}个工作日" if r.overdue_days else "",
        )
    Console().print(table)


def update(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="ID", help="Task id, e.g. 3.4.2")],
    status: Annotated[str, typer.Argument(help="in_progress|reported|closed|returned|… or 完成…")],
    note: Annotated[str, typer.Option("--note", help="Note or reason.")] = "",
    by: Annotated[str | None, typer.Option("--by", help="Contact who reported it.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="New date for 延期.")] = None,
    plan: Annotated[int | None, typer.Option("--plan", help="Plan id (if several).")] = None,
) -> None:
    """Record a status change by hand, with the same rules and audit as a chat reply."""
    from bot.store import repo
    from bot.store.db import session_scope
    from bot.store.models import STATUS_LABELS

    new_due = _date("--due", due) if due else None
    engine = _engine(ctx)
    now = _now(ctx, engine)
    with session_scope(engine) as session:
        action = repo.parse_action(status)
        task = repo.find_task(session, task_id, plan_id=plan)
        assert task.id is not None
        contact_id = None
        actor = "operator (cli)"
        if by is not None:
            found = repo.find_contacts_by_name(session, by)
            if not found:
                raise UserError(f"no contact named {by}")
            on_task = {c.id for c, _role in repo.contacts_for_task(session, task.id)}
            found.sort(key=lambda c: c.id not in on_task)
            contact_id, actor = found[0].id, f"{found[0].name} (via cli)"
        event = repo.record_status(
            session,
            task.id,
            action,
            contact_id=contact_id,
            actor=actor,
            note=note,
            channel="cli",
            new_due=new_due,
            now=now,
        )
    typer.echo(
        f"{task.key}: {STATUS_LABELS[event.from_status]} → {STATUS_LABELS[event.to_status]}"
    )


_COMMANDS: tuple[Callable[..., None], ...] = (load, publish, regenerate, update)
# `taskbot tasks [--dept …]` queries; `taskbot tasks add …` makes a task from no plan.
tasks_app = typer.Typer(invoke_without_command=True)
tasks_app.callback()(tasks)
tasks_app.command("add")(tasks_add)
tasks_app.command("edit")(tasks_edit)  # hand-made tasks only (bot/cli/manual.py)
tasks_app.command("withdraw")(tasks_withdraw)


def register(app: typer.Typer) -> None:
    """Attach the store commands to the root app."""
    for command in _COMMANDS:
        app.command()(command)
    app.add_typer(contacts_app, name="contacts")
    app.add_typer(tasks_app, name="tasks")
