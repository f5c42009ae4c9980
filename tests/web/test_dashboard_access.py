"""Security: pages refuse without login, forms refuse without the CSRF token, only admins
apply revisions or import contacts, cookies are HttpOnly + SameSite, logout ends the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from dash_helpers import (
    ADMIN,
    COORDINATOR,
    SEED_PLAN,
    Client,
    csrf_in,
    login,
    multipart,
    revised_plan,
)
from sqlalchemy import Engine

from bot.store.db import session_scope
from bot.store.loading import load_draft
from bot.store.repo import corrections as rc
from bot.web.passwords import make_hasher, set_password
from parser import parse_document

PAGES = [
    "/",
    "/tasks",
    "/tasks/1",
    "/versions",
    "/review/1",
    "/graph",
    "/contacts",
    "/reports/ledger.xlsx",
    "/reports/briefing.docx",
    "/logout",
]
FORMS = [
    "/versions/preview",
    *(f"/review/1/{action}" for action in ("edit", "drop", "add", "decide", "publish")),
    "/contacts/import",
    "/outbox/1/resend",
    "/logout",
]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_redirect_to_login_without_a_session(dash: Client, path: str) -> None:
    resp = await dash.get(path, allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login")


async def test_forged_or_foreign_cookie_is_no_session(dash: Client) -> None:
    page = await (await dash.get("/login")).text()
    assert csrf_in(page)
    # The "login" cookie only carries the form's token; it is not a dashboard session.
    assert (await dash.get("/", allow_redirects=False)).status == 302
    dash.session.cookie_jar.update_cookies({"taskbot_dash": "eyJjIjoxNiwiayI6ImRhc2gifQ.forged"})
    assert (await dash.get("/", allow_redirects=False)).status == 302


@pytest.mark.parametrize("path", FORMS)
async def test_forms_answer_401_without_a_session(dash: Client, path: str) -> None:
    resp = await dash.post(path, data={"csrf": "anything"}, allow_redirects=False)
    assert resp.status == 401


@pytest.mark.parametrize("path", FORMS)
async def test_forms_answer_403_without_the_csrf_token(dash: Client, path: str) -> None:
    await login(dash, ADMIN)
    resp = await dash.post(path, data={"x": "1"}, allow_redirects=False)
    assert resp.status == 403
    resp = await dash.post(path, data={"csrf": "wrong-token"}, allow_redirects=False)
    assert resp.status == 403


async def test_login_form_itself_needs_its_csrf_token(dash: Client) -> None:
    resp = await dash.post(
        "/login", data={"name": ADMIN, "password": "correct horse battery"}, allow_redirects=False
    )
    assert resp.status == 403
    assert (await dash.get("/", allow_redirects=False)).status == 302


async def test_wrong_password_and_non_coordinators_cannot_log_in(dash: Client) -> None:
    for name, password in [(ADMIN, "wrong password"), ("张伟", "correct horse battery")]:
        page = await (await dash.get("/login")).text()
        resp = await dash.post(
            "/login",
            data={"csrf": csrf_in(page), "name": name, "password": password},
            allow_redirects=False,
        )
        assert resp.status == 401
        assert "姓名或密码不正确" in await resp.text()
        assert (await dash.get("/", allow_redirects=False)).status == 302


async def test_session_cookie_is_httponly_and_samesite(dash: Client) -> None:
    page = await (await dash.get("/login")).text()
    resp = await dash.post(
        "/login",
        data={"csrf": csrf_in(page), "name": COORDINATOR, "password": "correct horse battery"},
        allow_redirects=False,
    )
    assert resp.status == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    home = await dash.get("/")
    assert home.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]


async def test_login_redirects_only_to_local_paths(dash: Client) -> None:
    for target, expected in [("/tasks?dept=x", "/tasks?dept=x"), ("//evil.example/", "/")]:
        page = await (await dash.get("/login")).text()
        resp = await dash.post(
            "/login",
            data={
                "csrf": csrf_in(page),
                "name": COORDINATOR,
                "password": "correct horse battery",
                "next": target,
            },
            allow_redirects=False,
        )
        assert resp.headers["Location"] == expected


async def test_logout_ends_the_session(dash: Client) -> None:
    csrf = await login(dash, COORDINATOR)
    resp = await dash.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/login"
    assert (await dash.get("/", allow_redirects=False)).status == 302


async def test_coordinator_sees_the_diff_but_cannot_apply(
    dash: Client, tmp_path: Path, seeded_engine: Engine
) -> None:
    csrf = await login(dash, COORDINATOR)
    content = revised_plan(SEED_PLAN, tmp_path / "revised.txt").read_bytes()
    preview = await dash.post(
        "/versions/preview", data=multipart("plan", "revised.txt", content, csrf=csrf)
    )
    html = await preview.text()
    assert preview.status == 200
    assert "只有管理员可以应用修订" in html and "/publish" not in html
    # Nothing stored: a coordinator's upload is a preview, not a draft.
    with session_scope(seeded_engine) as s:
        assert rc.open_drafts(s) == []
        draft = load_draft(
            s, parse_document(revised_plan(SEED_PLAN, tmp_path / "r.txt")), plan_id=1
        )
        vid = draft.version.id
    # The review page is open to coordinators, without a form; its forms are refused.
    review = await (await dash.get(f"/review/{vid}")).text()
    assert "只有管理员可以修改和发布草稿" in review and 'action="/review/' not in review
    for action in ("publish", "edit", "drop", "add", "decide"):
        resp = await dash.post(
            f"/review/{vid}/{action}", data={"csrf": csrf, "key": "3.8"}, allow_redirects=False
        )
        assert resp.status == 403, action
    new_plan = await dash.post(
        "/versions/preview",
        data=multipart("plan", "revised.txt", content, csrf=csrf, plan_id="new"),
        allow_redirects=False,
    )
    assert new_plan.status == 403
    versions = await (await dash.get("/versions")).text()
    assert "✓ 当前" in versions and versions.count('data-state="published"') == 1


async def test_coordinator_cannot_import_contacts(dash: Client) -> None:
    csrf = await login(dash, COORDINATOR)
    sheet = "部门,姓名,平台,账号,角色\n市政府办公室,郭敏,webchat,zfb-guomin,admin\n".encode()
    resp = await dash.post("/contacts/import", data=multipart("sheet", "c.csv", sheet, csrf=csrf))
    assert resp.status == 403


async def test_repeated_wrong_passwords_lock_the_name_for_a_while(dash: Client) -> None:
    async def attempt(name: str, password: str) -> tuple[int, str]:
        page = await (await dash.get("/login")).text()
        resp = await dash.post(
            "/login",
            data={"csrf": csrf_in(page), "name": name, "password": password},
            allow_redirects=False,
        )
        return resp.status, await resp.text()

    for _ in range(5):
        assert (await attempt(COORDINATOR, "guess"))[0] == 401
    status, text = await attempt(COORDINATOR, "correct horse battery")
    assert status == 429 and "尝试次数过多" in text, "even the right password waits"
    assert (await dash.get("/", allow_redirects=False)).status == 302
    # Another account is not locked by someone guessing this one.
    status, _ = await attempt(ADMIN, "correct horse battery")
    assert status == 302


async def test_a_new_password_ends_sessions_granted_under_the_old_one(
    dash: Client, seeded_engine: Engine
) -> None:
    await login(dash, COORDINATOR)
    assert (await dash.get("/", allow_redirects=False)).status == 200
    with session_scope(seeded_engine) as s:
        set_password(s, COORDINATOR, "a brand new secret", make_hasher())
    assert (await dash.get("/", allow_redirects=False)).status == 302
    await login(dash, COORDINATOR, "a brand new secret")
    assert (await dash.get("/", allow_redirects=False)).status == 200
