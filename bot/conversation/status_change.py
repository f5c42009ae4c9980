"""A status change's store action and the reply that confirms it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.conversation import intents as it
from bot.store.repo import Action

Render = Callable[..., str]


def report_reply(
    render: Render,
    intent: it.Done | it.Progress | it.Extend,
    key: str,
    text: str,
    *,
    old_due: date | None,
    cooperating: bool,
) -> str:
    """The answer to an accepted 完成 / 进度 / 延期."""
    if isinstance(intent, it.Done):
        return render("reply_done", task_id=key, text=text, note=intent.note)
    if isinstance(intent, it.Progress):
        return render(
            "reply_progress",
            task_id=key,
            text=text,
            percent=intent.percent,
            note=intent.note,
            stage=intent.stage,
            cooperating=cooperating,
        )
    return render(
        "reply_extension",
        task_id=key,
        text=text,
        old_due=old_due,
        new_due=intent.new_due,
        reason=intent.reason,
    )


def decision_reply(
    render: Render, intent: it.Intent, key: str, text: str, dept: str, *, new_due: date | None
) -> str:
    """The coordinator's answer to an accepted 销号 / 退回 / 批准延期 / 驳回延期."""
    if isinstance(intent, it.Close):
        return render("reply_closed", task_id=key, text=text, department=dept)
    if isinstance(intent, it.Return):
        return render("reply_returned", task_id=key, department=dept, reason=intent.reason)
    approved = isinstance(intent, it.ApproveExtension)
    return render(
        "reply_extension_decided",
        task_id=key,
        department=dept,
        approved=approved,
        new_due=new_due if approved else None,
        reason=intent.reason if isinstance(intent, it.RejectExtension) else "",
    )


def action_of(intent: it.Intent) -> tuple[Action, str, date | None, str]:
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
