"""The reminder policy against tables of real dates (2024 holidays and 调休 included)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import ReminderSettings
from bot.reminders.policy import ContactFact, PlannedMessage, TaskFact, plan_reminders
from bot.rules.workcalendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
ENERGY, DRC, ECO = "市能源局", "市发展改革委", "市生态环境局"

CONTACTS = [
    ContactFact("c-energy", ENERGY, "contact", "webchat", "energy"),
    ContactFact("c-drc", DRC, "contact", "matrix", "@drc:localhost"),
    ContactFact("l-energy", ENERGY, "leader", "webchat", "energy-boss"),
    ContactFact("k-coord", "市政府督查室", "coordinator", "webchat", "coord"),
    ContactFact("a-admin", "市政府督查室", "admin", "webchat", "admin"),
]


def at(d: date, hh: int = 10, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=SH)


def task(
    tid: str = "3.8.3",
    due: date | None = date(2024, 10, 8),
    status: str = "pending",
    lead: str = ENERGY,
    cooperating: tuple[str, ...] = (),
    kind: str = "milestone",
    measure_id: str | None = "3.8",
    **kw: Any,
) -> TaskFact:
    return TaskFact(tid, kind, f"任务{tid}", due, status, lead, cooperating, measure_id, **kw)


def plan(
    tasks: list[TaskFact],
    now: datetime,
    contacts: list[ContactFact] | None = None,
    **settings: Any,
) -> list[PlannedMessage]:
    chosen = CONTACTS if contacts is None else contacts
    return plan_reminders(tasks, chosen, now, CAL, ReminderSettings(**settings))


def items_for(msgs: list[PlannedMessage], contact_id: str) -> list[tuple[str, str]]:
    return [
        (i.task_id, i.kind)
        for m in msgs
        if m.kind == "reminder" and m.contact.id == contact_id
        for i in m.items
    ]


def calendar_of(t: TaskFact, contact_id: str, start: date, end: date) -> dict[date, str]:
    """Run the planner every day at 10:00 and note what `contact_id` got for `t`."""
    got: dict[date, str] = {}
    d = start
    while d <= end:
        for tid, kind in items_for(plan([t], at(d)), contact_id):
            assert tid == t.id
            got[d] = kind
        d += timedelta(days=1)
    return got


# Hand-counted against the 2024 schedule: Mid-Autumn 9/15-17 (9/14 Sat worked),
# National Day 10/1-7 (9/29 Sun and 10/12 Sat worked).
DUE = date(2024, 10, 8)
EXPECTED_CONTACT = {
    date(2024, 8, 20): "before_30",  # 30 working days in (8/20, 10/8]
    date(2024, 9, 23): "before_7",
    date(2024, 9, 30): "before_1",  # the last working day before the holiday
    date(2024, 10, 8): "due_today",
    date(2024, 10, 9): "overdue",  # 1st overdue working day
    date(2024, 10, 12): "overdue",  # 4th: the 调休 Saturday counts
    date(2024, 10, 16): "overdue",  # 7th
    date(2024, 10, 21): "overdue",  # 10th
    date(2024, 10, 24): "overdue",  # 13th
    date(2024, 10, 29): "overdue",  # 16th
}
EXPECTED_LEADER = {
    date(2024, 10, 14): "escalation",  # 5th overdue working day
    date(2024, 10, 17): "escalation",  # 8th
    date(2024, 10, 22): "escalation",  # 11th
    date(2024, 10, 25): "escalation",  # 14th
    date(2024, 10, 30): "escalation",  # 17th
}


def test_contact_schedule_over_a_holiday() -> None:
    got = calendar_of(task(due=DUE), "c-energy", date(2024, 7, 1), date(2024, 10, 31))
    assert got == EXPECTED_CONTACT


def test_leader_hears_only_from_the_escalation_threshold() -> None:
    got = calendar_of(task(due=DUE), "l-energy", date(2024, 7, 1), date(2024, 10, 31))
    assert got == EXPECTED_LEADER


def test_weekend_deadline_is_due_on_the_last_working_day() -> None:
    sunday = date(2024, 6, 30)
    got = calendar_of(task(due=sunday), "c-energy", date(2024, 6, 26), date(2024, 7, 2))
    assert got == {
        date(2024, 6, 27): "before_1",
        date(2024, 6, 28): "due_today",
        date(2024, 7, 1): "overdue",
    }


@pytest.mark.parametrize(
    ("settings", "day", "expected"),
    [
        ({"before_days": [10]}, date(2024, 9, 23), None),  # 7 is no longer an offset
        ({"before_days": [10]}, date(2024, 9, 18), "before_10"),
        ({"before_days": [10]}, date(2024, 9, 19), None),
        ({"overdue_every_days": 1}, date(2024, 10, 10), "overdue"),  # 2nd overdue day
        ({"overdue_every_days": 3}, date(2024, 10, 10), None),
        ({"overdue_every_days": 2}, date(2024, 10, 11), "overdue"),  # 3rd
    ],
)
def test_configured_offsets(settings: dict[str, Any], day: date, expected: str | None) -> None:
    got = items_for(plan([task(due=DUE)], at(day), **settings), "c-energy")
    assert got == ([] if expected is None else [("3.8.3", expected)])


@pytest.mark.parametrize(("escalate", "first"), [(2, date(2024, 10, 10)), (5, date(2024, 10, 14))])
def test_escalation_threshold_is_configurable(escalate: int, first: date) -> None:
    day_before = CAL.add_workdays(first, -1)
    msgs_before = plan([task(due=DUE)], at(day_before), escalate_after_days=escalate)
    msgs_first = plan([task(due=DUE)], at(first), escalate_after_days=escalate)
    assert ("3.8.3", "escalation") not in items_for(msgs_before, "l-energy")
    assert items_for(msgs_first, "l-energy") == [("3.8.3", "escalation")]


@pytest.mark.parametrize(
    ("status", "reminded"),
    [
        ("pending", True),
        ("in_progress", True),
        ("returned", True),  # sent back by a coordinator: open again
        ("reported", False),  # waits for the coordinator's 销号
        ("extension_requested", False),  # waits for the coordinator's decision
        ("closed", False),
        ("withdrawn", False),
    ],
)
def test_status_decides_whether_the_department_is_reminded(status: str, reminded: bool) -> None:
    msgs = plan([task(due=DUE, status=status)], at(date(2024, 10, 9)))
    assert bool(items_for(msgs, "c-energy")) is reminded
    # The 5th overdue working day: escalation follows the same rule.
    msgs = plan([task(due=DUE, status=status)], at(date(2024, 10, 14)))
    assert bool(items_for(msgs, "l-energy")) is reminded


@pytest.mark.parametrize(
    ("hh", "mm", "sends"),
    [(8, 59, False), (9, 0, True), (12, 0, True), (17, 29, True), (17, 30, False), (22, 0, False)],
)
def test_send_window(hh: int, mm: int, sends: bool) -> None:
    assert bool(plan([task(due=DUE)], at(DUE, hh, mm))) is sends


@pytest.mark.parametrize(
    ("window", "hh", "sends"),
    [("08:00-12:00", 8, True), ("08:00-12:00", 12, False), ("22:00-10:30", 10, True),
     ("22:00-10:30", 11, False)],
)  # fmt: skip
def test_configured_window(window: str, hh: int, sends: bool) -> None:
    assert bool(plan([task(due=DUE)], at(DUE, hh), send_window=window)) is sends


def test_window_is_judged_in_shanghai_time() -> None:
    utc = ZoneInfo("UTC")
    # 01:30 UTC is 09:30 in Shanghai; 10:00 UTC is 18:00 there.
    assert plan([task(due=DUE)], datetime(2024, 10, 8, 1, 30, tzinfo=utc))
    assert not plan([task(due=DUE)], datetime(2024, 10, 8, 10, 0, tzinfo=utc))
    # 2024-10-07 20:00 UTC is already 10-08 04:00 in Shanghai: outside the window.
    assert not plan([task(due=DUE)], datetime(2024, 10, 7, 20, 0, tzinfo=utc))


@pytest.mark.parametrize("day", [date(2024, 10, 1), date(2024, 10, 13), date(2024, 9, 28)])
def test_nothing_on_non_working_days(day: date) -> None:
    overdue_everywhere = [
        task(f"1.{i}", due=date(2024, 1, 1) + timedelta(days=i)) for i in range(60)
    ]
    assert plan(overdue_everywhere, at(day)) == []


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan([task()], datetime(2024, 10, 8, 10, 0))  # noqa: DTZ001


def test_one_merged_message_per_contact_per_day() -> None:
    tasks = [task(f"3.8.{i}", due=DUE) for i in range(1, 21)]
    tasks.append(task("3.4.2", due=DUE, lead=DRC))
    second = ContactFact("c-energy-2", ENERGY, "contact", "wecom", "zhang")
    msgs = plan(tasks, at(DUE), contacts=[*CONTACTS, second])
    reminders = [m for m in msgs if m.kind == "reminder"]
    assert sorted(m.contact.id for m in reminders) == ["c-drc", "c-energy", "c-energy-2"]
    by_id = {m.contact.id: m for m in reminders}
    assert len(by_id["c-energy"].items) == 20
    assert {i.task_id for i in by_id["c-energy-2"].items} == {f"3.8.{i}" for i in range(1, 21)}
    assert [i.task_id for i in by_id["c-drc"].items] == ["3.4.2"]


def test_items_are_ordered_by_urgency() -> None:
    tasks = [
        task("1.1", due=date(2024, 10, 8)),  # before_1 on 9/30
        task("1.2", due=date(2024, 9, 30)),  # due today
        task("1.3", due=date(2024, 9, 25)),  # 4th overdue day (9/26, 27, 29, 30)
        task("1.4", due=date(2024, 9, 20)),  # 7th overdue day
        task("1.5", due=date(2024, 10, 8), lead=DRC, cooperating=(ENERGY,)),  # info, before_1
    ]
    msgs = plan(tasks, at(date(2024, 9, 30)))
    assert items_for(msgs, "c-energy") == [
        ("1.4", "overdue"),
        ("1.3", "overdue"),
        ("1.2", "due_today"),
        ("1.1", "before_1"),
        ("1.5", "before_1"),
    ]


def test_lead_acts_cooperating_units_are_informed() -> None:
    t = task("3.4.2", due=DUE, lead=DRC, cooperating=(ENERGY, ECO))
    msgs = plan([t], at(DUE))
    drc = next(m for m in msgs if m.contact.id == "c-drc")
    energy = next(m for m in msgs if m.contact.id == "c-energy")
    assert [(i.role, i.department, i.lead) for i in drc.items] == [("lead", DRC, DRC)]
    assert [(i.role, i.department, i.lead) for i in energy.items] == [("cooperating", ENERGY, DRC)]
    assert energy.actions == () and len(energy.information) == 1
    # ECO has no contacts: the coordinators are told nobody could be reached there.
    digest = next(m for m in msgs if m.kind == "digest").digest
    assert digest is not None and digest.unreachable_departments == (ECO,)
    quiet = plan_reminders(
        [t], CONTACTS, at(DUE), CAL, ReminderSettings(), inform_cooperating=False
    )
    assert items_for(quiet, "c-energy") == []


def test_department_with_only_a_leader_still_hears() -> None:
    boss_only = [c for c in CONTACTS if c.id != "c-energy"]
    t = task(due=DUE)
    assert items_for(plan([t], at(date(2024, 10, 9)), boss_only), "l-energy") == [
        ("3.8.3", "overdue")
    ]
    # On an escalation day the leader gets the task once, as an escalation.
    day5 = date(2024, 10, 14)
    assert items_for(plan([t], at(day5), boss_only), "l-energy") == [("3.8.3", "escalation")]


def test_coordinator_digest() -> None:
    tasks = [
        task("1.1", due=date(2024, 10, 8)),  # 1st overdue working day on 10/9: new
        task("1.2", due=date(2024, 9, 20), lead=DRC),  # overdue for a while
        task("1.3", due=date(2024, 9, 20)),
        task(
            "1.4",
            due=date(2024, 9, 20),
            status="extension_requested",
            requested_due=date(2024, 12, 31),
        ),
        task("1.5", due=date(2024, 9, 20), status="reported"),
        task("1.6", due=date(2024, 9, 20), status="closed"),
        task("1.7", due=date(2024, 12, 20)),  # not overdue
    ]
    msgs = plan(tasks, at(date(2024, 10, 9)))
    digests = [m for m in msgs if m.kind == "digest"]
    assert [m.contact.id for m in digests] == ["k-coord"]  # not the admin, not contacts
    d = digests[0].digest
    assert d is not None
    assert [e.task_id for e in d.newly_overdue] == ["1.1"]
    # 1.4 awaits the coordinator's decision on its extension but is still owed: overdue, as
    # 逾期 and 统计 count it (bot/rules/overdue.py).
    assert dict(d.overdue_by_department) == {ENERGY: 3, DRC: 1}
    assert d.overdue_total == 4
    assert [(e.task_id, e.requested_due) for e in d.extension_requests] == [
        ("1.4", date(2024, 12, 31))
    ]
    assert [e.task_id for e in d.awaiting_closure] == ["1.5"]


def test_no_digest_when_there_is_nothing_to_say() -> None:
    msgs = plan([task(due=date(2024, 12, 20)), task("1.6", status="closed")], at(DUE))
    assert [m for m in msgs if m.kind == "digest"] == []


# -- progress requests --------------------------------------------------------------------


def measure(mid: str = "3.4", last: date | None = None, due: date | None = None) -> TaskFact:
    return task(mid, due=due, kind="measure", measure_id=None, last_progress=last)


def progress_days(tasks: list[TaskFact], start: date, end: date) -> list[date]:
    out = []
    d = start
    while d <= end:
        if ("3.4", "progress_request") in items_for(plan(tasks, at(d)), "c-energy"):
            out.append(d)
        d += timedelta(days=1)
    return out


def test_progress_request_every_30_days_after_the_last_report() -> None:
    # 30 days after 2024-05-08 is 06-07 (Fri); 60 after is 07-07 (Sun) -> Mon 07-08.
    days = progress_days([measure(last=date(2024, 5, 8))], date(2024, 5, 1), date(2024, 7, 31))
    assert days == [date(2024, 6, 7), date(2024, 7, 8)]


def test_progress_request_skips_holidays_to_the_next_working_day() -> None:
    # 30 days after 2024-09-01 is 10-01 (National Day) -> 10-08.
    days = progress_days([measure(last=date(2024, 9, 1))], date(2024, 9, 2), date(2024, 10, 20))
    assert days == [date(2024, 10, 8)]


def test_progress_every_days_is_configurable() -> None:
    t = [measure(last=date(2024, 5, 6))]  # a Monday
    msgs = plan(t, at(date(2024, 5, 20)), progress_every_days=14)
    assert ("3.4", "progress_request") in items_for(msgs, "c-energy")
    assert not items_for(plan(t, at(date(2024, 5, 20))), "c-energy")


@pytest.mark.parametrize(
    ("milestone_due", "asked"),
    [
        (date(2024, 12, 31), True),  # far away: the measure still needs a monthly report
        (date(2024, 7, 10), False),  # within 30 working days: its reminders cover it
        (date(2024, 5, 31), False),  # overdue: being chased already
        (None, True),
    ],
)
def test_no_progress_request_when_a_milestone_is_near(
    milestone_due: date | None, asked: bool
) -> None:
    tasks = [measure(last=date(2024, 5, 8)), task("3.4.1", due=milestone_due, measure_id="3.4")]
    msgs = plan(tasks, at(date(2024, 6, 7)))
    assert (("3.4", "progress_request") in items_for(msgs, "c-energy")) is asked


def test_closed_milestone_does_not_count_as_near() -> None:
    tasks = [
        measure(last=date(2024, 5, 8)),
        task("3.4.1", due=date(2024, 6, 20), status="closed", measure_id="3.4"),
    ]
    assert ("3.4", "progress_request") in items_for(plan(tasks, at(date(2024, 6, 7))), "c-energy")


def test_progress_request_only_to_the_lead() -> None:
    t = TaskFact("3.4", "measure", "措施", None, "pending", DRC, (ENERGY,), None, date(2024, 5, 8))
    msgs = plan([t], at(date(2024, 6, 7)))
    assert items_for(msgs, "c-drc") == [("3.4", "progress_request")]
    assert items_for(msgs, "c-energy") == []


# -- idempotency ----------------------------------------------------------------------------


def _many() -> list[TaskFact]:
    return [
        task(
            f"{i}.{j}",
            due=date(2024, 9, 1) + timedelta(days=i * 7 + j),
            lead=(ENERGY, DRC)[j % 2],
            cooperating=((DRC,), ())[j % 2],
        )
        for i in range(1, 10)
        for j in range(1, 6)
    ]


def test_keys_are_stable_across_runs_and_input_order() -> None:
    tasks = _many()
    morning = plan(tasks, at(date(2024, 10, 9), 9, 5))
    shuffled = tasks[:]
    random.Random(7).shuffle(shuffled)
    afternoon = plan(shuffled, at(date(2024, 10, 9), 16, 40), contacts=CONTACTS[::-1])
    assert morning == afternoon
    keys = [m.key for m in morning]
    assert len(keys) == len(set(keys))
    item_keys = [i.key for m in morning for i in m.items]
    assert len(item_keys) == len(set(item_keys))


def test_keys_name_contact_task_kind_and_day() -> None:
    msgs = plan([task(due=DUE)], at(DUE))
    m = next(m for m in msgs if m.contact.id == "c-energy")
    assert m.key == "reminder|2024-10-08|c-energy"
    assert [i.key for i in m.items] == ["c-energy|3.8.3|due_today|2024-10-08"]
    tomorrow = plan([task(due=DUE)], at(date(2024, 10, 9)))
    assert {x.key for x in tomorrow}.isdisjoint({x.key for x in msgs})


def test_row_ids_keep_same_display_ids_of_two_plans_apart() -> None:
    a = task("3.4.2", due=DUE, row_id=11)
    b = task("3.4.2", due=DUE, row_id=42)
    m = next(m for m in plan([b, a], at(DUE)) if m.contact.id == "c-energy")
    assert [(i.task_row_id, i.key) for i in m.items] == [
        (11, "c-energy|#11|due_today|2024-10-08"),
        (42, "c-energy|#42|due_today|2024-10-08"),
    ]
    # Without row ids the display id is the identity: one line, not two.
    m = next(m for m in plan([task("3.4.2", due=DUE)] * 2, at(DUE)) if m.contact.id == "c-energy")
    assert len(m.items) == 1


def test_without_sent_items() -> None:
    msgs = plan([task("1.1", due=DUE), task("1.2", due=DUE)], at(DUE))
    m = next(m for m in msgs if m.contact.id == "c-energy")
    assert m.without([]) is m
    rest = m.without([m.items[0].key])
    assert rest is not None and [i.task_id for i in rest.items] == [m.items[1].task_id]
    assert rest.key != m.key
    assert m.without(i.key for i in m.items) is None


def test_digest_counts_a_measure_with_milestones_once() -> None:
    # The counting unit (bot/rules/completion.py): the missed milestone, not it and its measure.
    tasks = [
        replace(task("1.1", due=date(2024, 9, 20)), kind="measure", tracked=False),
        replace(task("1.1.1", due=date(2024, 9, 20)), measure_id="1.1"),
    ]
    d = next(m for m in plan(tasks, at(date(2024, 10, 9))) if m.kind == "digest").digest
    assert d is not None and dict(d.overdue_by_department) == {ENERGY: 1}


def test_an_extension_to_the_end_of_the_calendar_does_not_stop_the_pass() -> None:
    # Issue 12 item 4: 9999-12-31 is a valid date; no calendar step may overflow on it.
    far = replace(task("1.1", due=date(9999, 12, 31)), status="pending")
    near = task("1.2", due=date(2024, 10, 10))
    msgs = plan([far, near], at(date(2024, 10, 9)))
    assert ("1.2", "before_1") in items_for(msgs, "c-energy")


def test_a_measure_with_milestones_is_reminded_through_them() -> None:
    measure = replace(task("3.3", due=date(2024, 10, 8)), kind="measure", tracked=False)
    stone = replace(task("3.3.1", due=date(2024, 10, 8)), measure_id="3.3")
    assert items_for(plan([measure, stone], at(date(2024, 10, 9))), "c-energy") == [
        ("3.3.1", "overdue")
    ]
