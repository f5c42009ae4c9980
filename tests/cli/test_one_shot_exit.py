"""A one-shot command closes its database before the process exits.

The CLI leaves the cyclic garbage collector off and skips its last walk at exit (start-up
speed, bench/bench_startup.py), so nothing may depend on a collection to be released: SQLite
folds its write-ahead log into the database file only when the last connection closes.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "examples" / "taiyuan-energy-plan.txt"
ENTRY = "from bot.cli import main; main()"


def test_a_copy_of_the_file_after_load_holds_what_it_wrote(tmp_path: Path) -> None:
    db = tmp_path / "tasks.db"
    proc = subprocess.run(
        [sys.executable, "-c", ENTRY, "--db", f"sqlite:///{db}", "load", "--publish", str(SEED)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.db"
    shutil.copyfile(db, copy)  # the file alone, as a careless backup would take it
    with sqlite3.connect(copy) as conn:
        (tasks,) = conn.execute("SELECT count(*) FROM task").fetchone()
    assert tasks == 45
