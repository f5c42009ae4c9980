"""`taskbot publish`: make a reviewed draft the plan's current version (bot/store/loading.py).

A loaded plan is a draft until published: nothing is reminded, counted or shown to the
departments from it. `taskbot load` prints where to review it and this command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.state import command_clock, open_database
from bot.errors import UserError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.loading import LoadResult
    from parser.model import Plan


def review_url(settings: Settings, version_id: int) -> str:
    """The dashboard's review page of a draft, under [server] public_url."""
    return f"{settings.server.public_url.rstrip('/')}/review/{version_id}"


def print_warnings(parsed: Plan) -> None:
    for w in parsed.warnings:
        typer.echo(f"warning ({w.kind}): {w}", err=True)


def print_draft_help(settings: Settings, result: LoadResult) -> None:
    """How to review and publish a draft: the page and the command."""
    assert result.version.id is not None
    if result.reapplied or result.offered:
        typer.echo(
            f"corrections from earlier versions: {result.reapplied} re-applied, "
            f"{result.offered} to review (their sentence changed)"
        )
    typer.echo("nothing is reminded from a draft until it is published.")
    typer.echo(f"review:  {review_url(settings, result.version.id)}")
    typer.echo(f"publish: taskbot publish {result.version.id}")


def publish(
    ctx: typer.Context,
    version: Annotated[
        int | None, typer.Argument(help="The draft's version id (as `taskbot load` printed).")
    ] = None,
    plan: Annotated[int | None, typer.Option("--plan", help="The plan's open draft.")] = None,
) -> None:
    """Publish a draft: its tasks are created (or the revision applied) and reminded."""
    from bot.conversation.decisions import notify_revision
    from bot.render import Renderer
    from bot.store.db import session_scope
    from bot.store.loading import publish as publish_draft
    from bot.store.repo import corrections as rc

    if (version is None) == (plan is None):
        raise UserError("name the draft: taskbot publish VERSION_ID, or --plan PLAN_ID")
    engine = open_database(ctx)
    clock = command_clock(ctx)
    now = clock.now()
    with session_scope(engine) as session:
        if version is None:
            assert plan is not None
            draft = rc.plan_draft(session, plan)
            if draft is None or draft.id is None:
                raise UserError(f"plan {plan} has no draft waiting to be published")
            version = draft.id
        done = publish_draft(session, version, actor="cli", now=now)
        if done.revision is not None:
            # The departments whose tasks it withdrew or re-dated hear it (via the outbox).
            notify_revision(session, Renderer().render, done.revision, now=now)
        number = done.version.number
    what = f"{done.tasks} tasks"
    if done.revision is not None:
        c = done.revision.diff.counts()
        what = f"{c['added']} added, {c['changed']} changed, {c['withdrawn']} withdrawn"
    typer.echo(f"published plan {done.plan_id} version {number}: {what}")
