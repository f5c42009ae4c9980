"""One chat message in, one reply out: intent -> permission-checked store calls -> template.

Every accepted report is a status event carrying the raw message and channel (the store
records it); every refusal is a rendered template, never an exception to the adapter,
and an unexpected error becomes a short apology with an error id in the log. Free text is
matched against the sender's tasks and only written after the sender confirms (是/否, or a
number when two tasks fit); the question waits in the database (`pending_question`), so
any `serve` process can take the answer, and it expires. Decisions (销号, 退回, 批准延期,
驳回延期) are told to the department through the outbox, in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.clock import Clock
from bot.conversation import decisions as cd
from bot.conversation import free_text as ft
from bot.conversation import intents as it
from bot.conversation import status_change as cs
from bot.conversation.matching import TaskMatcher
from bot.conversation.queries import ChatQueries, row_items
from bot.events import IncomingMessage
from bot.render import Renderer
from bot.store import departments, repo
from bot.store.aio import Database
from bot.store.errors import InvalidTransition, NotFound, PermissionDenied
from bot.store.repo import Action, ContactView, TaskRow, chatstate
from bot.store.repo.incoming import claim_incoming
from bot.store.repo.tasks import task_label

log = logging.getLogger("taskbot.conversation")

# How long a question waits for 是/否: long enough to look something up, short enough
# that a 好的 tomorrow does not confirm today's guess.
CONFIRM_TTL = timedelta(minutes=30)
# Writes a message and its answer to a log inside the transaction that acts on it (the web
# chat's log), so the effect and the log line commit together or not at all.
Transcript = Callable[[Session, IncomingMessage, str, datetime], None]
_COORDINATOR_ONLY = {
    it.Overdue: "逾期",
    it.Stats: "统计",
    it.Close: "销号",
    it.Return: "退回",
    it.ApproveExtension: "批准延期",
    it.RejectExtension: "驳回延期",
    it.Urge: "催办",
}
_ANSWERS = (it.Confirm, it.Choice, it.Ack)


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

    async def __call__(self, msg: IncomingMessage) -> str | None:
        return await self.handle(msg)

    async def handle(self, msg: IncomingMessage) -> str | None:
        """The reply for the adapter to send; None when there is nothing to send: the
        message was handled already, or its answer was queued in the outbox.

        Never raises: an unexpected error is logged with an id and answered with an
        apology, and the message is kept in the audit log."""
        try:
            return await self._handle(msg)
        except Exception:
            return await self._apologise(msg)

    async def _apologise(self, msg: IncomingMessage) -> str | None:
        error_id = uuid.uuid4().hex[:8]
        log.exception(
            "chat message %s from %s:%s failed (error %s)",
            msg.message_id,
            msg.platform,
            msg.user_id,
            error_id,
        )
        text = self.render("sorry", error_id=error_id)
        now = self.clock.now()

        def keep(s: Session) -> str | None:
            repo.audit(
                s,
                actor=f"{msg.platform}:{msg.user_id}",
                action="chat_failed",
                detail={"error_id": error_id, "message_id": msg.message_id, "text": msg.text},
                now=now,
            )
            return self._answer(s, msg, text, now)

        try:
            return await self.db.run(keep)
        except Exception:
            log.exception(
                "could not record failed message %s (error %s)", msg.message_id, error_id
            )
            return None if msg.platform in self.queue_replies else text

    async def _handle(self, msg: IncomingMessage) -> str | None:
        now = self.clock.now()
        intent = it.parse_intent(msg.text, now.date())
        if isinstance(intent, it.FreeText):
            return await self._free_text(msg, intent, now)

        def work(s: Session) -> str | None:
            # The claim commits with whatever the message does: a platform's retry, or
            # the same message seen by a second worker, finds it taken and does nothing.
            if not claim_incoming(s, msg.platform, msg.message_id, now=now):
                return None
            return self._answer(s, msg, self._reply(s, msg, intent, now), now)

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

    def _reply(self, s: Session, msg: IncomingMessage, intent: it.Intent, now: datetime) -> str:
        contacts = repo.find_contacts(s, msg.platform, msg.user_id)
        if not contacts:
            self._refuse_unknown(s, msg, now)
            return self.render("refuse_unknown_sender")
        if isinstance(intent, _ANSWERS):
            return self._answer_question(s, msg, contacts, intent, now)
        # Anything else moves the conversation on: an older question no longer stands.
        chatstate.drop_question(s, msg.platform, msg.user_id)
        return self._dispatch(s, msg, contacts, intent, msg.text, now)

    # -- questions and answers ------------------------------------------------------------

    def _answer_question(
        self,
        s: Session,
        msg: IncomingMessage,
        contacts: list[ContactView],
        intent: it.Confirm | it.Choice | it.Ack,
        now: datetime,
    ) -> str:
        if isinstance(intent, it.Ack):
            return self.render("ack")  # 收到 answers nothing and keeps the question open
        pending = chatstate.take_question(s, msg.platform, msg.user_id, now=now)
        if pending is None:
            if isinstance(intent, it.Confirm) and intent.soft:
                return self.render("ack")  # 好的 with nothing asked: a polite word back
            return self.render("confirm_cancelled", pending=False)
        if isinstance(intent, it.Confirm) and not intent.yes:
            return self.render("confirm_cancelled", pending=True)
        options = pending.get("options", [])
        if pending["kind"] == "choose":
            n = intent.number if isinstance(intent, it.Choice) else 0
            if not 1 <= n <= len(options):
                self._ask(s, msg, pending, now)  # the same question, asked again
                return self.render("choose_again", count=len(options))
            chosen = [options[n - 1]]
        elif isinstance(intent, it.Choice):
            self._ask(s, msg, pending, now)
            return self.render("choose_again", count=0)
        else:
            chosen = pending["items"]
        replies = [
            self._status_change(s, msg, contacts, ft.decode(d), pending["raw"], now)
            for d in chosen
        ]
        return "\n".join(r.strip() for r in replies)

    def _ask(
        self, s: Session, msg: IncomingMessage, payload: dict[str, Any], now: datetime
    ) -> None:
        chatstate.ask(s, msg.platform, msg.user_id, payload, now=now, ttl=CONFIRM_TTL)

    # -- free text ----------------------------------------------------------------------

    async def _free_text(
        self, msg: IncomingMessage, intent: it.FreeText, now: datetime
    ) -> str | None:
        def load(s: Session) -> tuple[list[ContactView], list[tuple[TaskRow, bool]]] | None:
            if not claim_incoming(s, msg.platform, msg.message_id, now=now):
                return None
            chatstate.drop_question(s, msg.platform, msg.user_id)
            contacts = repo.find_contacts(s, msg.platform, msg.user_id)
            if not contacts:
                self._refuse_unknown(s, msg, now)
                return [], []
            rows: list[tuple[TaskRow, bool]] = []
            for c in contacts:
                for r in repo.open_tasks_for_department(s, c.department_id, as_of=now.date()):
                    rows.append((r, r.lead == c.department))
            return contacts, rows

        loaded = await self.db.run(load)
        if loaded is None:
            return None
        contacts, rows = loaded
        if not contacts:
            return self.render("refuse_unknown_sender")
        text, payload = ft.free_text_answer(self.matcher, self.render, intent.text, msg.text, rows)

        def save(s: Session) -> str | None:
            if payload is not None:
                self._ask(s, msg, payload, now)
            return self._answer(s, msg, text, now)

        return await self.db.run(save)

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
        self,
        s: Session,
        msg: IncomingMessage,
        contacts: list[ContactView],
        intent: it.Intent,
        raw: str,
        now: datetime,
    ) -> str:
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
        if isinstance(intent, it.Withdraw):
            return cd.take_back(
                s,
                self.render,
                contacts,
                intent.task_ids,
                raw=raw,
                channel=msg.platform,
                now=now,
            )
        items = intent.items if isinstance(intent, it.Batch) else (intent,)
        command = next(
            (_COORDINATOR_ONLY[type(i)] for i in items if type(i) in _COORDINATOR_ONLY), None
        )
        if command is not None and not coordinator:
            return self.render("refuse_not_coordinator", command=command)
        if isinstance(intent, it.Overdue):
            return self._overdue(s, intent, today)
        if isinstance(intent, it.Stats):
            return self.queries.stats(s, today)
        if isinstance(intent, it.Urge):
            return self._urge(s, intent, me, now)
        if isinstance(intent, it.ProgressQuery):
            return self._progress_query(s, contacts, intent.task_id, today)
        if isinstance(intent, it.Ack | it.Confirm | it.Choice | it.FreeText):
            raise TypeError(f"not dispatched here: {intent!r}")
        replies = [self._status_change(s, msg, contacts, i, raw, now) for i in items]
        return "\n".join(r.strip() for r in replies)

    def _progress_query(
        self, s: Session, contacts: list[ContactView], key: str, today: date
    ) -> str:
        """进度 ID: coordinators see any task; a contact only its departments' (as a write)."""
        try:
            task = repo.find_task(s, key)
        except NotFound:
            return self.render("refuse_unknown_task", task_id=key)
        if not cd.may_read(s, contacts, task):
            assert task.id is not None
            row = repo.task_row(s, task.id, as_of=today)
            return self.render(
                "refuse_not_your_task",
                task_id=row.id,
                lead=row.lead,
                department=contacts[0].department,
                read=True,
            )
        return self.queries.progress_query(s, key, today)

    def _department(self, s: Session, typed: str) -> departments.Resolved:
        return departments.resolve(s, typed)

    def _overdue(self, s: Session, intent: it.Overdue, today: date) -> str:
        typed = departments.clean_typed(intent.department or "")
        if not typed:
            return self.queries.overdue(s, it.Overdue(None), today)
        found = self._department(s, typed)
        if found.department is None:
            return self.render(
                "unknown_department", typed=typed, choices=found.choices, command="逾期"
            )
        return self.queries.overdue(s, it.Overdue(found.department.name), today)

    def _urge(self, s: Session, intent: it.Urge, me: ContactView, now: datetime) -> str:
        found = self._department(s, intent.department)
        dept = found.department
        if dept is None or dept.id is None:
            return self.render(
                "unknown_department", typed=found.typed, choices=found.choices, command="催办"
            )
        today = now.date()
        rows = repo.open_tasks_for_department(s, dept.id, as_of=today)
        items = [
            row_items(r) | {"role": "lead" if r.lead == dept.name else "cooperating"} for r in rows
        ]
        text = self.render("urge", department=dept.name, day=today, tasks=items)
        targets = chatstate.department_contacts(s, dept.id)
        # One 催办 per coordinator, contact and day.
        repo.enqueue_for_contacts(
            s, targets, key=f"urge:{today.isoformat()}:{me.id}", text=text, kind="urge", now=now
        )
        repo.audit(s, actor=me.name, action="urge", detail={"department": dept.name}, now=now)
        # The same counting units the department's message lists: a measure with
        # milestones through its milestones, led and 配合 apart.
        units = [i for i in items if i.get("tracked", True)]
        led = sum(1 for i in units if i["role"] == "lead")
        return self.render(
            "reply_urged",
            department=dept.name,
            contacts=len(targets),
            led=led,
            cooperating=len(units) - led,
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
        if isinstance(intent, it.Extend) and (
            (before_due is not None and intent.new_due <= before_due)
            or intent.new_due <= now.date()
        ):
            return self.render(
                "refuse_extension_date",
                task_id=task.key,
                old_due=before_due,
                new_due=intent.new_due,
                today=now.date(),
            )
        action, note, new_due, word = cs.action_of(intent)
        cooperating = False
        try:
            try:
                event = repo.record_status(
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
                # A cooperating unit saying in its own words that the work is done: its
                # part is, so it is kept as its progress note on the task — never the
                # lead's 完成. The command form "完成 ID" is refused with a hint instead.
                if not (isinstance(intent, it.Done) and intent.worded):
                    raise
                row = repo.task_row(s, task.id, as_of=now.date())
                if not {c.department for c in contacts} & set(row.cooperating):
                    raise
                cooperating, word = True, "进度"
                intent = it.Progress(intent.task_id, None, intent.note, "cooperating")
                event = repo.record_status(
                    s,
                    task.id,
                    Action.PROGRESS,
                    contact_id=me.id,
                    note=f"（配合单位{me.department}）{intent.note}",
                    raw_message=raw,
                    channel=msg.platform,
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
        if isinstance(intent, it.Done | it.Progress | it.Extend):
            return cs.report_reply(
                self.render, intent, task.key, text, old_due=before_due, cooperating=cooperating
            )
        # Coordinators' decisions name the department they concern, and reach it.
        told = cd.notify_decision(s, self.render, task, event, old_due=before_due, now=now)
        dept = repo.task_row(s, task.id, as_of=now.date()).lead or ""
        reply = cs.decision_reply(self.render, intent, task.key, text, dept, new_due=task.due)
        return reply.rstrip() + "\n" + self.render("told_department", count=told)
