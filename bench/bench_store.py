"""Store speed on SQLite and a real PostgreSQL: overdue queries at 100k tasks, load, regenerate.

Run: .venv/bin/python bench/bench_store.py [--tasks 100000]

Targets (issue 4): overdue query for one department ≤ 20 ms and for all ≤ 200 ms on both
backends; `taskbot load` of the seed ≤ 1 s as a whole process; regenerate of a 100-measure
plan ≤ 2 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlmodel import SQLModel

from bot.store import repo
from bot.store.db import make_engine, migrate, session_scope
from bot.store.loading import apply_revision, load_plan
from bot.store.models import TaskStatus
from parser import parse_text
from parser.units import UnitNames

ROOT = Path(__file__).resolve().parent.parent


def _load_pgserver() -> Any:
    """tests/pgserver.py, shared with the test fixtures. Loaded by path: putting tests/ on
    sys.path would let tests/parser/ shadow the parser package."""
    spec = importlib.util.spec_from_file_location("pgserver", ROOT / "tests" / "pgserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pgserver = _load_pgserver()

SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
AS_OF = date(2024, 1, 5)
NOW = datetime(2024, 1, 5, 2, tzinfo=UTC)
# A plausible mid-plan picture: most early work is done or reported, later work is open.
STATUSES = [
    (TaskStatus.CLOSED, 35),
    (TaskStatus.REPORTED, 10),
    (TaskStatus.IN_PROGRESS, 30),
    (TaskStatus.PENDING, 20),
    (TaskStatus.RETURNED, 2),
    (TaskStatus.EXTENSION_REQUESTED, 2),
    (TaskStatus.WITHDRAWN, 1),
]


def departments(n: int = 60) -> list[str]:
    names = sorted({c for c in UnitNames.load().aliases.values() if c.startswith("市")})
    return names[:n]


def generate(engine: Engine, n_tasks: int, depts: list[str], seed: int = 4) -> None:
    """100 plans' worth of tasks, bulk-inserted (the benchmark measures queries, not loading)."""
    rnd = random.Random(seed)
    tables = SQLModel.metadata.tables
    statuses = [s for s, _w in STATUSES]
    weights = [w for _s, w in STATUSES]
    plans = max(1, n_tasks // 1000)
    per_plan = n_tasks // plans
    task_rows: list[dict[str, Any]] = []
    assign_rows: list[dict[str, Any]] = []
    task_id = 0
    start = date(2022, 6, 30)
    for p in range(1, plans + 1):
        measure_id = 0
        for i in range(per_plan):
            task_id += 1
            is_measure = i % 4 == 0
            if is_measure:
                measure_id = task_id
                lead = rnd.randrange(len(depts))
                coop = rnd.sample([d for d in range(len(depts)) if d != lead], rnd.randint(1, 5))
            key = f"{i // 40 + 1}.{(i // 4) % 10 + 1}" + ("" if is_measure else f".{i % 4}")
            task_rows.append(
                {
                    "id": task_id,
                    "plan_id": p,
                    "key": key,
                    "kind": "measure" if is_measure else "milestone",
                    "parent_id": None if is_measure else measure_id,
                    "chapter": "重点工程",
                    "title": f"措施{key}",
                    "text": f"第{p}号方案任务{key}：推进节能减排重点工程建设，按期完成年度目标",
                    "value": None,
                    "due": start + timedelta(days=rnd.randrange(0, 1280)),
                    "status": rnd.choices(statuses, weights)[0],
                    "span_start": 0,
                    "span_end": 10,
                    "version_id": p,
                    "created_version_id": p,
                    "position": i,
                    "status_changed_at": NOW,
                    "lead_department_id": lead + 1,
                    "cooperating_ids": ",".join(str(d + 1) for d in coop),
                }
            )
            for pos, d in enumerate([lead, *coop]):
                assign_rows.append(
                    {
                        "task_id": task_id,
                        "department_id": d + 1,
                        "role": "lead" if pos == 0 else "cooperating",
                        "position": pos,
                    }
                )
    with engine.begin() as conn:
        conn.execute(
            insert(tables["department"]),
            [{"id": i + 1, "name": n, "aliases": []} for i, n in enumerate(depts)],
        )
        conn.execute(
            insert(tables["plan"]),
            [{"id": p, "title": f"方案{p}", "created_at": NOW} for p in range(1, plans + 1)],
        )
        conn.execute(
            insert(tables["plan_version"]),
            [
                {
                    "id": p,
                    "plan_id": p,
                    "number": 1,
                    "title": f"方案{p}",
                    "source": "gen",
                    "sha256": f"{p:064d}",
                    "text": "x" * 20,
                    "period_end": date(2025, 12, 31),
                    "is_current": True,
                    "loaded_at": NOW,
                }
                for p in range(1, plans + 1)
            ],
        )
        for i in range(0, len(task_rows), 20000):
            conn.execute(insert(tables["task"]), task_rows[i : i + 20000])
        for i in range(0, len(assign_rows), 50000):
            conn.execute(insert(tables["assignment"]), assign_rows[i : i + 50000])
        if engine.dialect.name == "postgresql":
            for t in ("task", "assignment", "department", "plan", "plan_version"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                        f"(SELECT max(id) FROM {t}))"
                    )
                )
    # What a load would leave: the counting unit of each task (bot/rules/completion.py).
    with session_scope(engine) as s:
        for p in range(1, plans + 1):
            repo.refresh_tracked(s, p)
    # The steady state autovacuum would reach: statistics and a visibility map.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def timed(fn: Callable[[], object], repeat: int = 7) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), statistics.median(times), result


