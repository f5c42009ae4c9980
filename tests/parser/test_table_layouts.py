"""Task-table layouts beyond the plain 序号 | 任务 | 牵头 | 配合 grid, in short synthetic
snippets written in the shape real plans print them (no text from any real plan):

- a flattened table with no 序号 column: the row's number opens its task cell ("（3）…"),
  column names are broken over two lines ("牵头" / "部门"), category cells ("（一）…",
  "2、…") are printed once for the rows they span, and so are merged unit cells;
- year columns ("2024年工作任务") beside the task: a cell that names its own date is a
  milestone, the column's year alone does not date a cell;
- parallel quantified clauses with one verb are one goal.
"""

from __future__ import annotations

from pathlib import Path

from parser.blocks import Paragraph, Table
from parser.columns import recognise
from parser.flattables import lift_flat_tables
from parser.pipeline import parse_document, parse_text
from parser.units import UnitParser, _default_names


def _paragraphs(*cells: str) -> list[Paragraph]:
    out: list[Paragraph] = []
    for c in cells:
        out += [Paragraph(c), Paragraph("")]
    return out


def _tables(blocks: list[Paragraph]) -> list[Table]:
    return [b for b in lift_flat_tables(blocks) if isinstance(b, Table)]


HEADER = ("任务", "分类", "工作方向", "重点任务", "2024年工作", "2025年计划", "牵头", "部门",
          "配合", "部门", "实施", "主体")  # fmt: skip

ROWS = (
    "（一）", "改善出行环境",
    "1、整治道路",
    "（1）整治背街小巷80条。", "整治背街小巷40条。", "整治背街小巷40条。",
    "养护处", "各相关部门和单位", "各区",
    # merged unit cells: row 2 prints none
    "（2）修复人行道破损点位。", "修复200处。", "修复300处。",
    "2、优化公交",
    # a lead cell printed over two lines
    "（3）新辟公交线路20条。", "新辟10条；", "优化站点5个。", "新辟10条。",
    "客运处", "运行处", "各相关部门和单位", "公交集团",
    "（二）提升管理水平",
    "3、完善制度",
    # one unit cell: the others are merged from the row above
    "（4）修订停车管理办法。", "完成草案。", "报请审议。",
    "注：以立法计划为准。",
    "停车公司",
)  # fmt: skip


def test_a_table_without_a_number_column_is_read_by_its_task_numbers() -> None:
    (table,) = _tables(_paragraphs("附件：任务清单", *HEADER, *ROWS, "抄送：各区政府。"))
    assert table.rows[0] == ("任务分类", "工作方向", "重点任务", "2024年工作", "2025年计划",
                             "牵头部门", "配合部门", "实施主体")  # fmt: skip
    rows = [r for r in table.rows[1:] if len(set(r)) > 1]
    groups = [r[0] for r in table.rows[1:] if len(set(r)) == 1]
    assert groups == ["（一）改善出行环境", "（二）提升管理水平"]
    assert [r[2][:4] for r in rows] == ["（1）整", "（2）修", "（3）新", "（4）修"]
    one, two, three, four = rows
    assert one[:2] == ("（一）改善出行环境", "1、整治道路")
    assert one[5:] == ("养护处", "各相关部门和单位", "各区")
    assert two[1] == "1、整治道路"  # the category cell spans the rows beneath it
    assert two[5:] == one[5:]  # merged unit cells
    assert three[3] == "新辟10条；优化站点5个。"  # a cell that goes on after ；
    assert three[5:] == ("客运处、运行处", "各相关部门和单位", "公交集团")
    assert four[:2] == ("（二）提升管理水平", "3、完善制度")
    assert four[4] == "报请审议。注：以立法计划为准。"  # a note stays with its cell
    assert four[5:] == ("客运处、运行处", "各相关部门和单位", "停车公司")


def test_the_table_becomes_measures_numbered_as_printed() -> None:
    text = "\n\n".join(["某市交通精细化管理任务清单", *HEADER, *ROWS])
    plan = parse_text(text)
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "整治背街小巷80条", "养护处", ("相关部门和单位",)),
        ("2", "修复人行道破损点位", "养护处", ("相关部门和单位",)),
        ("3", "新辟公交线路20条", "客运处", ("运行处", "相关部门和单位")),
        ("4", "修订停车管理办法", "客运处", ("运行处", "相关部门和单位")),
    ]
    assert [m.chapter for m in plan.measures] == ["改善出行环境"] * 3 + ["提升管理水平"]
    assert all(not m.milestones for m in plan.measures)  # year columns date nothing


