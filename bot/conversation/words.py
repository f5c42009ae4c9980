"""The words of the chat, in one place: task ids, percentages, what a sentence says happened.

Everything here is pure and reads text only; `bot.conversation.intents` builds intents from it and
`bot.conversation.matching` ranks tasks with it. Officials write "5.2完成了", "关于4.1：已办结",
"2.3、2.4均已完成", "完成了80%", "百分之六十", "基本完成", "尚未启动", "预计年底前完成";
the functions below read those the way a colleague would. The short replies (是, 好的,
收到, 1 …) are listed here too, so the chat's words have one home.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

import cn2an

from parser.ids import find_task_ids, id_spans

__all__ = [
    "ACK",
    "CHOICE",
    "HELP",
    "HELP_SENTENCE",
    "MY_TASKS",
    "MY_TASKS_SENTENCE",
    "NO",
    "SOFT_YES",
    "YES",
    "Reading",
    "fold",
    "id_spans",
    "read_percent",
    "read_status",
    "read_task_ids",
    "strip_ids",
]

# Full-width ASCII folds to ASCII and the ideographic space to a space, as NFKC would;
# Chinese punctuation stays, because what follows a command is stored as the note.
_KEEP = "，：；！？（）"
_FOLD = MappingProxyType(
    {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP} | {0x3000: 0x20}
)
# Emoji and pictographs carry no meaning the bot acts on ("收到👍", "已完成✅").
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")


def fold(text: str) -> str:
    """Full-width -> ASCII, emoji dropped, runs of spaces collapsed, trimmed."""
    t = _EMOJI.sub(" ", text.translate(_FOLD))
    return re.sub(r"\s+", " ", t).strip()


# -- task ids --------------------------------------------------------------------------------
# The one id grammar lives in the parser (parser/ids.py): the parser makes ids, the store
# keeps them, the chat reads them back with the same rules.

read_task_ids = find_task_ids


def strip_ids(text: str) -> str:
    """`text` with the ids `read_task_ids` found removed (for notes and reasons)."""
    t = text.translate(_FOLD)
    out, last = [], 0
    for start, end, _ in id_spans(t):
        out.append(t[last:start])
        last = end
    out.append(t[last:])
    return "".join(out)


# -- percentages -----------------------------------------------------------------------------

_CN_NUM = "零〇一二两三四五六七八九十百点"
_PERCENT_DIGITS = re.compile(r"(?<![\d.])(\d{1,4}(?:\.\d+)?)\s*[%％]")
_PERCENT_WORDS = re.compile(rf"百分之\s*([\d.]+|[{_CN_NUM}]+)")
# "八成", "九成以上": tenths; a numeral must precede 成 ("完成" is no number).
_TENTHS = re.compile(
    r"(?<![一二三四五六七八九十\d])([一二三四五六七八九]|\d)\s*成(?!本|果|员|立|绩|效)"
)
# "三分之一", "2/3"-like fractions written in words; not 百分之 (a percentage).
_FRACTION = re.compile(rf"(?<!百)([{_CN_NUM}\d]{{1,3}})分之([{_CN_NUM}\d]{{1,3}})")
_ZERO = re.compile(r"(?:进度|完成率|完成)\s*(?:为|是|仍为|还是)?\s*(?:零|0)(?![\d.%])")
_HALF = re.compile(r"(?:完成|完成了|进度|过)\s*(?:约|了|近|大约|将近|接近)?\s*(?:一半|过半|半数)")


def _cn_number(s: str) -> float | None:
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def read_percent(text: str) -> tuple[float | None, str]:
    """The first percentage in `text` and the text it was read from ("" if none).

    Digits ("60%", "６０％", "85.5%"), words ("百分之六十", "百分之75"), tenths ("八成")
    and halves ("完成一半"). The value is not clamped: callers refuse > 100.
    """
    hits: list[tuple[int, float, str]] = []
    if m := _PERCENT_DIGITS.search(text):
        hits.append((m.start(), float(m.group(1)), m.group(0)))
    if m := _PERCENT_WORDS.search(text):
        value = _cn_number(m.group(1))
        if value is not None:
            hits.append((m.start(), value, m.group(0)))
    if m := _TENTHS.search(text):
        value = _cn_number(m.group(1))
        if value is not None:
            hits.append((m.start(), value * 10, m.group(0)))
    if m := _HALF.search(text):
        hits.append((m.start(), 50.0, m.group(0)))
    if (m := _FRACTION.search(text)) and not _PERCENT_WORDS.match(text, max(m.start() - 1, 0)):
        den, num = _cn_number(m.group(1)), _cn_number(m.group(2))
        if den and num is not None and num <= den:
            hits.append((m.start(), 100 * num / den, m.group(0)))
    if m := _ZERO.search(text):
        hits.append((m.start(), 0.0, m.group(0)))
    if not hits:
        return None, ""
    _, value, raw = min(hits)
    return value, raw


# -- what a sentence says happened -----------------------------------------------------------

DONE, PARTIAL, ONGOING, PLANNED, NOT_STARTED = (
    "done",
    "partial",
    "ongoing",
    "planned",
    "not_started",
)

_DONE_WORD = (
    r"(?:完成|办结|办完|做完|干完|弄好|搞定|完工|竣工|建成|落实到位|结束|完毕|"
    r"实现|达标|出台|印发|验收|投运|投产|上线|通车|交付|整改到位)"
)
_DONE_RE = re.compile(_DONE_WORD)
# Negation right before the done word: 未完成, 还没有完成, 尚未全部完成, 没能办结.
_NEG_DONE = re.compile(
    r"(?:未|没|没有|尚未|还未|还没|还没有|暂未|仍未|并未|无法|不能|未能|没能|难以|不)"
    r"\s*(?:全部|完全|按期|按时|如期|彻底|能)?\s*" + _DONE_WORD
)
_NOT_STARTED = re.compile(
    r"(?:未|没|没有|尚未|还未|还没|还没有|暂未|仍未|并未)\s*(?:正式)?\s*"
    r"(?:启动|开始|开展|动工|开工|实施|着手|推进)"
)
# Degree: most of it, the main part, the first phase.
_PARTIAL = re.compile(
    r"基本(?:完成|办结|建成|完工|落实)|大部分|大部|部分(?:完成|建成|完工)|初步(?:完成|建成)|"
    r"主体(?:完成|完工)|阶段性|已完成(?:一期|首批|第一批|前期|初步)|过半|剩余|其余|尚有|还有.{0,8}未"
)
# The future: 计划/预计/将/争取 … 完成, and deadlines still ahead (年底前完成, 下月完成).
_FUTURE = re.compile(
    r"(?:计划|预计|预期|拟|将于|将在|将|准备|打算|争取|力争|有望|确保|可望|待|下一步|近期|即将|马上)"
)
_FUTURE_TIME = re.compile(
    r"(?:明年|下月|下个月|下周|下季度|下半年|年底前|年内|月底前|底前|之前|以前|前完成|内完成|"
    r"\d{1,2}月|[一二三四五六七八九十]{1,2}个?月)"
)
_ONGOING = re.compile(
    r"正在|推进中|进行中|实施中|建设中|施工中|办理中|在建|在办|开展中|有序推进|稳步推进|"
    r"加快推进|抓紧|加紧|持续推进|仍在|还在|推进|进展|开工|启动|已开展"
)
# "已" close before a done word makes it past: 已完成, 已经全部完成, 已于6月底前完成.
_PAST_DONE = re.compile(
    r"(?:已|已经|均已|都已|全部|顺利|圆满|如期|按期|按时)[^，,。；;]{0,12}?" + _DONE_WORD
)
_DONE_AFTER = re.compile(_DONE_WORD + r"\s*(?:了|啦|咯)")
# Beyond the target: done whatever figure comes with it ("完成率86%，超额完成目标").
_EXCEEDED = re.compile(r"超额完成|提前完成|圆满完成|全面完成|已达标|已完成(?:全年)?目标(?!的)")
_CLAUSES = re.compile(r"[，,。；;！!\n]")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says happened to its task: `kind` and the percentage if given."""

    kind: str | None  # done | partial | ongoing | planned | not_started | None
    percent: int | None = None

    @property
    def status(self) -> str | None:
        """The store status it amounts to: reported (done), in_progress, or None."""
        if self.kind == DONE:
            return "reported"
        return None if self.kind is None else "in_progress"


