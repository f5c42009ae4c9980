"""One reminder pass: store facts -> pure policy -> rendered messages -> the outbox.

The policy (bot/reminders/policy.py) decides; this module only gathers its inputs and
queues its outputs. Each planned message is queued under its idempotency key
(at most one reminder per contact per day), so repeated passes, restarts and
several workers never queue one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.config import Settings
from bot.reminders.policy import ContactFact, PlannedMessage, TaskFact, plan_reminders
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.repo.bulk import enqueue_outbox_many, record_reminders_many
from bot.store.repo.reminder_inputs import ReminderRow, reminder_rows


@dataclass(frozen=True, slots=True)
class PassResult:
    planned: list[PlannedMessage]
    queued: int  # newly queued (the rest were queued by an earlier pass)


def task_fact(r: ReminderRow) -> TaskFact:
    t = r.task
    return TaskFact(
        id=t.id,
        kind=t.kind,
        text=t.label,
        due=t.due,
        status=t.status,
        lead=t.lead,
        cooperating=tuple(t.cooperating),
        measure_id=t.measure_id,
        last_progress=r.last_progress,
        requested_due=r.requested_due,
        row_id=t.pk,
        tracked=t.tracked,
    )


class ReminderService:
    def __init__(self, db: Database, renderer: Renderer, settings: Settings) -> None:
        self.db = db
        self.renderer = renderer
        self.settings = settings

    def plan(self, s: Session, now: datetime) -> list[PlannedMessage]:
        """What the policy wants sent at `now` (nothing written)."""
        # Built per pass so an override an admin just entered counts at once.
        # The one calendar factory (bot.rules.workcalendar.make_calendar) with the admin's
        # overrides, as 逾期, the dashboard and the reports load it.
        calendar = repo.load_calendar(s, self.settings.reminders.calendar)
        rows = reminder_rows(s, as_of=now.astimezone(self.settings.tz).date(), calendar=calendar)
        contacts = [
            ContactFact(str(c.id), c.department, c.role, c.platform, c.user_id, c.name)
            for c in repo.list_contacts(s)
        ]
        return plan_reminders(
            [task_fact(r) for r in rows],
            contacts,
            now,
            calendar,
            self.settings.reminders,
            tz=self.settings.tz,
        )

    def enqueue(self, s: Session, planned: list[PlannedMessage], now: datetime) -> int:
        """Queue the planned messages (set-at-a-time); returns how many were new."""
        messages = [
            {
                "key": msg.key,
                "platform": msg.contact.platform,
                "user_id": msg.contact.user_id,
                "text": self.renderer.message(msg),
                "kind": msg.kind,
                "contact_id": int(msg.contact.id),
            }
            for msg in planned
        ]
        new = enqueue_outbox_many(s, messages, now=now)
        record_reminders_many(
            s,
            [
                (item.task_row_id, int(msg.contact.id), item.kind, msg.day)
                for msg in planned
                if msg.key in new
                for item in msg.items
                if item.task_row_id is not None
            ],
            now=now,
        )
        return len(new)

    async def run_pass(self, now: datetime, *, dry_run: bool = False) -> PassResult:
        """Plan and (unless `dry_run`) queue, in one transaction."""

        def work(s: Session) -> PassResult:
            planned = self.plan(s, now)
            queued = 0 if dry_run else self.enqueue(s, planned, now)
            return PassResult(planned, queued)

        return await self.db.run(work)
