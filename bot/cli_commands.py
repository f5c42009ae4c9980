"""Command groups beyond `parse`, each registered here by one line.

Keep each group in its own module (bot/cli_store.py, bot/cli_bot.py, …) and add
one `register` call below, so no two features edit the same lines.
"""

from __future__ import annotations

import typer

from bot import cli_bot, cli_calendar, cli_dashboard, cli_store


def register(app: typer.Typer) -> None:
    """Attach every command group to the root app."""
    cli_store.register(app)
    cli_dashboard.register(app)
    cli_bot.register(app)
    cli_calendar.register(app)