def test_prose_with_short_headings_and_numbered_points_is_no_table() -> None:
    blocks = _paragraphs(
        "主要任务",
        "牵头",
        "（1）加快道路整治，各区按年度计划推进。",
        "（2）提升公交服务，市交通委牵头。",
        "（3）完善停车设施。",
    )
    assert _tables(blocks) == []
    assert lift_flat_tables(blocks) == blocks


def test_a_short_header_run_without_task_rows_is_no_table() -> None:
    blocks = _paragraphs("重点任务", "牵头", "部门", "配合", "部门", "本表由各部门填报。")
    assert _tables(blocks) == []


def test_a_category_column_is_not_the_task_column() -> None:
    cols = recognise(("任务分类", "主要方向", "重点任务", "牵头部门", "配合部门"))
    assert cols is not None and cols.task == 2 and cols.lead == 3


def _pipe_table(*rows: tuple[str, ...]) -> str:
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def test_task_cells_numbered_in_sequence_give_the_ids(tmp_path: Path) -> None:
    head = ("重点任务", "牵头单位", "配合单位")
    text = "某区工作方案\n" + _pipe_table(
        head,
        ("（1）建设口袋公园5个。", "区绿化局", "各街镇"),
        ("（2）新建绿道3公里。", "区绿化局", "区建管委"),
    )
    plan = parse_text(text)
    assert [(m.id, m.title) for m in plan.measures] == [
        ("1", "建设口袋公园5个"),
        ("2", "新建绿道3公里"),
    ]
    # out of sequence: the numbers are not the rows' ids, and the titles keep them
    text = "某区工作方案\n" + _pipe_table(
        head,
        ("（2）建设口袋公园5个。", "区绿化局", "各街镇"),
        ("（1）新建绿道3公里。", "区绿化局", "区建管委"),
    )
    plan = parse_text(text)
    assert [(m.id, m.title[:3]) for m in plan.measures] == [("1", "（2）"), ("2", "（1）")]


def test_a_dated_cell_in_a_year_column_is_a_milestone() -> None:
    text = "某市交通体系建设工作方案\n" + _pipe_table(
        ("序号", "内容", "牵头部门", "配合部门", "2024年工作任务", "2025年工作计划", "备注"),
        ("1", "补齐停车短板", "运行处", "—", "2024年年内新增泊位500个。",
         "2025年年内新增泊位600个。", ""),
        ("2", "推进公交优先", "客运处", "—", "推进公交专用道建设。",
         "2025年年内新增泊位600个。", ""),
        ("3", "建设监测平台", "轨道处", "—", "2024年完成平台开发。",
         "全年新增接入线路3条。", "2023年已立项"),
        ("4", "推进慢行交通", "运行处", "—", "完成慢行项目100项。",
         "2025年持续推进慢行品质提升。", ""),
    )  # fmt: skip
    plan = parse_text(text)
    dated = {m.id: [(ms.due.year if ms.due else None, ms.text) for ms in m.milestones]
             for m in plan.measures}  # fmt: skip
    assert dated["1"] == [(2024, "2024年年内新增泊位500个"), (2025, "2025年年内新增泊位600个")]
    # the same text as the row above is a merged cell, dated with the row above
    assert dated["2"] == []
    # "全年" takes its year from the column header: not written, not a milestone;
    # nor is a remark ("2023年已立项")
    assert dated["3"] == [(2024, "2024年完成平台开发")]
    assert dated["4"] == []  # no date of its own; "2025年持续推进" is ongoing work


def test_the_common_phrase_for_all_other_units_is_one_unit() -> None:
    units = UnitParser(_default_names())
    r = units.parse("牵头单位：养护处；配合单位：各相关部门和单位")
    assert (r.lead, r.cooperating) == ("养护处", ("相关部门和单位",))
    r = units.parse("牵头单位：市财政局和市教育局")
    assert (r.lead, r.cooperating) == ("市财政局", ("市教育局",))


def _goal_plan(sentence: str) -> str:
    return (
        "某市生态廊道建设实施意见\n一、总体目标\n" + sentence + "\n二、主要任务\n"
        "（一）建设绿道。新建绿道10公里。（牵头单位：市绿化局）\n"
    )


