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
    "load": "bot.cli_store",
    "regenerate": "bot.cli_store",
    "publish": "bot.cli_store",
    "contacts": "bot.cli_store",
    "tasks": "bot.cli_store",
    "update": "bot.cli_store",
    "report": "bot.cli_dashboard",
    "users": "bot.cli_dashboard",
    "serve": "bot.cli_bot",
    "demo": "bot.cli_bot",
    "remind": "bot.cli_bot",
    "calendar": "bot.cli_calendar",
}


def register(app: typer.Typer, command: str | None) -> None:
    """Attach the group that defines `command`, or every group (help, unknown commands)."""
    wanted = [GROUPS[command]] if command in GROUPS else list(dict.fromkeys(GROUPS.values()))
    for name in wanted:
        importlib.import_module(name).register(app)
