"""The accounts page over HTTP (the dashboard on a loopback test server): admins list,
create, re-role, reset and disable dashboard accounts; coordinators may not; the last
enabled admin cannot demote or disable themself; sessions end with a reset or a disable;
every change audited with who did it and never the password."""

from __future__ import annotations

import re

import aiohttp
from dash_helpers import ADMIN, COORDINATOR, PASSWORD, Client, csrf_in, login
from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import session_scope
from bot.web.accounts import ACTIONS

_SHOWN = re.compile(r'id="new-password"[^>]*>([^<]+)<')


def _browser(client: Client) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )


async def _login_status(
    client: Client, name: str, password: str
) -> tuple[int, aiohttp.ClientSession]:
    """Log `name` in from a browser of its own; (status, that browser)."""
    http = _browser(client)
    page = await (await http.get("/login")).text()
    resp = await http.post(
        "/login",
        data={"csrf": csrf_in(page), "name": name, "password": password, "next": "/"},
        allow_redirects=False,
    )
    return resp.status, http


def _audit(engine: Engine) -> list[tuple[str, str, dict[str, object]]]:
    """Account changes made since the seed (whose passwords the CLI set)."""
    with session_scope(engine) as s:
        return [
            (a.actor, a.action, a.detail)
            for a in repo.list_audit(s)
            if a.action in ACTIONS and a.actor != "cli"
        ]


async def test_coordinator_has_no_accounts_page(dash: Client) -> None:
    csrf = await login(dash, COORDINATOR)
    home = await (await dash.get("/")).text()
    assert 'href="/accounts"' not in home
    assert (await dash.get("/accounts")).status == 403
    for path in ("/accounts/new", "/accounts/role", "/accounts/password", "/accounts/disable"):
        resp = await dash.post(path, data={"csrf": csrf, "name": ADMIN, "role": "coordinator"})
        assert resp.status == 403, path


async def test_admin_creates_resets_and_disables_a_coordinator(
    dash: Client, seeded_engine: Engine
) -> None:
    csrf = await login(dash, ADMIN)
    page = await (await dash.get("/accounts")).text()
    assert 'href="/accounts"' in page and COORDINATOR in page and ADMIN in page
    new = {"csrf": csrf, "name": "李雷", "department": "能源局", "role": "coordinator"}
    # The password policy, then a department nobody knows: refused, nothing written.
    short = await dash.post("/accounts/new", data=new | {"password": "short"})
    assert short.status == 400 and "密码太短" in await short.text()
    mars = await dash.post("/accounts/new", data=new | {"department": "火星局"})
    assert mars.status == 400 and "未知单位" in await mars.text()
    assert (await dash.post("/accounts/new", data=new | {"csrf": "forged"})).status == 403
    assert _audit(seeded_engine) == []
    # Blank password: one is generated and shown once.
    made = await dash.post("/accounts/new", data=new)
    html = await made.text()
    assert made.status == 200 and "已创建账号：李雷" in html
    m = _SHOWN.search(html)
    assert m is not None
    generated = m.group(1)
    assert generated not in await (await dash.get("/accounts")).text(), "shown only once"
    again = await dash.post("/accounts/new", data=new)
    assert again.status == 400 and "已有看板账号" in await again.text()

    status, lilei = await _login_status(dash, "李雷", generated)
    async with lilei:
        assert status == 302
        assert (await lilei.get("/", allow_redirects=False)).status == 200
        # The admin sets a password of their choosing: the old session and password end.
        reset = await dash.post(
            "/accounts/password", data={"csrf": csrf, "name": "李雷", "password": "new pass 123"}
        )
        assert reset.status == 200 and "new pass 123" not in await reset.text()
        assert (await lilei.get("/", allow_redirects=False)).status == 302
    assert (await _login_status(dash, "李雷", generated))[0] == 401
    status, lilei = await _login_status(dash, "李雷", "new pass 123")
    async with lilei:
        assert status == 302
        off = await dash.post("/accounts/disable", data={"csrf": csrf, "name": "李雷"})
        assert off.status == 200 and "账号已停用" in await off.text()
        assert (await lilei.get("/", allow_redirects=False)).status == 302
    assert (await _login_status(dash, "李雷", "new pass 123"))[0] == 401
    listed = await (await dash.get("/accounts")).text()
    assert "启用（设置密码）" in listed

    log = _audit(seeded_engine)
    assert [a for _, a, _ in log] == ["create_account", "set_password", "disable_account"]
    assert all(actor == f"{ADMIN} (dashboard)" for actor, _, _ in log)
    assert all(d["name"] == "李雷" for _, _, d in log)
    assert all(generated not in str(d) and "new pass" not in str(d) for _, _, d in log)
    assert "李雷" in listed and "停用账号" in listed  # the page's own log


async def test_there_is_always_an_enabled_admin(dash: Client, seeded_engine: Engine) -> None:
    csrf = await login(dash, ADMIN)
    demote = {"csrf": csrf, "name": ADMIN, "role": "coordinator"}
    resp = await dash.post("/accounts/role", data=demote)
    assert resp.status == 400 and "唯一启用的管理员" in await resp.text()
    resp = await dash.post("/accounts/disable", data={"csrf": csrf, "name": ADMIN})
    assert resp.status == 400 and "唯一启用的管理员" in await resp.text()
    with session_scope(seeded_engine) as s:
        assert {c.role for c in repo.find_contacts_by_name(s, ADMIN)} == {"admin"}
        assert all(repo.password_hash(s, c.id) for c in repo.find_contacts_by_name(s, ADMIN))
    # With a second admin the first may step down, and then loses the page.
    promote = {"csrf": csrf, "name": COORDINATOR, "role": "admin"}
    resp = await dash.post("/accounts/role", data=promote, allow_redirects=False)
    assert resp.status == 303
    resp = await dash.post("/accounts/role", data=demote, allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/")
    assert (await dash.get("/accounts")).status == 403
    status, guomin = await _login_status(dash, COORDINATOR, PASSWORD)
    async with guomin:
        assert status == 302
        assert (await guomin.get("/accounts")).status == 200
    roles = [(d["from"], d["to"]) for _, a, d in _audit(seeded_engine) if a == "set_role"]
    assert roles == [("coordinator", "admin"), ("admin", "coordinator")]
