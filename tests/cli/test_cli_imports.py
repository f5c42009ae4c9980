"""`taskbot --help` and `taskbot parse` must not import the app behind the other commands.

What they import is checked, not how long it takes (timing lives in
bench/bench_startup.py): a module-level import of the web app, the store or the
report libraries in any command group brings `--help` back to seconds.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "examples" / "taiyuan-energy-plan.txt"

HEAVY = ("aiohttp", "sqlalchemy", "sqlmodel", "alembic", "matplotlib", "docx", "openpyxl")


def _imported_after(argv: list[str]) -> set[str]:
    """Top-level packages in sys.modules after `taskbot ARGV` ran in a fresh interpreter."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.argv = ["taskbot", *{argv!r}]
        from bot.cli import main
        try:
            main()
        except SystemExit:
            pass
        print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}})))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.splitlines()[-1].split())  # the help text comes first


@pytest.mark.parametrize("argv", [["--help"], ["calendar", "--help"], ["users", "--help"]])
def test_help_imports_no_app_library(argv: list[str]) -> None:
    heavy = sorted(set(HEAVY) & _imported_after(argv))
    assert heavy == [], f"taskbot {' '.join(argv)} imported {heavy}"


def test_parse_imports_no_app_library() -> None:
    heavy = sorted(set(HEAVY) & _imported_after(["parse", str(SEED), "--format", "json"]))
    assert heavy == [], f"taskbot parse imported {heavy}"
