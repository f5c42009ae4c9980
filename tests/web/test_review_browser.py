"""Parse -> review -> publish in a real browser (headless Chromium, Playwright) against the
whole service (bot.app.build_app) on 127.0.0.1 at a free port, on an empty store that has
only the contacts and the dashboard accounts.

Issue 15's "done when": upload the seed as a draft; see a parser warning; change one
measure's lead; publish; a reminder pass reaches the corrected lead's contacts, not the
parsed one's; a revision that doesn't touch that sentence keeps the correction; one that
rewrites it offers the correction for review. Screenshots as in test_dashboard_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from browser import service
from dash_helpers import ADMIN, PASSWORD, SEED_CONTACTS, SEED_PLAN
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.contacts_import import import_contacts
from bot.store.db import make_engine, session_scope
from bot.store.models import Outbox
from bot.web.passwords import set_password
from parser.units import canonicalize, is_known

pytestmark = pytest.mark.browser

FRIDAY = datetime(2024, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# In measure 3.8's sentence (milestone 3.8.5), and in measure 3.4's (milestone 3.4.2).
IN_38 = "2023 年力争再新推动 1 个绿色开采试点建设"
IN_34 = "2023年力争全市新建充电桩1万台"
# A month without a year: the parser assumes one and warns (month_without_year).
NO_YEAR = ("严格执行重点用能单位能源审计", "6月底前严格执行重点用能单位能源审计")


def _plan_file(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    text = SEED_PLAN.read_text(encoding="utf-8")
    for old, new in (NO_YEAR, *edits):
        assert old in text
        text = text.replace(old, new, 1)
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


@pytest.fixture
def empty_engine(store_url: str) -> Iterator[Engine]:
    """No plan: only the contacts, and passwords for the admin (SQLite and PostgreSQL)."""
    engine = make_engine(store_url)
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with session_scope(engine) as s:
        import_contacts(s, SEED_CONTACTS, canonicalize=canonicalize, is_known=is_known)
        set_password(s, ADMIN, PASSWORD, hasher)
    try:
        yield engine
    finally:
        engine.dispose()


async def _reminders(engine: Engine) -> dict[str, str]:
    """One real reminder pass at Friday 10:00; the reminder text queued per chat user."""
    await ReminderService(Database(engine), Renderer(), Settings()).run_pass(FRIDAY)
    with session_scope(engine) as s:
        return {o.user_id: o.text for o in s.exec(select(Outbox)) if o.kind == "reminder"}


async def _upload(page: object, served: str, path: Path, plan: str) -> None:
    await page.goto(served + "/versions")  # type: ignore[attr-defined]
    await page.select_option("select[name=plan_id]", plan)  # type: ignore[attr-defined]
    await page.set_input_files("input[name=plan]", str(path))  # type: ignore[attr-defined]
    await page.click("text=载入为草稿")  # type: ignore[attr-defined]
    await page.wait_for_url(re.compile(r"/review/\d+"))  # type: ignore[attr-defined]


async def test_review_correct_publish_and_keep_the_correction_in_chromium(
    served: str, browser: object, empty_engine: Engine, shots: Path, tmp_path: Path
) -> None:
    context = await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 900}, locale="zh-CN"
    )
    page = await context.new_page()
    await page.goto(served + "/login")
    await page.fill("input[name=name]", ADMIN)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(served + "/")

    # Upload the seed as a new plan: a draft, with the parser's warning on top.
    await _upload(page, served, _plan_file(tmp_path, "太原方案.txt"), "new")
    warning = page.locator('#warnings li[data-kind="month_without_year"]')
    assert await warning.is_visible()
    assert "月份缺少年份" in await warning.inner_text()
    with session_scope(empty_engine) as s:
        assert repo.list_tasks(s, as_of=FRIDAY.date()) == []
    assert await _reminders(empty_engine) == {}, "a draft reminds nobody"

    # Change measure 3.8's lead (parsed: 市能源局) through the picker's text field.
    row = page.locator('tr[data-task="3.8"]')
    assert await row.locator('[data-field="lead"]').inner_text() == "市能源局"
    await row.locator("summary").click()
    await row.locator("input[name=lead]").fill("发改委")
    await row.locator("form[action$='/edit'] button").click()
    await page.wait_for_url(re.compile(r"notice=edited"))
    row = page.locator('tr[data-task="3.8"]')
    assert await row.locator('[data-field="lead"]').inner_text() == "市发展改革委"
    milestone = page.locator('tr[data-task="3.8.3"] [data-field="lead"]')
    assert await milestone.inner_text() == "市发展改革委"
    await page.screenshot(path=str(shots / "review.png"), full_page=True)

    # Add a measure the parser missed by selecting its sentence in the source text: the
    # page's script fills in the offsets, the server checks them against the stored text.
    sentence = "加快推进太原市综合交通运输指挥调度平台建设"
    await page.evaluate(
        """s => {
            const pre = document.getElementById("source");
            const node = pre.firstChild;
            const at = node.data.indexOf(s);
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + s.length);
            const sel = window.getSelection();
            sel.removeAllRanges();
            sel.addRange(range);
        }""",
        sentence,
    )
    add = page.locator("#add form")
    await page.wait_for_function(
        "() => document.querySelector('#add textarea[name=selected]').value.length > 0"
    )
    assert await add.locator("textarea[name=selected]").input_value() == sentence
    start = int(await add.locator("input[name=start]").input_value())
    with session_scope(empty_engine) as s:
        text = repo.list_versions(s, 1)[0].text
    assert text[start : start + len(sentence)] == sentence
    await add.locator("input[name=key]").fill("3.23")
    await add.locator("input[name=lead]").fill("能源局")
    await add.locator("input[name=due]").fill("2024-06-30")
    await add.locator("button").click()
    await page.wait_for_url(re.compile(r"notice=added"))
    added = page.locator('tr[data-task="3.23"]')
    assert await added.locator('[data-field="lead"]').inner_text() == "市能源局"
    assert await added.locator('[data-field="due"]').inner_text() == "2024-06-30"

    # A malformed date: one clear message, nothing written.
    await row.locator("summary").click()
    await row.locator("input[name=due]").fill("2024-02-30")
    await row.locator("form[action$='/edit'] button").click()
    assert "截止日期格式不正确" in await page.locator("#error").inner_text()

    await page.click("#publish button")
    await page.wait_for_url(re.compile(r"/versions\?notice=published"))
    assert "已发布" in await page.locator("#notice").inner_text()

    # The reminder pass reaches the corrected lead, not the parsed one.
    sent = await _reminders(empty_engine)
    assert "3.8.3" in sent["fgw-wangfang"]
    assert "3.8.3" not in sent.get("nyj-zhangwei", "")

    # A revision that leaves 3.8's sentence alone: the correction is re-applied.
    untouched = _plan_file(tmp_path, "修订1.txt", (IN_34, "2024年力争全市新建充电桩1万台"))
    await _upload(page, served, untouched, "1")
    assert await page.locator(".offer").count() == 0
    lead = page.locator('tr[data-task="3.8"] [data-field="lead"]')
    assert await lead.inner_text() == "市发展改革委"
    assert await page.locator('tr[data-change="changed"]').count() == 2  # 3.4 and 3.4.2
    # The added measure is added again where its sentence stands: not withdrawn.
    assert await page.locator('tr[data-change="withdrawn"]').count() == 0
    assert await page.locator('tr[data-task="3.23"]').count() == 1
    await page.click("#publish button")
    await page.wait_for_url(re.compile(r"/versions\?notice=published"))
    with session_scope(empty_engine) as s:
        pk = repo.find_task(s, "3.8").id or 0
        assert repo.task_row(s, pk, as_of=FRIDAY.date()).lead == "市发展改革委"

    # A revision that rewrites that very sentence: the correction is offered, not applied.
    rewritten = _plan_file(
        tmp_path,
        "修订2.txt",
        (IN_34, "2024年力争全市新建充电桩1万台"),
        (IN_38, "2024 年力争再新推动 3 个绿色开采试点建设"),
    )
    await _upload(page, served, rewritten, "1")
    # The edit corrected the lead and (the new lead leaving them) the cooperating units.
    offers = page.locator(".offer")
    assert await offers.count() == 2
    for text in await offers.all_inner_texts():
        assert text.startswith("3.8 ") and "原句" in text and "修订稿 3.8" in text
    assert "市发展改革委" in await offers.first.inner_text()
    lead = page.locator('tr[data-task="3.8"] [data-field="lead"]')
    assert await lead.inner_text() == "市能源局"
    await page.screenshot(path=str(shots / "review-offered.png"), full_page=True)
    await page.click("#publish button")  # refused while the offers wait
    assert "等待确认" in await page.locator("#error").inner_text()
    for _ in range(2):
        await page.locator(".offer button[value=accept]").first.click()
        await page.wait_for_url(re.compile(r"notice=decided"))
    assert await page.locator(".offer").count() == 0
    lead = page.locator('tr[data-task="3.8"] [data-field="lead"]')
    assert await lead.inner_text() == "市发展改革委"
    await page.click("#publish button")
    await page.wait_for_url(re.compile(r"/versions\?notice=published"))
    with session_scope(empty_engine) as s:
        pk = repo.find_task(s, "3.8.5").id or 0
        assert repo.task_row(s, pk, as_of=FRIDAY.date()).lead == "市发展改革委"
        actions = {a.action for a in repo.list_audit(s) if a.actor == f"{ADMIN} (dashboard)"}
        assert {"review_edit", "correction_accepted", "publish", "regenerate"} <= actions
    await context.close()


@pytest.fixture
async def served(empty_engine: Engine) -> AsyncIterator[str]:
    async with service(empty_engine, "review") as url:
        yield url
