"""The chat's side effects beyond a status change: telling the department what was
decided, taking a report back, and who may read what.

Functions over the caller's Session and renderer, so they commit with the message that
caused them (the outbox makes the notice exactly once and retried).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlmodel import Session

from bot.store import repo
from bot.store.errors import InvalidTransition, NotFound
from bot.store.loading import Revision
from bot.store.models import StatusEvent, Task
from bot.store.repo import ContactView, chatstate
from bot.store.repo.tasks import task_label

Render = Callable[..., str]

# The decisions a department hears about, by store action.
DECISIONS = {
    "close": "销号",
    "return": "退回",
    "approve_extension": "批准延期",
    "reject_extension": "驳回延期",
}


def notify_decision(
    s: Session,
    render: Render,
    task: Task,
    event: StatusEvent,
    *,
    old_due: date | None,
    now: datetime,
) -> int:
    """Queue the decision for the lead department's contacts (and the extension's requester).

    Keyed by the status event: a retried message or a second worker queues nothing new.
    Returns how many people will hear it.
    """
    assert task.id is not None and event.id is not None
    lead = chatstate.lead_department_id(s, task.id)
    targets = chatstate.department_contacts(s, lead) if lead is not None else []
    if event.action in ("approve_extension", "reject_extension"):
        requester = chatstate.last_requester(s, task.id)
        if requester is not None and all(c.id != requester.id for c in targets):
            targets.append(requester)
    text = render(
        "decision_notice",
        decision=DECISIONS[event.action],
        task_id=task.key,
        text=task_label(task.kind, task.title, task.text),
        reason=event.note,
        old_due=old_due,
        new_due=task.due,
        by=event.actor,
    )
    repo.enqueue_for_contacts(
        s,
        targets,
        key=f"decision:{event.id}",
        text=text,
        kind="decision",
        task_id=task.id,
        now=now,
    )
    return len(targets)


def take_back(
    s: Session,
    render: Render,
    contacts: Sequence[ContactView],
    keys: Sequence[str],
    *,
    raw: str,
    channel: str,
    now: datetime,
) -> str:
    """撤回: the sender's own latest report on each named task (or their latest at all)."""
    me = contacts[0]
    ids = [c.id for c in contacts]
    events: list[tuple[str, StatusEvent | None]] = []
    if keys:
        for key in keys:
            try:
                task = repo.find_task(s, key)
            except NotFound:
                return render("refuse_unknown_task", task_id=key)
            assert task.id is not None
            events.append((key, chatstate.latest_own_report(s, ids, task.id)))
    else:
        latest = chatstate.latest_own_report(s, ids)
        key = "" if latest is None else _key_of(s, latest.task_id)
        events.append((key, latest))
    lines = []
    for key, event in events:
        if event is None:
            lines.append(render("refuse_withdraw", task_id=key, reason="none"))
            continue
        try:
            task = chatstate.retract(
                s,
                event,
                actor=me.name,
                contact_id=me.id,
                raw_message=raw,
                channel=channel,
                now=now,
            )
        except InvalidTransition:
            status = s.get(Task, event.task_id)
            lines.append(
                render(
                    "refuse_withdraw",
                    task_id=key,
                    reason="changed",
                    status=status.status if status else "",
                )
            )
            continue
        lines.append(
            render("reply_withdrawn", task_id=task.key, action=event.action, status=task.status)
        )
    return "\n".join(line.strip() for line in lines)


def _key_of(s: Session, task_pk: int) -> str:
    task = s.get(Task, task_pk)
    return task.key if task is not None else ""


def may_read(s: Session, contacts: Sequence[ContactView], task: Task) -> bool:
    """A contact reads its departments' tasks and those it cooperates on (issue 12, item 6);
    for a measure, also when it is on one of the measure's milestones."""
    if any(c.role in ("coordinator", "admin") for c in contacts):
        return True
    assert task.id is not None
    mine = {c.department_id for c in contacts}
    if mine & set(chatstate.task_department_roles(s, task.id)):
        return True
    for child in chatstate.milestone_ids(s, task.id):
        if mine & set(chatstate.task_department_roles(s, child)):
            return True
    return False


def notify_revision(s: Session, render: Render, rev: Revision, *, now: datetime) -> int:
    """After a revision is applied (same transaction): tell the lead departments of tasks
    it withdrew, or whose deadline or lead it changed. Closed tasks are left alone.

    Keyed by version, task and contact, so re-running it queues nothing twice.
    Returns the number of messages queued.
    """
    if rev.version is None or rev.version.id is None:
        return 0
    queued = 0
    for change in rev.diff.changes:
        old = change.old
        if old is None or old.status in ("closed", "withdrawn"):
            continue
        if change.kind == "withdrawn":
            kind, fields = "withdrawn", {}
        elif change.kind == "changed" and ({"due", "lead"} & set(change.fields)):
            kind, fields = "changed", change.fields
        else:
            continue
        spec = change.new or old.spec
        departments = {chatstate.lead_department_id(s, old.pk)}
        if "lead" in fields and fields["lead"][0]:
            before = repo.find_department(s, str(fields["lead"][0]))
            departments.add(before.id if before is not None else None)
        text = render(
            "revision_notice",
            kind=kind,
            task_id=spec.key,
            text=task_label(spec.kind, spec.title, spec.text),
            due=fields.get("due"),
            lead=fields.get("lead"),
            version=rev.version.number,
        )
        for dept in sorted(d for d in departments if d is not None):
            queued += repo.enqueue_for_contacts(
                s,
                chatstate.department_contacts(s, dept),
                key=f"revision:{rev.version.id}:{old.pk}",
                text=text,
                kind="revision",
                task_id=old.pk,
                now=now,
            )
    return queued
