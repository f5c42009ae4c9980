"""Onboarding over real HTTP: an admin issues a web chat login link on the contacts page;
on `taskbot serve` (not the demo) the contact logs in with it once; a link issued before
the newest is refused; the CLI's link works the same way."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from dash_helpers import ADMIN, COORDINATOR, PASSWORD, Client, csrf_in, login
from served import serving
from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import make_engine, session_scope

ENTRY = "from bot.cli import main; main()"
_LINK = re.compile(r'id="link" href="([^"]+)"')


def _zhangwei(engine: Engine) -> int:
    with session_scope(engine) as s:
        return next(c.id for c in repo.list_contacts(s) if c.user_id == "nyj-zhangwei")


async def _issue(client: Client, csrf: str, contact_id: int) -> str:
    resp = await client.post(f"/contacts/{contact_id}/link", data={"csrf": csrf})
    html = await resp.text()
    assert resp.status == 200, html
    assert 'src="data:image/png;base64,' in html  # the QR code, inline (CSP: data: only)
    m = _LINK.search(html)
    assert m is not None
    return m.group(1)


async def test_admin_issues_a_link_on_the_contacts_page(
    dash: Client, seeded_engine: Engine
) -> None:
    cid = _zhangwei(seeded_engine)
    csrf = await login(dash, ADMIN)
    page = await (await dash.get("/contacts")).text()
    assert f'action="/contacts/{cid}/link"' in page
    first = await _issue(dash, csrf, cid)
    second = await _issue(dash, csrf, cid)
    assert first != second and "/chat/login/" in second
    with session_scope(seeded_engine) as s:
        # On the dashboard's clock (2024-01-05 09:00): the link lives 7 days from then.
        at = datetime(2024, 1, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        assert repo.consume_login_token(s, first.rsplit("/", 1)[1], now=at) is None
        assert repo.consume_login_token(s, second.rsplit("/", 1)[1], now=at) == cid
    # No CSRF token, an unknown contact: refused, nothing issued.
    assert (await dash.post(f"/contacts/{cid}/link", data={})).status == 403
    assert (await dash.post("/contacts/999999/link", data={"csrf": csrf})).status == 404


async def test_coordinator_may_not_issue_links(dash: Client, seeded_engine: Engine) -> None:
    cid = _zhangwei(seeded_engine)
    csrf = await login(dash, COORDINATOR)
    page = await (await dash.get("/contacts")).text()
    assert "/link" not in page
    resp = await dash.post(f"/contacts/{cid}/link", data={"csrf": csrf})
    assert resp.status == 403


def _cli_link(db_url: str, public_url: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKBOT_")}
    env["TASKBOT_SERVER_PUBLIC_URL"] = public_url
    proc = subprocess.run(
        [sys.executable, "-c", ENTRY, "--db", db_url, "contacts", "link", "张伟"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    assert (cwd / "chat-link-张伟-nyj-zhangwei.png").is_file()
    m = re.search(r"(http\S+/chat/login/\S+)", proc.stdout)
    assert m is not None, proc.stdout
    return m.group(1)


async def test_contact_logs_in_on_serve_with_an_issued_link(
    seeded_url: str, tmp_path: Path
) -> None:
    engine = make_engine(seeded_url)
    cid = _zhangwei(engine)
    engine.dispose()
    with serving(seeded_url, tmp_path) as server:
        old = _cli_link(seeded_url, server.url, tmp_path)
        assert old.startswith(server.url + "/chat/login/")
        # An admin then issues another from the dashboard of the same server.
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(server.url, cookie_jar=jar) as admin:
            page = await (await admin.get("/login")).text()
            resp = await admin.post(
                "/login",
                data={"csrf": csrf_in(page), "name": ADMIN, "password": PASSWORD, "next": "/"},
                allow_redirects=False,
            )
            assert resp.status == 302
            contacts = await (await admin.get("/contacts")).text()
            action = f"/contacts/{cid}/link"
            assert f'action="{action}"' in contacts
            new_page = await (await admin.post(action, data={"csrf": csrf_in(contacts)})).text()
        m = _LINK.search(new_page)
        assert m is not None and m.group(1) != old
        new = m.group(1)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            refused = await phone.get(old)
            assert refused.status == 403, "the link issued before the newest is refused"
            resp = await phone.get(new)
            assert resp.status == 200 and "张伟" in await resp.text()
            assert (await phone.get(f"{server.url}/chat")).status == 200  # the session holds
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            assert (await other.get(new)).status == 403, "a link works once"