def test_parallel_clauses_with_one_verb_are_one_goal() -> None:
    sentence = (
        "到2035年，以环城绿带为骨架，向内连接8片楔形绿地，向外连接12条生态廊道，形成生态网络。"
    )
    plan = parse_text(_goal_plan(sentence))
    assert [(g.text, g.value, g.due and g.due.year) for g in plan.goals] == [
        ("向内连接8片楔形绿地，向外连接12条生态廊道", "8片", 2035),
        ("向内连接8片楔形绿地，向外连接12条生态廊道", "12条", 2035),
    ]


def test_indicators_with_their_own_subjects_stay_separate_goals() -> None:
    plan = parse_text(_goal_plan("到2030年，公园绿地覆盖率达到90%，林荫道路普及率达到60%。"))
    assert [g.text for g in plan.goals] == ["公园绿地覆盖率达到90%", "林荫道路普及率达到60%"]
    plan = parse_text(_goal_plan("到2030年，新建公园20座，改建绿道30公里。"))
    assert [g.text for g in plan.goals] == ["新建公园20座", "改建绿道30公里"]


def test_a_document_file_with_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("\n\n".join(["某市交通精细化管理任务清单", *HEADER, *ROWS]) + "\n", "utf-8")
    plan = parse_document(path)
    assert [m.id for m in plan.measures] == ["1", "2", "3", "4"]


def test_numbered_points_in_one_cell_and_a_group_after_a_row() -> None:
    blocks = _paragraphs(
        "序号", "内容", "牵头部门", "配合部门", "2024年工作任务", "2025年工作计划", "备注",
        "一、完善规划体系",
        "1", "编制交通规划", "规划处", "各相关处室",
        "1.完成规划思路研究。", "2.开展专题研究。", "1.形成规划草案。", "2.报批规划。",
        "二、推进设施建设",
        "2", "建设停车设施", "运行处", "—", "新增泊位500个。", "新增泊位600个。",
    )  # fmt: skip
    (table,) = _tables(blocks)
    one = table.rows[1]
    # a cell's points "1." "2." are one cell, not cells of the next columns
    assert one[4:] == ("1.完成规划思路研究。2.开展专题研究。", "1.形成规划草案。2.报批规划。", "")
    # the group heading after row 1 is a group row, not row 1's remark
    assert set(table.rows[2]) == {"二、推进设施建设"}
    assert table.rows[3][6] == ""


def test_a_deadline_column_after_the_units_one_line_per_cell() -> None:
    text = "\n".join(
        [
            "某区公园建设工作方案",
            "重点任务", "牵头单位", "配合单位", "完成时限",
            "（1）建设口袋公园5个。", "区绿化局", "各街镇", "2025年6月底前",
            "（2）新建绿道3公里。", "区建管委", "区绿化局、", "区财政局", "2025年底前",
            "（3）开展公园管理评估。", "2026年底前",
            "各单位要按时报送进展。",
        ]
    )  # fmt: skip
    plan = parse_text(text)
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "建设口袋公园5个", "区绿化局", ("街镇",)),
        ("2", "新建绿道3公里", "区建管委", ("区绿化局", "区财政局")),
        ("3", "开展公园管理评估", "区建管委", ("区绿化局", "区财政局")),  # merged units
    ]
    dues = [[ms.due.isoformat() for ms in m.milestones if ms.due] for m in plan.measures]
    assert dues == [["2025-06-30"], ["2025-12-31"], ["2026-12-31"]]
    # the table ends with its last row's deadline: the sentence after it is no cell
    assert plan.measures[2].milestones[0].text == "2026年底前"


def test_rows_are_the_finest_numbering_near_the_header() -> None:
    # one task per direction: "1、" and "（1）" run on alike; the task's own is the later
    # one in each row. A longer numbered list after the table is not its rows.
    blocks = _paragraphs(
        "任务类别", "重点任务", "牵头", "部门", "配合", "部门",
        "1、优化路网", "（1）打通断头路5条。", "建管委", "各街镇",
        "2、改善慢行", "（2）新建非机动车道8公里。", "交通委", "各街镇",
        "附件说明",
        *[f"{n}.本表由各单位按季度更新第{n}项。" for n in range(1, 9)],
    )  # fmt: skip
    (table,) = _tables(blocks)
    rows = [r for r in table.rows[1:] if len(set(r)) > 1]  # without the group rows
    assert table.rows[0] == ("任务类别", "重点任务", "牵头部门", "配合部门")
    assert [r[1][:3] for r in rows] == ["（1）", "（2）"]
    assert rows[1] == ("2、改善慢行", "（2）新建非机动车道8公里。", "交通委", "各街镇")


