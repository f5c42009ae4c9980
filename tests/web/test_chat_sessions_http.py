"""A contact's web chat session over real HTTP (the whole app, bot.app.build_app, on a
loopback server): it lasts [webchat] session_days however busy; an admin's new login link
ends the session an earlier link began; 停用聊天 on the contacts page ends it and kills
every unused link, until a new one is issued."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from dash_helpers import ADMIN, PASSWORD, csrf_in, login
from seeded import SHANGHAI, FixedClock
from sqlalchemy import Engine

from bot.app import build_app
from bot.config import Settings, WebchatSettings
from bot.store import repo
from bot.store.db import session_scope

Client = TestClient[web.Request, web.Application]
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)
_LINK = re.compile(r'id="link" href="[^"]*(/chat/login/[^"]+)"')


async def _client(engine: Engine, clock: FixedClock, webchat: WebchatSettings) -> Client:
    settings = Settings(webchat=webchat, secret_key="s" * 32)
    app = await build_app(settings, clock, engine, run_scheduler=False)
    client: Client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AS_OF)


@pytest.fixture
async def app(seeded_engine: Engine, clock: FixedClock) -> AsyncIterator[Client]:
    client = await _client(seeded_engine, clock, WebchatSettings())
    try:
        yield client
    finally:
        await client.close()


def _zhangwei(engine: Engine) -> int:
    with session_scope(engine) as s:
        return next(c.id for c in repo.list_contacts(s) if c.user_id == "nyj-zhangwei")


async def _admin(client: Client) -> tuple[aiohttp.ClientSession, str]:
    """A logged-in admin's own browser (cookie jar) on the app; returns it and its CSRF."""
    http = aiohttp.ClientSession(
        str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    page = await (await http.get("/login")).text()
    resp = await http.post(
        "/login",
        data={"csrf": csrf_in(page), "name": ADMIN, "password": PASSWORD, "next": "/"},
        allow_redirects=False,
    )
    assert resp.status == 302
    return http, csrf_in(await (await http.get("/contacts")).text())


async def _issue(admin: aiohttp.ClientSession, csrf: str, cid: int) -> str:
    resp = await admin.post(f"/contacts/{cid}/link", data={"csrf": csrf})
    m = _LINK.search(await resp.text())
    assert resp.status == 200 and m is not None
    return m.group(1)


def _phone(client: Client) -> aiohttp.ClientSession:
    """The contact's phone: a browser of its own."""
    return aiohttp.ClientSession(
        str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )


async def test_a_new_link_ends_the_session_an_earlier_link_began(
    app: Client, seeded_engine: Engine
) -> None:
    cid = _zhangwei(seeded_engine)
    admin, csrf = await _admin(app)
    async with admin, _phone(app) as phone, _phone(app) as other:
        first = await _issue(admin, csrf, cid)
        assert (await phone.get(first)).status == 200
        assert (await phone.get("/chat")).status == 200
        # The admin issues another (the first was opened by the wrong person, say).
        second = await _issue(admin, csrf, cid)
        assert (await phone.get("/chat")).status == 401, "the earlier session must end"
        assert (await other.get(second)).status == 200
        assert (await other.get("/chat")).status == 200
    with session_scope(seeded_engine) as s:
        issued = [a for a in repo.list_audit(s) if a.action == "login_link"]
        assert [a.detail["sessions_ended"] for a in issued] == [0, 1]


async def test_disabling_the_contact_ends_chat_and_links(
    app: Client, seeded_engine: Engine
) -> None:
    cid = _zhangwei(seeded_engine)
    admin, csrf = await _admin(app)
    async with admin, _phone(app) as phone:
        used = await _issue(admin, csrf, cid)
        assert (await phone.get(used)).status == 200
        page = await (await admin.get("/contacts")).text()
        assert f'action="/contacts/{cid}/chat-off"' in page
        # CSRF and the admin role are required; nothing changes without them.
        assert (await admin.post(f"/contacts/{cid}/chat-off", data={})).status == 403
        assert (await phone.get("/chat")).status == 200
        resp = await admin.post(f"/contacts/{cid}/chat-off", data={"csrf": csrf})
        assert resp.status == 200 and "已停用该联络人的网页聊天" in await resp.text()
        assert (await phone.get("/chat")).status == 401
        # A link issued and not yet used dies with it; a newer one lets the contact back.
        unused = await _issue(admin, csrf, cid)
        await admin.post(f"/contacts/{cid}/chat-off", data={"csrf": csrf})
        assert (await phone.get(unused)).status == 403
        again = await _issue(admin, csrf, cid)
        assert (await phone.get(again)).status == 200
        assert (await phone.get("/chat")).status == 200
        not_chat = await admin.post("/contacts/999999/chat-off", data={"csrf": csrf})
        assert not_chat.status == 404
    with session_scope(seeded_engine) as s:
        off = [a for a in repo.list_audit(s) if a.action == "chat_disabled"]
        assert [(a.actor, a.detail["sessions_ended"]) for a in off] == [
            (f"{ADMIN} (dashboard)", 1),
            (f"{ADMIN} (dashboard)", 0),
        ]
        assert off[1].detail["revoked"] == 1


@pytest.mark.parametrize(("days", "idle"), [(30, 7), (3, 3)])
async def test_chat_session_lasts_the_configured_days(
    seeded_engine: Engine, clock: FixedClock, days: int, idle: int
) -> None:
    client = await _client(
        seeded_engine, clock, WebchatSettings(session_days=days, idle_days=idle)
    )
    cid = _zhangwei(seeded_engine)
    with session_scope(seeded_engine) as s:
        token = repo.create_login_token(s, cid, now=AS_OF)
    try:
        async with _phone(client) as phone:
            assert (await phone.get(f"/chat/login/{token}")).status == 200
            # Used every day or so, it holds until `days` after the login …
            step = timedelta(days=min(idle, days) - 1 or 1) - timedelta(hours=1)
            at = AS_OF
            while at + step < AS_OF + timedelta(days=days):
                at += step
                clock.at = at
                assert (await phone.get("/chat")).status == 200, at
            # … and not a minute past it, however busy.
            clock.at = AS_OF + timedelta(days=days, minutes=1)
            assert (await phone.get("/chat")).status == 401
    finally:
        await client.close()


async def test_admin_disables_and_enables_a_contact_from_the_contacts_page(
    dash: Any, seeded_engine: Engine
) -> None:
    csrf = await login(dash, ADMIN)
    cid = _zhangwei(seeded_engine)
    page = await (await dash.get("/contacts")).text()
    assert f'action="/contacts/{cid}/disable"' in page
    # CSRF and the admin role are required; nothing changes without them.
    assert (await dash.post(f"/contacts/{cid}/disable", data={})).status == 403
    resp = await dash.post(f"/contacts/{cid}/disable", data={"csrf": csrf})
    html = await resp.text()
    assert resp.status == 200 and "已停用该联络人" in html
    assert f'action="/contacts/{cid}/enable"' in html and "data-disabled" in html
    with session_scope(seeded_engine) as s:
        assert all(c.id != cid for c in repo.list_contacts(s))
        assert any(c.id == cid and c.disabled for c in repo.list_contacts(s, with_disabled=True))
    resp = await dash.post(f"/contacts/{cid}/enable", data={"csrf": csrf})
    assert resp.status == 200 and "已重新启用该联络人" in await resp.text()
    with session_scope(seeded_engine) as s:
        assert any(c.id == cid for c in repo.list_contacts(s))
        actions = [a.action for a in repo.list_audit(s)]
    assert actions.count("contact_disabled") == 1 and actions.count("contact_enabled") == 1
    missing = await dash.post("/contacts/999999/disable", data={"csrf": csrf})
    assert missing.status == 404
