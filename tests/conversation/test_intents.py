"""Chat text -> Intent, and the free-text matcher, against tables of what people type."""

from __future__ import annotations

from datetime import date

import pytest

from bot.conversation.intents import (
    ApproveExtension,
    Batch,
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
    TaskMatcher,
    Urge,
    normalize_task_id,
    parse_date,
    parse_intent,
)
from bot.conversation.matching import guess_status

TODAY = date(2024, 5, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3.4.2", "3.4.2"),
        ("3.4-2", "3.4.2"),
        ("３．４．２", "3.4.2"),
        ("T3.4.2", "3.4.2"),
        ("t3.4.2", "3.4.2"),
        ("3。4。2", "3.4.2"),
        ("3、4、2", "3.4.2"),
        ("3.04.02", "3.4.2"),
        ("3.4", "3.4"),
        ("12.10.3", "12.10.3"),
        ("G1", "G1"),
        ("ｇ２", "G2"),
        # A task-table row is a bare number, and a three-level measure's milestone has
        # four parts: both are ids the parser makes (parser/ids.py).
        ("3", "3"),
        ("3.4.2.1", "3.4.2.1"),
        ("3.4.2.1.5", None),
        ("abc", None),
        ("2024-06-30", None),
    ],
)
def test_normalize_task_id(raw: str, expected: str | None) -> None:
    assert normalize_task_id(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("任务", MyTasks()),
        ("我的任务", MyTasks()),
        ("  我的任务！", MyTasks()),
        ("帮助", Help()),
        ("？", Help()),
        ("完成 3.4.2", Done("3.4.2", "")),
        ("完成3.4.2", Done("3.4.2", "")),
        ("完成 ３．４．２ 已全部建成", Done("3.4.2", "已全部建成")),
        ("完成　T3.4-2，已建成。", Done("3.4.2", "已建成")),
        ("完成：3.4.2", Done("3.4.2", "")),
        ("完成 3.4.2。", Done("3.4.2", "")),
        ("完成 G1", Done("G1", "")),
        ("进度 3.4.2 60%", Progress("3.4.2", 60, "")),
        ("进度 3.4.2 ６０％ 已签约两家", Progress("3.4.2", 60, "已签约两家")),
        ("进度3.4.2 60 % 已签约", Progress("3.4.2", 60, "已签约")),
        ("进度 3.4.2 已完成60%，剩余在建", Progress("3.4.2", 60, "已完成60%，剩余在建")),
        ("进度 3.4.2 60", Progress("3.4.2", 60, "")),
        ("进度 3.4.2 已签约两个项目", Progress("3.4.2", None, "已签约两个项目")),
        ("进度 3.4", ProgressQuery("3.4")),
        ("进度 3.4.2", ProgressQuery("3.4.2")),
        ("延期 3.4.2 2024-06-30 资金未到位", Extend("3.4.2", date(2024, 6, 30), "资金未到位")),
        (
            "延期 3.4.2 2024年6月30日 设备延迟到货",
            Extend("3.4.2", date(2024, 6, 30), "设备延迟到货"),
        ),
        ("延期 3.4.2 2024/6/30 原因", Extend("3.4.2", date(2024, 6, 30), "原因")),
        ("延期 3.4.2 至2024.6.30，原因", Extend("3.4.2", date(2024, 6, 30), "原因")),
        ("延期3.4.2到2024年6月底 审批未完成", Extend("3.4.2", date(2024, 6, 30), "审批未完成")),
        ("延期 3.4.2 ２０２４－０６－３０ 原因", Extend("3.4.2", date(2024, 6, 30), "原因")),
        ("延期 3.4.2 6月30日 原因", Extend("3.4.2", date(2024, 6, 30), "原因")),
        ("延期 3.4.2 3月31日 原因", Extend("3.4.2", date(2025, 3, 31), "原因")),  # next one
        ("延期 3.4.2 因资金问题 2024-06-30", Extend("3.4.2", date(2024, 6, 30), "因资金问题")),
        ("延期 3.4.2 2024-02-30 原因", Malformed("延期", "bad_date", "2024-02-30")),
        ("延期 3.4.2 2024-13-01 原因", Malformed("延期", "bad_date", "2024-13-01")),
        ("延期 3.4.2 2024年6月31日 原因", Malformed("延期", "bad_date", "2024年6月31日")),
        ("延期 3.4.2 2024-6 原因", Malformed("延期", "bad_date", "2024-6")),
        # Relative dates resolve against today (2024-05-01): the end of next month.
        ("延期 3.4.2 下个月 原因", Extend("3.4.2", date(2024, 6, 30), "原因")),
        ("延期 3.4.2 原因", Malformed("延期", "missing_date", "原因")),
        ("延期 3.4.2 2024-06-30", Malformed("延期", "missing_reason")),
        ("延期", Malformed("延期", "missing_id")),
        ("延期 abc 2024-06-30 x", Malformed("延期", "bad_id", "abc 2024-06-30 x")),
        ("完成", Malformed("完成", "missing_id")),
        ("进度 3.4.2 160%", Malformed("进度", "bad_percent", "160%")),
        ("逾期", Overdue(None)),
        ("逾期 市能源局", Overdue("市能源局")),
        ("逾期：市能源局", Overdue("市能源局")),
        ("统计", Stats()),
        ("统计一下", Stats()),
        ("销号 3.4.2", Close("3.4.2")),
        ("销号 3.4.2.1.5", Malformed("销号", "bad_id", "3.4.2.1.5")),
        ("退回 3.4.2 佐证材料不全", Return("3.4.2", "佐证材料不全")),
        ("退回 3.4.2", Malformed("退回", "missing_reason")),
        ("批准延期 3.4.2", ApproveExtension("3.4.2")),
        ("驳回延期 3.4.2", RejectExtension("3.4.2", "")),
        ("驳回延期 3.4.2 理由不充分", RejectExtension("3.4.2", "理由不充分")),
        ("催办 市能源局", Urge("市能源局")),
        ("催办", Malformed("催办", "missing_department")),
        ("是", Confirm(True)),
        ("是的。", Confirm(True)),
        ("确认", Confirm(True)),
        ("否", Confirm(False)),
        ("不是", Confirm(False)),
        ("取消", Confirm(False)),
        ("完成了充电桩建设", FreeText("完成了充电桩建设")),
        ("充电桩建设已经完成了", FreeText("充电桩建设已经完成了")),
        ("是否需要报送？", FreeText("是否需要报送？")),
    ],
)
def test_parse_intent(text: str, expected: Intent) -> None:
    assert parse_intent(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3.8.5希望推迟到下季度末，资金未下达", "资金未下达"),
        ("3.8.5能不能延期到6月底？试点企业还在办手续", "试点企业还在办手续"),
        ("申请3.8.5延期到明年3月底，原因是设备到货推迟", "设备到货推迟"),
        ("申请将3.8.6的完成时限延长至2024年底，理由：资金需分年度安排", "资金需分年度安排"),
    ],
)
def test_extension_reason_is_the_reason(text: str, reason: str) -> None:
    intent = parse_intent(text, TODAY)
    assert isinstance(intent, Extend) and intent.reason == reason


