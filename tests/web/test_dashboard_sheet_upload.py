"""An Excel task list (分工表.xlsx) through the dashboard's upload form: a revised sheet of a
stored task-list plan is previewed and applied like a revised document, reaching the
tasks; a sheet with a bad row is a 400 naming the row, nothing stored.

(Uploading a sheet as a *new* plan is not offered by this form: it revises a stored plan;
`taskbot load 分工表.xlsx` creates one.)"""

from __future__ import annotations

import html
import io
import re
from datetime import date
from pathlib import Path

from dash_helpers import ADMIN, Client, csrf_in, login, multipart
from openpyxl import Workbook
from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import session_scope
from bot.store.loading import load_plan
from parser import parse_document

HEAD = ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
ROWS = [
    [1, "推进充电桩建设", "市能源局", "市财政局", date(2024, 6, 28)],
    [2, "推进光伏发电", "市能源局", "市住建局", "2024年12月底前"],
]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "分工表"
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _stored_sheet_plan(engine: Engine, tmp_path: Path) -> int:
    path = tmp_path / "分工表.xlsx"
    path.write_bytes(_xlsx(ROWS))
    with session_scope(engine) as s:
        return load_plan(s, parse_document(path), actor="test").plan_id


def _hidden(page: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert m is not None, name
    return html.unescape(m.group(1))


async def test_revised_xlsx_is_previewed_and_applied_from_the_upload_form(
    dash: Client, seeded_engine: Engine, tmp_path: Path
) -> None:
    plan_id = _stored_sheet_plan(seeded_engine, tmp_path)
    await login(dash, ADMIN)
    versions = await (await dash.get("/versions")).text()
    assert f'<option value="{plan_id}">' in versions
    revised = [
        [1, "推进充电桩建设", "市能源局", "市财政局", date(2024, 7, 31)],
        *ROWS[1:],
        [3, "推进氢能示范", "市发展改革委", "", "2024年9月底前"],
    ]
    preview = await dash.post(
        "/versions/preview",
        data=multipart(
            "plan",
            "分工表（修订）.xlsx",
            _xlsx(revised),
            csrf=csrf_in(versions),
            plan_id=str(plan_id),
        ),
    )
    page = await preview.text()
    assert preview.status == 200, page
    assert re.search(r'data-count="added">2<', page)  # measure 3 and its 3.1
    assert re.search(r'data-count="changed">[1-9]', page)
    applied = await dash.post(
        "/versions/apply",
        data={
            "csrf": csrf_in(page),
            "plan_id": _hidden(page, "plan_id"),
            "filename": _hidden(page, "filename"),
            "content": _hidden(page, "content"),
        },
        allow_redirects=False,
    )
    assert applied.status == 303, await applied.text()
    with session_scope(seeded_engine) as s:
        rows = {
            r.id: r for r in repo.list_tasks(s, as_of=date(2024, 7, 1)) if r.plan_id == plan_id
        }
        assert repo.current_version(s, plan_id).number == 2
    assert "3" in rows and rows["3"].lead == "市发展改革委"
    assert date(2024, 7, 31) in {r.due for r in rows.values()}


async def test_bad_xlsx_row_is_named_and_nothing_stored(
    dash: Client, seeded_engine: Engine, tmp_path: Path
) -> None:
    plan_id = _stored_sheet_plan(seeded_engine, tmp_path)
    await login(dash, ADMIN)
    versions = await (await dash.get("/versions")).text()
    bad = [*ROWS, [3, "没有牵头单位", None, None, "2024年9月"]]
    resp = await dash.post(
        "/versions/preview",
        data=multipart(
            "plan", "bad.xlsx", _xlsx(bad), csrf=csrf_in(versions), plan_id=str(plan_id)
        ),
    )
    text = await resp.text()
    assert resp.status == 400 and "row 4" in text, text[-600:]
    with session_scope(seeded_engine) as s:
        assert repo.current_version(s, plan_id).number == 1
