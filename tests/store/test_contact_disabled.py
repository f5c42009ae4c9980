"""A disabled contact (someone left the department), on both backends: no longer reminded
or recognised in chat, its web chat links end and no new one is issued; its history stays,
and enabling it undoes all of that. Also `taskbot contacts disable|enable`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import invoke
from seeded import FixedClock
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.conversation.handler import Conversation
from bot.conversation.matching import TaskMatcher
from bot.errors import UserError
from bot.events import IncomingMessage
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.manual import ManualTask, add_manual_task
from bot.store.models import AuditLog, Outbox
from bot.store.repo import ContactSpec
from bot.web.login_links import find_chat_contact, issue_chat_link
from parser.units import canonicalize, is_known

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 2, 1, 10, 0, tzinfo=SH)
DUE_SOON = datetime(2024, 2, 29, 10, 0, tzinfo=SH)  # the last working day before 03-01


def _store(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
                ContactSpec("市能源局", "张伟", "wecom", "zhangwei", "contact"),
                ContactSpec("市能源局", "李娜", "webchat", "ln", "contact"),
            ],
        )
        add_manual_task(
            s,
            ManualTask("落实市长办公会议定事项", "能源局", date(2024, 3, 1), source="会议纪要"),
            match=match_department,
            canonicalize=canonicalize,
            is_known=is_known,
            actor="test",
            now=NOW,
        )


def _zhang_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as s:
        rows = repo.list_contacts(s, with_disabled=True)
    return [c.id for c in rows if c.name == "张伟"]


def _set(engine: Engine, enabled: bool) -> int:
    with session_scope(engine) as s:
        return repo.set_contacts_enabled(
            s, _zhang_ids(engine), enabled=enabled, actor="admin", now=NOW
        )


async def _remind(engine: Engine, at: datetime) -> dict[str, str]:
    await ReminderService(Database(engine), Renderer(), Settings()).run_pass(at)
    with session_scope(engine) as s:
        return {r.user_id: r.text for r in s.exec(select(Outbox))}


async def test_a_disabled_contact_is_not_reminded_and_enabling_brings_it_back(
    engine: Engine,
) -> None:
    _store(engine)
    assert _set(engine, enabled=False) == 2
    assert _set(engine, enabled=False) == 0  # already disabled: nothing changes
    sent = await _remind(engine, DUE_SOON)
    assert "ln" in sent and "0.1" in sent["ln"], "the department's other contact still is"
    assert not {"zw", "zhangwei"} & set(sent)
    assert _set(engine, enabled=True) == 2
    sent = await _remind(engine, DUE_SOON + timedelta(days=1))
    assert {"zw", "zhangwei"} <= set(sent)
    with session_scope(engine) as s:
        actions = [a.action for a in s.exec(select(AuditLog))]
    assert actions.count("contact_disabled") == 1 and actions.count("contact_enabled") == 1


async def test_a_disabled_contact_is_a_stranger_to_the_chat(
    engine: Engine, matcher: TaskMatcher
) -> None:
    _store(engine)
    _set(engine, enabled=False)
    conv = Conversation(Database(engine), Renderer(), matcher, FixedClock(NOW))
    reply = await conv.handle(IncomingMessage("wecom", "zhangwei", "完成 0.1", "m1", NOW))
    assert reply is not None and "已报完成" not in reply
    with session_scope(engine) as s:
        assert repo.find_task(s, "0.1").status == "pending"
    _set(engine, enabled=True)
    reply = await conv.handle(IncomingMessage("wecom", "zhangwei", "完成 0.1", "m2", NOW))
    assert reply is not None and "已报完成" in reply


def test_no_web_chat_link_for_a_disabled_contact_and_its_links_end(engine: Engine) -> None:
    _store(engine)
    at = NOW.astimezone(UTC)
    with session_scope(engine) as s:
        link = issue_chat_link(
            s, find_chat_contact(s, "zw"), settings=Settings(), actor="admin", now=at
        )
    token = link.url.rsplit("/", 1)[1]
    _set(engine, enabled=False)
    with session_scope(engine) as s:
        assert repo.consume_login_token(s, token, now=at + timedelta(minutes=1)) is None
        with pytest.raises(UserError, match="disabled"):
            issue_chat_link(
                s, find_chat_contact(s, "zw"), settings=Settings(), actor="admin", now=at
            )


def test_cli_disables_and_enables_a_person(store_url: str, tmp_path: Path) -> None:
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(
        "部门,姓名,平台,账号,角色\n"
        "市能源局,张伟,webchat,zw,contact\n"
        "市能源局,张伟,wecom,zhangwei,contact\n"
        "市财政局,王芳,webchat,wf1,contact\n"
        "市住建局,王芳,webchat,wf2,contact\n",
        encoding="utf-8",
    )
    assert invoke(store_url, "contacts", "import", str(sheet)).returncode == 0
    done = invoke(store_url, "contacts", "disable", "张伟")
    assert done.returncode == 0, done.stderr
    assert "disabled (2 of 2" in done.stdout
    listed = invoke(store_url, "contacts", "list", "--format", "json")
    states = {(c["user_id"], c["disabled"]) for c in json.loads(listed.stdout)}
    assert ("zw", True) in states and ("zhangwei", True) in states and ("wf1", False) in states
    ambiguous = invoke(store_url, "contacts", "disable", "王芳")
    assert ambiguous.returncode == 2 and "--dept" in ambiguous.stderr
    one = invoke(store_url, "contacts", "disable", "王芳", "--dept", "市财政局")
    assert one.returncode == 0 and "disabled (1 of 1" in one.stdout
    unknown = invoke(store_url, "contacts", "enable", "赵六")
    assert unknown.returncode == 2 and "no contact named 赵六" in unknown.stderr
    back = invoke(store_url, "contacts", "enable", "zhangwei")  # by any of its user ids
    assert back.returncode == 0 and "enabled (2 of 2" in back.stdout
