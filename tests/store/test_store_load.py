"""Loading plans and querying tasks, on both backends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select
from store_factory import BASE, make_plan

from bot.errors import UserError
from bot.store import repo
from bot.store.db import session_scope
from bot.store.loading import load_plan
from bot.store.models import Assignment, PlanVersion, Task

AS_OF = date(2024, 1, 5)


def _load(engine: Engine) -> int:
    with session_scope(engine) as s:
        return load_plan(s, make_plan(BASE)).plan_id


def test_load_stores_one_task_per_measure_and_milestone(engine: Engine) -> None:
    _load(engine)
    with session_scope(engine) as s:
        rows = repo.list_tasks(s, as_of=AS_OF)
        assert [r.id for r in rows] == [
            "1.1",
            "1.1.1",
            "1.1.2",
            "1.2",
            "1.2.1",
            "1.3",
            "1.3.1",
            "1.4",
        ]
        m = rows[0]
        assert (m.kind, m.lead, m.cooperating) == (
            "measure",
            "市工信局",
            ["市发展改革委", "市生态环境局"],
        )
        assert m.due == date(2025, 12, 31)  # the latest milestone
        ms = rows[1]
        assert (ms.kind, ms.measure_id, ms.lead) == ("milestone", "1.1", "市工信局")
        assert rows[-1].due == date(2025, 12, 31)  # no milestone: the plan's period end
        assert s.exec(select(func.count()).select_from(Assignment)).one() == 9 + 4 + 6 + 2


def test_loading_identical_text_again_changes_nothing(engine: Engine) -> None:
    first = _load(engine)
    with session_scope(engine) as s:
        again = load_plan(s, make_plan(BASE, source="copy.txt"))
        assert not again.created and again.plan_id == first
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Task)).one() == 8
        assert s.exec(select(func.count()).select_from(PlanVersion)).one() == 1


def test_a_document_without_measures_is_not_a_plan(engine: Engine) -> None:
    with pytest.raises(UserError, match="not a plan"), session_scope(engine) as s:
        load_plan(s, make_plan([], source="notes.txt"))
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(PlanVersion)).one() == 0


def test_overdue_and_department_filters(engine: Engine) -> None:
    _load(engine)
    with session_scope(engine) as s:
        late = repo.list_tasks(s, as_of=AS_OF, overdue=True)
        # Working days (元旦 and the autumn holidays are not counted), counting units only:
        # measures 1.2 and 1.3 are represented by their milestones, never counted beside them.
        assert {r.id: r.overdue_days for r in late} == {
            "1.1.1": 4,
            "1.2.1": 130,
            "1.3.1": 4,
        }
        energy = repo.list_tasks(s, as_of=AS_OF, department="市能源局")
        assert [r.id for r in energy] == ["1.3", "1.3.1", "1.4"]  # cooperating counts
        led = repo.list_tasks(s, as_of=AS_OF, department="市能源局", lead_only=True)
        assert led == []
        assert repo.list_tasks(s, as_of=date(2023, 6, 30), overdue=True) == []
        with pytest.raises(UserError, match="no department"):
            repo.list_tasks(s, as_of=AS_OF, department="火星局")


def test_json_rows_have_the_promised_fields(engine: Engine) -> None:
    _load(engine)
    with session_scope(engine) as s:
        row = repo.list_tasks(s, as_of=AS_OF, overdue=True)[0].to_json()
    assert {
        "id",
        "kind",
        "measure_id",
        "text",
        "lead",
        "cooperating",
        "due",
        "status",
        "overdue_days",
    } <= set(row)
    assert row["due"] == "2023-12-31" and row["status"] == "pending"


def test_find_task_accepts_the_ways_people_type_ids(engine: Engine) -> None:
    _load(engine)
    with session_scope(engine) as s:
        for typed in ("1.1.2", "1.1-2", "１．１．２", "T1.1.2", " t1.1.2 "):
            assert repo.find_task(s, typed).text.startswith("2025年全市焦化企业")
        with pytest.raises(UserError):
            repo.find_task(s, "9.9")


def test_a_task_shows_the_sentence_it_came_from(engine: Engine) -> None:
    _load(engine)
    with session_scope(engine) as s:
        task = repo.find_task(s, "1.3.1")
        assert task.id is not None
        assert repo.source_sentence(s, task.id) == "2023年力争全市新建充电桩1万台"


def test_department_statistics_count_led_work(engine: Engine) -> None:
    _load(engine)
    with session_scope(engine) as s:
        stats = {d.department: d for d in repo.department_stats(s, as_of=AS_OF)}
    # Counting units: 1.3 has one milestone, so 市住建局 has one unit, not two.
    assert stats["市住建局"].total == 1 and stats["市住建局"].overdue == 1
    assert stats["市工信局"].by_status == {"pending": 2} and stats["市工信局"].overdue == 1
    assert stats["市能源局"].total == 0 and stats["市能源局"].cooperating == 2
    assert stats["市能源局"].cooperating_overdue == 1


def test_a_milestone_that_is_only_a_date_is_named_with_its_task() -> None:
    """A task table's 时间节点 cell ("2019年3月") is a milestone; a line names its task too."""
    from bot.store.repo.tasks import task_label

    assert task_label("milestone", "加强组织领导", "2019年3月") == "加强组织领导（2019年3月）"
    done = "2024年6月底前完成方案"
    assert task_label("milestone", "加强组织领导", done) == done
    assert task_label("measure", "加强组织领导", "召开动员大会。") == "加强组织领导"
