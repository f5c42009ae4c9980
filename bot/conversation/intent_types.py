"""The intents a chat message can carry: what `bot.conversation.intents.parse_intent` returns.

Plain frozen dataclasses, no behaviour; the conversation dispatches on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class MyTasks:
    """任务 / 我的任务: list the sender's department's open tasks."""


@dataclass(frozen=True, slots=True)
class Help:
    """帮助."""


@dataclass(frozen=True, slots=True)
class Done:
    """完成 ID [说明]. `worded`: said in a sentence ("3.8.3已完成"), not the command form."""

    task_id: str
    note: str = ""
    worded: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """进度 ID [60%] [说明]: a progress report (a percent, a note, or both).

    `stage` says what the sentence said when it was not a bare command: partial,
    ongoing, planned or not_started (see bot.conversation.words); "" for 进度 ID 60%.
    """

    task_id: str
    percent: int | None
    note: str = ""
    stage: str = ""


@dataclass(frozen=True, slots=True)
class ProgressQuery:
    """进度 ID with nothing else: show where the task (or measure) stands."""

    task_id: str


@dataclass(frozen=True, slots=True)
class Extend:
    """延期 ID DATE 原因."""

    task_id: str
    new_due: date
    reason: str


@dataclass(frozen=True, slots=True)
class Overdue:
    """逾期 [部门] (coordinators)."""

    department: str | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """统计 (coordinators)."""


@dataclass(frozen=True, slots=True)
class Close:
    """销号 ID (coordinators)."""

    task_id: str


@dataclass(frozen=True, slots=True)
class Return:
    """退回 ID 原因 (coordinators)."""

    task_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ApproveExtension:
    """批准延期 ID (coordinators)."""

    task_id: str


@dataclass(frozen=True, slots=True)
class RejectExtension:
    """驳回延期 ID [原因] (coordinators)."""

    task_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Urge:
    """催办 部门 (coordinators)."""

    department: str


@dataclass(frozen=True, slots=True)
class Confirm:
    """是 / 否 answering the bot's last question.

    `soft`: 好的 / 嗯 / OK — a yes when a question is pending, an acknowledgement when not.
    """

    yes: bool
    soft: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """ "1", "选2", "第二个": picks one of the numbered options the bot offered."""

    number: int


@dataclass(frozen=True, slots=True)
class Ack:
    """收到 / 谢谢 / 明白: nothing to do but answer politely."""


@dataclass(frozen=True, slots=True)
class Withdraw:
    """撤回 [ID…] / "刚才报错了": take back one's own last report (no ids: the latest)."""

    task_ids: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Batch:
    """One message about several tasks ("2.3、2.4均已完成"): each item is handled in turn."""

    items: tuple[
        Done | Progress | Extend | Close | ApproveExtension | RejectExtension | Return, ...
    ]


@dataclass(frozen=True, slots=True)
class Malformed:
    """A command whose arguments are wrong; `problem` says what, `value` shows the bad part.

    problem ∈ missing_id, bad_id, missing_date, bad_date, date_without_year,
    missing_reason, bad_percent, missing_department.
    """

    command: str
    problem: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class FreeText:
    """No command: match it against the sender's open tasks."""

    text: str


Intent = (
    MyTasks
    | Help
    | Done
    | Progress
    | ProgressQuery
    | Extend
    | Overdue
    | Stats
    | Close
    | Return
    | ApproveExtension
    | RejectExtension
    | Urge
    | Confirm
    | Choice
    | Ack
    | Withdraw
    | Batch
    | Malformed
    | FreeText
)