# A numbered item (项目) printed once over its task rows, each row with its own unit
# cells: 类别 | 项目 | 主要任务 | 牵头单位 | 配合单位, one cell per paragraph, a cell's own
# lines kept together between blank lines.
ITEM_HEADER = ("类别", "项目", "主要任务", "牵头单位", "配合单位")
ITEM_ROWS = (
    "一、夯实基础",
    "1.编制专项\n规划",  # a name cell broken over two lines
    "编制社区养老设施专项规划，明确布点要求。", "区民政局", "区规划局、各街道",
    "2.健全工作制度",
    "9月底前，出台社区养老服务管理办法。", "区民政局", "各街道",
    "建立养老服务质量季度通报制度。", "区市场监管局", "区民政局、\n各街道",
    "二、提升服务",
    "3.建设服务站点",
    "年底前，每个街道建成1家综合为老服务中心。", "各街道", "区民政局",
    "4.加强队伍建设",
    "开展养老护理员轮训。", "区人社局", "区民政局",
    "组织护理技能竞赛。", "区总工会", "区人社局",
    # the third task row prints no unit cells: merged with the row above
    "评选优秀护理员，并予以表彰。",
    "5.完善监管机制",
    "开展养老机构安全检查。", "区民政局", "区消防救援支队",
)  # fmt: skip


def _lines(*cells: str) -> list[Paragraph]:
    """Cells separated by blank lines, a cell's own lines one paragraph each."""
    out: list[Paragraph] = []
    for c in cells:
        out += [*map(Paragraph, c.split("\n")), Paragraph("")]
    return out


def test_a_numbered_item_over_several_task_rows_is_read_row_by_row() -> None:
    (table,) = _tables(_lines("附件", "重点任务清单", *ITEM_HEADER, *ITEM_ROWS))
    assert table.rows[0] == ITEM_HEADER
    rows = [r for r in table.rows[1:] if len(set(r)) > 1]
    assert [r[1][:2] for r in rows] == ["1.", "2.", "2.", "3.", "4.", "4.", "4.", "5."]
    assert rows[0][1] == "1.编制专项规划"  # the cell's two lines
    assert rows[2] == ("一、夯实基础", "2.健全工作制度", "建立养老服务质量季度通报制度。",
                       "区市场监管局", "区民政局、各街道")  # fmt: skip
    assert rows[3][0] == "二、提升服务"  # the category cell after row 2's task rows
    assert rows[6][2:] == ("评选优秀护理员，并予以表彰。", "区总工会", "区人社局")  # merged
    assert rows[7][2:] == ("开展养老机构安全检查。", "区民政局", "区消防救援支队")


def test_a_numbered_item_over_several_task_rows_is_one_measure() -> None:
    text = "\n\n".join(["某区养老服务工作方案", "2023年3月1日", *ITEM_HEADER, *ITEM_ROWS])
    plan = parse_text(text)
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "编制专项规划", "区民政局", ("区规划局", "街道")),
        # the first row's lead leads; every other unit of the item's rows cooperates
        ("2", "健全工作制度", "区民政局", ("街道", "区市场监管局")),
        ("3", "建设服务站点", "街道", ("区民政局",)),
        ("4", "加强队伍建设", "区人社局", ("区民政局", "区总工会")),
        ("5", "完善监管机制", "区民政局", ("区消防救援支队",)),
    ]
    assert [m.chapter for m in plan.measures] == ["夯实基础"] * 2 + ["提升服务"] * 3
    four = plan.measures[3]
    assert "组织护理技能竞赛" in four.text and "评选优秀护理员" in four.text
    assert plan.text[four.span[0] : four.span[1]] == four.text
    # "9月底前", "年底前": no year written, the plan is dated 2023
    dues = {m.id: [ms.due.isoformat() for ms in m.milestones if ms.due] for m in plan.measures}
    assert dues == {"1": [], "2": ["2023-09-30"], "3": ["2023-12-31"], "4": [], "5": []}
    assert plan.measures[1].milestones[0].text.startswith("9月底前，出台")
    assert {w.kind for w in plan.warnings} >= {"month_without_year"}


