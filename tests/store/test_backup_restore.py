"""docs/deploy.md's backup and restore, run for real against the tests' PostgreSQL:
scripts/backup.sh dumps a database with a loaded plan and a reported status,
scripts/restore.sh brings it back into an empty database, and taskbot reads the
same tasks from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from pgserver import TempPostgres

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
TASKBOT = [sys.executable, "-c", "from bot.cli import main; main()"]

pytestmark = pytest.mark.postgres


def _taskbot(url: str, *args: str) -> str:
    run = subprocess.run(
        [*TASKBOT, "--db", url, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_backup_then_restore_into_an_empty_database(
    postgres_server: TempPostgres, tmp_path: Path
) -> None:
    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{postgres_server.port}/postgres", autocommit=True
    ) as admin:
        admin.execute("DROP DATABASE IF EXISTS backup_source")
        admin.execute("DROP DATABASE IF EXISTS backup_restored")
        admin.execute("CREATE DATABASE backup_source")
        admin.execute("CREATE DATABASE backup_restored")
    source = postgres_server.url_for("backup_source")
    restored = postgres_server.url_for("backup_restored")
    _taskbot(source, "load", str(SEED), "--publish")
    _taskbot(source, "contacts", "import", str(ROOT / "examples" / "contacts.csv"))
    _taskbot(source, "update", "3.8.3", "完成", "--note", "电话报告", "--by", "张伟")
    before = json.loads(_taskbot(source, "tasks", "--format", "json"))
    assert any(t["id"] == "3.8.3" and t["status"] == "reported" for t in before)

    env = {
        **os.environ,
        "PATH": f"{postgres_server.bindir}:{os.environ['PATH']}",
        "BACKUP_DIR": str(tmp_path / "backups"),
    }
    dump = subprocess.run(
        ["bash", str(ROOT / "scripts" / "backup.sh")],
        env={**env, "DATABASE_URL": source},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    assert Path(dump).is_file() and Path(dump).stat().st_size > 0
    assert not list((tmp_path / "backups").glob("*.partial"))

    subprocess.run(
        ["bash", str(ROOT / "scripts" / "restore.sh"), dump],
        env={**env, "DATABASE_URL": restored},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    after = json.loads(_taskbot(restored, "tasks", "--format", "json"))
    assert after == before
