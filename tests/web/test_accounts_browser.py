"""The accounts page in a real browser (headless Chromium via Playwright, the whole service
from bot.app.build_app on 127.0.0.1): an admin creates a coordinator, resets the password
to a generated one, the coordinator logs in with it and the old password is refused.

Skips loudly without Chromium; fails instead when TASKBOT_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from browser import service
from dash_helpers import ADMIN, PASSWORD
from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import session_scope

pytestmark = pytest.mark.browser

FIRST = "first password 1"


async def _log_in(page: object, base: str, name: str, password: str) -> None:
    await page.goto(base + "/login")  # type: ignore[attr-defined]
    await page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    await page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    await page.click("main button[type=submit]")  # type: ignore[attr-defined]


async def test_admin_creates_a_coordinator_and_resets_the_password(
    served: str, browser: object, shots: Path, seeded_engine: Engine
) -> None:
    admin_ctx = await browser.new_context(viewport={"width": 1360, "height": 900})  # type: ignore[attr-defined]
    admin = await admin_ctx.new_page()
    await _log_in(admin, served, ADMIN, PASSWORD)
    await admin.wait_for_url(served + "/")
    await admin.click("header >> text=账号")
    await admin.wait_for_url(served + "/accounts")

    form = admin.locator("form#account-new")
    await form.locator("input[name=name]").fill("韩梅梅")
    await form.locator("input[name=department]").fill("市发展改革委")
    await form.locator("select[name=role]").select_option("coordinator")
    await form.locator("input[name=password]").fill(FIRST)
    await form.locator("button[type=submit]").click()
    await admin.wait_for_url(served + "/accounts/new")
    assert "已创建账号：韩梅梅" in await admin.locator("#notice").inner_text()
    row = admin.locator('tr[data-name="韩梅梅"]')
    assert "督办" in await row.inner_text() and "已启用" in await row.inner_text()
    assert await admin.locator("#new-password").count() == 0  # the admin typed it

    # Reset to a generated password, shown once.
    await row.locator("form.reset button").click()
    await admin.wait_for_url(served + "/accounts/password")
    generated = (await admin.locator("#new-password").inner_text()).strip()
    assert len(generated) >= 12
    await admin.screenshot(path=str(shots / "accounts.png"), full_page=True)

    coord_ctx = await browser.new_context()  # type: ignore[attr-defined]
    coord = await coord_ctx.new_page()
    await _log_in(coord, served, "韩梅梅", FIRST)
    await coord.wait_for_url(re.compile(r"/login$"))
    assert "姓名或密码不正确" in await coord.inner_text("main"), "the old password is refused"
    assert not await coord.locator("header >> text=退出").count()
    await _log_in(coord, served, "韩梅梅", generated)
    await coord.wait_for_url(served + "/")
    assert "韩梅梅（督办）" in await coord.inner_text("header")
    assert not await coord.locator("header >> text=账号").count()  # not an admin's page
    await coord_ctx.close()
    await admin_ctx.close()

    with session_scope(seeded_engine) as s:
        done = [
            (a.action, a.actor) for a in repo.list_audit(s) if a.detail.get("name") == "韩梅梅"
        ]
    assert done == [
        ("create_account", f"{ADMIN} (dashboard)"),
        ("set_password", f"{ADMIN} (dashboard)"),
    ]


@pytest.fixture
async def served(seeded_engine: Engine) -> AsyncIterator[str]:
    async with service(seeded_engine, "browser") as url:
        yield url