_ENGLISH_DONE = re.compile(r"(?i)(?<![a-z])(?:done|finished|completed|complete)(?![a-z])")


def _clause_kind(c: str) -> str | None:
    if _ENGLISH_DONE.search(c) and not re.search(r"(?i)not|未|没", c):
        return DONE
    if _NOT_STARTED.search(c):
        return NOT_STARTED
    if _NEG_DONE.search(c):
        return ONGOING
    if _PARTIAL.search(c):
        return PARTIAL
    done = _DONE_RE.search(c)
    if done is not None:
        past = _PAST_DONE.search(c) or _DONE_AFTER.search(c)
        before = c[: done.start()]
        if not past and (_FUTURE.search(before) or _FUTURE_TIME.search(before)):
            return PLANNED
        if not past and _FUTURE.search(c):
            return PLANNED
        return DONE
    if _FUTURE.search(c) and _FUTURE_TIME.search(c):
        return PLANNED
    if _ONGOING.search(c):
        return ONGOING
    return None


def read_status(text: str) -> Reading:
    """What `text` says happened, read clause by clause with negation, tense and degree.

    "已完成并报送" is done; "基本完成", "大部分已完成", "完成了80%" are partial;
    "计划下月完成", "预计年底前完成" planned; "尚未启动" not started; "正在推进",
    "还没有完成" under way. A done clause next to an under-way one ("已完成招标，正在施工")
    is partial. 100% is done.
    """
    value, _raw = read_percent(text)
    percent = None if value is None else round(value)
    kinds = [k for c in _CLAUSES.split(text) if (k := _clause_kind(c.strip())) is not None]
    if _EXCEEDED.search(text) and not _NEG_DONE.search(text) and NOT_STARTED not in kinds:
        return Reading(DONE, None if percent is None or percent < 100 else 100)
    if percent is not None:
        if percent >= 100 and not _NEG_DONE.search(text):
            return Reading(DONE, min(percent, 100))
        if kinds and all(k == PLANNED for k in kinds):
            return Reading(PLANNED, percent)
        return Reading(PARTIAL, percent)
    if not kinds:
        return Reading(None)
    if NOT_STARTED in kinds:
        # "尚未启动" wins over a plan to finish ("尚未启动，计划下月完成").
        return Reading(NOT_STARTED)
    if DONE in kinds:
        # Done next to anything still under way or planned: part of the work is done.
        return Reading(DONE if all(k == DONE for k in kinds) else PARTIAL)
    for k in (PARTIAL, PLANNED, ONGOING):
        if k in kinds:
            return Reading(k)
    return Reading(None)


