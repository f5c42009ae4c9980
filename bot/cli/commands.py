"""Command groups beyond `parse`, each in its own module, imported only when used.

A command's module is imported only when that command runs (or for `--help`),
so `taskbot load` does not pay for the web app, the report libraries or the
chat adapters (~1 s of imports). Add a command: one line in `GROUPS`.
"""

from __future__ import annotations

import importlib

import typer

# command name -> the module whose `register(app)` defines it
GROUPS: dict[str, str] = {
    "load": "bot.cli.store",
    "regenerate": "bot.cli.store",
    "publish": "bot.cli.store",
    "contacts": "bot.cli.store",
    "tasks": "bot.cli.store",
    "update": "bot.cli.store",
    "report": "bot.cli.dashboard",
    "users": "bot.cli.dashboard",
    "serve": "bot.cli.serve",
    "demo": "bot.cli.serve",
    "remind": "bot.cli.serve",
    "calendar": "bot.cli.calendar",
}


def register(app: typer.Typer, command: str | None) -> None:
    """Attach the group that defines `command`, or every group (help, unknown commands)."""
    wanted = [GROUPS[command]] if command in GROUPS else list(dict.fromkeys(GROUPS.values()))
    for name in wanted:
        importlib.import_module(name).register(app)
