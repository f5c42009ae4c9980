"""The seed plan (太原市“十四五”节能减排实施方案): every measure, unit, milestone and goal.

The expected tables below were written by reading the seed text, not by
copying the parser's output.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date

import pytest
from plan_files import SEED, TASKBOT

from parser.model import Plan
from parser.pipeline import parse_document, parse_text

FGW = "市发展改革委"
GXJ = "市工业和信息化局"
STJ = "市生态环境局"
NYJ = "市能源局"
SJJ = "市市场监管局"
COUNTY = ("县（市、区）政府", "开发区管委会")

# id: (chapter, title, lead, cooperating before the county cooperators)
MEASURES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "3.1": ("重点工程", "重点行业升级改造工程", STJ, (FGW, GXJ, SJJ, NYJ)),
    "3.2": ("重点工程", "园区节能环保水平提质工程", GXJ, (STJ, FGW, NYJ)),
    "3.3": (
        "重点工程",
        "城镇绿色节能改造工程",
        "市城乡管理局",
        ("市住建局", FGW, "市规划和自然资源局", NYJ),
    ),
    "3.4": (
        "重点工程",
        "交通物流节能减排工程",
        FGW,
        (NYJ, STJ, "市财政局", GXJ, "市交通局", "市商务局", SJJ, "市邮政管理局"),
    ),
    "3.5": ("重点工程", "实施农业农村节能减排工程", "市农业农村局", (STJ, SJJ, NYJ, "市水务局")),
    "3.6": ("重点工程", "公共机构能效提升工程", "市机关事务局", ("市住建局", "市财政局", NYJ)),
    "3.7": (
        "重点工程",
        "重点区域污染物减排工程",
        "市水务局",
        (STJ, FGW, "市城乡管理局", GXJ),
    ),
    "3.8": ("重点工程", "煤炭绿色开发利用工程", NYJ, (FGW, STJ, GXJ, "市科技局", SJJ)),
    "3.9": ("重点工程", "挥发性有机物综合整治工程", STJ, (GXJ, "市交通局")),
    "3.10": ("重点工程", "环境基础设施水平提升工程", STJ, (FGW, "市城乡管理局", "市水务局")),
    "4.1": ("制度体系", "不断完善能耗双控制度", NYJ, (FGW, "市统计局")),
    "4.2": ("制度体系", "健全污染物排放总量控制制度", STJ, ("市规划和自然资源局", FGW)),
    "4.3": (
        "制度体系",
        "遏制“两高”项目盲目发展",
        FGW,
        (STJ, NYJ, GXJ, "市应急局", "市规划和自然资源局", "市水务局", "市金融办"),
    ),
    "4.4": (
        "制度体系",
        "依法依规推动节能减排",
        STJ,
        (NYJ, "市水务局", "市机关事务局", "市司法局"),
    ),
    "4.5": ("制度体系", "强化资金政策支持力度", "市金融办", (STJ, NYJ, "市财政局", FGW)),
    "4.6": ("制度体系", "加大科技创新支持力度", "市科技局", (NYJ, STJ)),
    "4.7": ("制度体系", "激活碳市场交易活力", STJ, (NYJ, SJJ, FGW)),
    "4.8": (
        "制度体系",
        "加强节能减排统计监测能力建设",
        STJ,
        (NYJ, "市统计局", "市交通局", SJJ, FGW),
    ),
    "4.9": ("制度体系", "强化执法队伍建设", NYJ, (STJ,)),
    "5.1": ("保障措施", "加强组织领导", FGW, (STJ, NYJ)),
    "5.2": ("保障措施", "倡导全民参与", "市机关事务局", (NYJ, FGW, "市科技局", STJ, SJJ)),
    "5.3": ("保障措施", "严格监督考核", NYJ, (STJ, FGW)),
}

Y23, Y25 = date(2023, 12, 31), date(2025, 12, 31)
# milestone id: (due, start of its text, value or None when there is no target quantity)
MILESTONES: dict[str, tuple[date, str, str | None]] = {
    "3.3.1": (Y23, "力争2023年底前“无废城市”建设管理制度", None),
    "3.4.1": (Y25, "2025年，大宗货物年货运量150万吨及以上的", "150万吨"),
    "3.4.2": (Y23, "2023年力争全市新建充电桩1万台", "1万台"),
    "3.4.3": (Y25, "到2025年，全市充（换）电网络分布合理", None),
    "3.4.4": (Y23, "2023年机场、铁路货场等新增或更换作业车辆", None),
    "3.4.5": (Y25, "到2025年，基本淘汰国三及以下排放标准汽车", None),
    "3.5.1": (Y25, "到2025年，全市农膜回收率达85%以上", "85%"),
    "3.5.2": (Y25, "到2025年，主要农作物绿色防控、统防统治覆盖率分别达到55%", "55%"),
    "3.6.1": (Y25, "到2025年，创建30家省级以上节约型公共机构示范单位", "30家"),
    "3.7.1": (Y25, "到2025年，晋阳湖公园二期工程基本完成", None),
    "3.8.1": (Y25, "“十四五”时期节能改造规模不低于144万千瓦", "144万千瓦"),
    "3.8.2": (Y25, "到2025年煤电机组平均供电煤耗降至300克标准煤/千瓦时以下", "300克标准煤/千瓦时"),
    "3.8.3": (Y23, "确保2023年全市180万吨/年及以上生产煤矿智能化建设开工建设", "180万吨/年"),
    "3.8.4": (Y25, "到2025年全市其他各类生产煤矿智能化全部开工建设", None),
    "3.8.5": (Y23, "2023年力争再新推动1个绿色开采试点建设", "1个"),
    "3.8.6": (Y25, "到2025年逐步构建全市煤矿绿色开采工作体系", None),
    "3.8.7": (Y25, "“十四五”期间煤炭消费总量实现负增长", None),
    "3.10.1": (Y25, "“十四五”期末基本实现全市域原生生活垃圾全焚烧零填埋", None),
    "3.10.2": (Y25, "到2025年，城市生活垃圾无害化处理率达到100%", "100%"),
    "4.5.1": (Y23, "2023年预算安排工业转型升级和高质量发展资金10亿元", "10亿元"),
    "4.5.2": (Y23, "到2023年，政府采购政策工具不断丰富", "90%"),
    "4.5.3": (Y25, "到2025年，有利于绿色低碳发展的政府采购政策执行更加科学", None),
    "4.8.1": (
        Y25,
        "涉及挥发性有机物排放的重点排污单位在线监控监测设施于2025年底前全部安装到位",
        None,
    ),
}

GOAL_VALUES = ["14.5%", "16.5%", "100%", "3500吨", "390吨", "3050吨", "1160吨"]


def test_document_info(seed_plan: Plan) -> None:
    doc = seed_plan.document
    assert doc.title == "太原市“十四五”节能减排实施方案"
    assert doc.source == SEED.name
    assert doc.period_end == Y25
    assert len(doc.sha256) == 64
    assert seed_plan.county_cooperators == COUNTY


def test_exactly_the_22_measures(seed_plan: Plan) -> None:
    ids = [m.id for m in seed_plan.measures]
    assert ids == [f"3.{i}" for i in range(1, 11)] + [f"4.{i}" for i in range(1, 10)] + [
        "5.1",
        "5.2",
        "5.3",
    ]


@pytest.mark.parametrize("mid", list(MEASURES))
def test_measure_lead_and_cooperating(seed_plan: Plan, mid: str) -> None:
    chapter, title, lead, coop = MEASURES[mid]
    m = next(m for m in seed_plan.measures if m.id == mid)
    assert (m.chapter, m.title, m.lead) == (chapter, title, lead)
    assert m.cooperating == coop + COUNTY


def test_no_unit_is_left_unresolved(seed_plan: Plan) -> None:
    assert seed_plan.warnings == ()
    for m in seed_plan.measures:
        for unit in (m.lead, *m.cooperating):
            assert unit and "\n" not in unit and "*" not in unit and not unit.startswith("各")


def test_the_23_milestones(seed_plan: Plan) -> None:
    got = {ms.id: ms for m in seed_plan.measures for ms in m.milestones}
    assert sorted(got) == sorted(MILESTONES)
    for mid, (due, head, value) in MILESTONES.items():
        ms = got[mid]
        assert ms.due == due, mid
        assert ms.text.startswith(head), (mid, ms.text)
        assert ms.value == value, (mid, ms.value)
    assert got["3.4.2"].text == "2023年力争全市新建充电桩1万台"


def test_milestone_ids_follow_their_measure(seed_plan: Plan) -> None:
    for m in seed_plan.measures:
        assert [ms.id for ms in m.milestones] == [
            f"{m.id}.{k}" for k in range(1, len(m.milestones) + 1)
        ]


def test_the_7_goals(seed_plan: Plan) -> None:
    assert [g.id for g in seed_plan.goals] == [f"G{i}" for i in range(1, 8)]
    assert [g.value for g in seed_plan.goals] == GOAL_VALUES
    assert all(g.due == Y25 for g in seed_plan.goals)
    assert seed_plan.goals[0].text == "单位地区生产总值能耗强度降低基本目标下降14.5%"


def test_every_span_is_the_text_it_came_from(seed_plan: Plan) -> None:
    text = seed_plan.text
    for g in seed_plan.goals:
        assert text[g.span[0] : g.span[1]] == g.text
    for m in seed_plan.measures:
        assert text[m.span[0] : m.span[1]] == m.text
        assert m.text.startswith("（") and m.title in m.text
        for ms in m.milestones:
            assert text[ms.span[0] : ms.span[1]] == ms.text
            assert m.span[0] <= ms.span[0] < ms.span[1] <= m.span[1]


def test_normalized_text_has_no_page_break_debris(seed_plan: Plan) -> None:
    text = seed_plan.text
    assert "可再生能源应用" in text and "可再\n" not in text
    assert "**" not in text and "2025 年" not in text
    measure = next(m for m in seed_plan.measures if m.id == "3.1")
    assert "市能源局等按职责分工负责" in measure.text


def test_same_ids_on_reparse(seed_plan: Plan) -> None:
    again = parse_document(SEED)
    assert again.to_dict() == seed_plan.to_dict()
    from_text = parse_text(SEED.read_text(encoding="utf-8"), source=SEED.name)
    assert from_text.to_dict() == seed_plan.to_dict()


def test_dict_round_trip(seed_plan: Plan) -> None:
    assert Plan.from_dict(seed_plan.to_dict()) == seed_plan


def test_cli_json_follows_the_contract(seed_plan: Plan) -> None:
    proc = subprocess.run(
        [str(TASKBOT), "parse", str(SEED), "--format", "json"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout.decode("utf-8"))
    assert {"document", "county_cooperators", "goals", "measures"} <= data.keys()
    assert set(data["document"]) >= {"title", "source", "sha256", "period_end"}
    assert data["document"]["period_end"] == "2025-12-31"
    assert data["county_cooperators"] == list(COUNTY)
    for g in data["goals"]:
        assert set(g) >= {"id", "text", "due", "value", "span"}
        assert isinstance(g["span"], list) and len(g["span"]) == 2
    for m in data["measures"]:
        assert set(m) >= {"id", "chapter", "title", "lead", "cooperating", "milestones", "span"}
        assert isinstance(m["cooperating"], list)
        for ms in m["milestones"]:
            assert set(ms) >= {"id", "text", "due", "value", "span"}
            date.fromisoformat(ms["due"])
    ms = {x["id"]: x for m in data["measures"] for x in m["milestones"]}
    assert ms["3.4.2"] == {
        **ms["3.4.2"],
        "text": "2023年力争全市新建充电桩1万台",
        "due": "2023-12-31",
        "value": "1万台",
    }
    assert [m["id"] for m in data["measures"]] == [m.id for m in seed_plan.measures]
    assert data == seed_plan.to_dict(include_text=False)