# -- short replies and acknowledgements -----------------------------------------------------

YES = frozenset({"是", "是的", "对", "对的", "确认", "确定", "没错", "正确", "y", "yes", "是是"})
SOFT_YES = frozenset(
    {
        "好",
        "好的",
        "嗯",
        "嗯嗯",
        "行",
        "可以",
        "ok",
        "okay",
        "没问题",
        "好滴",
        "好嘞",
        "可",
        "ok的",
    }
    | {"okk", "好哒", "行的", "可以的"}
)
NO = frozenset(
    {"否", "不", "不是", "不对", "取消", "算了", "n", "no", "不用", "不用了", "不要", "先不要"}
)
HELP = frozenset({"帮助", "help", "?", "？", "菜单", "怎么用", "使用说明", "如何使用"})
MY_TASKS = frozenset(
    {"任务", "我的任务", "查看任务", "任务列表", "我们的任务", "本单位任务", "我单位任务"}
)
ACK_WORD = (
    r"(?:收到了?|已收到|明白了?|知道了|了解了?|已阅|已知悉|知悉|谢谢(?:提醒)?|感谢|多谢"
    r"|辛苦了?|好的?|嗯+|ok|行)"
)
# "收到，我们抓紧落实", "好的，马上办": an acknowledgement with a promise, nothing reported.
WILL_DO = (
    r"(?:我们|我局|我委|我单位)?(?:马上|立即|立刻|抓紧|尽快|会|将|一定)+"
    r"(?:办|落实|办理|处理|推进|报送|跟进|安排|完成)?(?:的)?"
    r"|已?(?:转|交|转交|转给|安排)[^，,。]{0,8}(?:办理|落实|处理|跟进)"
)
# Atomic groups: "嗯嗯嗯…x" must fail in linear time, not try every split of the 嗯s.
ACK = re.compile(rf"^(?>{ACK_WORD})(?>[,， ]*(?>{ACK_WORD}|{WILL_DO}))*$")
MY_TASKS_SENTENCE = re.compile(
    r"^(?:请|帮我)?(?:查看|查询|看看|看一下|列出)?(?:一下)?(?:我们|我局|我委|本单位|我单位|我们单位|我的)?"
    r"(?:有|的)?(?:哪些|什么)?(?:任务|事项)(?:有哪些|都有哪些|列表|清单)?[?？]*$"
)
HELP_SENTENCE = re.compile(r"^(?:请问)?(?:怎么|如何|怎样)(?:报送|回复|使用|用|操作|填报|报|写)")
CHOICE = re.compile(r"^(?:选|选择|是|第)?\s*([1-9]|[一二三四五六七八九])\s*(?:个|项|号|条)?$")
CN_DIGIT = {c: i + 1 for i, c in enumerate("一二三四五六七八九")}
TRAILING_PUNCT = " 。.!！?？~～,，"
