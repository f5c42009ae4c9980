"""Who may move a task where; every change is an event and an audit record."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from store_factory import BASE, make_plan

from bot.store import repo
from bot.store.db import session_scope
from bot.store.errors import InvalidTransition, PermissionDenied
from bot.store.loading import load_plan
from bot.store.repo import Action, ContactSpec

NOW = datetime(2024, 1, 5, 2, 0, tzinfo=UTC)
CONTACTS = [
    ContactSpec("市交通局", "张伟", "wecom", "zhangwei", "contact"),
    ContactSpec("市能源局", "李娜", "matrix", "@lina:localhost", "contact"),
    ContactSpec("市住建局", "王芳", "dingtalk", "wf01", "leader"),
    ContactSpec("市政府督查室", "赵督办", "webchat", "zhao", "coordinator"),
]


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        load_plan(s, make_plan(BASE))
        repo.upsert_contacts(s, CONTACTS)
    with session_scope(engine) as s:
        out = {c.name: c.id for c in repo.list_contacts(s)}
        out["task"] = repo.find_task(s, "1.3.1").id or 0
        return out


def _do(engine: Engine, ids: dict[str, int], who: str | None, action: Action, **kw: object) -> str:
    with session_scope(engine) as s:
        event = repo.record_status(
            s,
            ids["task"],
            action,
            contact_id=ids[who] if who else None,
            now=NOW,
            **kw,  # type: ignore[arg-type]
        )
        return event.to_status


def test_lead_reports_done_and_coordinator_closes(engine: Engine, ids: dict[str, int]) -> None:
    assert _do(engine, ids, "张伟", Action.PROGRESS, note="已建成6000台") == "in_progress"
    assert _do(engine, ids, "张伟", Action.REPORT_DONE, raw_message="完成 1.3.1") == "reported"
    assert _do(engine, ids, "赵督办", Action.CLOSE) == "closed"
    with session_scope(engine) as s:
        events = repo.status_events(s, ids["task"])
        assert [(e.from_status, e.to_status) for e in events] == [
            ("pending", "in_progress"),
            ("in_progress", "reported"),
            ("reported", "closed"),
        ]
        assert events[0].note == "已建成6000台" and events[1].raw_message == "完成 1.3.1"
        assert events[0].at == NOW
        audits = repo.list_audit(s, task_id=ids["task"])
        assert [a.detail["to"] for a in audits] == ["in_progress", "reported", "closed"]
        assert all(a.version_id for a in audits)
        assert repo.task_row(s, ids["task"], as_of=date(2024, 1, 5)).overdue_days == 0


def test_cooperating_contact_may_report_progress_but_not_completion(
    engine: Engine, ids: dict[str, int]
) -> None:
    assert _do(engine, ids, "李娜", Action.PROGRESS) == "in_progress"
    with pytest.raises(PermissionDenied, match="lead department"):
        _do(engine, ids, "李娜", Action.REPORT_DONE)


def test_other_departments_and_non_coordinators_are_refused(
    engine: Engine, ids: dict[str, int]
) -> None:
    with pytest.raises(PermissionDenied, match="not a contact of a department"):
        _do(engine, ids, "王芳", Action.PROGRESS)
    _do(engine, ids, "张伟", Action.REPORT_DONE)
    with pytest.raises(PermissionDenied, match="not a coordinator"):
        _do(engine, ids, "张伟", Action.CLOSE)
    with session_scope(engine) as s:
        assert repo.get_task(s, ids["task"]).status == "reported"  # refusals change nothing


def test_transitions_follow_the_rules(engine: Engine, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidTransition, match="needs one of reported"):
        _do(engine, ids, "赵督办", Action.CLOSE)
    _do(engine, ids, "张伟", Action.REPORT_DONE)
    with pytest.raises(InvalidTransition, match="reason"):
        _do(engine, ids, "赵督办", Action.RETURN)
    assert _do(engine, ids, "赵督办", Action.RETURN, note="缺少验收材料") == "returned"


def test_an_approved_extension_moves_the_due_date(engine: Engine, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidTransition, match="new date"):
        _do(engine, ids, "张伟", Action.REQUEST_EXTENSION, note="资金未到位")
    new_due = date(2024, 6, 30)
    assert (
        _do(engine, ids, "张伟", Action.REQUEST_EXTENSION, note="资金未到位", new_due=new_due)
        == "extension_requested"
    )
    assert _do(engine, ids, "赵督办", Action.APPROVE_EXTENSION) == "in_progress"
    with session_scope(engine) as s:
        assert repo.get_task(s, ids["task"]).due == new_due
        assert repo.task_row(s, ids["task"], as_of=date(2024, 1, 5)).overdue_days == 0


def test_actions_parse_from_chinese_words_and_status_names() -> None:
    assert repo.parse_action("完成") is Action.REPORT_DONE
    assert repo.parse_action("closed") is Action.CLOSE
    assert repo.parse_action("批准延期") is Action.APPROVE_EXTENSION
    with pytest.raises(InvalidTransition, match="unknown status"):
        repo.parse_action("done-ish")
