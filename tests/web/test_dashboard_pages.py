"""The dashboard's pages on the seed plan at 2024-01-05: lights, filters, detail, revision,
graph, contacts and dead letters — through HTTP, as a browser would, without the browser."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dash_helpers import (
    ADMIN,
    COORDINATOR,
    SEED_PLAN,
    Client,
    dashboard_app,
    login,
    multipart,
    revised_plan,
)
from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import session_scope
from bot.web.dashboard import pages
from bot.web.dashboard.pages import highlight


def lights(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-dept="([^"]+)" data-light="(\w+)"', html))


def task_ids(html: str) -> list[str]:
    return re.findall(r'data-task="([^"]+)"', html)


async def test_overview_shows_energy_bureau_red_for_its_overdue_milestones(dash: Client) -> None:
    await login(dash, COORDINATOR)
    html = await (await dash.get("/")).text()
    got = lights(html)
    assert got["市能源局"] == "red"
    assert got["市金融办"] == "red"
    assert got["市科技局"] == "green"
    assert "逾期2项" in html  # 3.8.3 and 3.8.5, both due 2023-12-31
    # Click-through links carry the department, lead role and the filter.
    assert "/tasks?role=lead&amp;dept=%E5%B8%82%E8%83%BD%E6%BA%90%E5%B1%80&amp;overdue=1" in html


async def test_extension_pending_or_due_soon_makes_yellow(
    dash: Client, seeded_engine: Engine
) -> None:
    with session_scope(seeded_engine) as s:
        task = repo.list_tasks(s, as_of=date(2024, 1, 5), department="市科技局", lead_only=True)[0]
        contact = repo.find_contacts_by_name(s, "马超")[0]
        repo.record_status(
            s,
            task.pk,
            "延期",
            contact_id=contact.id,
            note="设备未到",
            raw_message="延期 3.7 2026-06-30 设备未到",
            new_due=date(2026, 6, 30),
        )
    await login(dash, COORDINATOR)
    got = lights(await (await dash.get("/")).text())
    assert got["市科技局"] == "yellow"
    # A week before the plan's end, departments with nothing overdue turn yellow.
    async with TestClient(TestServer(dashboard_app(seeded_engine, "2025-12-24"))) as late:
        await login(late, COORDINATOR)
        html = await (await late.get("/")).text()
        assert "yellow" in lights(html).values()
        assert "7个工作日内到期" in html


async def test_task_list_filters_and_sorts(dash: Client) -> None:
    await login(dash, COORDINATOR)
    html = await (await dash.get("/tasks?dept=市能源局&role=lead&overdue=1")).text()
    assert sorted(task_ids(html)) == ["3.8.3", "3.8.5"]
    # A short name filters as the chat reads it (issue 13): 能源局 is the stored 市能源局.
    html = await (await dash.get("/tasks?dept=能源局&role=lead&overdue=1")).text()
    assert sorted(task_ids(html)) == ["3.8.3", "3.8.5"]
    html = await (await dash.get("/tasks?overdue=1&sort=id&order=desc")).text()
    ids = task_ids(html)
    # Counting units: measure 3.3 is represented by its only milestone 3.3.1, not beside it.
    assert len(ids) == 7 and ids[0] == "4.5.2" and ids[-1] == "3.3.1"
    html = await (await dash.get("/tasks?due_from=2023-01-01&due_to=2023-12-31")).text()
    assert "3.4.2" in task_ids(html) and "3.4.1" not in task_ids(html)
    html = await (await dash.get("/tasks?status=closed")).text()
    assert task_ids(html) == []
    assert (await dash.get("/tasks?due_from=notadate")).status == 400


async def test_task_detail_highlights_the_source_sentence_and_history(
    dash: Client, seeded_engine: Engine
) -> None:
    with session_scope(seeded_engine) as s:
        task = repo.find_task(s, "3.8.5")
        contact = repo.find_contacts_by_name(s, "张伟")[0]
        repo.record_status(
            s, task.id or 0, "进度", contact_id=contact.id, raw_message="3.8.5 进度 已选定试点矿井"
        )
        sentence = repo.source_sentence(s, task.id or 0)
    await login(dash, COORDINATOR)
    html = await (await dash.get(f"/tasks/{task.id}")).text()
    assert f'<mark id="hl">{sentence}</mark>' in html
    assert "市能源局" in html
    assert "3.8.5 进度 已选定试点矿井" in html
    assert "未开始 → 推进中" in html
    assert (await dash.get("/tasks/999999")).status == 404


def test_highlight_cuts_the_paragraph_around_the_span() -> None:
    text = "第一段。\n前文，目标句。后文。\n第三段"
    start = text.index("目标句")
    h = highlight(text, (start, start + 4))
    assert (h["p_before"], h["mark"], h["p_after"]) == ("前文，", "目标句。", "后文。")
    assert h["before"] + h["mark"] + h["after"] == text


async def test_admin_uploads_a_revision_reviews_the_diff_and_publishes_it(
    dash: Client, tmp_path: Path, seeded_engine: Engine
) -> None:
    csrf = await login(dash, ADMIN)
    content = revised_plan(SEED_PLAN, tmp_path / "revised.txt").read_bytes()
    upload = await dash.post(
        "/versions/preview",
        data=multipart("plan", "太原方案修订.txt", content, csrf=csrf),
        allow_redirects=False,
    )
    assert upload.status == 303 and upload.headers["Location"].startswith("/review/")
    review = await dash.get(upload.headers["Location"])
    html = await review.text()
    assert review.status == 200
    # Two milestones move to 2024; their measures' texts change with them.
    assert re.search(r'data-count="changed">4<', html)
    assert re.search(r'data-count="added">0<', html)
    assert re.search(r'data-count="withdrawn">0<', html)
    assert html.count('data-change="changed"') == 4
    # A draft: the live task keeps the plan's old date until the revision is published.
    with session_scope(seeded_engine) as s:
        assert repo.find_task(s, "3.4.2").due == date(2023, 12, 31)
    action = re.search(r'action="(/review/\d+/publish)"', html)
    assert action
    apply = await dash.post(action.group(1), data={"csrf": csrf}, allow_redirects=False)
    assert apply.status == 303
    page = await (await dash.get(apply.headers["Location"])).text()
    assert "第2版" in page and "已发布" in page
    with session_scope(seeded_engine) as s:
        task = repo.find_task(s, "3.4.2")
        assert task.due == date(2024, 12, 31)


async def test_preview_refuses_a_file_that_is_not_a_plan(dash: Client) -> None:
    csrf = await login(dash, ADMIN)
    resp = await dash.post("/versions/preview", data=multipart("plan", "x.exe", b"MZ", csrf=csrf))
    assert resp.status == 400
    assert "请上传" in await resp.text()


async def test_graph_page_draws_departments_and_measures(dash: Client) -> None:
    await login(dash, COORDINATOR)
    html = await (await dash.get("/graph")).text()
    assert '<svg id="graph"' in html
    assert html.count("<circle") >= 10  # one per measure
    assert "市能源局（" in html
    load = re.search(r'<table id="load".*?</table>', html, re.S)
    assert load and "市能源局" in load.group(0)


async def test_contacts_import_and_dead_letter_resend(dash: Client, seeded_engine: Engine) -> None:
    with session_scope(seeded_engine) as s:
        repo.enqueue_outbox(s, key="k1", platform="webchat", user_id="nyj-zhangwei", text="提醒")
        (row,) = repo.claim_outbox(s, worker="w")
        repo.mark_failed(s, row.id or 0, worker="w", error="user not found", permanent=True)
    csrf = await login(dash, ADMIN)
    html = await (await dash.get("/contacts")).text()
    assert "nyj-zhangwei" in html and "user not found" in html
    resp = await dash.post(f"/outbox/{row.id}/resend", data={"csrf": csrf})
    assert "已重新排队发送" in await resp.text()
    with session_scope(seeded_engine) as s:
        assert repo.list_dead(s) == []

    sheet = "部门,姓名,平台,账号,角色\n市能源局,张伟,matrix,@zw:localhost,contact\n".encode()
    resp = await dash.post("/contacts/import", data=multipart("sheet", "c.csv", sheet, csrf=csrf))
    html = await resp.text()
    assert "已导入1条" in html and "@zw:localhost" in html
    # A short name in the sheet is the stored department, as in the chat's 逾期 and 催办.
    short = "部门,姓名,平台,账号,角色\n能源局,王芳,matrix,@wf:localhost,contact\n".encode()
    resp = await dash.post("/contacts/import", data=multipart("sheet", "s.csv", short, csrf=csrf))
    assert "已导入1条" in await resp.text()
    with session_scope(seeded_engine) as s:
        assert [c.department for c in repo.find_contacts(s, "matrix", "@wf:localhost")] == [
            "市能源局"
        ]
    bad = "部门,姓名,平台,账号\n不存在局,某人,qq,1\n".encode()
    resp = await dash.post("/contacts/import", data=multipart("sheet", "b.csv", bad, csrf=csrf))
    assert resp.status == 400 and "row 2" in await resp.text()


async def test_reports_download_from_the_dashboard(dash: Client) -> None:
    await login(dash, COORDINATOR)
    resp = await dash.get("/reports/ledger.xlsx?as_of=2024-01-05")
    assert resp.status == 200
    assert resp.content_type.endswith("spreadsheetml.sheet")
    assert (await resp.read())[:2] == b"PK"
    resp = await dash.get("/reports/briefing.docx")
    assert "attachment" in resp.headers["Content-Disposition"]
    assert (await resp.read())[:2] == b"PK"


async def test_task_list_pages_through_long_results(
    dash: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 10)
    await login(dash, COORDINATOR)
    first = await (await dash.get("/tasks?sort=id")).text()
    total = int(re.search(r"共 (\d+) 项", first).group(1))  # type: ignore[union-attr]
    assert total > 20
    shown = re.findall(r'data-task="([^"]+)"', first)
    assert len(shown) == 10 and "下一页" in first and "上一页" not in first
    second = await (await dash.get("/tasks?sort=id&page=2")).text()
    assert set(re.findall(r'data-task="([^"]+)"', second)).isdisjoint(shown)
    assert "上一页" in second
    last_page = -(-total // 10)
    beyond = await (await dash.get("/tasks?sort=id&page=999")).text()
    assert f"第 {last_page}/{last_page} 页" in beyond
    assert len(re.findall(r'data-task="', beyond)) == total - 10 * (last_page - 1)
    assert (await dash.get("/tasks?page=abc")).status == 400


@pytest.mark.parametrize("take", [False, True])
async def test_a_revision_under_an_approved_extension_lets_the_admin_choose(
    dash: Client, tmp_path: Path, seeded_engine: Engine, take: bool
) -> None:
    approved = date(2024, 6, 30)
    with session_scope(seeded_engine) as s:
        for key in ("3.4.2", "3.8.3"):  # the revision moves 3.4.2's plan date, not 3.8.3's
            pk = repo.find_task(s, key).id or 0
            repo.record_status(s, pk, "延期", contact_id=None, new_due=approved, note="资金未到位")
            repo.record_status(s, pk, "批准延期", contact_id=None)
    csrf = await login(dash, ADMIN)
    content = revised_plan(SEED_PLAN, tmp_path / "revised.txt").read_bytes()
    html = await (
        await dash.post(
            "/versions/preview", data=multipart("plan", "修订.txt", content, csrf=csrf)
        )
    ).text()
    row = html[html.index('data-change="changed"') :]
    assert "已批准延期至2024-06-30" in html
    assert html.count('name="take_plan_due"') == 1 and 'value="3.4.2" form="publish"' in row
    form = {"csrf": csrf}
    if take:
        form["take_plan_due"] = "3.4.2"
    action = re.search(r'action="(/review/\d+/publish)"', html)
    assert action
    apply = await dash.post(action.group(1), data=form, allow_redirects=False)
    assert apply.status == 303
    with session_scope(seeded_engine) as s:
        assert repo.find_task(s, "3.4.2").due == (date(2024, 12, 31) if take else approved)
        assert repo.find_task(s, "3.8.3").due == approved  # untouched by the plan: stands
