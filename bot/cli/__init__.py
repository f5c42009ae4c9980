"""The `taskbot` command line (typer + rich).

Each command is a thin shell: it reads options, calls the parser, the store or
the bot, and prints. Errors become one line on stderr and an exit code
(2 bad input, 1 anything else); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.state import OutputFormat, global_options
from bot.errors import ServiceError, UserError

app = typer.Typer(
    name="taskbot",
    help="Turn a city's implementation plan (实施方案) into tracked, reminded tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


app.callback()(global_options)


@app.command()
def parse(
    file: Annotated[
        Path,
        typer.Argument(
            help="The plan: .txt, .docx, .pdf (scans with the ocr extra), .doc/.wps, .html, .ofd."
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="json | table | graphml")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here, not stdout.")
    ] = None,
) -> None:
    """Parse a plan and show its measures, leads, cooperators, milestones and goals."""
    from bot.cli import parse_output
    from bot.cli.progress import parse_progress
    from parser import parse_document

    if fmt not in (OutputFormat.JSON, OutputFormat.TABLE, OutputFormat.GRAPHML):
        raise UserError(f"unknown --format {fmt!r}; use json, table or graphml")
    with parse_progress():  # a bar on stderr for long reads: OCR, LibreOffice
        plan = parse_document(file)
    parse_output.emit(plan, fmt, out)


_VALUE_OPTIONS = ("--db", "--config")
# Commands that run until stopped: they keep the cyclic garbage collector.
_LONG_RUNNING = frozenset({"serve", "demo"})


def _invoked_command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (skipping global options and their values)."""
    args = iter(argv)
    for arg in args:
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _register_subcommands(command: str | None) -> None:
    """Attach the command groups that live in their own modules (see bot.cli.commands).

    `parse` is defined here and needs none of them: it is run over many files in
    scripts and must start in well under a second.
    """
    if command == "parse":
        return
    from bot.cli import commands

    commands.register(app, command)


def _parse_error() -> type[Exception]:
    """The parser's ParseError if the parser was imported, else a stand-in nothing raises.

    A ParseError can only exist once `parser` is imported; importing it just to name the
    class would cost `--help` and the store commands the whole parser (~60 ms).
    """
    module = sys.modules.get("parser.errors")
    return getattr(module, "ParseError", _NeverRaised) if module else _NeverRaised


class _NeverRaised(Exception):
    """Matches nothing: no code raises it."""


def main() -> None:
    """Console entry point: run the app, turn known errors into one line and an exit code.

    Usage errors are handled by click itself (exit 2); our own errors propagate
    out of the app and are reported here. This is the process's entry: it tunes the garbage
    collector for a process about to exit. Code that runs commands in process uses `app`.
    """
    command = _invoked_command(sys.argv[1:])
    one_shot = command not in _LONG_RUNNING
    if one_shot:
        # A one-shot command lives for a second: the cyclic collector would only walk the
        # objects its imports create (SQLAlchemy, pydantic), again and again, and free none.
        gc.disable()
    _register_subcommands(command)
    debug = "--debug" in sys.argv
    try:
        _run(debug)
    finally:
        if one_shot:
            # Exiting: spare the interpreter's last collection its walk over all of them
            # (~0.1 s of `taskbot load`). The command closed its database already
            # (state.open_database); nothing else waits on a collection to be released.
            gc.freeze()


def _run(debug: bool) -> None:
    try:
        app()
    except (UserError, _parse_error()) as exc:  # evaluated only once something was raised
        if debug:
            raise
        print(f"taskbot: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ServiceError as exc:
        if debug:
            raise
        print(f"taskbot: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # the last line of defence: no traceback to users
        if debug:
            raise
        print(f"taskbot: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
