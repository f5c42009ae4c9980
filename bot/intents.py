"""Chat text -> Intent, without looking anything up.

`parse_intent` recognises the commands of issue 5 in Chinese, tolerant of full-width
characters (NFKC), missing spaces and the id spellings people actually type
("3.4.2", "3.4-2", "３．４．２", "T3.4.2", "3。4。2"). It never decides whether the
sender may do it or whether the task exists: that is the conversation's job.

A message that is not a command becomes `FreeText`; `TaskMatcher` (in bot/matching.py,
re-exported here) ranks the sender's open tasks against it and guesses the status
word, so the bot can ask "是否报送 3.8.3 已完成？".
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from bot.datebounds import MAX_YEAR, MIN_YEAR
from bot.matching import Candidate, MatchResult, TaskMatcher

__all__ = [
    "ApproveExtension",
    "Candidate",
    "Close",
    "Confirm",
    "Done",
    "Extend",
    "FreeText",
    "Help",
    "Intent",
    "Malformed",
    "MatchResult",
    "MyTasks",
    "Overdue",
    "Progress",
    "ProgressQuery",
    "RejectExtension",
    "Return",
    "Stats",
    "TaskMatcher",
    "Urge",
    "normalize_task_id",
    "normalize_text",
    "parse_date",
    "parse_intent",
]


# -- intents ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MyTasks:
    """任务 / 我的任务: list the sender's department's open tasks."""


@dataclass(frozen=True, slots=True)
class Help:
    """帮助."""


@dataclass(frozen=True, slots=True)
class Done:
    """完成 ID [说明]."""

    task_id: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    """进度 ID [60%] [说明]: a progress report (a percent, a note, or both)."""

    task_id: str
    percent: int | None
    note: str = ""


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
    """是 / 否 answering the bot's last question."""

    yes: bool


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
    | Malformed
    | FreeText
)


# -- normalisation ------------------------------------------------------------------------------

# Full-width ASCII (Ｕ+FF01–FF5E: digits, letters, ．－％／) folds to ASCII and the
# ideographic space to a space, as NFKC would; but Chinese punctuation stays, because
# what follows a command is stored as the note and should read as the sender wrote it.
_KEEP = "，：；！？（）"
_FOLD = MappingProxyType(
    {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP} | {0x3000: 0x20}
)
# Dot-like marks people type between id or date parts (3。4。2, 3、4、2).
_DOTS_BETWEEN_DIGITS = re.compile(r"(?<=\d)\s?[。、·・]\s?(?=\d)")


def normalize_text(text: str) -> str:
    """Fold full-width digits/letters/symbols, dots between digits, runs of spaces; trim."""
    t = _DOTS_BETWEEN_DIGITS.sub(".", text.translate(_FOLD))
    return re.sub(r"\s+", " ", t).strip()


# A trailing "." is allowed ("完成 3.4.2。" after NFKC), a fourth level ("3.4.2.1") is not.
_ID = r"(?<![0-9A-Za-z.])(?:[Tt]?\d{1,2}(?:\s?[.\-]\s?\d{1,3}){1,2}|[Gg]\d{1,3})(?!\d|\.\d)"
_ID_RE = re.compile(_ID)
_ID_AT = re.compile(r"[\s:,，：]*(" + _ID + r")")


def normalize_task_id(raw: str) -> str | None:
    """'T3.4-2', '３．４．２', 'g1' -> '3.4.2', '3.4.2', 'G1'; None if it is not an id."""
    t = normalize_text(raw)
    m = _ID_RE.fullmatch(t)
    if m is None:
        return None
    t = re.sub(r"\s", "", t)
    if t[0] in "Gg":
        return "G" + str(int(t[1:]))
    t = t.lstrip("Tt").replace("-", ".")
    return ".".join(str(int(p)) for p in t.split("."))


# -- dates ------------------------------------------------------------------------------------

_DATE_RES = (
    # 2024年6月30日, 2024年6月底, 2024年6月 (end of month), 2024年底
    re.compile(
        r"(?P<y>\d{4})\s*年\s*(?:(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})(?!\d)\s*[日号]?"
        r"|(?P<end>底|末))?|(?P<yend>底|末))"
    ),
    # 2024-06-30, 2024/6/30, 2024.6.30
    re.compile(r"(?<!\d)(?P<y>\d{4})\s*([-/.])\s*(?P<m>\d{1,2})\s*\2\s*(?P<d>\d{1,2})(?!\d)"),
    # 6月30日, 6月底 and 6/30: only forms that cannot be a number like "1.5" in a reason
    re.compile(
        r"(?<![\d.])(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})(?!\d)\s*[日号]?|(?P<end>底|末))"
    ),
    re.compile(r"(?<![\d./-])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])"),
    # Anything else that looks like an attempt at a date, to name it as malformed.
    re.compile(r"(?<!\d)\d{4}\s*[-/.年]\s*\d{1,3}(?:\s*[-/.月]\s*\d{0,3}[日号]?)?"),
)


