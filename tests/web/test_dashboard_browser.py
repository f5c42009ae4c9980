"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright
against the whole service (bot.app.build_app) served on 127.0.0.1 at a free port.

Log in, see 市能源局 red for its overdue milestones, open the task and its highlighted source
sentence, upload a revised plan (.docx) as a draft and publish it from its review page as
admin, download both reports; a coordinator sees the diff but no publish button.
Screenshots go to $TASKBOT_SCREENSHOTS (e.g. docs/screenshots) when set, else to the test's
temporary directory.

Skips with a loud reason only when Chromium is missing or will not start, and fails instead
when TASKBOT_REQUIRE_BROWSER=1 (CI sets it, after scripts/setup-system.sh installed it).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import docx
import openpyxl
import pytest
from browser import service
from dash_helpers import ADMIN, COORDINATOR, PASSWORD, SEED_PLAN, revised_plan
from sqlalchemy import Engine

pytestmark = pytest.mark.browser

RED = "rgb(211, 47, 47)"


async def _login(page: object, base: str, name: str) -> None:
    await page.goto(base + "/")  # type: ignore[attr-defined]
    assert "/login" in page.url  # type: ignore[attr-defined]
    await page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    await page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    await page.click("button[type=submit]")  # type: ignore[attr-defined]
    await page.wait_for_url(base + "/")  # type: ignore[attr-defined]


def _revised_docx(tmp_path: Path) -> Path:
    text = revised_plan(SEED_PLAN, tmp_path / "revised.txt").read_text(encoding="utf-8")
    d = docx.Document()
    for line in text.split("\n"):
        d.add_paragraph(line)
    out = tmp_path / "太原市节能减排实施方案（修订稿）.docx"
    d.save(str(out))
    return out


async def test_coordinator_journey_in_chromium(
    served: str, browser: object, shots: Path, tmp_path: Path
) -> None:
    context = await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1360, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = await context.new_page()
    await page.goto(served + "/login")
    await page.screenshot(path=str(shots / "login.png"))
    await _login(page, served, ADMIN)

    # Overview: 市能源局 is red (3.8.3 and 3.8.5 were due 2023-12-31).
    row = page.locator('tr[data-dept="市能源局"]')
    assert await row.get_attribute("data-light") == "red"
    lamp = row.locator(".light")
    assert await lamp.evaluate("e => getComputedStyle(e).backgroundColor") == RED
    assert "逾期2项" in await row.inner_text()
    await page.screenshot(path=str(shots / "overview.png"), full_page=True)

    # Click through to its overdue tasks, then the task and its source sentence.
    await row.locator("a.late").click()
    await page.wait_for_url(re.compile(r"/tasks\?"))
    ids = await page.locator("tr[data-task]").evaluate_all("rows => rows.map(r => r.dataset.task)")
    assert sorted(ids) == ["3.8.3", "3.8.5"]
    await page.screenshot(path=str(shots / "tasks.png"), full_page=True)
    await page.locator('tr[data-task="3.8.5"] a').first.click()
    await page.wait_for_url(re.compile(r"/tasks/\d+$"))
    mark = page.locator("mark#hl")
    assert await mark.is_visible()
    assert "绿色开采试点" in await mark.inner_text()
    assert await mark.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 235, 59)"
    await page.screenshot(path=str(shots / "task-detail.png"), full_page=True)

    # Upload a revised plan: a draft whose review shows the diff; publish it.
    await page.click("text=方案版本")
    await page.set_input_files("input[name=plan]", str(_revised_docx(tmp_path)))
    await page.click("text=载入为草稿")
    await page.wait_for_url(re.compile(r"/review/\d+"))
    assert await page.locator('[data-count="changed"]').inner_text() == "4"
    assert await page.locator('tr[data-change="changed"]').count() == 4
    await page.screenshot(path=str(shots / "revision-diff.png"), full_page=True)
    await page.click("#publish button")
    await page.wait_for_url(re.compile(r"/versions\?notice="))
    assert "第2版" in await page.locator("#notice").inner_text()
    await page.screenshot(path=str(shots / "versions.png"), full_page=True)

    # The revision moved 3.8.5 to 2024: 市能源局 is no longer red for it.
    await page.goto(served + "/")
    assert "逾期1项" in await page.locator('tr[data-dept="市能源局"]').inner_text()

    await page.click("text=任务图")
    assert await page.locator("svg#graph circle").count() >= 10
    await page.screenshot(path=str(shots / "graph.png"), full_page=True)
    await page.click("text=联络人")
    await page.screenshot(path=str(shots / "contacts.png"), full_page=True)

    # Download both reports and open them.
    async with page.expect_download() as info:
        await page.click("header >> text=督办通报")
    download = await info.value
    briefing = tmp_path / "briefing.docx"
    await download.save_as(str(briefing))
    assert download.suggested_filename.startswith("督办通报")
    doc = docx.Document(str(briefing))
    assert doc.paragraphs[0].text.endswith("督办通报")
    # Counting units: measure 3.3 is counted as its only milestone 3.3.1, not beside it.
    assert any("逾期未完成5项" in p.text for p in doc.paragraphs)
    async with page.expect_download() as info:
        await page.click("header >> text=台账")
    ledger = tmp_path / "ledger.xlsx"
    await (await info.value).save_as(str(ledger))
    ws = openpyxl.load_workbook(ledger)["台账"]
    assert ws.freeze_panes == "A2" and ws.max_row == 46

    # Logging out ends the session.
    await page.click("header button:text('退出')")
    await page.wait_for_url(re.compile(r"/login"))
    await page.goto(served + "/tasks")
    assert "/login" in page.url
    await context.close()


async def test_coordinator_cannot_apply_in_chromium(
    served: str, browser: object, tmp_path: Path
) -> None:
    context = await browser.new_context()  # type: ignore[attr-defined]
    page = await context.new_page()
    await _login(page, served, COORDINATOR)
    await page.goto(served + "/versions")
    await page.set_input_files("input[name=plan]", str(_revised_docx(tmp_path)))
    await page.click("text=比对")
    await page.wait_for_url(served + "/versions/preview")
    assert await page.locator("form#apply").count() == 0
    assert await page.locator("text=只有管理员可以应用修订").is_visible()
    # Even a hand-made POST with the session's own CSRF token is refused.
    token = await page.locator("input[name=csrf]").first.get_attribute("value")
    resp = await page.request.post(served + "/review/1/publish", form={"csrf": token or ""})
    assert resp.status == 403
    await context.close()


@pytest.fixture
async def served(seeded_engine: Engine) -> AsyncIterator[str]:
    async with service(seeded_engine, "browser") as url:
        yield url
