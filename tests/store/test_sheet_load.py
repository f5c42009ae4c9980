"""`taskbot load 分工表.xlsx` on both backends: an Excel task list becomes tasks that are
listed, reminded and reported like a plan's; a bad row refuses the file, nothing stored."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cli_helpers import invoke
from openpyxl import Workbook
from sqlalchemy import Engine

from bot.config import Settings
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.reports import collect
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.repo import ContactSpec

SH = ZoneInfo("Asia/Shanghai")


def _sheet(path: Path, *, bad: bool = False) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    ws.append([1, "推进充电桩建设", "市能源局", "市财政局", date(2024, 6, 28)])
    ws.append([2, "推进光伏发电", None, "市住建局", "2024年12月底前"])
    ws.merge_cells("C2:C3")
    if bad:
        ws.append([3, "没有牵头单位", None, None, "2024年9月"])
    wb.save(path)
    return path


async def test_xlsx_task_list_is_listed_reminded_and_reported(
    store_url: str, engine: Engine, tmp_path: Path
) -> None:
    run = invoke(store_url, "load", str(_sheet(tmp_path / "分工表.xlsx")), "--publish")
    assert run.returncode == 0 and "4 tasks" in run.stdout, (run.stdout, run.stderr)
    rows = json.loads(
        invoke(store_url, "tasks", "--as-of", "2024-07-05", "--format", "json").stdout
    )
    by_id = {r["id"]: r for r in rows}
    assert by_id["2"]["lead"] == "市能源局"  # the merged cell
    assert by_id["1.1"]["due"] == "2024-06-28" and by_id["1.1"]["overdue_days"] > 0
    with session_scope(engine) as s:
        repo.upsert_contacts(s, [ContactSpec("市能源局", "张伟", "webchat", "zw", "contact")])
        report = collect(s, as_of=date(2024, 7, 5))
    assert "1.1" in {t.id for t in report.tasks}
    service = ReminderService(Database(engine), Renderer(), Settings())
    seen: set[str] = set()
    day = datetime(2024, 6, 24, 10, 0, tzinfo=SH)
    for _ in range(14):
        result = await service.run_pass(day, dry_run=True)
        seen |= {i.task_id for m in result.planned if m.contact.user_id == "zw" for i in m.items}
        day += timedelta(days=1)
    assert "1.1" in seen


def test_bad_row_refuses_the_file(store_url: str, tmp_path: Path) -> None:
    run = invoke(store_url, "load", str(_sheet(tmp_path / "bad.xlsx", bad=True)))
    assert run.returncode == 2 and "row 4: a task without a lead unit" in run.stderr
    assert json.loads(invoke(store_url, "tasks", "--format", "json").stdout) == []
