"""Task tables that lost their grid (one cell per paragraph), read back as tables.

The material is the real table in tests/data/corpus/jiading_haimian_2024.txt (copied from
a government portal to Markdown: cells separated by blank lines, a cell's own lines not),
plus cut-down rows in the same shape to show merged cells and group rows.
"""

from __future__ import annotations

from pathlib import Path

from parser.blocks import Paragraph, Table
from parser.flattables import lift_flat_tables
from parser.pipeline import parse_text
from parser.reading import read_blocks

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


def _tables(blocks: list[Paragraph]) -> list[Table]:
    return [b for b in lift_flat_tables(blocks) if isinstance(b, Table)]


def test_the_jiading_table_is_read_row_by_row() -> None:
    tables = _tables(read_blocks(CORPUS / "jiading_haimian_2024.txt"))  # type: ignore[arg-type]
    first = tables[0]
    assert first.rows[0] == ("序号", "任务类型", "重点内容", "责任单位", "参考文件")
    assert [r[0] for r in first.rows[1:]] == ["1", "2", "3", "4", "5", "6"]
    one = first.rows[1]
    assert one[1] == "海绵城市建设管理"  # two lines of one cell
    assert one[3].startswith("区建设管理委、区发展改革委、区财政局、区规划资源局、区水务局")
    assert one[3].endswith("各街镇")
    assert one[4].startswith("《嘉定区海绵城市规划建设管理工作指引")


def _paragraphs(*cells: str) -> list[Paragraph]:
    out: list[Paragraph] = []
    for c in cells:
        out += [Paragraph(c), Paragraph("")]
    return out


def test_merged_cells_group_rows_and_the_end_of_the_table() -> None:
    blocks = _paragraphs(
        "序号", "任务名称", "任务内容", "牵头部门", "配合部门", "时间节点",
        "1", "加强组织领导", "召开全区生活垃圾分类工作动员大会。", "区政府办公室",
        "各联席会议成员单位", "2019年3月",
        # merged 任务名称: printed once, so row 2 has one cell fewer
        "2", "将生活垃圾管理纳入绩效评价指标体系。", "区委组织部", "区绿化市容局", "2019年",
        "行动二：推进源头减量",
        "3", "推进源头减量", "推行绿色办公。", "区机管局", "区绿化市容局、", "各街镇", "2019年6月",
        "各单位要抓好落实。",
    )  # fmt: skip
    (table,) = _tables(blocks)
    rows = table.rows[1:]
    assert rows[0] == ("1", "加强组织领导", "召开全区生活垃圾分类工作动员大会。", "区政府办公室",
                       "各联席会议成员单位", "2019年3月")  # fmt: skip
    assert rows[1][1] == "加强组织领导"  # inherited from the merged cell above
    assert rows[1][2:] == ("将生活垃圾管理纳入绩效评价指标体系。", "区委组织部", "区绿化市容局",
                           "2019年")  # fmt: skip
    assert set(rows[2]) == {"行动二：推进源头减量"}  # a group row
    assert rows[3][4] == "区绿化市容局、各街镇"  # a cell broken after 、
    assert len(table.rows) == 5  # the sentence after the table is not a row


def test_a_flattened_table_becomes_measures() -> None:
    text = "\n\n".join(
        [
            "某区生活垃圾分类工作方案",
            "序号", "任务名称", "任务内容", "牵头部门", "配合部门", "时间节点",
            "1", "加强组织领导", "召开动员大会。", "区政府办公室", "各街镇", "2019年3月",
            "2", "纳入考核。", "区委组织部", "区绿化市容局", "2019年",
        ]
    )  # fmt: skip
    plan = parse_text(text)
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "加强组织领导", "区政府办公室", ("街镇",)),
        ("2", "加强组织领导", "区委组织部", ("区绿化市容局",)),
    ]
    assert [[x.text for x in m.milestones] for m in plan.measures] == [["2019年3月"], ["2019年"]]


def test_a_numbered_row_over_several_task_rows() -> None:
    # 序号 and 项目 printed once for an item's task rows, each with its own unit cells
    blocks = _paragraphs(
        "序号", "项目", "主要任务", "牵头单位", "配合单位",
        "1", "建设站点", "建设服务站点。", "区民政局", "各街道",
        "年底前完成站点改造。", "区财政局", "区民政局",
        "开展站点评估。", "区审计局", "区民政局",
        "2", "培训队伍", "开展护理员轮训。", "区人社局", "区民政局",
        "3", "完善监管", "开展安全检查。", "区民政局", "区消防救援支队",
        "完善投诉处理机制。", "区信访办", "区民政局",
        "各单位要抓好落实。",
    )  # fmt: skip
    (table,) = _tables(blocks)
    rows = table.rows[1:]
    assert [r[:2] for r in rows] == [("1", "建设站点")] * 3 + [("2", "培训队伍")] + [
        ("3", "完善监管")
    ] * 2
    assert rows[1][2:] == ("年底前完成站点改造。", "区财政局", "区民政局")
    assert rows[5][2:] == ("完善投诉处理机制。", "区信访办", "区民政局")  # the last item too


def test_a_numbered_row_over_several_task_rows_is_one_measure() -> None:
    text = "\n\n".join(
        [
            "某区养老服务工作方案",
            "序号", "项目", "主要任务", "牵头单位", "配合单位",
            "1", "建设站点", "建设服务站点。", "区民政局", "各街道",
            "2024年底前完成站点改造。", "区财政局", "区民政局",
            "2", "培训队伍", "开展护理员轮训。", "区人社局", "区民政局",
        ]
    )  # fmt: skip
    plan = parse_text(text)
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "建设站点", "区民政局", ("街道", "区财政局")),
        ("2", "培训队伍", "区人社局", ("区民政局",)),
    ]
    assert [ms.due.isoformat() for ms in plan.measures[0].milestones if ms.due] == ["2024-12-31"]
    assert not [w for w in plan.warnings if w.kind == "renumbered_id"]