def test_items_with_one_task_row_each_stay_apart() -> None:
    # every row numbered: no row continues the one above, even with the same units
    rows = ("1.编制规划", "编制规划。", "区民政局", "各街道",
            "2.健全制度", "健全制度。", "区民政局", "各街道")  # fmt: skip
    plan = parse_text("\n\n".join(["某区养老服务工作方案", *ITEM_HEADER, *rows]))
    assert [(m.id, m.title) for m in plan.measures] == [("1", "编制规划"), ("2", "健全制度")]


def test_a_repeated_name_cell_without_a_number_is_no_item() -> None:
    # a 项目 cell merged over rows but not numbered: each row stays a measure, as before
    text = "某区工作方案\n" + _pipe_table(
        ("项目", "主要任务", "牵头单位", "配合单位"),
        ("养老服务", "建设服务站点。", "区民政局", "各街道"),
        ("养老服务", "开展护理员轮训。", "区人社局", "区民政局"),
    )
    plan = parse_text(text)
    assert [(m.id, m.lead) for m in plan.measures] == [("1", "区民政局"), ("2", "区人社局")]


def test_a_grid_table_with_a_merged_numbered_item_cell() -> None:
    # the same layout read from a grid (.docx/.html repeat a merged cell's text)
    text = "某区工作方案\n" + _pipe_table(
        ("项目", "主要任务", "牵头单位", "配合单位"),
        ("1.建设站点", "建设服务站点。", "区民政局", "各街道"),
        ("1.建设站点", "完善站点功能。", "区财政局", "区民政局"),
        ("2.培训队伍", "开展护理员轮训。", "区人社局", "区民政局"),
    )
    plan = parse_text(text)
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "建设站点", "区民政局", ("街道", "区财政局")),
        ("2", "培训队伍", "区人社局", ("区民政局",)),
    ]


def test_a_category_heading_in_prose_is_no_table() -> None:
    blocks = _paragraphs(
        "类别",
        "项目",
        "1.养老服务方面，各街道要建设服务站点。",
        "2.医疗服务方面，区卫健委牵头推进。",
        "3.其他事项另行通知。",
    )
    assert _tables(blocks) == []


def test_a_date_without_a_year_takes_the_plan_s_own_year_only_when_stated() -> None:
    rows = ("1.编制规划", "10月底前，完成规划编制。", "区民政局", "各街道",
            "2.健全制度", "年底前，出台管理办法。", "区民政局", "各街道")  # fmt: skip

    def dues(*head: str) -> list[list[str]]:
        plan = parse_text("\n\n".join(["某区养老服务工作方案", *head, *ITEM_HEADER, *rows]))
        return [[ms.due.isoformat() for ms in m.milestones if ms.due] for m in plan.measures]

    # signed on a date line of its own; or numbered 〔2021〕
    assert dues("某区人民政府办公室", "2022年11月22日") == [["2022-10-31"], ["2022-12-31"]]
    assert dues("某府办发〔2021〕5号") == [["2021-10-31"], ["2021-12-31"]]
    # a date inside a sentence is not the plan's date; no date at all dates nothing
    assert dues("本方案自2020年1月1日起施行。") == [[], []]
    assert dues() == [[], []]


def test_an_item_with_many_task_rows_does_not_end_the_table() -> None:
    rows: list[str] = ["1.建设站点", "建设服务站点。", "区民政局", "各街道", "2.培训队伍"]
    for n in range(1, 7):  # six task rows: longer than three rows of cells
        rows += [f"开展第{n}轮护理员培训。", "区人社局", "区民政局"]
    rows += ["3.完善监管", "开展安全检查。", "区民政局", "区消防救援支队"]
    plan = parse_text("\n\n".join(["某区养老服务工作方案", *ITEM_HEADER, *rows]))
    assert [m.id for m in plan.measures] == ["1", "2", "3"]
    assert "开展第6轮护理员培训" in plan.measures[1].text
    # a numbered list in the prose after a table is still not its rows
    blocks = _lines(*ITEM_HEADER, "1.建设站点", "建设服务站点。", "区民政局", "各街道",
                    "2.培训队伍", "开展培训。", "区人社局", "区民政局",
                    *[f"说明第{n}段，各单位按要求执行，不另行通知。" for n in range(1, 16)],
                    "3.本表由区民政局负责解释。")  # fmt: skip
    (table,) = _tables(blocks)
    assert [r[1][:2] for r in table.rows[1:] if len(set(r)) > 1] == ["1.", "2."]
