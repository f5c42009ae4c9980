"""Run `taskbot` as a real process (what users run), with the database given by --db."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
ENTRY = "from bot.cli import main; main()"


def taskbot(db: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
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
