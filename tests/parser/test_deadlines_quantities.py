"""Chinese time expressions -> due dates, and the quantities commitments name."""

from __future__ import annotations

from datetime import date

import pytest

from parser.deadlines import commitments, find_times, five_year_end
from parser.quantities import first_quantity, quantities

PERIOD_END = date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "expression", "due"),
    [
        ("到2025年，全市充电网络分布合理", "2025年", date(2025, 12, 31)),
        ("2023年底前“无废城市”框架初步形成", "2023年底前", date(2023, 12, 31)),
        ("2023年力争全市新建充电桩1万台", "2023年", date(2023, 12, 31)),
        ("2024年6月底前完成方案编制", "2024年6月底前", date(2024, 6, 30)),
        ("2012年起5年内，重点引进人才2000名", "2012年起5年内", date(2016, 12, 31)),
        ("从2021年开始三年内基本建成", "2021年开始三年内", date(2023, 12, 31)),
        ("“十四五”期末基本实现零填埋", "“十四五”期末", PERIOD_END),
        ("“十四五”期间煤炭消费总量实现负增长", "“十四五”期间", PERIOD_END),
        ("十四五末建成体系", "十四五末", PERIOD_END),
        ("在线监控设施于2025年底前全部安装到位", "2025年底前", date(2025, 12, 31)),
        ("2024年第三季度完成系统升级", "2024年第三季度", date(2024, 9, 30)),
        ("2024年一季度启动", "2024年一季度", date(2024, 3, 31)),
        ("2024年上半年建成单一窗口", "2024年上半年", date(2024, 6, 30)),
        ("2024年下半年全面推开", "2024年下半年", date(2024, 12, 31)),
        ("2024年6月30日前出台办法", "2024年6月30日前", date(2024, 6, 30)),
        ("2024年2月底前完成", "2024年2月底前", date(2024, 2, 29)),
        ("2023—2025年每年新增就业岗位5万个", "2023—2025年", date(2025, 12, 31)),
        ("2023年至2025年累计完成", "2023年至2025年", date(2025, 12, 31)),
        ("2012－2015年，城镇年均新增就业5万人", "2012－2015年", date(2015, 12, 31)),
        ("2024年10月中旬前完成", "2024年10月中旬前", date(2024, 10, 20)),
        ("2024年年底前实现全覆盖", "2024年年底前", date(2024, 12, 31)),
        ("2024年度完成考核", "2024年度", date(2024, 12, 31)),
        ("2023年启动试点，9月30日前出台办法", "9月30日前", date(2023, 9, 30)),
        ("6月底前完成年度集中排查", "6月底前", date(2025, 6, 30)),
        ("年底前建成服务平台", "年底前", date(2025, 12, 31)),
        ("全年新增新能源公交车500辆", "全年", date(2025, 12, 31)),
    ],
)
def test_time_expressions(text: str, expression: str, due: date) -> None:
    times = find_times(text, PERIOD_END)
    hit = [t for t in times if text[t.start : t.end] == expression]
    assert hit, [text[t.start : t.end] for t in times]
    assert hit[0].due == due


@pytest.mark.parametrize(
    "text",
    [
        "每年6月底前报送统计数据",
        "每年年底前开展评估",
        "3个月内完成整改",
        "2月30日前",
        "13月底前",
        "开展全年度、全方位攻坚",
    ],
)
def test_not_a_due_date(text: str) -> None:
    assert find_times(text, PERIOD_END) == []


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        ("到2025年，基本淘汰国三及以下排放标准汽车", True),
        ("力争2023年底前框架初步形成", True),
        ("1.到2024年，建成示范区3个", True),
        ("设施于2025年底前全部安装到位", True),
        ("贯彻落实《山西省2022年大气污染防治方案》要求", False),
        ("2021年以来累计完成改造", False),
        ("自2024年起全面实施", False),
        ("比2020年下降13.5%", False),
        # a year of ongoing work has nothing due; a deliverable in that year has
        ("2024年持续推进平台建设，用户规模稳步提升", False),
        ("2025年继续完善服务功能", False),
        ("2024年完成平台一期建设", True),
        ("2024年底前持续完善并上线", True),
    ],
)
def test_which_dates_are_commitments(text: str, dated: bool) -> None:
    assert bool(commitments(text, PERIOD_END)) is dated


def test_five_year_plan_end() -> None:
    assert five_year_end("太原市“十四五”节能减排实施方案") == date(2025, 12, 31)
    assert five_year_end("“十五五”规划") == date(2030, 12, 31)
    assert five_year_end("2024年工作要点") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2023年力争全市新建充电桩1万台", "1万台"),
        ("全市农膜回收率达85%以上", "85%"),
        ("节能改造规模不低于144万千瓦", "144万千瓦"),
        ("供电煤耗降至300克标准煤/千瓦时以下", "300克标准煤/千瓦时"),
        ("180万吨/年及以上生产煤矿", "180万吨/年"),
        ("建成5G基站3.5万个", "3.5万个"),
        ("预算安排资金10亿元", "10亿元"),
        ("开办时间压缩至1个工作日以内", "1个工作日"),
        ("比重提高2个百分点", "2个百分点"),
        ("累计达到 3500 吨", "3500吨"),
        ("到2025年完成", None),
        ("持续3年", None),
        ("优良天数达到250天以上", "250天"),
        ("通关时间压缩至30小时以内", "30小时"),
        ("提供24小时服务", None),
        ("推进第3批项目建设", None),
    ],
)
def test_quantities(text: str, value: str | None) -> None:
    assert first_quantity(text) == value


def test_every_quantity_with_its_place() -> None:
    text = "覆盖率分别达到55%、45%以上"
    assert [(text[a:b], v) for a, b, v in quantities(text)] == [("55%", "55%"), ("45%", "45%")]


def test_rankings_and_headcounts_are_quantities() -> None:
    found = [
        q for _a, _b, q in quantities("进入全国前20名，排名第5位，稳定在前10位，配备3名专职人员")
    ]
    assert found == ["20名", "10位", "3名"]  # "第5位" is an ordinal, not a target
