"""Chat text -> Intent, without looking anything up.

`parse_intent` reads the whole message: commands ("完成 3.4.2"), but also sentences
with ids anywhere ("5.2完成了", "关于4.1：已办结", "2.3、2.4均已完成"), the command word
after the id ("3.8.3 销号"), extension requests in a sentence ("申请2.3延期到明年3月底，
原因是…"), take-backs ("撤回 3.8.3", "刚才报错了"), acknowledgements ("收到", "好的")
and numbered answers ("1"). What a sentence says happened (done, partly done,
planned, not yet, under way; percentages in digits or words) comes from
`words`; dates, also relative ones, from `reldates`. It never decides whether the sender
may do it or whether the task exists: that is the conversation's job.

A message with no id and no command becomes `FreeText`; `TaskMatcher` (matching.py, re-exported
here) ranks the sender's tasks against it, so the bot can ask first.
"""

from __future__ import annotations

import re
from datetime import date

from bot.conversation import words as cw
from bot.conversation.intent_types import (
    Ack,
    ApproveExtension,
    Batch,
    Choice,
    Close,
    Confirm,
    Done,
    Extend,
    FreeText,
    Help,
    Intent,
    Malformed,
    MyTasks,
    Overdue,
    Progress,
    ProgressQuery,
    RejectExtension,
    Return,
    Stats,
    Urge,
    Withdraw,
)
from bot.conversation.matching import Candidate, MatchResult, TaskMatcher
from bot.conversation.reldates import find_date
from parser.ids import read_task_id, row_id_at

__all__ = [
    "Ack",
    "ApproveExtension",
    "Batch",
    "Candidate",
    "Choice",
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
    "Withdraw",
    "normalize_task_id",
    "normalize_text",
    "parse_date",
    "parse_intent",
]


