"""Free-text replies matched against the sender's open tasks.

"充电桩建设已经完成了" has no command; the bot finds which of the sender's tasks it is
about and what it says about it, then asks before it writes anything. Ranking uses
jieba words plus character bigrams (jieba splits 充电桩 into 充电/桩, and people write
task names in their own words), each weighted by how rare it is among the candidate
tasks, measured as the share of the message's keywords a task explains: task texts
are long, messages short.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba

from bot.conversation.words import fold, read_percent, read_status

# Status and filler words: they say what happened, not which task it happened to.
_STOP = frozenset(
    {
        *("完成", "已完成", "全部完成", "基本完成", "办结", "完工", "竣工", "建成", "落实"),
        *("推进", "进展", "进度", "正在", "进行", "进行中", "开展", "启动", "实施", "推动"),
        *("已经", "目前", "现在", "今天", "本月", "已于", "顺利", "按时", "按期", "全面"),
        *("我们", "我局", "我委", "本单位", "单位", "工作", "任务", "事项", "情况", "项目"),
        *("相关", "有关", "加快", "加强", "积极", "报告", "报送", "汇报", "一下", "麻烦"),
        *("这个", "那个", "这项", "该项", "已", "均", "都", "请", "的", "了", "和", "与"),
        *("及", "在", "是", "有"),
    }
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Candidate:
    task_id: str
    score: float  # 0..1; 1.0 when the message names the task id


@dataclass(frozen=True, slots=True)
class MatchResult:
    candidates: tuple[Candidate, ...]  # best first, only those with any overlap
    status: str | None  # reported | in_progress | None when the message does not say
    percent: int | None = None

    def best(self, min_score: float = 0.25, margin: float = 0.1) -> Candidate | None:
        """The one task to ask about, or None when nothing fits or two fit about equally."""
        if not self.candidates or self.candidates[0].score < min_score:
            return None
        top = self.candidates[0]
        if len(self.candidates) > 1 and top.score - self.candidates[1].score < margin:
            return None
        return top


def guess_status(text: str) -> tuple[str | None, int | None]:
    """What the message says happened: (reported | in_progress | None, percent | None).

    Read by `words.read_status`: "计划下月完成", "大部分已完成", "完成了百分之六十"
    are progress, not completion.
    """
    reading = read_status(fold(text))
    return reading.status, reading.percent


class TaskMatcher:
    """Ranks a sender's open tasks against a free-text message.

    Create one per process and reuse it: it owns a private `jieba.Tokenizer` (never
    the global `jieba.dt`) that loads its ~0.5 s dictionary on first use, once, and it
    caches the keywords of task texts it has seen.
    """

    def __init__(self, userdict: Path | None = None, cache_size: int = 20_000) -> None:
        self._userdict = userdict
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, frozenset[str]] = {}
        self._cache_size = cache_size

    def _tok(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    # jieba logs its dictionary loading at DEBUG on its own stderr handler.
                    logging.getLogger("jieba").setLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    if self._userdict is not None:
                        tok.load_userdict(str(self._userdict))
                    self._tokenizer = tok
        return self._tokenizer

    def warm(self) -> None:
        """Load the dictionary now (at startup) rather than on the first free-text message."""
        self._tok()

    def keywords(self, text: str) -> frozenset[str]:
        """Content words (≥ 2 chars) and CJK character bigrams of `text`, status words removed."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        words: set[str] = set()
        run: list[str] = []

        def flush() -> None:
            joined = "".join(run)
            words.update(joined[i : i + 2] for i in range(len(joined) - 1))
            run.clear()

        for w in self._tok().lcut(text):
            w = w.strip()
            if not w or w in _STOP or not _CJK.search(w):
                # Stop words and punctuation break bigram runs: "桩" + "已经" is no keyword.
                flush()
                if len(w) >= 2 and w.isalnum() and not w.isdigit() and w not in _STOP:
                    words.add(w.lower())
                continue
            if len(w) >= 2:
                words.add(w)
            run.append(w)
        flush()
        result = frozenset(words)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()  # crude but bounded; task texts change rarely
        self._cache[text] = result
        return result

    def match(self, text: str, tasks: Iterable[tuple[str, str]]) -> MatchResult:
        """Rank (task id, task text) pairs against `text`; guess the status it reports."""
        task_list: Sequence[tuple[str, str]] = list(tasks)
        status, percent = guess_status(text)
        folded = unicodedata.normalize("NFKC", text)
        named = {tid for tid, _ in task_list if _names_id(folded, tid)}
        # "百分之八十五" says how far, not which task: its characters are no keywords.
        _pct, pct_raw = read_percent(folded)
        msg = self.keywords(folded.replace(pct_raw, " ") if pct_raw else text)
        task_kw = [(tid, self.keywords(ttext)) for tid, ttext in task_list]
        n = len(task_kw)
        df: dict[str, int] = {}
        for _, kws in task_kw:
            for k in kws & msg:
                df[k] = df.get(k, 0) + 1
        # Rarer among the candidates = more telling; words no task has count too, so a
        # message about something else scores low everywhere.
        weight = {k: math.log(1 + (n + 1) / (1 + df.get(k, 0))) for k in msg}
        total = sum(weight.values()) or 1.0
        scored = []
        for tid, kws in task_kw:
            score = 1.0 if tid in named else sum(weight[k] for k in kws & msg) / total
            if score > 0:
                scored.append(Candidate(tid, round(score, 4)))
        scored.sort(key=lambda c: (-c.score, c.task_id))
        return MatchResult(tuple(scored), status, percent)


def _names_id(text: str, task_id: str) -> bool:
    # "3.8.3已完成" names 3.8.3; "13.8.3" or "3.8.31" do not.
    return re.search(rf"(?<![\d.]){re.escape(task_id)}(?![\d]|\.\d)", text) is not None
