"""Plans from other cities, other topics and other layouts (tests/data/plans/).

Each expectation was written by reading the fixture; the parser was never
tuned to them (they came after it).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from plan_files import PLANS, write_docx, write_pdf, write_pdf_with_table

from parser.model import Plan
from parser.pipeline import parse_document

COUNTY = "县（市、区）政府"


def _check_provenance(plan: Plan) -> None:
    for g in plan.goals:
        assert plan.text[g.span[0] : g.span[1]] == g.text
    for m in plan.measures:
        assert m.lead, m.id
        for x in m.milestones:
            assert plan.text[x.span[0] : x.span[1]] == x.text
            assert x.id.startswith(m.id + ".")


def _units(plan: Plan) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    return {m.id: (m.lead, m.cooperating) for m in plan.measures}


def _dues(plan: Plan) -> dict[str, date | None]:
    return {x.id: x.due for m in plan.measures for x in m.milestones}


# --- 营商环境: labelled 牵头单位/配合单位/责任单位 lines, nested 1./2. --------------------

BUSINESS = PLANS / "chengdu-business-environment.txt"


def _check_business(plan: Plan) -> None:
    assert plan.document.title == "成都市进一步优化营商环境行动方案（2023—2025年）"
    assert plan.document.period_end == date(2025, 12, 31)
    assert _units(plan) == {
        "3.1": ("市市场监管局", ("市公安局", "市税务局", "市人社局", COUNTY)),
        "3.2": ("市住建局", ("市规划和自然资源局", "市行政审批局", "市水务局")),
        "3.3.1": ("市商务局", ("市口岸物流办", "成都海关")),
        "3.3.2": ("成都海关", ("市商务局",)),
        "3.4": ("市知识产权局", ("市中级人民法院", "市司法局")),
        "3.5": ("市政务服务局", ("市大数据局",)),
        "4.1": ("市发展改革委", ("市政府办公室",)),
        "4.2": ("市政府督查室", ("市发展改革委",)),
    }
    assert _dues(plan) == {
        "3.1.1": date(2023, 6, 30),
        "3.1.2": date(2024, 12, 31),
        "3.2.1": date(2024, 9, 30),
        "3.3.1.1": date(2024, 6, 30),
        "3.3.2.1": date(2025, 12, 31),
        "3.4.1": date(2024, 6, 30),
        "3.5.1": date(2023, 12, 31),
        "4.2.1": date(2025, 12, 31),
    }
    assert [g.value for g in plan.goals] == ["1个工作日", "95%", "450万户"]
    assert sorted(w.split(": ")[-1] for w in plan.warnings) == [
        "市口岸物流办",
        "成都海关",
        "成都海关",
    ]
    _check_provenance(plan)


def test_business_environment_txt() -> None:
    _check_business(parse_document(BUSINESS))


def test_business_environment_pdf(tmp_path: Path) -> None:
    lines = BUSINESS.read_text(encoding="utf-8").split("\n")
    _check_business(parse_document(write_pdf(tmp_path / "business.pdf", lines)))


# --- 乡村振兴: an annual plan whose tasks are a table --------------------------------------

RURAL = PLANS / "luoyang-rural-revitalization-tasks.txt"


def _check_rural(plan: Plan) -> None:
    assert plan.document.period_end == date(2024, 12, 31)
    assert _units(plan) == {
        "1": ("市农业农村局", ("市财政局", "市规划和自然资源局")),
        "2": ("市乡村振兴局", ("市民政局", "市医保局")),
        "3": ("市农业农村局", ("市住建局", "市卫健委")),
        "4": ("市水利局", ("市发展改革委", "市财政局")),
        "5": ("市文旅局", ("市农业农村局", COUNTY)),
        "6": ("市商务局", ("市邮政管理局", "洛阳邮政分公司")),
    }
    assert _dues(plan) == {
        "1.1": date(2024, 12, 31),
        "2.1": date(2024, 6, 30),  # "6月底前" in a 2024 plan
        "3.1": date(2024, 9, 30),
        "3.2": date(2024, 12, 31),  # "年底前"
        "4.1": date(2024, 9, 30),
        "6.1": date(2024, 11, 30),
    }
    ms = {x.id: x for m in plan.measures for x in m.milestones}
    assert ms["3.1"].text == "2024年9月底前完成改厕"
    assert ms["6.1"].value == "300个"
    assert [g.value for g in plan.goals] == ["600万亩", "7%"]
    _check_provenance(plan)


def test_rural_revitalization_markdown_table() -> None:
    _check_rural(parse_document(RURAL))


def test_rural_revitalization_docx_table(tmp_path: Path) -> None:
    """The same plan as Word writes it: paragraphs and a real table."""
    before, table, after = _rural_parts()
    path = write_docx(tmp_path / "rural.docx", [*before, *after], {len(before): table})
    _check_rural(parse_document(path))


# --- 数字政府: 第一章 chapters, a county declaration, (A牵头，B配合), nested （1） ---------

DIGITAL = PLANS / "guiyang-digital-government.txt"


def _check_digital(plan: Plan) -> None:
    county = (COUNTY, "贵阳综合保税区管委会")
    assert plan.county_cooperators == county
    assert _units(plan) == {
        "2.1": ("市大数据局", ("市发展改革委", "市财政局", *county)),
        "2.2": ("市大数据局", ("市委网信办", "市司法局", *county)),
        "2.3.1": ("市城市管理局", county),
        "2.3.2": ("市应急局", ("市公安局", "市消防救援支队", *county)),
        "2.4": ("市委网信办", county),
        "3.1": ("市政府办公室", ("市大数据局", *county)),
    }
    assert _dues(plan) == {
        "2.1.1": date(2024, 12, 31),
        "2.1.2": date(2025, 12, 31),
        "2.2.1": date(2024, 9, 30),
        "2.3.1.1": date(2025, 6, 30),
        "2.3.2.1": date(2024, 12, 31),
    }
    assert [g.value for g in plan.goals] == ["100%", "98%", "2万个"]
    assert plan.warnings == (
        "cooperators of every measure: unknown unit kept verbatim: 贵阳综合保税区管委会",
    )
    _check_provenance(plan)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_digital_government(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"digital-{encoding}.txt"
    path.write_bytes(DIGITAL.read_text(encoding="utf-8").encode(encoding))
    _check_digital(parse_document(path))


def test_digital_government_docx(tmp_path: Path) -> None:
    lines = DIGITAL.read_text(encoding="utf-8").split("\n")
    _check_digital(parse_document(write_docx(tmp_path / "digital.docx", lines)))


# --- 促消费: the plan behind its cover note, ending with 抄送/印发 lines ------------------


def test_plan_behind_a_cover_note() -> None:
    plan = parse_document(PLANS / "wuhan-consumption-cover-note.txt")
    assert plan.document.title == "武汉市促进消费提质扩容实施方案"
    assert _units(plan) == {
        "2.1": ("市商务局", (COUNTY,)),
        "2.2": ("市商务局", ("市公安局交通管理局",)),
        "2.3": ("市文旅局", ()),
        "3.1": ("市商务局", ()),
    }
    assert _dues(plan) == {
        "2.1.1": date(2023, 12, 31),
        "2.2.1": date(2023, 6, 30),
        "2.3.1": date(2024, 6, 30),
    }
    assert [g.value for g in plan.goals] == ["1万亿元", "5个"]
    last = plan.measures[-1]
    assert last.text == "（一）加强组织领导。建立促消费工作专班。（市商务局负责）"
    assert plan.warnings == ()
    _check_provenance(plan)


def _rural_parts() -> tuple[list[str], list[list[str]], list[str]]:
    before: list[str] = []
    table: list[list[str]] = []
    after: list[str] = []
    for line in RURAL.read_text(encoding="utf-8").split("\n"):
        if line.startswith("|"):
            if not re.fullmatch(r"[|\s-]+", line):
                table.append([c.strip() for c in line.strip("|").split("|")])
        else:
            (after if table else before).append(line)
    return before, table, after


def test_rural_revitalization_pdf_table(tmp_path: Path) -> None:
    """The same plan exported to PDF: a ruled table with wrapped cells and section rows."""
    before, table, after = _rural_parts()
    table.insert(1, ["一、耕地保护和粮食安全"])
    table.insert(4, ["二、乡村建设"])
    plan = parse_document(write_pdf_with_table(tmp_path / "rural.pdf", before, table, after))
    _check_rural(plan)
    assert [m.chapter for m in plan.measures] == ["耕地保护和粮食安全"] * 2 + ["乡村建设"] * 4


# --- 大气污染治理: goals in an item "（二）主要目标", labelled clauses after sub-items -------


def test_air_quality_annual_plan() -> None:
    plan = parse_document(PLANS / "xian-air-quality-2024.txt")
    assert plan.document.period_end == date(2024, 12, 31)
    assert [(g.value, g.due) for g in plan.goals] == [
        ("48微克/立方米", date(2024, 12, 31)),
        ("250天", date(2024, 12, 31)),
        ("3天", date(2024, 12, 31)),  # "较2023年减少3天": 2023 is the baseline
    ]
    assert _units(plan) == {
        "2.1.1": ("市生态环境局", ("市工业和信息化局", COUNTY, "西咸新区管委会")),
        "2.1.2": ("市工业和信息化局", ("市生态环境局",)),
        "2.2.1": ("市交通局", ("市公安局",)),
        "2.2.2": ("市生态环境局", ("市住建局",)),
        "3.1": (None, ()),
        "3.2": ("市委督查室", ("市政府督查室",)),
    }
    assert _dues(plan) == {
        "2.1.1.1": date(2024, 10, 31),
        "2.2.1.1": date(2024, 12, 31),  # "全年新增…500辆"
        "2.2.2.1": date(2024, 6, 30),  # "6月底前" in a 2024 plan
    }
    assert plan.warnings == (
        "measure 2.1.1: unknown unit kept verbatim: 西咸新区管委会",
        "measure 3.1: no lead unit found",
    )
