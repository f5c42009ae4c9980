"""Issue 12 findings over real HTTP: the whole app (build_app) on a loopback test server.

Each test reproduces a finding that held before the fix: an open redirect after login,
sessions that outlived logout, a throttle that locked owners out, 500s on malformed input,
a retried chat message recorded twice.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from dash_helpers import ADMIN, COORDINATOR, PASSWORD, csrf_in, multipart
from seeded import SHANGHAI, FixedClock
from sqlalchemy import Engine, func
from sqlmodel import select

from bot.app import build_app
from bot.config import ServerSettings, Settings
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import ChatMessage, StatusEvent
from bot.web.dashboard.auth import safe_next
from bot.web.passwords import disable_account, set_password

Client = TestClient[web.Request, web.Application]
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


async def _client(engine: Engine, clock: FixedClock, **server: Any) -> Client:
    settings = Settings(server=ServerSettings(**server), secret_key="s" * 32)
    app = await build_app(settings, clock, engine, run_scheduler=False)
    client: Client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AS_OF)


@pytest.fixture
async def app(seeded_engine: Engine, clock: FixedClock) -> AsyncIterator[Client]:
    client = await _client(seeded_engine, clock)
    try:
        yield client
    finally:
        await client.close()


async def _login(
    client: Client, name: str = COORDINATOR, password: str = PASSWORD, **headers: str
) -> int:
    page = await (await client.get("/login")).text()
    resp = await client.post(
        "/login",
        data={"csrf": csrf_in(page), "name": name, "password": password, "next": "/"},
        headers=headers,
        allow_redirects=False,
    )
    return resp.status


async def _chat_login(client: Client, engine: Engine, user_id: str = "nyj-zhangwei") -> str:
    with session_scope(engine) as s:
        contact = next(c for c in repo.list_contacts(s) if c.user_id == user_id)
        token = repo.create_login_token(s, contact.id, now=AS_OF)
    resp = await client.get(f"/chat/login/{token}", allow_redirects=False)
    assert resp.status == 302
    page = await (await client.get("/chat")).text()
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m is not None
    return m.group(1)


# -- item 5: open redirect ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/tasks?dept=市能源局", "/tasks?dept=%E5%B8%82%E8%83%BD%E6%BA%90%E5%B1%80"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
        (" //evil.example", "/"),
        ("\x00//evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/tasks", "/tasks"),
    ],
)
def test_next_is_a_same_origin_path_after_normalisation(target: str, expected: str) -> None:
    assert safe_next(target) == expected


async def test_login_with_a_tab_in_next_stays_on_this_site(app: Client) -> None:
    page = await (await app.get("/login?next=/%09/evil.example")).text()
    assert 'value="/"' in page  # the form carries the cleaned target
    resp = await app.post(
        "/login",
        data={
            "csrf": csrf_in(page),
            "name": COORDINATOR,
            "password": PASSWORD,
            "next": "/\t/evil.example",
        },
        allow_redirects=False,
    )
    assert resp.status == 302
    assert resp.headers["Location"] == "/"


# -- item 7: sessions end ------------------------------------------------------------------


async def test_logout_ends_the_dashboard_session_on_the_server(app: Client) -> None:
    assert await _login(app) == 302
    old = app.session.cookie_jar.filter_cookies(app.make_url("/"))["taskbot_dash"].value
    home = await app.get("/", allow_redirects=False)
    assert home.status == 200
    resp = await app.post("/logout", data={"csrf": csrf_in(await home.text())})
    assert resp.status == 200  # followed to the login page
    # The old cookie, replayed, opens nothing: not the overview, not the ledger.
    app.session.cookie_jar.clear()  # only the replayed cookie, nothing issued since
    app.session.cookie_jar.update_cookies({"taskbot_dash": old})
    assert (await app.get("/", allow_redirects=False)).status == 302
    ledger = await app.get("/reports/ledger.xlsx", allow_redirects=False)
    assert ledger.status == 302 and ledger.headers["Location"].startswith("/login")


async def test_logout_ends_the_web_chat_session(app: Client, seeded_engine: Engine) -> None:
    csrf = await _chat_login(app, seeded_engine)
    old = app.session.cookie_jar.filter_cookies(app.make_url("/"))["taskbot_chat"].value
    resp = await app.post("/chat/logout", data={"csrf": csrf}, allow_redirects=False)
    assert resp.status == 302
    app.session.cookie_jar.clear()
    app.session.cookie_jar.update_cookies({"taskbot_chat": old})
    posted = await app.post(
        "/chat/messages", json={"text": "完成 3.8.3"}, headers={"X-CSRF-Token": csrf}
    )
    assert posted.status == 401


async def test_a_new_password_ends_existing_sessions(app: Client, seeded_engine: Engine) -> None:
    assert await _login(app) == 302
    assert (await app.get("/", allow_redirects=False)).status == 200
    with session_scope(seeded_engine) as s:
        from argon2 import PasswordHasher

        set_password(s, COORDINATOR, "another long password", PasswordHasher(time_cost=1))
    assert (await app.get("/", allow_redirects=False)).status == 302


async def test_disabling_a_person_ends_their_chat_and_dashboard_sessions(
    app: Client, seeded_engine: Engine
) -> None:
    csrf = await _chat_login(app, seeded_engine)
    assert await _login(app) == 302
    assert (await app.get("/", allow_redirects=False)).status == 200
    with session_scope(seeded_engine) as s:
        disable_account(s, COORDINATOR)
        disable_account(s, "张伟")
    assert (await app.get("/", allow_redirects=False)).status == 302
    resp = await app.post("/chat/messages", json={"text": "任务"}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 401


async def test_sessions_time_out_idle_and_absolute(app: Client, clock: FixedClock) -> None:
    assert await _login(app) == 302
    for _ in range(11):  # busy all day: every 55 minutes …
        clock.at += timedelta(minutes=55)
        ok = (await app.get("/", allow_redirects=False)).status == 200
        if not ok:
            break
    assert not ok, "a session used all day still ended (absolute timeout)"
    assert clock.at - AS_OF <= timedelta(hours=10, minutes=55)
    assert await _login(app) == 302
    clock.at += timedelta(minutes=61)  # … or an hour unused
    assert (await app.get("/", allow_redirects=False)).status == 302


async def test_sessions_survive_a_restart(seeded_engine: Engine, clock: FixedClock) -> None:
    first = await _client(seeded_engine, clock)
    try:
        assert await _login(first) == 302
        cookie = first.session.cookie_jar.filter_cookies(first.make_url("/"))["taskbot_dash"]
    finally:
        await first.close()
    second = await _client(seeded_engine, clock)
    try:
        second.session.cookie_jar.update_cookies({"taskbot_dash": cookie.value})
        assert (await second.get("/", allow_redirects=False)).status == 200
    finally:
        await second.close()


# -- item 8: the throttle slows attackers, not users -------------------------------------


async def test_an_attacked_name_still_logs_in_from_a_known_address(
    seeded_engine: Engine, clock: FixedClock
) -> None:
    client = await _client(seeded_engine, clock, trusted_proxies=["127.0.0.1"])
    try:
        office = {"X-Forwarded-For": "10.1.1.1"}
        assert await _login(client, **office) == 302  # the owner, at their desk, last week
        client.session.cookie_jar.clear()
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        for _ in range(8):
            assert await _login(client, password="guess-guess", **attacker) in (401, 429)
        # The attacker, even with the right password, now waits …
        assert await _login(client, **attacker) == 429
        # … a stranger's address too, but the owner from their usual address gets in.
        assert await _login(client, **{"X-Forwarded-For": "198.51.100.7"}) == 429
        assert await _login(client, **office) == 302
        client.session.cookie_jar.clear()
        # Guessing from the owner's own address (a shared office NAT) is still slowed.
        for _ in range(5):
            assert await _login(client, password="guess-guess", **office) == 401
        assert await _login(client, password="guess-guess", **office) == 429
    finally:
        await client.close()


async def test_one_address_behind_the_proxy_does_not_block_the_others(
    seeded_engine: Engine, clock: FixedClock
) -> None:
    client = await _client(seeded_engine, clock, trusted_proxies=["127.0.0.0/8"])
    try:
        for i in range(25):
            status = await _login(
                client, name=f"nobody{i}", password="x" * 8, **{"X-Forwarded-For": "10.9.9.9"}
            )
            assert status in (401, 429)
        assert await _login(client, **{"X-Forwarded-For": "10.9.9.10"}) == 302
    finally:
        await client.close()


async def test_forwarded_addresses_from_untrusted_peers_are_ignored(app: Client) -> None:
    # No trusted proxies configured: X-Forwarded-For cannot dodge the per-address limit.
    for i in range(25):
        hdr = {"X-Forwarded-For": f"10.0.0.{i}"}
        await _login(app, name=f"nobody{i}", password="x" * 8, **hdr)
    assert await _login(app, name=ADMIN, **{"X-Forwarded-For": "10.0.1.1"}) == 429


# -- item 9: no 500 for bad input ------------------------------------------------------------


async def test_malformed_input_is_a_4xx(app: Client, seeded_engine: Engine) -> None:
    page = await (await app.get("/login")).text()
    bad_csrf = "令牌".encode().decode("latin-1")
    resp = await app.post(
        "/login", data={"csrf": "令牌", "name": "x", "password": "y" * 8}
    )  # non-ASCII CSRF on the unauthenticated login
    assert resp.status == 403
    resp = await app.post(
        "/login", data={"csrf": csrf_in(page)}, headers={"X-CSRF-Token": bad_csrf}
    )
    assert resp.status < 500
    for cookie in ('taskbot_dash="\\x00\\xff"; a=b', "taskbot_dash=" + "%" * 5000, "=;=;;"):
        assert (await app.get("/", headers={"Cookie": cookie}, allow_redirects=False)).status < 500
    for path in ("/tasks/" + "9" * 40, "/tasks?page=" + "9" * 40, "/tasks?due_from=0000-01-01"):
        assert (await app.get(path, allow_redirects=False)).status < 500
    assert await _login(app) == 302
    for path in ("/tasks/" + "9" * 40, "/tasks?page=" + "9" * 40, "/tasks?due_to=9999-12-31"):
        resp = await app.get(path, allow_redirects=False)
        assert 400 <= resp.status < 500, path
    home = await (await app.get("/")).text()
    resp = await app.post(f"/outbox/{'9' * 40}/resend", data={"csrf": csrf_in(home)})
    assert resp.status == 404

    csrf = await _chat_login(app, seeded_engine)
    hdr = {"X-CSRF-Token": csrf}
    nested = "[" * 100_000 + "]" * 100_000
    resp = await app.post(
        "/chat/messages", data=nested, headers=hdr | {"Content-Type": "application/json"}
    )
    assert resp.status == 400
    resp = await app.post(
        "/chat/messages",
        data='{"text": "完成 3.8.3 \\ud800"}',
        headers=hdr | {"Content-Type": "application/json"},
    )
    assert resp.status == 400 and "无效字符" in await resp.text()
    resp = await app.get("/chat/messages?after=" + "9" * 40)
    assert resp.status == 400
    resp = await app.post("/chat/messages", json={"text": "x"}, headers={"X-CSRF-Token": bad_csrf})
    assert resp.status == 403
    resp = await app.post(
        "/chat/messages", json={"text": "延期 3.8.3 0000-01-01 原因"}, headers=hdr
    )
    assert resp.status == 200
    assert "有误" in (await resp.json())["reply"]
    with session_scope(seeded_engine) as s:  # 逾期 is a coordinator's command: make one
        repo.upsert_contacts(
            s, [repo.ContactSpec("市能源局", "张伟", "webchat", "nyj-zhangwei", "coordinator")]
        )
    resp = await app.post("/chat/messages", json={"text": "逾期 不存在的局"}, headers=hdr)
    assert resp.status == 200
    # One clear answer naming what was typed (issue 13), never a 500.
    assert "没有找到部门“不存在的局”" in (await resp.json())["reply"]


# -- item 11: a retried chat message changes nothing ---------------------------------------


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        events = s.exec(select(func.count()).select_from(StatusEvent)).one()
        lines = s.exec(select(func.count()).select_from(ChatMessage)).one()
    return int(events), int(lines)


async def test_a_retry_with_the_same_client_id_changes_nothing(
    app: Client, seeded_engine: Engine
) -> None:
    csrf = await _chat_login(app, seeded_engine)
    body = {"text": "进度 3.8.3 50% 已开工", "client_id": "a1b2c3d4e5f60718"}
    before = _counts(seeded_engine)
    first = await app.post("/chat/messages", json=body, headers={"X-CSRF-Token": csrf})
    assert first.status == 200
    after_first = _counts(seeded_engine)
    assert after_first == (before[0] + 1, before[1] + 2)  # one event; the line and its answer
    again = await app.post("/chat/messages", json=body, headers={"X-CSRF-Token": csrf})
    assert again.status == 200
    data = await again.json()
    assert data["duplicate"] is True and data["reply"] == (await first.json())["reply"]
    assert _counts(seeded_engine) == after_first


# -- lesser ---------------------------------------------------------------------------------


async def test_chat_and_pages_cannot_be_framed_or_run_foreign_script(
    app: Client, seeded_engine: Engine
) -> None:
    for path in ("/chat", "/login"):
        resp = await app.get(path)
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    await _chat_login(app, seeded_engine)
    resp = await app.get("/chat")
    csp = resp.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in await resp.text()
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


async def test_notice_is_not_reflected(app: Client) -> None:
    assert await _login(app) == 302
    for path in ("/contacts", "/versions"):
        resp = await app.get(path + "?notice=<b>请拨打12345领取补贴</b>")
        assert "领取补贴" not in await resp.text()
    resp = await app.get("/contacts?notice=requeued")
    assert "已重新排队发送" in await resp.text()


# -- item 10: a long import does not lock chat out -------------------------------------------

IMPORT_ROWS = 10_000


async def test_chat_keeps_working_during_a_long_contacts_import(
    app: Client, seeded_engine: Engine
) -> None:
    chat_csrf = await _chat_login(app, seeded_engine)
    chat_cookie = app.session.cookie_jar.filter_cookies(app.make_url("/"))["taskbot_chat"].value
    assert await _login(app, name=ADMIN) == 302
    admin_csrf = csrf_in(await (await app.get("/contacts")).text())
    sheet = "部门,姓名,平台,账号,角色\n" + "".join(
        f"市能源局,联络员{i},wecom,u{i:06d},contact\n" for i in range(IMPORT_ROWS)
    )
    data = multipart("sheet", "big.csv", sheet.encode(), csrf=admin_csrf)
    started = time.perf_counter()
    upload = asyncio.create_task(app.post("/contacts/import", data=data))
    statuses: list[int] = []
    worst = 0.0
    async with aiohttp.ClientSession(
        str(app.make_url("/")), cookies={"taskbot_chat": chat_cookie}
    ) as chat:
        i = 0
        while not upload.done():
            i += 1
            t0 = time.perf_counter()
            resp = await chat.post(
                "/chat/messages",
                json={"text": f"进度 3.8.3 {i % 100}%", "client_id": f"contention-{i:04d}"},
                headers={"X-CSRF-Token": chat_csrf},
            )
            statuses.append(resp.status)
            worst = max(worst, time.perf_counter() - t0)
            await asyncio.sleep(0.1)
    resp = await upload
    took = time.perf_counter() - started
    assert resp.status == 200, (await resp.text())[:500]
    assert f"已导入{IMPORT_ROWS}条" in await resp.text()
    print(
        f"\nimport of {IMPORT_ROWS} rows took {took:.1f} s; {len(statuses)} chat messages "
        f"meanwhile, worst {worst * 1000:.0f} ms"
    )
    assert statuses and all(s == 200 for s in statuses), statuses


# -- item 9: malformed .docx numbering is a 4xx ------------------------------------------


def _numbered_docx(edit: Any) -> bytes:
    import io
    import zipfile

    import docx

    d = docx.Document()
    d.add_paragraph("一、重点任务")
    d.add_paragraph("第一项", style="List Number")
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            dst.writestr(item, edit(item.filename, content))
    return out.getvalue()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda n, c: re.sub(rb'w:ilvl w:val="\d+"', b'w:ilvl w:val="12"', c), id="ilvl=12"
        ),
        pytest.param(
            lambda n, c: re.sub(rb'w:ilvl w:val="\d+"', b'w:ilvl w:val="x"', c), id="ilvl=x"
        ),
        pytest.param(
            lambda n, c: (
                re.sub(rb'<w:start w:val="\d+"/>', b'<w:start w:val="' + b"9" * 5000 + b'"/>', c)
                if n == "word/numbering.xml"
                else c
            ),
            id="5000-digit start",
        ),
    ],
)
async def test_malformed_numbering_is_a_4xx(app: Client, edit: Any) -> None:
    assert await _login(app) == 302
    csrf = csrf_in(await (await app.get("/versions")).text())
    content = _numbered_docx(edit)
    resp = await app.post(
        "/versions/preview", data=multipart("plan", "plan.docx", content, csrf=csrf)
    )
    assert 400 <= resp.status < 500, resp.status
    assert "taskbot-upload-" not in await resp.text()
