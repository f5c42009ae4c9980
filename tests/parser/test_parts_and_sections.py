"""Plans laid out in 第X章 / 第X节 parts (规划-style), with 一、 chapters inside them."""

from __future__ import annotations

from datetime import date

from parser.pipeline import parse_text

SECTIONS = """杭州市推进数字经济高质量发展实施方案
第一章 总体要求
第一节 发展目标
到2025年，数字经济核心产业增加值达到7000亿元，占GDP比重达到30%。
第二章 主要任务
一、做强数字产业
1.打造集成电路产业集群。力争2024年底前集成电路产业规模突破800亿元。
牵头单位：市经信局
配合单位：市发改委、市科技局
2.培育人工智能产业。2025年6月前建成市级人工智能创新平台10个。
牵头单位：市科技局
二、推进产业数字化
1.推动制造业数字化转型。到2025年，规上工业企业数字化改造覆盖率达到95%。
责任单位：市经信局、各区、县（市）政府
"""

RESTARTING = """某市生态环境保护行动方案
第一章 发展目标
到2026年，地表水国考断面优良比例达到90%。
第二章 深入打好蓝天保卫战
一、推进工业污染治理
1.实施钢铁超低排放改造。2024年底前全部完成。（市生态环境局牵头，市工信局配合）
二、加强移动源管控
1.淘汰老旧柴油车。2023年底前淘汰国三柴油车5000辆。（市交通局牵头，市生态环境局配合）
第三章 深入打好碧水保卫战
一、加强水源地保护
1.完成饮用水水源地规范化建设。2025年底前完成。（市生态环境局牵头，市水务局配合）
"""


def test_goals_under_a_section_heading_and_period_from_them() -> None:
    plan = parse_text(SECTIONS)
    assert [g.value for g in plan.goals] == ["7000亿元", "30%"]
    assert plan.document.period_end == date(2025, 12, 31)
    assert [m.id for m in plan.measures] == ["1.1", "1.2", "2.1"]
    assert plan.measures[0].lead == "市经信局"


def test_chapters_restarting_in_each_part_get_the_part_number() -> None:
    plan = parse_text(RESTARTING)
    assert [m.id for m in plan.measures] == ["2.1.1", "2.2.1", "3.1.1"]
    assert [ms.id for m in plan.measures for ms in m.milestones] == [
        "2.1.1.1",
        "2.2.1.1",
        "3.1.1.1",
    ]
    assert [m.lead for m in plan.measures] == ["市生态环境局", "市交通局", "市生态环境局"]


def test_period_end_falls_back_to_the_last_dated_commitment() -> None:
    text = RESTARTING.replace("到2026年，", "")
    plan = parse_text(text)
    assert plan.goals and plan.goals[0].value == "90%"
    assert plan.document.period_end == date(2025, 12, 31)
