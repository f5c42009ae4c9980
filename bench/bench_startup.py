"""Start-up speed of the `taskbot` command, whole process, beside a bare interpreter.

Targets (issue 11): `taskbot --help` <= 0.3 s, `taskbot parse` of the seed <= 0.3 s,
`taskbot load` of the seed <= 0.6 s. `load` (a draft for review) and `load --publish` (the
tasks themselves, one step) are measured into a database already at the newest schema (an
office's everyday case: copied from a migrated template before each run, outside the
timing); `load` also into a fresh SQLite file (the first load, which also runs the
migrations, once per database). A bare `python -c pass` is measured in the same run so the
figures can be read on a slower or busier machine.

Run: .venv/bin/python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
# The console script next to the running interpreter: what a user types.
TASKBOT = str(Path(sys.executable).parent / "taskbot")

# name -> (seconds allowed, None for the baseline)
TARGETS: dict[str, float | None] = {
    "python -c pass": None,
    "taskbot --help": 0.3,
    "taskbot parse": 0.3,
    "taskbot load": 0.6,
    "taskbot load --publish": 0.6,
    "taskbot load, fresh db": None,  # once per database; reported, not a target
}


def _run(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - t0


def _migrated_copy(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


def _commands(tmp: Path) -> dict[str, Callable[[int], list[str]]]:
    """Each command as a function of the run number (load needs a new database each time)."""
    template = tmp / "migrated.db"
    subprocess.run(
        [TASKBOT, "--db", f"sqlite:///{template}", "calendar", "list"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return {
        "python -c pass": lambda _i: [sys.executable, "-c", "pass"],
        "taskbot --help": lambda _i: [TASKBOT, "--help"],
        "taskbot parse": lambda _i: [TASKBOT, "parse", str(SEED), "--format", "json"],
        "taskbot load": lambda i: [
            TASKBOT,
            "--db",
            f"sqlite:///{_migrated_copy(template, tmp / f'load-{i}.db')}",
            "load",
            str(SEED),
        ],
        "taskbot load --publish": lambda i: [
            TASKBOT,
            "--db",
            f"sqlite:///{_migrated_copy(template, tmp / f'publish-{i}.db')}",
            "load",
            "--publish",
            str(SEED),
        ],
        "taskbot load, fresh db": lambda i: [
            TASKBOT,
            "--db",
            f"sqlite:///{tmp / f'fresh-{i}.db'}",
            "load",
            str(SEED),
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    # No config file or database from the caller's environment: the same work each run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKBOT_")}
    env.pop("DATABASE_URL", None)
    env["NO_COLOR"] = "1"
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        commands = _commands(tmp)
        times: dict[str, list[float]] = {name: [] for name in commands}
        # Interleaved rounds, so a burst of load on the machine hits every command alike.
        for i in range(args.runs + 1):
            for name, command in commands.items():
                seconds = _run(command(i), env)  # (the template copy happens before timing)
                if i > 0:  # round 0 warms the page cache and .pyc files
                    times[name].append(seconds)
    base = min(times["python -c pass"])
    print(f"start-up, {args.runs} runs each (best / median, whole process):")
    failed = False
    for name, runs in times.items():
        best, median = min(runs), statistics.median(runs)
        target = TARGETS[name]
        verdict = ""
        if target is not None:
            ok = median <= target
            failed |= not ok
            verdict = f"  target <= {target:.2f} s: {'met' if ok else 'MISSED'}"
        print(
            f"  {name:<22} {best:6.3f} s / {median:6.3f} s  "
            f"(+{best - base:5.3f} s over bare python){verdict}"
        )
    if failed:
        print("some start-up target missed (judged on the median)")


if __name__ == "__main__":
    main()
