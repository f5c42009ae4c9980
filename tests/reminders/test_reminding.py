"""A reminder pass over the real store: policy inputs, idempotent queueing, calendar overrides."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from seeded import SHANGHAI, seeded_engine
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store.aio import Database
from bot.store.db import session_scope
from bot.store.models import Outbox, ReminderSent, Task
from bot.store.repo.calendar import set_calendar_override

FRIDAY = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)
SATURDAY = datetime(2024, 1, 6, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return seeded_engine(f"sqlite:///{tmp_path / 'r.db'}")


@pytest.fixture
def service(engine: Engine) -> ReminderService:
    return ReminderService(Database(engine), Renderer(), Settings())


def _outbox(engine: Engine) -> list[Outbox]:
    with session_scope(engine) as s:
        return list(s.exec(select(Outbox)))


async def test_pass_queues_one_merged_message_per_contact_once(
    service: ReminderService, engine: Engine
) -> None:
    first = await service.run_pass(FRIDAY)
    assert first.queued == len(first.planned) > 0
    rows = _outbox(engine)
    per_contact = [r.contact_id for r in rows if r.kind == "reminder"]
    assert len(per_contact) == len(set(per_contact)), "one reminder per contact per day"
    energy = next(r for r in rows if r.user_id == "nyj-zhangwei")
    assert "3.8.3" in energy.text and "3.8.5" in energy.text  # merged, both overdue items
    with session_scope(engine) as s:
        sent = s.exec(
            select(Task.key)
            .join(ReminderSent, col(ReminderSent.task_id) == Task.id)
            .where(ReminderSent.contact_id == energy.contact_id)
        ).all()
    assert {"3.8.3", "3.8.5"} <= set(sent), "the reminder record names the tasks it carried"
    again = await service.run_pass(FRIDAY)
    assert again.queued == 0 and len(_outbox(engine)) == len(rows)


async def test_dry_run_queues_nothing(service: ReminderService, engine: Engine) -> None:
    result = await service.run_pass(FRIDAY, dry_run=True)
    assert result.planned and result.queued == 0
    assert _outbox(engine) == []


async def test_admin_overrides_turn_days_on_and_off(
    service: ReminderService, engine: Engine
) -> None:
    assert (await service.run_pass(SATURDAY, dry_run=True)).planned == []
    with session_scope(engine) as s:
        set_calendar_override(s, date(2024, 1, 6), True, note="调休上班")
        set_calendar_override(s, date(2024, 1, 5), False, note="临时放假")
    assert (await service.run_pass(SATURDAY, dry_run=True)).planned
    assert (await service.run_pass(FRIDAY, dry_run=True)).planned == []


async def test_nothing_outside_the_send_window(service: ReminderService) -> None:
    evening = datetime(2024, 1, 5, 18, 30, tzinfo=SHANGHAI)
    assert (await service.run_pass(evening, dry_run=True)).planned == []
