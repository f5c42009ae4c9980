"""Reminder pass, pure part: plan 10,000 due items for 2,000 contacts and render the messages.

The target for the whole pass including delivery (issue 5) is ≤ 5 s; this measures only
planning + merging + rendering, so the outbox and adapters have the rest of the budget.
People: 1,000 departments with 2 contacts each (the 2,000 contacts), plus one leader
per department (escalations) and a coordinator (the digest). Every task is built to be
due for a reminder today (before_N, due today or an overdue
cadence day), so nothing is skipped cheaply. Run: .venv/bin/python bench/bench_reminders.py
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import ReminderSettings
from bot.reminders.policy import ContactFact, TaskFact, plan_reminders
from bot.render import Renderer
from bot.rules.workcalendar import WorkCalendar

TASKS = 10_000
DEPARTMENTS = 1_000
CONTACTS_PER_DEPT = 2
TODAY = date(2024, 10, 9)
NOW = datetime(2024, 10, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def build(cal: WorkCalendar) -> tuple[list[TaskFact], list[ContactFact]]:
    depts = [f"测试局{i:04d}" for i in range(DEPARTMENTS)]
    contacts = [
        ContactFact(f"c{d}-{k}", dept, "contact", "webchat", f"u{d}-{k}")
        for d, dept in enumerate(depts)
        for k in range(CONTACTS_PER_DEPT)
    ]
    contacts += [
        ContactFact(f"l{d}", dept, "leader", "webchat", f"b{d}") for d, dept in enumerate(depts)
    ]
    contacts.append(ContactFact("coord", "市政府督查室", "coordinator", "webchat", "coord"))
    # Offsets (in working days from today) that all fire with the default settings.
    offsets = [30, 7, 1, 0, -1, -4, -5, -7, -8, -10, -13, -16, -19, -22]
    dues = [cal.add_workdays(TODAY, n) for n in offsets]
    tasks = [
        TaskFact(
            id=f"{i // 10 + 1}.{i % 10 + 1}",
            kind="milestone",
            text=f"第{i}项任务：2023年力争全市新建充电桩1万台，完成既定建设目标",
            due=dues[i % len(dues)],
            status="pending",
            lead=depts[i % DEPARTMENTS],
            cooperating=(depts[(i * 7 + 3) % DEPARTMENTS],),
            measure_id=f"{i // 10 + 1}",
        )
        for i in range(TASKS)
    ]
    return tasks, contacts


def main() -> None:
    settings = ReminderSettings()
    renderer = Renderer()
    plan_times, render_times = [], []
    for _ in range(5):
        cal = WorkCalendar()  # fresh per run: includes building the year tables
        tasks, contacts = build(cal)
        t0 = time.perf_counter()
        msgs = plan_reminders(tasks, contacts, NOW, cal, settings)
        t1 = time.perf_counter()
        texts = [renderer.message(m) for m in msgs]
        t2 = time.perf_counter()
        plan_times.append(t1 - t0)
        render_times.append(t2 - t1)
    items = sum(len(m.items) for m in msgs)
    recipients = len({m.contact.id for m in msgs})
    chars = sum(len(t) for t in texts)
    print(f"tasks={TASKS} contacts={len(contacts)} messages={len(msgs)} items={items} "
          f"recipients={recipients} chars={chars}")  # fmt: skip
    p, r = statistics.median(plan_times), statistics.median(render_times)
    print(f"plan+merge  median {p * 1000:7.1f} ms  (min {min(plan_times) * 1000:.1f})")
    print(f"render      median {r * 1000:7.1f} ms  (min {min(render_times) * 1000:.1f})")
    print(f"pure total  median {(p + r) * 1000:7.1f} ms  of the 5000 ms budget")


if __name__ == "__main__":
    main()
