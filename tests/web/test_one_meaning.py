"""One meaning of overdue, done and the counting unit everywhere: chat 统计 and 逾期, the
coordinators' digest, the dashboard overview, `taskbot tasks`, the .docx and the .xlsx all
give the same numbers for the seed plan on the same day (2024-01-05), with the same words."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
import typer
from dash_helpers import COORDINATOR, Client, login
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import store as cli_store
from bot.cli.state import global_options
from bot.config import Settings
from bot.conversation import intents
from bot.conversation.queries import ChatQueries
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.reports import build_briefing, build_ledger, collect
from bot.reports.xlsx_ledger import HEADER
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.repo import Action

DAY = date(2024, 1, 5)
NOW = datetime(2024, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _act(engine: Engine, key: str, *actions: Action, **kw: object) -> None:
    with session_scope(engine) as s:
        pk = repo.find_task(s, key).id or 0
        for a in actions:
            extra = kw if a in (Action.REQUEST_EXTENSION, Action.PROGRESS) else {}
            repo.record_status(s, pk, a, contact_id=None, now=NOW, **extra)  # type: ignore[arg-type]


@pytest.fixture
def worked(seeded_engine: Engine) -> Engine:
    """The seed with a day's work done: a closure, a report, progress, an extension request."""
    _act(seeded_engine, "3.8.3", Action.REPORT_DONE, Action.CLOSE)
    _act(seeded_engine, "3.4.2", Action.REPORT_DONE)
    _act(seeded_engine, "3.8.5", Action.PROGRESS, note="已选定试点矿井")
    _act(seeded_engine, "4.5.1", Action.REQUEST_EXTENSION, new_due=date(2024, 6, 30), note="待批")
    # The coordinator's word on a reported task is not the department's 反馈.
    _act(seeded_engine, "3.3.1", Action.PROGRESS, note="已起草制度框架")
    return seeded_engine


def _num(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text[:400]!r}"
    return m.group(1)


async def test_every_channel_gives_the_same_numbers(dash: Client, worked: Engine) -> None:
    render = Renderer(max_items=100).render
    queries = ChatQueries(render)
    with session_scope(worked) as s:
        stats = queries.stats(s, DAY)
        city = queries.overdue(s, intents.Overdue(None), DAY)
        energy = queries.overdue(s, intents.Overdue("市能源局"), DAY)
        data = collect(s, as_of=DAY)
        units = [r for r in repo.list_tasks(s, as_of=DAY) if r.tracked]
    service = ReminderService(Database(worked), Renderer(), Settings())
    digest = next(m for m in (await service.run_pass(NOW, dry_run=True)).planned if m.digest)
    assert digest.digest is not None

    total, closed, overdue = len(units), sum(r.status == "closed" for r in units), 0
    overdue = sum(r.overdue_days > 0 for r in units)
    reported = sum(r.status == "reported" for r in units)
    closed_rate = f"{100 * closed / total:.1f}%"
    reported_rate = f"{100 * (closed + reported) / total:.1f}%"
    # The seed: 36 counting units (a measure with milestones counts as its milestones), 3.8.3
    # closed, 3.4.2 reported; overdue: 3.3.1 3.4.4 3.8.5 4.5.1 4.5.2 (3.4.2 and 3.8.3 done).
    assert (total, closed, reported, overdue) == (36, 1, 1, 5)

    # Chat 统计
    assert f"共{total}项任务" in stats and f"其中逾期{overdue}项" in stats
    assert f"已销号率{closed_rate}，已报完成率{reported_rate}" in stats
    # Chat 逾期: the city, and one department's own apart from what it cooperates on.
    assert f"全市逾期任务共{overdue}项" in city
    assert "逾期4个工作日" in city and "天）" not in city
    assert "市能源局牵头的逾期任务共1项" in energy and "3.8.5" in energy
    coop_part = energy[energy.index("配合的逾期任务") :]
    assert "3.4.4" in coop_part and "牵头：市发展改革委" in coop_part
    # The digest counts the same units per lead department.
    assert digest.digest.overdue_total == overdue
    # The dashboard overview.
    await login(dash, COORDINATOR)
    html = await (await dash.get("/")).text()
    assert _num(r'id="total">(\d+)<', html) == str(total)
    assert _num(r'id="closed">(\d+)<', html) == str(closed)
    assert _num(r'id="overdue"[^>]*>(\d+)<', html) == str(overdue)
    assert _num(r'id="closed-rate">([\d.]+%)<', html) == closed_rate
    assert _num(r'id="reported-rate">([\d.]+%)<', html) == reported_rate
    assert "完成率（已销号率）" in html and "已报完成率" in html
    # The 督办通报.
    doc = docx.Document(io.BytesIO(build_briefing(data)))
    summary = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows[1:]}
    assert summary["任务总数"] == f"{total}项" and summary["逾期"] == f"{overdue}项"
    assert summary["完成率（已销号率）"] == closed_rate
    assert summary["已报完成率"] == reported_rate
    overdue_rows = [[c.text for c in r.cells] for t in doc.tables[2:-1] for r in list(t.rows)[1:]]
    assert len(overdue_rows) == overdue
    assert all(r[3] == "4" for r in overdue_rows)  # working days, as in chat
    # The 台账.
    ws = openpyxl.load_workbook(io.BytesIO(build_ledger(data)))["台账"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    tracked, late = HEADER.index("计入统计"), HEADER.index("逾期工作日")
    assert sum(1 for r in rows if r[tracked] == "是") == total
    assert sum(1 for r in rows if r[tracked] == "是" and r[late]) == overdue
    # `taskbot tasks --overdue`.
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(global_options)
    cli_store.register(app)
    result = CliRunner().invoke(
        app,
        ["--db", str(worked.url), "tasks", "--overdue", "--as-of", "2024-01-05", "-f", "json"],
        env={"TASKBOT_DB": None},
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert len(listed) == overdue and {r["overdue_days"] for r in listed} == {4}


def test_latest_feedback_is_the_departments_own(worked: Engine) -> None:
    with session_scope(worked) as s:
        data = collect(s, as_of=DAY)
        measure = next(t for t in data.tasks if t.id == "3.8")
        pk_383 = repo.find_task(s, "3.8.3").id or 0
    # 3.8.3 was closed by the coordinator after the report: its 反馈 is the report, not 销号.
    assert data.last_reply[pk_383].status == "reported"
    reply = data.latest_reply_under(measure)
    assert reply is not None and reply.text == "已选定试点矿井"


def test_a_measure_rolls_up_from_its_milestones(worked: Engine) -> None:
    with session_scope(worked) as s:
        rows = {r.id: r for r in repo.list_tasks(s, as_of=DAY)}
    # 3.3's only milestone has progress: the measure is in progress, not 未开始, and is not
    # counted beside it.
    assert rows["3.3"].status == "in_progress" and rows["3.3"].own_status == "pending"
    assert not rows["3.3"].tracked and rows["3.3.1"].tracked
    assert rows["3.1"].tracked  # no milestones: the measure is the unit
