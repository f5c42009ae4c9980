"""One chat message in, one reply out: intent -> permission-checked store calls -> template.

Every accepted report is a status event carrying the raw message and channel
(the store records it); every refusal is a rendered template, never an
exception to the adapter. Free text is matched against the sender's open tasks
and only written after the sender confirms (是/否).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlmodel import Session

from bot import intents as it
from bot.chat_queries import ChatQueries, row_items
from bot.clock import Clock
from bot.database import Database
from bot.events import IncomingMessage
from bot.matching import TaskMatcher
from bot.render import Renderer
from bot.store import repo
from bot.store.errors import InvalidTransition, NotFound, PermissionDenied
from bot.store.repo import Action, ContactView, TaskRow
from bot.store.repo.incoming import claim_incoming
from bot.store.repo.tasks import task_label
from parser.units import canonicalize

log = logging.getLogger("taskbot.conversation")

# Writes a message and its answer to a log inside the transaction that acts on it (the web
# chat's log), so the effect and the log line commit together or not at all.
Transcript = Callable[[Session, IncomingMessage, str, datetime], None]

_CONFIRM_TTL = timedelta(minutes=30)
_COORDINATOR_ONLY = {
    it.Overdue: "逾期",
    it.Stats: "统计",
    it.Close: "销号",
    it.Return: "退回",
    it.ApproveExtension: "批准延期",
    it.RejectExtension: "驳回延期",
    it.Urge: "催办",
}


@dataclass(frozen=True, slots=True)
class Pending:
    """A free-text report waiting for 是/否."""

    task_id: str
    intent: it.Done | it.Progress
    raw: str
    expires: datetime


class Conversation:
    """The core's message handler (bot.adapters.base.MessageHandler)."""

    def __init__(
        self,
        db: Database,
        renderer: Renderer,
        matcher: TaskMatcher,
        clock: Clock,
        *,
        queue_replies: frozenset[str] = frozenset(),
        transcript: Transcript | None = None,
    ) -> None:
        self.db = db
        self.transcript = transcript
        self.render = renderer.render
        self.queries = ChatQueries(self.render)
        self.matcher = matcher
        self.clock = clock
        # Platforms whose answers go through the outbox (retries, dead letters, exactly
        # once) instead of back to the adapter; the web chat answers in its HTTP response.
        self.queue_replies = queue_replies
        # Questions asked and not yet answered, per (platform, user id). Lost on restart,
        # which only means the person is asked again.
        self._pending: dict[tuple[str, str], Pending] = {}

    async def __call__(self, msg: IncomingMessage) -> str | None:
        return await self.handle(msg)

    async def handle(self, msg: IncomingMessage) -> str | None:
        """The reply for the adapter to send; None when there is nothing to send: the
        message was handled already, or its answer was queued in the outbox."""
        now = self.clock.now()
        intent = it.parse_intent(msg.text, now.date())
        who = (msg.platform, msg.user_id)
        if isinstance(intent, it.Confirm):
            pending = self._pending.pop(who, None)
            if pending is None or pending.expires < now or not intent.yes:
                text = self.render("confirm_cancelled", pending=pending is not None)
                return await self.db.run(lambda s: self._answer(s, msg, text, now))
            intent = pending.intent
            raw = pending.raw
        else:
            raw = msg.text
        if isinstance(intent, it.FreeText):
            answer = await self._free_text(msg, intent, now)
            if answer is None:
                return None
            return await self.db.run(lambda s: self._answer(s, msg, answer, now))

        def work(s: Session) -> str | None:
            # The claim commits with whatever the message does: a platform's retry, or
            # the same message seen by a second worker, finds it taken and does nothing.
            if not claim_incoming(s, msg.platform, msg.message_id, now=now):
                return None
            return self._answer(s, msg, self._dispatch(s, msg, intent, raw, now), now)

        return await self.db.run(work)

    def _answer(self, s: Session, msg: IncomingMessage, text: str, now: datetime) -> str | None:
        """Queue the answer in the caller's transaction (outbox platforms) or hand it back."""
        if self.transcript is not None:
            self.transcript(s, msg, text, now)
        if msg.platform not in self.queue_replies:
            return text
        repo.enqueue_outbox(
            s,
            key=f"reply:{msg.platform}:{msg.message_id}",
            platform=msg.platform,
            user_id=msg.user_id,
            text=text,
            kind="reply",
            reply_context=msg.reply_context,
            now=now,
        )
        return None

    # -- free text ----------------------------------------------------------------------

    async def _free_text(
        self, msg: IncomingMessage, intent: it.FreeText, now: datetime
    ) -> str | None:
        def load(s: Session) -> list[TaskRow] | Literal["seen", "unknown"]:
            if not claim_incoming(s, msg.platform, msg.message_id, now=now):
                return "seen"
            contacts = repo.find_contacts(s, msg.platform, msg.user_id)
            if not contacts:
                self._refuse_unknown(s, msg, now)
                return "unknown"
            rows: list[TaskRow] = []
            for c in contacts:
                rows += repo.open_tasks_for_department(s, c.department_id, as_of=now.date())
            return rows

        rows = await self.db.run(load)
        if rows == "seen":
            return None
        if rows == "unknown":
            return self.render("refuse_unknown_sender")
        assert isinstance(rows, list)
        # A measure is matched by its title only: the milestone is the more specific answer.
        texts = [(r.id, r.label) for r in rows]
        result = self.matcher.match(intent.text, texts)
        best = result.best()
        if best is not None and result.status is not None:
            row = next(r for r in rows if r.id == best.task_id)
            action: it.Done | it.Progress
            if result.status == "reported":
                action = it.Done(best.task_id, intent.text)
            else:
                action = it.Progress(best.task_id, result.percent, intent.text)
            self._pending[(msg.platform, msg.user_id)] = Pending(
                best.task_id, action, msg.text, now + _CONFIRM_TTL
            )
            return self.render(
                "confirm_question",
                task_id=best.task_id,
                text=row.text,
                status=result.status,
                percent=result.percent,
            )
        by_id = {r.id: r for r in rows}
        candidates = [by_id[c.task_id] for c in result.candidates[:5] if c.task_id in by_id]
        return self.render("choose_task", candidates=candidates)

    # -- commands -------------------------------------------------------------------------

    def _refuse_unknown(self, s: Session, msg: IncomingMessage, now: datetime) -> None:
        repo.audit(
            s,
            actor=f"{msg.platform}:{msg.user_id}",
            action="refused_unknown_sender",
            detail={"text": msg.text[:200]},
            now=now,
        )

    def _dispatch(
        self, s: Session, msg: IncomingMessage, intent: it.Intent, raw: str, now: datetime
    ) -> str:
        contacts = repo.find_contacts(s, msg.platform, msg.user_id)
        if not contacts:
            self._refuse_unknown(s, msg, now)
            return self.render("refuse_unknown_sender")
        me = contacts[0]
        coordinator = any(c.role in ("coordinator", "admin") for c in contacts)
        today = now.date()
        if isinstance(intent, it.Help):
            return self.render("help", is_coordinator=coordinator)
        if isinstance(intent, it.Malformed):
            return self.render(
                "refuse_malformed",
                command=intent.command,
                problem=intent.problem,
                value=intent.value,
            )
        if isinstance(intent, it.MyTasks):
            return self.queries.my_tasks(s, contacts, today)
        command = _COORDINATOR_ONLY.get(type(intent))
        if command is not None and not coordinator:
            return self.render("refuse_not_coordinator", command=command)
        if isinstance(intent, it.Overdue):
            return self.queries.overdue(s, intent, today)
        if isinstance(intent, it.Stats):
            return self.queries.stats(s, today)
        if isinstance(intent, it.Urge):
            return self._urge(s, intent, me, now)
        if isinstance(intent, it.ProgressQuery):
            return self.queries.progress_query(s, intent.task_id, today)
        return self._status_change(s, msg, contacts, intent, raw, now)

    def _urge(self, s: Session, intent: it.Urge, me: ContactView, now: datetime) -> str:
        name = canonicalize(intent.department)
        dept = repo.find_department(s, name)
        if dept is None or dept.id is None:
            return self.render("reply_urged", department=name, contacts=0, tasks=0)
        today = now.date()
        rows = repo.open_tasks_for_department(s, dept.id, as_of=today)
        items = [
            row_items(r) | {"role": "lead" if r.lead == dept.name else "cooperating"} for r in rows
        ]
        text = self.render("urge", department=dept.name, day=today, tasks=items)
        targets = [
            c
            for c in repo.list_contacts(s, department=dept.name)
            if c.role in ("contact", "leader")
        ]
        for c in targets:
            repo.enqueue_outbox(
                s,
                key=f"urge:{c.id}:{today.isoformat()}:{me.id}",
                platform=c.platform,
                user_id=c.user_id,
                text=text,
                kind="urge",
                contact_id=c.id,
                now=now,
            )
        repo.audit(s, actor=me.name, action="urge", detail={"department": dept.name}, now=now)
        return self.render(
            "reply_urged", department=dept.name, contacts=len(targets), tasks=len(rows)
        )

    def _status_change(
        self,
        s: Session,
        msg: IncomingMessage,
        contacts: list[ContactView],
        intent: it.Intent,
        raw: str,
        now: datetime,
    ) -> str:
        me = contacts[0]
        key = getattr(intent, "task_id", "")
        try:
            task = repo.find_task(s, key)
        except NotFound:
            return self.render("refuse_unknown_task", task_id=key)
        assert task.id is not None
        before_status, before_due = task.status, task.due
        text = task_label(task.kind, task.title, task.text)
        action, note, new_due, word = _action_of(intent)
        try:
            repo.record_status(
                s,
                task.id,
                action,
                contact_id=me.id,
                note=note,
                raw_message=raw,
                channel=msg.platform,
                new_due=new_due,
                now=now,
                sender_rows=contacts,
            )
        except PermissionDenied:
            row = repo.task_row(s, task.id, as_of=now.date())
            if me.department in row.cooperating:
                return self.render("refuse_not_lead", task_id=row.id, lead=row.lead)
            return self.render(
                "refuse_not_your_task", task_id=row.id, lead=row.lead, department=me.department
            )
        except InvalidTransition:
            return self.render(
                "refuse_status", task_id=task.key, status=before_status, command=word
            )
        if isinstance(intent, it.Done):
            return self.render("reply_done", task_id=task.key, text=text, note=intent.note)
        if isinstance(intent, it.Progress):
            return self.render(
                "reply_progress",
                task_id=task.key,
                text=text,
                percent=intent.percent,
                note=intent.note,
            )
        if isinstance(intent, it.Extend):
            return self.render(
                "reply_extension",
                task_id=task.key,
                text=text,
                old_due=before_due,
                new_due=intent.new_due,
                reason=intent.reason,
            )
        # Coordinators' decisions name the department they concern.
        dept = repo.task_row(s, task.id, as_of=now.date()).lead or ""
        if isinstance(intent, it.Close):
            return self.render("reply_closed", task_id=task.key, text=text, department=dept)
        if isinstance(intent, it.Return):
            return self.render(
                "reply_returned", task_id=task.key, department=dept, reason=intent.reason
            )
        approved = isinstance(intent, it.ApproveExtension)
        return self.render(
            "reply_extension_decided",
            task_id=task.key,
            department=dept,
            approved=approved,
            new_due=task.due if approved else None,
            reason=intent.reason if isinstance(intent, it.RejectExtension) else "",
        )


def _action_of(intent: it.Intent) -> tuple[Action, str, date | None, str]:
    """(store action, note, new due date, the command word) of a status-changing intent."""
    if isinstance(intent, it.Done):
        return Action.REPORT_DONE, intent.note, None, "完成"
    if isinstance(intent, it.Progress):
        pct = f"{intent.percent}% " if intent.percent is not None else ""
        return Action.PROGRESS, (pct + intent.note).strip(), None, "进度"
    if isinstance(intent, it.Extend):
        return Action.REQUEST_EXTENSION, intent.reason, intent.new_due, "延期"
    if isinstance(intent, it.Close):
        return Action.CLOSE, "", None, "销号"
    if isinstance(intent, it.Return):
        return Action.RETURN, intent.reason, None, "退回"
    if isinstance(intent, it.ApproveExtension):
        return Action.APPROVE_EXTENSION, "", None, "批准延期"
    if isinstance(intent, it.RejectExtension):
        return Action.REJECT_EXTENSION, intent.reason, None, "驳回延期"
    raise TypeError(f"not a status change: {intent!r}")