def bench_queries(name: str, url: str, n_tasks: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    depts = departments()
    t0 = time.perf_counter()
    generate(engine, n_tasks, depts)
    print(
        f"[{name}] generated {n_tasks:,} tasks / {len(depts)} departments "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    def one() -> int:
        with session_scope(engine) as s:
            return len(repo.list_tasks(s, as_of=AS_OF, department=depts[7], overdue=True))

    def every() -> int:
        with session_scope(engine) as s:
            return len(repo.list_tasks(s, as_of=AS_OF, overdue=True))

    def stats() -> int:
        with session_scope(engine) as s:
            return len(repo.department_stats(s, as_of=AS_OF))

    for label, fn, target in (
        ("overdue, one department", one, 20),
        ("overdue, all departments", every, 200),
        ("department statistics", stats, None),
    ):
        best, median, rows = timed(fn)
        verdict = "" if target is None else ("  OK" if median <= target else "  OVER TARGET")
        goal = f" (target ≤ {target} ms)" if target else ""
        print(
            f"[{name}] {label}: {rows} rows, best {best:.1f} ms, median {median:.1f} ms"
            f"{goal}{verdict}"
        )
    engine.dispose()


WORDS = [
    "节能",
    "降碳",
    "减污",
    "扩绿",
    "清洁",
    "取暖",
    "光伏",
    "风电",
    "储能",
    "氢能",
    "充电桩",
    "公交",
    "铁路",
    "货运",
    "园区",
    "污水",
    "垃圾",
    "秸秆",
    "农膜",
    "地热",
    "锅炉",
    "焦化",
    "钢铁",
    "水泥",
    "化工",
    "建筑",
    "照明",
    "供热",
    "监测",
    "执法",
    "统计",
    "金融",
    "信贷",
    "碳市场",
    "培训",
    "宣传",
    "考核",
    "督查",
    "规划",
    "标准",
    "试点",
    "示范",
    "改造",
    "淘汰",
    "替代",
    "回收",
    "利用",
    "治理",
    "排查",
    "整治",
]


def hundred_measure_plan(revised: bool) -> str:
    """Ten chapters of ten measures with milestones; the revision inserts a measure (and so
    renumbers the chapter), removes one, rewords one and moves a deadline."""
    rnd = random.Random(100)
    names = departments()
    numerals = "一二三四五六七八九十"
    bodies = ["、".join(rnd.sample(WORDS, 6)) for _ in range(100)]
    lines = ["某市“十四五”重点任务实施方案", "", "一、总体要求", "", "到2025年完成各项任务。", ""]
    for c in range(10):
        lines += [f"{numerals[(c + 1) % 10] if c < 9 else '十一'}、重点任务{c + 1}", ""]
        items = list(range(10))
        if revised and c == 0:
            items = [-1, *items[:-1]]  # a new first measure; the chapter's last one removed
        for n, i in enumerate(items):
            k = c * 10 + i
            lead, coop = names[k % 60], names[(k + 7) % 60]
            year = 2024 if (revised and i == 3) else 2023
            body = (
                "开展重点用能单位节能诊断，建立能效对标制度" if i == -1 else f"推进{bodies[k]}工作"
            )
            if revised and i == 5:
                body += "，加强督促检查"
            lines.append(
                f"（{numerals[n]}）{WORDS[k % len(WORDS)]}工程{k}。{body}，{year}年底前完成"
                f"{WORDS[(k * 7) % len(WORDS)]}阶段目标，到2025年全面完成"
                f"{WORDS[(k * 3) % len(WORDS)]}任务。（{lead}、{coop}按职责分工负责）"
            )
            lines.append("")
    return "\n".join(lines)


STORE_ONLY = (
    "import typer; from bot.cli import store as cli_store; "
    "from bot.cli.state import global_options; "
    "app = typer.Typer(); app.callback()(global_options); cli_store.register(app); app()"
)


def bench_cli(url: str, tmp: Path) -> None:
    full = [sys.executable, "-c", "from bot.cli import main; main()", "--db", url]

    def run(*args: str, exe: list[str] = full) -> float:
        t0 = time.perf_counter()
        proc = subprocess.run([*exe, *args], capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"taskbot {' '.join(args)} failed: {proc.stderr}")
        return elapsed

    first = run("load", str(SEED))
    again = run("load", str(SEED))
    print(
        f"[cli] taskbot load seed, whole process: {first:.2f} s into a new database "
        f"(incl. migrations), {again:.2f} s when already stored (target ≤ 1 s)"
        f"{'  OK' if first <= 1.0 else '  OVER TARGET'}"
    )
    url2 = url.replace("cli.db", "cli2.db")
    alone = run("--db", url2, "load", str(SEED), exe=[sys.executable, "-c", STORE_ONLY])
    print(
        f"[cli] the same with only the store commands registered (no bot/web imports): "
        f"{alone:.2f} s"
    )

    v1, v2 = tmp / "plan100-v1.txt", tmp / "plan100-v2.txt"
    v1.write_text(hundred_measure_plan(False), encoding="utf-8")
    v2.write_text(hundred_measure_plan(True), encoding="utf-8")
    p1 = parse_text(v1.read_text(encoding="utf-8"), v1.name)
    p2 = parse_text(v2.read_text(encoding="utf-8"), v2.name)
    engine = make_engine(url)
    with session_scope(engine) as s:
        plan_id = load_plan(s, p1).plan_id
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        rev = apply_revision(s, p2, plan_id=plan_id)
    inproc = time.perf_counter() - t0
    engine.dispose()
    print(
        f"[regenerate] {len(p1.measures)}-measure plan ({p1.milestone_count()} milestones): "
        f"apply in process {inproc * 1000:.0f} ms; {rev.diff.counts()}"
    )
    v3 = tmp / "plan100-v3.txt"
    v3.write_text(hundred_measure_plan(False), encoding="utf-8")  # revert: another revision
    whole = run("regenerate", str(v3), "--plan", str(plan_id), "--apply")
    print(
        f"[regenerate] whole process `taskbot regenerate --apply`: "
        f"{whole:.2f} s (target ≤ 2 s){'  OK' if whole <= 2.0 else '  OVER TARGET'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_queries("sqlite", f"sqlite:///{tmp / 'bench.db'}", args.tasks)
        bench_cli(f"sqlite:///{tmp / 'cli.db'}", tmp)
        try:
            with pgserver.TempPostgres() as pg:
                bench_queries("postgresql", pg.url, args.tasks)
        except pgserver.PostgresUnavailable as exc:
            print(f"!!! PostgreSQL benchmark skipped: {exc}")


if __name__ == "__main__":
    main()
