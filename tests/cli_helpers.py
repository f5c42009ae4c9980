"""Run `taskbot` store commands: in process (fast) or as a real process (what users run)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli import store as cli_store
from bot.cli.state import global_options
from bot.errors import ServiceError, UserError
from parser.errors import ParseError

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
ENTRY = "from bot.cli import main; main()"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def _app() -> typer.Typer:
    # A fresh root app with the real global options and the store commands: the shared
    # `bot.cli.app` is left alone.
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(global_options)
    cli_store.register(app)
    return app


def invoke(db: str, *args: str) -> Run:
    """Like `taskbot --db DB ARGS…`, mapping errors to exit codes the way `bot.cli.main` does."""
    result = CliRunner().invoke(_app(), ["--db", db, *args], env={"TASKBOT_DB": None})
    exc = result.exception
    if isinstance(exc, (UserError, ParseError)):
        return Run(2, result.stdout, f"taskbot: error: {exc}\n")
    if isinstance(exc, ServiceError):
        return Run(1, result.stdout, f"taskbot: error: {exc}\n")
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Run(result.exit_code, result.stdout, "")


def taskbot(db: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKBOT_")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or ROOT,
        env=env,
        check=False,
    )
