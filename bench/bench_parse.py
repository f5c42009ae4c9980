"""Parser speed: in-process seed parse, whole CLI process, scaling, and a regex floor.

Run: .venv/bin/python bench/bench_parse.py
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from parser import parse_text
from parser.reading import decode_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
TASKBOT = Path(sys.executable).parent / "taskbot"


def best_ms(fn: object, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    text = decode_text(SEED.read_bytes())
    parse_text(text, "seed")  # warm-up: alias table, regex compilation
    lo, med = best_ms(lambda: parse_text(text, "seed"), 30)
    print(f"parse seed in-process (after warm-up): min {lo:.1f} ms, median {med:.1f} ms")

    floor_re = re.compile(r"（[一二三四五六七八九十]+）|（[^（）]*负责）|\d{4}年")
    lo_r, med_r = best_ms(lambda: sum(1 for _ in floor_re.finditer(text)), 30)
    print(f"plain regex pass over the seed (floor): min {lo_r:.2f} ms, median {med_r:.2f} ms")

    for n in (1, 10, 100):
        big = "\n".join([text] * n)
        reps = 5 if n < 100 else 2
        lo_n, _ = best_ms(lambda big=big: parse_text(big, "big"), reps)
        lo_f, _ = best_ms(lambda big=big: sum(1 for _ in floor_re.finditer(big)), reps)
        print(
            f"  {n:>3}x seed ({len(big):>9} chars): parse {lo_n:8.1f} ms "
            f"({lo_n / n:.1f} ms per seed), regex floor {lo_f:7.2f} ms"
        )

    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(
            [str(TASKBOT), "parse", str(SEED), "--format", "json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        runs.append((time.perf_counter() - t0) * 1000)
    print(
        f"whole process `taskbot parse seed --format json`: "
        f"min {min(runs):.0f} ms, median {statistics.median(runs):.0f} ms"
    )


if __name__ == "__main__":
    main()
