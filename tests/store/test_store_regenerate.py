"""Revisions: matching by id and by words, applied in place so no history is lost."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from store_factory import BASE, make_plan, measure

from bot.store import repo
from bot.store.db import session_scope
from bot.store.loading import apply_revision, load_plan, preview_revision
from bot.store.regenerate import diff_tasks
from bot.store.repo import Action, ContactSpec
from bot.store.specs import StoredTask, plan_specs

NOW = datetime(2024, 1, 5, 2, 0, tzinfo=UTC)
AS_OF = date(2024, 1, 5)
NEW = measure(
    "1.1",
    "开展重点用能单位节能诊断，建立能效对标制度",
    "市能源局",
    ("市工信局",),
    (("2024年底前完成重点用能单位节能诊断全覆盖", date(2024, 12, 31)),),
)


def _renumber(m: dict[str, object], key: str) -> dict[str, object]:
    return {**m, "id": key}


def revised() -> list[dict[str, object]]:
    """Insert a measure first (renumbering the rest), move a deadline, reword one measure,
    change a lead and remove the last measure."""
    old = BASE
    m12 = dict(old[1])
    m12["milestones"] = (("2023年12月底前完成既有建筑节能改造100万平方米", date(2023, 12, 31)),)
    m13 = dict(old[2])
    m13["title"] = "加快交通物流领域节能减排，推广新能源汽车和充电基础设施建设"
    m13["lead"], m13["coop"] = "市发展改革委", ("市交通局", "市能源局")
    return [NEW, _renumber(old[0], "1.2"), _renumber(m12, "1.3"), _renumber(m13, "1.4")]


def _stored(specs: list) -> list[StoredTask]:  # type: ignore[type-arg]
    return [StoredTask(pk=i + 1, status="pending", spec=s) for i, s in enumerate(specs)]


def test_diff_classifies_every_kind_of_change() -> None:
    old = _stored(plan_specs(make_plan(BASE)))
    diff = diff_tasks(old, plan_specs(make_plan(revised())))
    kinds = {
        (c.kind, c.old.spec.key if c.old else None, c.new.key if c.new else None)
        for c in diff.changes
    }
    assert ("added", None, "1.1") in kinds and ("added", None, "1.1.1") in kinds
    assert ("changed", "1.1", "1.2") in kinds  # renumbered, same words
    assert ("changed", "1.2.1", "1.3.1") in kinds  # renumbered and deadline moved
    assert ("changed", "1.3", "1.4") in kinds  # reworded, lead changed
    assert ("withdrawn", "1.4", None) in kinds
    by_new = {c.new.key: c for c in diff.changes if c.new}
    assert by_new["1.3.1"].fields["due"] == (date(2023, 6, 30), date(2023, 12, 31))
    assert by_new["1.4"].fields["lead"] == ("市交通局", "市发展改革委")
    assert by_new["1.4"].fields["cooperating"] == (
        ("市能源局", "市公安局"),
        ("市交通局", "市能源局"),
    )
    assert diff.counts() == {"added": 2, "withdrawn": 1, "changed": 7, "unchanged": 0}


def test_same_id_with_different_words_is_not_the_same_task() -> None:
    old = _stored(plan_specs(make_plan(BASE)))
    replaced = [BASE[0], BASE[1], BASE[2], _renumber(NEW, "1.4")]
    diff = diff_tasks(old, plan_specs(make_plan(replaced)))
    assert {c.kind for c in diff.changes if (c.new and c.new.key == "1.4")} == {"added"}
    assert [c.old.spec.key for c in diff.of("withdrawn") if c.old] == ["1.4"]
    assert len(diff.of("unchanged")) == 7


@pytest.fixture
def loaded(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        load_plan(s, make_plan(BASE), now=NOW)
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市住建局", "王芳", "wecom", "wf", "contact"),
                ContactSpec("市农业农村局", "刘强", "wecom", "lq", "contact"),
            ],
        )
    with session_scope(engine) as s:
        pks = {t: repo.find_task(s, t).id or 0 for t in ("1.1", "1.2.1", "1.3", "1.4")}
        wf = repo.find_contacts(s, "wecom", "wf")[0].id
        lq = repo.find_contacts(s, "wecom", "lq")[0].id
        repo.record_status(
            s, pks["1.2.1"], Action.PROGRESS, contact_id=wf, note="完成60%", now=NOW
        )
        repo.record_status(s, pks["1.4"], Action.REPORT_DONE, contact_id=lq, now=NOW)
        repo.record_reminder(
            s, task_id=pks["1.2.1"], contact_id=wf, kind="before_7", sent_on=AS_OF
        )
        repo.enqueue_outbox(
            s, key="k1", platform="wecom", user_id="wf", text="提醒", task_id=pks["1.2.1"]
        )
    return pks


def test_apply_keeps_every_event_with_its_task(engine: Engine, loaded: dict[str, int]) -> None:
    with session_scope(engine) as s:
        rev = apply_revision(s, make_plan(revised(), source="v2.txt"), now=NOW)
        assert rev.version is not None and rev.version.number == 2
    with session_scope(engine) as s:
        t = repo.get_task(s, loaded["1.2.1"])
        assert (t.key, t.due, t.status) == ("1.3.1", date(2023, 12, 31), "in_progress")
        assert [e.note for e in repo.status_events(s, t.id or 0)] == ["完成60%"]
        assert len(repo.reminders_for_task(s, t.id or 0)) == 1
        assert repo.list_outbox(s)[0].task_id == t.id
        assert (
            repo.source_sentence(s, t.id or 0) == "2023年12月底前完成既有建筑节能改造100万平方米"
        )
        gone = repo.get_task(s, loaded["1.4"])
        assert gone.status == "withdrawn"
        assert [e.to_status for e in repo.status_events(s, loaded["1.4"])] == [
            "reported",
            "withdrawn",
        ]
        assert repo.find_task(s, "1.1").text.startswith("开展重点用能单位")
        assert repo.find_task(s, "1.1").status == "pending"
        moved = repo.task_row(s, loaded["1.3"], as_of=AS_OF)
        assert (moved.id, moved.lead) == ("1.4", "市发展改革委")
        assert [r.id for r in repo.list_tasks(s, as_of=AS_OF)] == [
            "1.1",
            "1.1.1",
            "1.2",
            "1.2.1",
            "1.2.2",
            "1.3",
            "1.3.1",
            "1.4",
            "1.4.1",
        ]
        audits = repo.list_audit(s)
        v2 = rev.version.id
        revised_audit = [
            a for a in audits if a.task_id == loaded["1.2.1"] and a.action == "revise"
        ]
        assert revised_audit and revised_audit[0].version_id == v2
        assert revised_audit[0].detail["due"] == ["2023-06-30", "2023-12-31"]
        assert {a.action for a in audits if a.version_id == v2} >= {"add", "revise", "withdraw"}


def test_lead_change_reroutes_to_the_new_lead(engine: Engine, loaded: dict[str, int]) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市交通局", "张伟", "wecom", "zw", "contact"),
                ContactSpec("市发展改革委", "陈静", "feishu", "ou_cj", "contact"),
            ],
        )
    with session_scope(engine) as s:
        before = {c.name: role for c, role in repo.contacts_for_task(s, loaded["1.3"])}
        assert before == {"张伟": "lead"}
        apply_revision(s, make_plan(revised()), now=NOW)
    with session_scope(engine) as s:
        after = {c.name: role for c, role in repo.contacts_for_task(s, loaded["1.3"])}
        assert after == {"陈静": "lead", "张伟": "cooperating"}
        row = repo.task_row(s, loaded["1.3"], as_of=AS_OF)
        assert row.lead == "市发展改革委" and row.cooperating == ["市交通局", "市能源局"]


def test_identical_revision_is_a_no_op(engine: Engine, loaded: dict[str, int]) -> None:
    with session_scope(engine) as s:
        rev = apply_revision(s, make_plan(BASE), now=NOW)
        assert rev.identical and rev.version is None and rev.diff.is_empty
    with session_scope(engine) as s:
        assert len(repo.list_versions(s, 1)) == 1


def test_preview_changes_nothing(engine: Engine, loaded: dict[str, int]) -> None:
    with session_scope(engine) as s:
        rev = preview_revision(s, make_plan(revised()))
        assert rev.diff.counts()["added"] == 2
    with session_scope(engine) as s:
        assert len(repo.list_versions(s, 1)) == 1
        assert repo.get_task(s, loaded["1.4"]).status == "reported"
