"""The dashboard's form for a task from no plan (admins): the task is then listed, counted on
the overview and in the 台账 and 督办通报 like a plan task; bad input is a 400 naming the
problem, nothing written."""

from __future__ import annotations

import io
import re
from datetime import date

from dash_helpers import ADMIN, COORDINATOR, Client, csrf_in, login
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import func, select

from bot.reports import build_briefing, build_ledger, collect
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Task

MINUTES = "2024年第3次市长办公会纪要"


def _task_count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.exec(select(func.count()).select_from(Task)).one())


async def test_admin_adds_a_task_and_it_is_shown_counted_and_reported(
    dash: Client, seeded_engine: Engine
) -> None:
    await login(dash, ADMIN)
    listing = await (await dash.get("/tasks")).text()
    assert 'href="/tasks/new"' in listing
    form = await (await dash.get("/tasks/new")).text()
    assert '<option value="市能源局">' in form  # the department picker
    with session_scope(seeded_engine) as s:
        before = repo.department_overview(s, as_of=date(2024, 1, 5), soon_until=date(2024, 1, 5))
    fin_before = sum(d.overdue for d in before if d.department == "市财政局")
    resp = await dash.post(
        "/tasks/new",
        data={
            "csrf": csrf_in(form),
            "source": MINUTES,
            "title": "清理政府拖欠企业账款",
            "text": "年底前全部清偿",
            "lead": "财政局",
            "coop": "发改委、能源局",
            "due": "2024-01-02",
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    page = await (await dash.get(resp.headers["Location"])).text()
    assert "清理政府拖欠企业账款" in page and "市财政局" in page and MINUTES in page
    listing = await (await dash.get("/tasks?dept=市财政局&overdue=1")).text()
    assert re.search(r">0\.1<", listing), "listed among 市财政局's overdue tasks"
    with session_scope(seeded_engine) as s:
        after = repo.department_overview(s, as_of=date(2024, 1, 5), soon_until=date(2024, 1, 5))
        data = collect(s, as_of=date(2024, 1, 5))
    assert sum(d.overdue for d in after if d.department == "市财政局") == fin_before + 1
    assert data.title != MINUTES, "the briefing keeps the plan document's title"
    ledger = load_workbook(io.BytesIO(build_ledger(data)), read_only=True)
    cells = [str(c) for row in ledger.active.iter_rows(values_only=True) for c in row]
    assert "0.1" in cells and "清理政府拖欠企业账款" in "".join(cells)
    assert len(build_briefing(data)) > 0


async def test_bad_entry_is_refused_with_the_form_kept(
    dash: Client, seeded_engine: Engine
) -> None:
    csrf = await login(dash, ADMIN)
    before = _task_count(seeded_engine)
    for fields, said in (
        ({"title": "x", "lead": "火星局", "due": "2024-03-01"}, "未知单位：火星局"),
        ({"title": "x", "lead": "能源局", "due": "2024-02-30"}, "完成时限应为日期"),
        ({"title": "x", "lead": "能源局", "due": "1900-01-01"}, "完成时限应在2000年"),
        ({"title": "", "lead": "能源局", "due": "2024-03-01"}, "请填写事项"),
    ):
        resp = await dash.post("/tasks/new", data={"csrf": csrf, **fields})
        html = await resp.text()
        assert resp.status == 400 and said in html, (fields, html[:300])
        assert f'value="{fields["lead"]}"' in html  # what was typed is kept
    assert _task_count(seeded_engine) == before


async def test_coordinator_cannot_add_tasks(dash: Client, seeded_engine: Engine) -> None:
    csrf = await login(dash, COORDINATOR)
    assert (await dash.get("/tasks/new")).status == 403
    resp = await dash.post(
        "/tasks/new", data={"csrf": csrf, "title": "x", "lead": "能源局", "due": "2024-03-01"}
    )
    assert resp.status == 403 and _task_count(seeded_engine) == 45
