"""Correcting and withdrawing a hand-made task on the dashboard (admins): the task page
links to the form; a change is saved and told to the departments; bad input is a 400 with
what was typed kept and nothing written; withdrawing keeps the history; a plan's task has
no such form; coordinators may not."""

from __future__ import annotations

from dash_helpers import ADMIN, COORDINATOR, Client, csrf_in, login
from sqlalchemy import Engine
from sqlmodel import select

from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Outbox

NEW = {
    "source": "2024年第3次市长办公会纪要",
    "title": "清理政府拖欠企业账款",
    "text": "",
    "lead": "财政局",
    "coop": "发改委",
    "due": "2024-03-01",
}


async def _add(dash: Client) -> tuple[int, str]:
    form = await (await dash.get("/tasks/new")).text()
    csrf = csrf_in(form)
    resp = await dash.post("/tasks/new", data=NEW | {"csrf": csrf}, allow_redirects=False)
    assert resp.status == 303
    return int(resp.headers["Location"].rsplit("/", 1)[1]), csrf


def _messages(engine: Engine, pk: int) -> list[str]:
    with session_scope(engine) as s:
        return [o.text for o in s.exec(select(Outbox).where(Outbox.task_id == pk))]


async def test_admin_edits_then_withdraws_a_hand_made_task(
    dash: Client, seeded_engine: Engine
) -> None:
    await login(dash, ADMIN)
    pk, csrf = await _add(dash)
    page = await (await dash.get(f"/tasks/{pk}")).text()
    assert f'href="/tasks/{pk}/edit"' in page
    form = await (await dash.get(f"/tasks/{pk}/edit")).text()
    assert 'value="清理政府拖欠企业账款"' in form and 'value="市发展改革委"' in form

    bad = await dash.post(
        f"/tasks/{pk}/edit", data=NEW | {"csrf": csrf, "lead": "火星局", "due": "2024-04-01"}
    )
    html = await bad.text()
    assert bad.status == 400 and "未知单位：火星局" in html and 'value="火星局"' in html
    assert _messages(seeded_engine, pk) == []
    assert (await dash.post(f"/tasks/{pk}/edit", data=NEW)).status == 403  # no CSRF

    resp = await dash.post(
        f"/tasks/{pk}/edit",
        data=NEW | {"csrf": csrf, "due": "2024-04-01", "coop": ""},
        allow_redirects=False,
    )
    assert (resp.status, resp.headers["Location"]) == (303, f"/tasks/{pk}")
    page = await (await dash.get(f"/tasks/{pk}")).text()
    assert "2024-04-01" in page
    told = _messages(seeded_engine, pk)
    assert told and all("截止日期由2024年3月1日调整为2024年4月1日" in t for t in told)

    resp = await dash.post(
        f"/tasks/{pk}/withdraw", data={"csrf": csrf, "reason": "已办结"}, allow_redirects=False
    )
    assert resp.status == 303
    page = await (await dash.get(f"/tasks/{pk}")).text()
    assert "已撤销" in page and "已办结" in page  # the status record keeps the reason
    assert f'href="/tasks/{pk}/edit"' not in page
    assert any(t.startswith("【任务撤销】") for t in _messages(seeded_engine, pk))
    again = await dash.post(f"/tasks/{pk}/withdraw", data={"csrf": csrf})
    assert again.status == 400 and "已撤销" in await again.text()


async def test_plan_tasks_and_coordinators_are_refused(
    dash: Client, seeded_engine: Engine
) -> None:
    with session_scope(seeded_engine) as s:
        plan_pk = repo.find_task(s, "3.4").id
    csrf = await login(dash, ADMIN)
    page = await (await dash.get(f"/tasks/{plan_pk}")).text()
    assert "/edit" not in page
    assert (await dash.get(f"/tasks/{plan_pk}/edit")).status == 404
    resp = await dash.post(f"/tasks/{plan_pk}/edit", data=NEW | {"csrf": csrf})
    assert resp.status == 404
    resp = await dash.post(f"/tasks/{plan_pk}/withdraw", data={"csrf": csrf})
    assert resp.status == 404
    with session_scope(seeded_engine) as s:
        assert repo.get_task(s, plan_pk).status != "withdrawn"
    pk, _ = await _add(dash)
    await dash.post("/logout", data={"csrf": csrf})
    coord_csrf = await login(dash, COORDINATOR)
    assert (await dash.get(f"/tasks/{pk}/edit")).status == 403
    resp = await dash.post(f"/tasks/{pk}/withdraw", data={"csrf": coord_csrf})
    assert resp.status == 403
