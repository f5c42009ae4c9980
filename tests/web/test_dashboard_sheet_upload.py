"""An Excel task list (分工表.xlsx) through the dashboard's upload form, like a document: a
new sheet becomes a draft plan, a revised sheet a draft revision; both are reviewed and
published before they reach the tasks. A sheet with a bad row is a 400 naming the row,
nothing stored."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

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


async def _publish(dash: Client, review_page: str) -> Any:
    action = re.search(r'action="(/review/\d+/publish)"', review_page)
    assert action is not None
    return await dash.post(
        action.group(1), data={"csrf": csrf_in(review_page)}, allow_redirects=False
    )


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
        allow_redirects=False,
    )
    assert preview.status == 303, await preview.text()
    assert preview.headers["Location"].startswith("/review/")
    page = await (await dash.get(preview.headers["Location"])).text()
    assert re.search(r'data-count="added">2<', page)  # measure 3 and its 3.1
    assert re.search(r'data-count="changed">[1-9]', page)
    with session_scope(seeded_engine) as s:  # a draft: nothing changed yet
        assert repo.current_version(s, plan_id).number == 1
    applied = await _publish(dash, page)
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


async def test_a_new_xlsx_task_list_is_a_draft_plan_then_published(
    dash: Client, seeded_engine: Engine
) -> None:
    await login(dash, ADMIN)
    versions = await (await dash.get("/versions")).text()
    upload = await dash.post(
        "/versions/preview",
        data=multipart("plan", "分工表.xlsx", _xlsx(ROWS), csrf=csrf_in(versions), plan_id="new"),
        allow_redirects=False,
    )
    assert upload.status == 303, await upload.text()
    page = await (await dash.get(upload.headers["Location"])).text()
    assert "推进光伏发电" in page
    with session_scope(seeded_engine) as s:  # a draft defines no task yet
        assert not [r for r in repo.list_tasks(s, as_of=date(2024, 7, 1)) if "光伏" in r.title]
    assert (await _publish(dash, page)).status == 303
    with session_scope(seeded_engine) as s:
        rows = [r for r in repo.list_tasks(s, as_of=date(2024, 7, 1)) if "光伏" in r.title]
    assert len(rows) >= 1 and rows[0].lead == "市能源局"
