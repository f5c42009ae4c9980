"""What every command shares: the global options (--db, --config, --debug) and --format choices.

Command modules import this, never `bot.cli` itself, so the typer app (in `bot/cli/__init__.py`)
imports its command groups on use and nothing imports back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.clock import Clock
    from bot.config import Settings


@dataclass
class CliState:
    """Global options; settings are loaded on first use so `parse` stays fast."""

    db: str | None = None
    config: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    engine: Engine | None = field(default=None, repr=False)  # see open_database

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from bot.config import ConfigError, load_settings

            try:
                self._settings = load_settings(self.config, database_url=self.db)
            except ConfigError as exc:
                raise UserError(str(exc)) from None
        return self._settings


def open_database(ctx: typer.Context) -> Engine:
    """The configured store, migrated: opened once per command and closed when it ends.

    Closing matters, not only tidiness: SQLite folds its write-ahead log back into the
    database file when the last connection closes, so a copy of tasks.db taken after a
    command holds what it wrote. (The process's exit does not close what it never frees.)
    """
    obj = state(ctx)
    if obj.engine is None:
        from bot.store.db import open_store

        obj.engine = open_store(obj.settings.database_url)
        ctx.call_on_close(obj.engine.dispose)
    return obj.engine


def command_clock(ctx: typer.Context, as_of: str | None = None) -> Clock:
    """The one clock of this command's database (bot/store/clock.py): `as_of`, else the
    demo's clock recorded in it (said on stderr, so the answer's day is no surprise), else
    now."""
    from bot.store.clock import resolve_clock

    clock, note = resolve_clock(open_database(ctx), as_of, state(ctx).settings.tz)
    if note:
        typer.echo(note, err=True)
    return clock


def global_options(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (else TASKBOT_DB, DATABASE_URL).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Config file (else ./taskbot.toml).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    ctx.obj = CliState(db=db, config=config, debug=debug)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.obj
    assert isinstance(obj, CliState)
    return obj


class OutputFormat:
    """Shared choices for --format."""

    JSON = "json"
    TABLE = "table"
    GRAPHML = "graphml"
