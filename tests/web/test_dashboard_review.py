"""The review page over HTTP: uploads become drafts, bad input is one message and a 400 with
nothing written, and the page's one script runs under its own nonce."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dash_helpers import ADMIN, SEED_PLAN, Client, login, multipart, revised_plan
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from bot.store import repo
from bot.store.db import session_scope
from bot.store.repo import corrections as rc


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in SQLModel.metadata.sorted_tables
            if t.name != "web_session"  # a request touches its session's last_seen
        }


async def _draft(dash: Client, tmp_path: Path, csrf: str, plan_id: str = "1") -> str:
    content = revised_plan(SEED_PLAN, tmp_path / "revised.txt").read_bytes()
    if plan_id == "new":
        content = content.replace(
            "严格执行重点用能单位".encode(), "6月底前严格执行重点用能单位".encode()
        )
    resp = await dash.post(
        "/versions/preview",
        data=multipart("plan", "修订.txt", content, csrf=csrf, plan_id=plan_id),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    location = resp.headers["Location"]
    assert re.fullmatch(r"/review/\d+\?notice=loaded", location)
    return location.split("?")[0]


async def test_bad_review_input_is_a_400_and_writes_nothing(
    dash: Client, tmp_path: Path, seeded_engine: Engine
) -> None:
    csrf = await login(dash, ADMIN)
    review = await _draft(dash, tmp_path, csrf)
    before = _rows(seeded_engine)
    cases: list[tuple[str, dict[str, str], str]] = [
        ("edit", {"key": "3.8", "due": "2024-02-30"}, "截止日期格式不正确"),
        ("edit", {"key": "3.8", "lead": "火星局", "title": "新标题"}, "未知单位：火星局"),
        ("edit", {"key": "9.9", "title": "x"}, "草稿中没有任务 9.9"),
        ("edit", {"key": "3.8.3", "lead": "市能源局"}, "节点的牵头、配合单位随所属措施"),
        (
            "add",
            {"selected": "文中没有的一句话", "key": "3.23", "lead": "能源局"},
            "不在该版本原文中",
        ),
        ("add", {"selected": "节能", "key": "3.23", "lead": "能源局"}, "出现多次"),
        (
            "add",
            {"start": "0", "end": "5", "selected": "", "key": "3.23", "lead": "能源局"},
            "请先",
        ),
        ("decide", {"correction": "999", "decision": "accept"}, "没有这条更正"),
    ]
    for action, fields, message in cases:
        resp = await dash.post(f"{review}/{action}", data={"csrf": csrf, **fields})
        html = await resp.text()
        assert resp.status == 400, (action, fields)
        assert message in html, (action, fields)
        assert "Traceback" not in html
    assert _rows(seeded_engine) == before


async def test_an_upload_for_a_new_plan_is_a_draft_with_its_warnings(
    dash: Client, tmp_path: Path, seeded_engine: Engine
) -> None:
    csrf = await login(dash, ADMIN)
    with session_scope(seeded_engine) as s:
        live = len(repo.list_tasks(s, as_of=repo.utcnow().date()))
    review = await _draft(dash, tmp_path, csrf, plan_id="new")
    resp = await dash.get(review)
    html = await resp.text()
    assert 'data-kind="month_without_year"' in html and "月份缺少年份" in html
    # The page's selection script runs under this response's nonce, and only it.
    csp = resp.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in html
    assert html.count("<script") == 1
    with session_scope(seeded_engine) as s:
        assert len(repo.list_tasks(s, as_of=repo.utcnow().date())) == live  # nothing new
        (draft,) = rc.open_drafts(s)
        assert draft.plan_id == 2 and not draft.is_current
    versions = await (await dash.get("/versions")).text()
    assert f'href="{review}"' in versions and "草稿，待审核发布" in versions
    # Publishing it makes its tasks live.
    done = await dash.post(f"{review}/publish", data={"csrf": csrf}, allow_redirects=False)
    assert done.status == 303
    with session_scope(seeded_engine) as s:
        assert len(repo.list_tasks(s, as_of=repo.utcnow().date())) > live
        assert rc.open_drafts(s) == []