def test_each_id_with_its_own_status() -> None:
    assert parse_intent("3.8.3已完成，3.8.5正在推进，3.8.6完成了40%", TODAY) == Batch(
        (
            Done("3.8.3", "3.8.3已完成", worded=True),
            Progress("3.8.5", None, "3.8.5正在推进", "ongoing"),
            Progress("3.8.6", 40, "3.8.6完成了40%", "partial"),
        )
    )
    both = parse_intent("3.8.3和3.8.5都已完成", TODAY)
    assert isinstance(both, Batch) and all(isinstance(i, Done) for i in both.items)


def test_date_without_year_needs_today() -> None:
    assert parse_intent("延期 3.4.2 6月30日 原因") == Malformed(
        "延期", "date_without_year", "6月30日"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-30", (date(2024, 6, 30), "")),
        ("2024年2月底", (date(2024, 2, 29), "")),  # leap year
        ("2023年2月底", (date(2023, 2, 28), "")),
        ("2024年底", (date(2024, 12, 31), "")),
        ("2024年6月", (date(2024, 6, 30), "")),
        ("12/31", (date(2024, 12, 31), "")),
        ("原因是1.5万元未到位", (None, "missing_date")),  # a number, not a date
        ("2月29日", (None, "bad_date")),  # 2024-02-29 has passed; 2025 has none
    ],
)
def test_parse_date(text: str, expected: tuple[date | None, str]) -> None:
    found, problem, _ = parse_date(text, TODAY)
    assert (found, problem) == expected