def parse_date(text: str, today: date | None = None) -> tuple[date | None, str, str]:
    """Find the first date in `text`: (date, problem, matched text).

    Accepts 2024-06-30, 2024/6/30, 2024.6.30, 2024年6月30日, 2024年6月底, 2024年6月 and
    2024年底 (ends of month/year). Without a year (6月30日, 6/30), `today` decides (this
    year, or next if already past); with no `today` that is `date_without_year`.
    problem is "" on success, `missing_date` when nothing looks like a date, `bad_date`
    for 2024-02-30, 2024-13-01 or 2024-6.
    """
    t = normalize_text(text)
    hits = [(m.start(), i, m) for i, rx in enumerate(_DATE_RES) if (m := rx.search(t))]
    if not hits:
        return None, "missing_date", ""
    _, which, m = min(hits, key=lambda h: (h[0], h[1]))
    raw = m.group(0).strip()
    if which == len(_DATE_RES) - 1:
        return None, "bad_date", raw
    groups = m.groupdict()
    if groups.get("y") is None:
        if today is None:
            return None, "date_without_year", raw
        year = today.year
    else:
        year = int(groups["y"])
    if not MIN_YEAR <= year <= MAX_YEAR:  # 0000-01-01, 9999-12-31: a typo, never a deadline
        return None, "bad_date", raw
    if groups.get("yend"):
        return date(year, 12, 31), "", raw
    month = int(groups["m"]) if groups.get("m") else 12
    if not 1 <= month <= 12:
        return None, "bad_date", raw
    last = _calendar.monthrange(year, month)[1]
    day = last if groups.get("d") is None else int(groups["d"])
    try:
        found = date(year, month, day)
    except ValueError:
        return None, "bad_date", raw
    if groups.get("y") is None and today is not None and found < today:
        try:
            found = found.replace(year=year + 1)
        except ValueError:  # 2月29日 with next year not a leap year
            return None, "bad_date", raw
    return found, "", raw


# -- commands ---------------------------------------------------------------------------------

_YES = frozenset({"是", "是的", "对", "对的", "确认", "好", "好的", "嗯", "y", "yes", "ok"})
_NO = frozenset({"否", "不", "不是", "不对", "取消", "算了", "n", "no"})
_HELP = frozenset({"帮助", "help", "?", "？", "菜单", "怎么用"})
_MY_TASKS = frozenset({"任务", "我的任务", "查看任务", "任务列表"})
_TRAILING_PUNCT = " 。.!！?？~～,，"
# Longest first, so that 批准延期 is not read as 延期 with junk in front (it starts
# differently anyway) and 我的任务 is not read as 我 + 的任务.
_COMMANDS = (
    "批准延期",
    "驳回延期",
    "完成",
    "进度",
    "延期",
    "逾期",
    "统计",
    "销号",
    "退回",
    "催办",
)
_PERCENT_RE = re.compile(r"(?<![\d.])(\d{1,4}(?:\.\d+)?)\s*%")
_EXT_SEP = re.compile(r"^(?:延期|延长|推迟)?\s*(?:至|到)\s*")


def _take_id(rest: str) -> tuple[str | None, str]:
    m = _ID_AT.match(rest)
    if m is None:
        return None, rest
    return normalize_task_id(m.group(1)), rest[m.end() :]


def _clean(s: str) -> str:
    # Drop the separators people put between arguments: "完成 3.4.2，已建成" -> "已建成".
    return s.strip(" ,，:：;；.。!！")


def parse_intent(text: str, today: date | None = None) -> Intent:
    """Turn one chat message into an Intent. `today` only resolves dates without a year."""
    t = normalize_text(text)
    bare = t.strip(_TRAILING_PUNCT).lower()
    if bare in _YES:
        return Confirm(True)
    if bare in _NO:
        return Confirm(False)
    if bare in _HELP or t in _HELP:
        return Help()
    if bare in _MY_TASKS:
        return MyTasks()
    if bare == "统计":
        return Stats()

    cmd = next((c for c in _COMMANDS if t.startswith(c)), None)
    if cmd is None:
        return FreeText(t)
    rest = t[len(cmd) :].strip()

    if cmd == "逾期":
        return Overdue(_clean(rest) or None)
    if cmd == "催办":
        dept = _clean(rest)
        return Urge(dept) if dept else Malformed(cmd, "missing_department")
    if cmd == "统计":
        # "统计一下各部门" and the like: still a statistics request.
        return Stats()

    task_id, after = _take_id(rest)
    if task_id is None:
        # "完成了充电桩建设" is a sentence, not a command with a missing id.
        if rest and cmd in ("完成", "进度"):
            return FreeText(t)
        return Malformed(cmd, "missing_id" if not rest else "bad_id", rest)
    after = _clean(after)

    if cmd == "完成":
        return Done(task_id, after)
    if cmd == "销号":
        return Close(task_id)
    if cmd == "批准延期":
        return ApproveExtension(task_id)
    if cmd == "驳回延期":
        return RejectExtension(task_id, after)
    if cmd == "退回":
        return Return(task_id, after) if after else Malformed(cmd, "missing_reason")
    if cmd == "进度":
        if not after:
            return ProgressQuery(task_id)
        if after.isdigit() and int(after) <= 100:
            return Progress(task_id, int(after), "")  # "进度 3.4.2 60": the % was forgotten
        pm = _PERCENT_RE.search(after)
        if pm is None:
            return Progress(task_id, None, after)
        pct = float(pm.group(1))
        if pct > 100:
            return Malformed(cmd, "bad_percent", pm.group(0))
        # "进度 3.4.2 60% 已签约" keeps the words after the figure; "已完成60%，…" is
        # a sentence, kept whole as the note.
        note = _clean(after[pm.end() :]) if pm.start() == 0 else after
        return Progress(task_id, round(pct), note)
    # 延期 ID DATE 原因
    after = _EXT_SEP.sub("", after)
    new_due, problem, raw = parse_date(after, today)
    if new_due is None:
        return Malformed(cmd, problem, raw or after)
    if not after.startswith(raw):
        # Something before the date ("延期 3.4.2 因故 2024-06-30"): the reason came first.
        reason = _clean(after.replace(raw, " ", 1))
    else:
        reason = _clean(after[len(raw) :])
    return Extend(task_id, new_due, reason) if reason else Malformed(cmd, "missing_reason")