# -- normalisation ------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Fold full-width digits/letters/symbols, drop emoji, collapse spaces; trim.

    Dots between digits are left alone: `words.read_task_ids` decides whether "、"
    joins id parts ("3、4、2") or separates ids ("2.3、2.4").
    """
    return cw.fold(text)


def normalize_task_id(raw: str) -> str | None:
    """'T3.4-2', '３．４．２', 'g1', '7' -> '3.4.2', '3.4.2', 'G1', '7'; None if not one id."""
    return read_task_id(cw.fold(raw))


def parse_date(text: str, today: date | None = None) -> tuple[date | None, str, str]:
    """The first date in `text`: (date, problem, matched text); see `reldates.find_date`."""
    return find_date(normalize_text(text), today)


# -- short replies -------------------------------------------------------------------------------


def _short_reply(bare: str) -> Intent | None:
    if bare in cw.HELP:
        return Help()
    parts = [p for p in re.split(r"[,，、 ]+", bare) if p]
    if len(parts) > 1:
        # "是的，确认", "不是，取消": every part says the same.
        for words, intent in ((cw.YES, Confirm(True)), (cw.NO, Confirm(False))):
            if all(p in words for p in parts):
                return intent
    if not bare:
        return Ack()  # only emoji: 👍
    if bare in cw.YES:
        return Confirm(True)
    if bare in cw.SOFT_YES:
        return Confirm(True, soft=True)
    if bare in cw.NO:
        return Confirm(False)
    if bare in cw.HELP:
        return Help()
    if bare in cw.MY_TASKS:
        return MyTasks()
    if bare == "统计":
        return Stats()
    if cw.ACK.match(bare):
        return Ack()
    m = cw.CHOICE.match(bare)
    if m is not None:
        g = m.group(1)
        return Choice(int(g) if g.isdigit() else cw.CN_DIGIT[g])
    return None


# -- commands -----------------------------------------------------------------------------------

# Longest first, so that 批准延期 is not read as 延期 with junk in front.
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
    "撤回",
    "撤销",
)
# Between ids in a list, and between the ids and what follows.
_SEPS = " ,，:：;；、.。和及与/"
_EXT_WORD = re.compile(r"延期|延长|推迟|顺延|延后|宽限")
_APPROVE = re.compile(
    r"批准延期|同意延期|准予延期|同意[^，。；]{0,12}延期|延期[^，。；]{0,4}(?:同意|批准)"
)
_REJECT = re.compile(
    r"驳回延期|不同意延期|不予延期|不批准延期|不同意[^，。；]{0,12}延期|驳回[^，。；]{0,12}延期"
    r"|延期[^，。；]{0,4}(?:驳回|不予批准|不同意)"
)
_WITHDRAW = re.compile(
    r"撤回|撤销(?:报送|上报|刚才|此前|之前|上一条)|报错了?|发错了?|误报|错报|弄错了?|搞错了?|填错了?|"
    r"点错了?|作废|不算数?$"
)
_ASKED_CLOSE = re.compile(r"(?:请|申请|请求|请予|请予以)\s*销号")
# A coordinator's word in a sentence: "3.8.5可以销号", "同意3.8.5销号", "3.8.5予以销号".
_CLOSE_WORDS = re.compile(r"(?:可以|同意|予以|准予|确认|准予)\s*销号|销号$")
_QUESTION = re.compile(
    r"[?？]|吗$|怎么样|如何|什么时候|多少|哪些|哪天|哪一天|几号|何时|啥|几个|是否|查看|查询|查一下"
    r"|看看|截止(?:时间|日期)"
)
# A question about the status itself: "3.8.4已完成了吗？" asks, it does not report.
_STATUS_QUESTION = re.compile(r"(?:吗|么|没有?|了没)\s*[?？]?$")
_STATS_WORDS = re.compile(
    r"^(?:请|帮我)?(?:统计|汇总|总体情况|整体情况|完成情况统计|总体进展|整体进展)"
)
_URGE_WORDS = re.compile(r"^(?:请|帮我|麻烦)?\s*(?:催办|催一下|催促|督促一下|督办)(?:一下)?")
_REASON = re.compile(r"(?:原因(?:是|为|如下)?|理由(?:是|为)?|因为|由于)\s*[:：]?\s*")
_EXT_VERB = re.compile(
    r"(?:特此)?(?:申请|请求|拟|需要|需|希望|想|要|能否|能不能|可否|可不可以|请)*\s*(?:将)?\s*"
    r"(?:的)?(?:完成时限|时限|期限|完成时间)?\s*"
    r"(?:延期|延长|推迟|顺延|延后|宽限)\s*(?:完成)?\s*(?:至|到)?"
)


def _clean(s: str) -> str:
    # Drop the separators people put between arguments: "完成 3.4.2，已建成" -> "已建成".
    return s.strip(" ,，:：;；.。!！、")


def _clean_reason(s: str) -> str:
    # A reason also loses the question mark of "能不能延期到6月底？试点企业还在办手续".
    return s.strip(" ,，:：;；.。!！、?？")


def _lead_ids(rest: str) -> tuple[list[str], str, bool]:
    """Ids at the start of `rest` (after separators): (ids, what follows, something else
    stood first). "3.4.2、3.4.3 已建成" -> (["3.4.2", "3.4.3"], " 已建成", False)."""
    keys: list[str] = []
    pos = 0
    for start, end, found in cw.id_spans(rest):
        if rest[pos:start].strip(_SEPS + "T"):
            break
        keys += [k for k in found if k not in keys]
        pos = end
    if not keys:
        # A task-table row is a bare number: "完成 7" (only right after the command word).
        at = len(rest) - len(rest.lstrip(_SEPS))
        row = row_id_at(rest, at)
        if row is not None and (row[0] == len(rest) or rest[row[0]] in _SEPS + "，,"):
            return [row[1]], rest[row[0] :], False
    return keys, rest[pos:], not keys and bool(rest.strip(_SEPS))


# More ids than anyone reports at once is a paste or an attack: answer once, touch nothing.
MAX_IDS = 20


def _many(
    items: list[Done | Progress | Extend | Close | ApproveExtension | RejectExtension | Return],
) -> Intent:
    if len(items) > MAX_IDS:
        return Malformed("报送", "too_many_ids", str(MAX_IDS))
    return items[0] if len(items) == 1 else Batch(tuple(items))


def _progress(key: str, after: str, note_whole: bool = False) -> Progress | Malformed:
    """进度 ID … : a bare number is a percent; "60% 已签约" keeps the words after it."""
    if after.isdigit() and int(after) <= 100:
        return Progress(key, int(after), "")  # "进度 3.4.2 60": the % was forgotten
    value, raw = cw.read_percent(after)
    if value is None:
        return Progress(key, None, after)
    if value > 100:
        return Malformed("进度", "bad_percent", raw)
    note = _clean(after[len(raw) :]) if after.startswith(raw) and not note_whole else after
    return Progress(key, round(value), note)


def _extension(keys: list[str], text: str, today: date | None) -> Intent:
    """延期: the date anywhere, the reason after 原因/因为, or whatever else is left."""
    if not keys:
        return Malformed("延期", "missing_id")
    body = cw.strip_ids(text)
    when, problem, raw = find_date(body, today)
    if when is None:
        return Malformed("延期", problem, raw or _clean(_EXT_VERB.sub("", body, count=1)))
    reason = ""
    m = _REASON.search(body)
    if m is not None:
        reason = _clean_reason(body[m.end() :].replace(raw, " ", 1))
    if not reason:
        rest = body.replace(raw, " ", 1)
        rest = _EXT_VERB.sub(" ", rest, count=1)
        rest = re.sub(r"^\s*(?:关于|申请)\s*", "", rest)
        reason = _clean_reason(re.sub(r"^[\s,，:：]*(?:至|到)", "", rest))
        reason = re.sub(r"\s+", " ", reason)
    if not reason:
        return Malformed("延期", "missing_reason")
    return _many([Extend(k, when, reason) for k in keys])


def _command(cmd: str, rest: str, today: date | None, whole: str) -> Intent:
    """A message that starts with a command word (or ids and then one)."""
    rest = rest.strip()
    if cmd == "逾期":
        return Overdue(_clean(rest) or None)
    if cmd == "催办":
        dept = _clean(re.sub(r"^一下", "", rest))
        return Urge(dept) if dept else Malformed(cmd, "missing_department")
    if cmd == "统计":
        return Stats()  # "统计一下各部门": still a statistics request
    keys, after, other_first = _lead_ids(rest)
    if cmd in ("撤回", "撤销"):
        return Withdraw(tuple(keys or cw.read_task_ids(rest)), _clean(after))
    if not keys:
        # "完成了充电桩建设" is a sentence, not a command with a missing id.
        if rest and cmd in ("完成", "进度"):
            return _sentence(whole, today)
        return Malformed(cmd, "bad_id" if other_first else "missing_id", rest)
    after = _clean(after)
    if cmd == "完成":
        value, _raw = cw.read_percent(after)
        if value is not None and value < 100:
            # "完成 3.4.2 80%": eighty percent is progress, not completion.
            return _many([Progress(k, round(value), after, cw.PARTIAL) for k in keys])
        return _many([Done(k, after) for k in keys])
    if cmd == "销号":
        return _many([Close(k) for k in keys])
    if cmd == "批准延期":
        return _many([ApproveExtension(k) for k in keys])
    if cmd == "驳回延期":
        return _many([RejectExtension(k, after) for k in keys])
    if cmd == "退回":
        if not after:
            return Malformed(cmd, "missing_reason")
        return _many([Return(k, after) for k in keys])
    if cmd == "进度":
        if not after:
            return ProgressQuery(keys[0])
        items = [_progress(k, after) for k in keys]
        bad = next((i for i in items if isinstance(i, Malformed)), None)
        if bad is not None:
            return bad
        return _many([i for i in items if isinstance(i, Progress)])
    return _extension(keys, whole, today)


def _per_id_reports(t: str) -> Intent | None:
    """ "3.8.3已完成，3.8.5正在推进": each id with its own clause and its own status.

    None unless there are several id groups and every one says something of its own
    ("3.8.3和3.8.5都已完成" does not: the first group's text is just "和")."""
    spans = cw.id_spans(t)
    if len(spans) < 2:
        return None
    items: list[Done | Progress | Extend | Close | ApproveExtension | RejectExtension | Return]
    items = []
    for i, (start, end, keys) in enumerate(spans):
        stop = spans[i + 1][0] if i + 1 < len(spans) else len(t)
        reading = cw.read_status(t[end:stop])
        if reading.kind is None or (reading.percent or 0) > 100:
            return None
        segment = _clean(t[start:stop])
        for k in keys:
            if reading.kind == cw.DONE:
                items.append(Done(k, segment, worded=True))
            else:
                items.append(Progress(k, reading.percent, segment, reading.kind))
    return _many(items)


def _sentence(t: str, today: date | None) -> Intent:
    """A message that is not a command: read what it says about which tasks."""
    keys = cw.read_task_ids(t)
    core = cw.strip_ids(t)
    if keys:
        if _REJECT.search(core):
            reason = _clean(_REJECT.sub(" ", core, count=1))
            return _many([RejectExtension(k, reason) for k in keys])
        if _APPROVE.search(core):
            return _many([ApproveExtension(k) for k in keys])
        if _WITHDRAW.search(core):
            return Withdraw(tuple(keys), t)
        if _EXT_WORD.search(core):
            return _extension(keys, t, today)
        per_id = _per_id_reports(t)
        if per_id is not None:
            return per_id
        reading = cw.read_status(core)
        if _CLOSE_WORDS.search(core) and not _ASKED_CLOSE.search(core) and reading.kind != cw.DONE:
            return _many([Close(k) for k in keys])
        if reading.percent is not None and reading.percent > 100:
            return Malformed("进度", "bad_percent", cw.read_percent(core)[1])
        if _STATUS_QUESTION.search(core) and reading.kind == cw.DONE:
            return ProgressQuery(keys[0])
        if _QUESTION.search(core) and reading.kind in (None, cw.ONGOING):
            return ProgressQuery(keys[0])  # "3.8.3进展如何？"
        if reading.kind == cw.DONE:
            return _many([Done(k, t, worded=True) for k in keys])
        if reading.kind is not None:
            return _many([Progress(k, reading.percent, t, reading.kind) for k in keys])
        if _QUESTION.search(core) or not _clean(core.replace("关于", "")):
            return ProgressQuery(keys[0])
        if _ASKED_CLOSE.search(core):
            return _many([Done(k, t, worded=True) for k in keys])
        return _many([Progress(k, None, t) for k in keys])
    if _WITHDRAW.search(t) and len(t) <= 40:
        return Withdraw((), t)
    if "逾期" in t and (_QUESTION.search(t) or t.startswith("逾期") or len(t) <= 12):
        return Overdue(_clean(t) or None)
    if _STATS_WORDS.match(t) or (len(t) <= 16 and re.search(r"统计|汇总", t)):
        return Stats()
    if cw.MY_TASKS_SENTENCE.match(t):
        return MyTasks()
    if cw.HELP_SENTENCE.match(t):
        return Help()
    m = _URGE_WORDS.match(t)
    if m is not None:
        dept = _clean(t[m.end() :])
        return Urge(dept) if dept else Malformed("催办", "missing_department")
    return FreeText(t)


def reading_of(text: str) -> str:
    """The stage a free-text report states (partial, planned, …), "" when done or unsaid."""
    kind = cw.read_status(normalize_text(text)).kind
    return "" if kind in (None, cw.DONE) else kind


def parse_intent(text: str, today: date | None = None) -> Intent:
    """Turn one chat message into an Intent. `today` resolves relative dates."""
    t = normalize_text(text)
    bare = t.strip(cw.TRAILING_PUNCT).lower()
    short = Help() if t in cw.HELP else _short_reply(bare)
    if short is not None:
        return short
    cmd = next((c for c in _COMMANDS if t.startswith(c)), None)
    if cmd is not None:
        return _command(cmd, t[len(cmd) :], today, t)
    # The command word after the ids: "3.8.3 销号", "2.3、2.4 完成", "3.4.2进度60%".
    keys, after, _ = _lead_ids(re.sub(r"^(?:关于|针对)", "", t))
    head = after.lstrip(_SEPS)
    if keys:
        cmd = next((c for c in _COMMANDS if head.startswith(c)), None)
        if cmd in ("完成", "进度"):
            tail = head[len(cmd) :]
            # "3.8.3完成了" / "3.8.3完成情况如何" are sentences; "3.8.3 完成 已验收" a command.
            if cmd == "完成" and (not tail.strip(cw.TRAILING_PUNCT) or tail[:1] in " ，,:："):
                return _many([Done(k, _clean(tail)) for k in keys])
            if cmd == "进度" and (not tail.strip() or cw.read_percent(tail)[0] is not None):
                return _command(cmd, " ".join(keys) + " " + tail, today, t)
        elif cmd in ("销号", "退回", "批准延期", "驳回延期", "撤回"):
            return _command(cmd, " ".join(keys) + " " + head[len(cmd) :], today, t)
    return _sentence(t, today)