# -- free text ---------------------------------------------------------------------------------

OPEN_TASKS = [
    ("3.4.2", "2023年力争全市新建充电桩1万台"),
    ("3.8.3", "2023年力争再新推动1个绿色开采试点建设"),
    ("3.8.4", "到2025年全市其他各类生产煤矿智能化全部开工建设"),
    ("3.10.1", "推进龙城污水处理厂新建工程，实现生活污水全收集全处理"),
]


@pytest.fixture(scope="module")
def matcher() -> TaskMatcher:
    return TaskMatcher()


@pytest.mark.parametrize(
    ("text", "best", "status", "percent"),
    [
        ("充电桩建设已经完成了", "3.4.2", "reported", None),
        ("新建充电桩1万台已办结", "3.4.2", "reported", None),
        ("绿色开采试点正在推进", "3.8.3", "in_progress", None),
        ("绿色开采试点尚未完成，预计下月", "3.8.3", "in_progress", None),
        ("煤矿智能化建设完成60%", "3.8.4", "in_progress", 60),
        ("龙城污水处理厂新建工程已经竣工", "3.10.1", "reported", None),
        ("3.8.3已经完成", "3.8.3", "reported", None),
        ("３．８．３已经完成", "3.8.3", "reported", None),
        ("今天天气不错", None, None, None),
    ],
)
def test_matcher(
    matcher: TaskMatcher, text: str, best: str | None, status: str | None, percent: int | None
) -> None:
    result = matcher.match(text, OPEN_TASKS)
    top = result.best()
    assert (top.task_id if top else None) == best
    assert (result.status, result.percent) == (status, percent)


def test_matcher_ranks_the_right_task_first_and_says_when_unsure(matcher: TaskMatcher) -> None:
    result = matcher.match("充电桩建设已经完成了", OPEN_TASKS)
    assert result.candidates[0].task_id == "3.4.2"
    assert all(c.score < result.candidates[0].score for c in result.candidates[1:])
    # Two tasks about the same thing: ask which, do not guess.
    twins = [("1.1", "新建充电桩5000台"), ("1.2", "新建充电桩1万台")]
    assert matcher.match("充电桩建好了", twins).best() is None
    assert matcher.match("随便说点什么", []).candidates == ()


def test_matcher_loads_its_own_tokenizer_once(matcher: TaskMatcher) -> None:
    import jieba

    matcher.match("充电桩", OPEN_TASKS)
    tok = matcher._tokenizer
    assert tok is not None and tok is not jieba.dt
    matcher.match("污水处理", OPEN_TASKS)
    assert matcher._tokenizer is tok
    assert TaskMatcher()._tokenizer is None  # lazily: nothing loaded until first use


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("已完成", ("reported", None)),
        ("全部办结", ("reported", None)),
        ("没有完成", ("in_progress", None)),
        ("基本完成", ("in_progress", None)),
        ("正在推进", ("in_progress", None)),
        ("完成100%", ("reported", 100)),
        ("完成３０％", ("in_progress", 30)),
        ("收到", (None, None)),
    ],
)
def test_guess_status(text: str, expected: tuple[str | None, int | None]) -> None:
    assert guess_status(text) == expected
