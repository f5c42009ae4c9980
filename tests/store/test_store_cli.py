"""The store commands end to end on the seed plan: load → contacts → query → regenerate."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import SEED, invoke, taskbot
from seed_revision import revised_seed_text
from sqlmodel import select

from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.models import StatusEvent

CONTACTS = """部门,姓名,平台,账号,角色
市发改委,陈静,feishu,ou_chen,contact
市能源局,李娜,matrix,@lina:localhost,contact
市生态环境局,周敏,wecom,zhoumin,leader
市发展改革委,赵督办,webchat,zhao,coordinator
"""


def _ok(db: str, *args: str) -> str:
    proc = invoke(db, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_load_contacts_query_regenerate_keeps_history(store_url: str, tmp_path: Path) -> None:
    db = store_url
    loaded = taskbot(db, "load", str(SEED))  # once as a real process
    assert loaded.returncode == 0 and "45 tasks" in loaded.stdout, loaded.stderr
    # A draft to review: nothing is listed (or reminded) until it is published.
    assert "as a draft" in loaded.stdout and "taskbot publish 1" in loaded.stdout
    assert "http://127.0.0.1:8080/review/1" in loaded.stdout
    assert json.loads(_ok(db, "tasks", "--format", "json")) == []
    assert "published plan 1 version 1: 45 tasks" in _ok(db, "publish", "1")
    assert len(json.loads(_ok(db, "tasks", "--format", "json"))) == 45
    assert "unchanged" in _ok(db, "load", str(SEED))
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    assert "imported 4 contacts" in _ok(db, "contacts", "import", str(contacts))
    listed = json.loads(_ok(db, "contacts", "list", "--dept", "市发改委", "--format", "json"))
    assert {c["name"] for c in listed} == {"陈静", "赵督办"}

    assert "未开始 → 推进中" in _ok(
        db, "update", "3.4.2", "进度", "--by", "陈静", "--note", "已建6000台"
    )
    assert "→ 已报完成" in _ok(db, "update", "3.8", "完成", "--by", "李娜")
    _ok(db, "update", "3.9", "in_progress", "--by", "周敏")
    refused = invoke(db, "update", "3.8", "销号", "--by", "李娜")
    assert refused.returncode == 2 and "not a coordinator" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr

    late = json.loads(
        _ok(
            db,
            "tasks",
            "--dept",
            "市能源局",
            "--overdue",
            "--as-of",
            "2024-01-05",
            "--format",
            "json",
        )
    )
    assert late and all(r["overdue_days"] > 0 for r in late)
    row = next(r for r in late if r["id"] == "3.4.2")
    assert (
        row["kind"] == "milestone" and row["measure_id"] == "3.4" and row["lead"] == "市发展改革委"
    )
    assert (
        row["due"] == "2023-12-31" and row["status"] == "in_progress" and row["overdue_days"] == 4
    )  # working days: 1 January is 元旦, then 2, 3, 4, 5 January
    assert "市能源局" in row["cooperating"]

    v2 = tmp_path / "plan-v2.txt"
    v2.write_text(revised_seed_text(), encoding="utf-8")
    preview = json.loads(_ok(db, "regenerate", str(v2), "--format", "json"))
    assert preview["applied"] is False
    added = {c["id"] for c in preview["changes"] if c["change"] == "added"}
    withdrawn = {c["old_id"] for c in preview["changes"] if c["change"] == "withdrawn"}
    assert added == {"3.1", "3.1.1"} and withdrawn == {"3.9"}
    moved = next(c for c in preview["changes"] if c["old_id"] == "3.4.2")
    assert moved["id"] == "3.5.2" and moved["fields"]["due"] == ["2023-12-31", "2024-12-31"]
    table = _ok(db, "regenerate", str(v2))
    assert "withdrawn" in table and "preview only" in table

    engine = make_engine(db)
    with session_scope(engine) as s:
        before = {e.id: (e.task_id, e.note) for e in s.exec(select(StatusEvent))}
        pk_342 = repo.find_task(s, "3.4.2").id
        pk_38 = repo.find_task(s, "3.8").id
        pk_39 = repo.find_task(s, "3.9").id

    assert "applied" in _ok(db, "regenerate", str(v2), "--apply")
    assert "no change" in _ok(db, "regenerate", str(v2), "--apply")

    with session_scope(engine) as s:
        after = {e.id: (e.task_id, e.note) for e in s.exec(select(StatusEvent))}
        assert {k: after[k] for k in before} == before  # every earlier event, same task
        assert repo.find_task(s, "3.5.2").id == pk_342
        assert repo.find_task(s, "3.9").id == pk_38  # renumbered 3.8 -> 3.9, still reported
        assert repo.get_task(s, pk_38 or 0).status == "reported"
        assert repo.get_task(s, pk_39 or 0).status == "withdrawn"
        assert [v.number for v in repo.list_versions(s, 1)] == [1, 2]
    engine.dispose()

    now_late = json.loads(_ok(db, "tasks", "--status", "withdrawn", "--format", "json"))
    assert {r["id"] for r in now_late} == {"3.9"}
    moved_row = json.loads(
        _ok(db, "tasks", "--dept", "市发改委", "--as-of", "2024-01-05", "--format", "json")
    )
    assert next(r for r in moved_row if r["id"] == "3.5.2")["overdue_days"] == 0


def test_bad_input_is_one_line_and_exit_2(store_url: str, tmp_path: Path) -> None:
    for args, needle in [
        (("tasks", "--status", "done"), "unknown --status"),
        (("tasks", "--as-of", "yesterday"), "--as-of must be a date"),
        (("load", str(tmp_path / "missing.txt")), "not found"),
        (("regenerate", str(SEED)), "no plan is stored yet"),
        (("update", "9.9", "完成"), "no task 9.9"),
    ]:
        proc = invoke(store_url, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert needle in proc.stderr, proc.stderr
    real = taskbot(store_url, "update", "9.9", "完成")  # the real entry point: one line, exit 2
    assert real.returncode == 2 and real.stderr == "taskbot: error: no task 9.9\n"


def test_tasks_names_the_draft_that_waits_for_review(store_url: str) -> None:
    loaded = taskbot(store_url, "load", str(SEED))
    assert loaded.returncode == 0, loaded.stderr
    listed = taskbot(store_url, "tasks", "--format", "json")
    assert json.loads(listed.stdout) == []  # a draft's tasks are nobody's yet
    assert "draft waiting for review: taskbot publish 1" in listed.stderr
    assert taskbot(store_url, "publish", "1").returncode == 0
    listed = taskbot(store_url, "tasks", "--format", "json")
    assert len(json.loads(listed.stdout)) == 45 and "draft" not in listed.stderr
