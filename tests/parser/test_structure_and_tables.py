"""Plan layouts: chapters, items, nested sub-items, and task tables in .docx files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from plan_files import write_docx, write_numbered_docx, write_pdf_with_table

from parser.model import Plan
from parser.numbering import cn_to_int
from parser.pipeline import parse_document, parse_text
from parser.structure import build_outline
from parser.wordnum import format_number


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百零五", 105),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert cn_to_int(numeral) == value


@pytest.mark.parametrize("junk", ["三四", "十十", "二十四五", ""])
def test_not_a_numeral(junk: str) -> None:
    assert cn_to_int(junk) is None


def test_outline_of_chapters_items_and_sub_items() -> None:
    text = (
        "某市方案\n一、总体要求\n坚持统筹。\n二、重点任务\n（一）第一项\n1.甲\n2.乙\n"
        "（二）第二项\n（1）丙\n三、保障措施\n（一）加强领导"
    )
    outline = build_outline(text, ())
    assert [(c.number, c.title) for c in outline.chapters] == [
        (1, "总体要求"),
        (2, "重点任务"),
        (3, "保障措施"),
    ]
    items = outline.chapters[1].children
    assert [(i.number, i.title) for i in items] == [(1, "第一项"), (2, "第二项")]
    assert [(s.number, s.title) for s in items[0].children] == [(1, "甲"), (2, "乙")]
    assert [(s.number, s.title) for s in items[1].children] == [(1, "丙")]
    for node in (*outline.chapters, *items):
        assert text[node.start :].startswith(("一", "二", "三", "（"))


def test_chapters_written_as_parts() -> None:
    plan = parse_text(
        "济南市科技创新行动方案（2023—2025年）\n"
        "第一部分 总体目标\n到2025年，高新技术企业达到8000家。\n"
        "第二部分 重点任务\n"
        "（一）培育创新主体。（市科技局负责）\n"
        "（二）建设创新平台。2024年底前建成省级以上平台50个。（市科技局、市工信局负责）\n"
    )
    assert plan.document.title == "济南市科技创新行动方案（2023—2025年）"
    assert plan.document.period_end == date(2025, 12, 31)
    assert [(m.id, m.chapter, m.title) for m in plan.measures] == [
        ("2.1", "重点任务", "培育创新主体"),
        ("2.2", "重点任务", "建设创新平台"),
    ]
    assert [g.value for g in plan.goals] == ["8000家"]


def test_nested_items_with_their_own_clauses_become_measures() -> None:
    plan = parse_text(
        "西安市教育强市建设实施意见\n"
        "三、重点举措\n"
        "（一）扩大学前教育资源。\n"
        "1.新建幼儿园。2024年新建幼儿园50所。（市教育局负责）\n"
        "2.提高普惠率。到2025年普惠性幼儿园覆盖率达到90%。（市教育局、市财政局按职责分工负责）\n"
        "（二）推进义务教育均衡。\n"
        "（1）推进集团化办学。到2025年集团化办学覆盖率达到80%。\n"
        "（2）加强师资建设。\n"
        "（市教育局牵头，市人社局、市编办配合）\n"
    )
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("3.1.1", "新建幼儿园", "市教育局", ()),
        ("3.1.2", "提高普惠率", "市教育局", ("市财政局",)),
        ("3.2", "推进义务教育均衡", "市教育局", ("市人社局", "市编办")),
    ]
    ms = {x.id: x for m in plan.measures for x in m.milestones}
    assert (ms["3.1.1.1"].due, ms["3.1.1.1"].value) == (date(2024, 12, 31), "50所")
    assert (ms["3.2.1"].due, ms["3.2.1"].value) == (date(2025, 12, 31), "80%")


def test_chapter_level_numbered_items() -> None:
    plan = parse_text(
        "洛阳市乡村振兴2024年工作要点\n"
        "一、巩固拓展脱贫攻坚成果\n"
        "1.健全防止返贫动态监测机制。2024年3月底前完成年度集中排查。"
        "（市农业农村局牵头，市民政局、市医保局配合）\n"
        "2.加强帮扶产业发展。（市农业农村局、市财政局按职责分工负责）\n"
        "二、推进乡村产业发展\n"
        "3.发展农产品加工业。（市发改委市工信局负责）\n"
    )
    assert plan.document.period_end == date(2024, 12, 31)
    assert [(m.id, m.chapter, m.lead) for m in plan.measures] == [
        ("1.1", "巩固拓展脱贫攻坚成果", "市农业农村局"),
        ("1.2", "巩固拓展脱贫攻坚成果", "市农业农村局"),
        ("2.3", "推进乡村产业发展", "市发展改革委"),
    ]
    assert plan.measures[0].milestones[0].due == date(2024, 3, 31)


def test_a_measure_ends_at_its_clause() -> None:
    plan = parse_text(
        "某市方案\n一、任务\n（一）第一项。推进工作。（市商务局负责）\n附件：名词解释\n"
    )
    (m,) = plan.measures
    assert m.text == "（一）第一项。推进工作。（市商务局负责）"


HEADER = ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
TASKS = [
    HEADER,
    [
        "1",
        "实施高标准农田建设，新建高标准农田20万亩",
        "市农业农村局",
        "市财政局、市自然资源和规划局",
        "2024年12月底前",
    ],
    [
        "2",
        "推进农村人居环境整治",
        "市农委",
        "市住房和城乡建设局、市生态环境局",
        "2024年6月底前完成方案；2025年底前全面完成",
    ],
    ["3", "完善农村供水保障", "市水利局", "市卫健委", "长期坚持"],
    [
        "4",
        "发展乡村旅游，到2025年培育乡村旅游重点村30个",
        "市水利局",
        "市文化广电和旅游局",
        "“十四五”期末",
    ],
]


def _table_plan(tmp_path: Path, table: list[list[str]], merge: bool = False) -> Plan:
    path = write_docx(
        tmp_path / "tasks.docx",
        [
            "郑州市乡村振兴重点任务分工方案（2023—2025年）",
            "为全面推进乡村振兴，制定本方案。",
            "一、重点任务分工",
            "二、保障措施",
            "各单位要加强组织领导。",
        ],
        tables={3: table},
        merge_down=[(0, 2, 3, 4)] if merge else (),
    )
    return parse_document(path)


def test_docx_task_table(tmp_path: Path) -> None:
    plan = _table_plan(tmp_path, TASKS)
    got = [(m.id, m.chapter, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "重点任务分工", "市农业农村局", ("市财政局", "市自然资源和规划局")),
        # 市农委 is kept as written: in some cities it is a 委员会 of its own, not the 局.
        ("2", "重点任务分工", "市农委", ("市住建局", "市生态环境局")),
        ("3", "重点任务分工", "市水利局", ("市卫健委",)),
        ("4", "重点任务分工", "市水利局", ("市文化广电和旅游局",)),
    ]
    ms = {x.id: x for m in plan.measures for x in m.milestones}
    assert {k: (v.due, v.value) for k, v in ms.items()} == {
        "1.1": (date(2024, 12, 31), "20万亩"),
        "2.1": (date(2024, 6, 30), None),
        "2.2": (date(2025, 12, 31), None),
        "4.1": (date(2025, 12, 31), "30个"),
    }
    assert ms["2.1"].text == "2024年6月底前完成方案"
    assert ms["1.1"].text == "2024年12月底前"  # the row's deadline cell, as written
    for m in plan.measures:
        assert plan.text[m.span[0] : m.span[1]] == m.text
        for x in m.milestones:
            assert plan.text[x.span[0] : x.span[1]] == x.text


def test_docx_task_table_with_merged_lead_cells(tmp_path: Path) -> None:
    rows = [list(r) for r in TASKS]
    rows[4][2] = ""  # Word keeps the text only in the first cell of a vertical merge
    plan = _table_plan(tmp_path, rows, merge=True)
    assert [m.lead for m in plan.measures] == [
        "市农业农村局",
        "市农委",
        "市水利局",
        "市水利局",
    ]


def test_docx_variant_columns_with_section_rows(tmp_path: Path) -> None:
    table = [
        ["序号", "工作任务", "责任单位", "时限要求"],
        ["一、产业振兴"],
        ["1", "培育农业产业化龙头企业", "市农业农村局（牵头）、市财政局", "2024年12月底前"],
        ["2", "建设现代农业产业园", "市发改委、市农业农村局", "2025年"],
        ["二、人才振兴"],
        ["3", "实施高素质农民培育计划，每年培训5000人次", "市人社局", "每年"],
    ]
    plan = _table_plan(tmp_path, table)
    got = [(m.id, m.chapter, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("1", "产业振兴", "培育农业产业化龙头企业", "市农业农村局", ("市财政局",)),
        ("2", "产业振兴", "建设现代农业产业园", "市发展改革委", ("市农业农村局",)),
        ("3", "人才振兴", "实施高素质农民培育计划，每年培训5000人次", "市人社局", ()),
    ]
    assert [(x.id, x.due) for x in plan.measures[1].milestones] == [("2.1", date(2025, 12, 31))]
    assert plan.measures[2].milestones == ()


def test_docx_body_items_and_a_table_prefer_the_table(tmp_path: Path) -> None:
    """A plan whose task table repeats the body: the table is the allocation of record."""
    path = write_docx(
        tmp_path / "both.docx",
        [
            "某市方案",
            "一、重点任务",
            "（一）推进项目建设。（市发改委负责）",
            "附件：重点任务分工表",
        ],
        tables={4: [HEADER, ["1", "推进项目建设", "市发改委", "市财政局", "2024年底前"]]},
    )
    plan = parse_document(path)
    assert [(m.id, m.lead, m.cooperating) for m in plan.measures] == [
        ("1", "市发展改革委", ("市财政局",))
    ]


def test_docx_two_row_header(tmp_path: Path) -> None:
    """ "责任单位" spanning "牵头单位 | 配合单位" in a second header row, merged cells."""
    import docx

    document = docx.Document()
    document.add_paragraph("苏州市2024年数字经济重点任务分工表")
    table = document.add_table(rows=2, cols=5)
    for cell, name in zip(table.rows[1].cells, ["", "", "牵头单位", "配合单位", ""], strict=True):
        cell.text = name
    for col, name in ((0, "序号"), (1, "重点任务"), (4, "完成时限")):
        table.cell(0, col).merge(table.cell(1, col)).text = name
    table.cell(0, 2).merge(table.cell(0, 3)).text = "责任单位"
    for row in (
        ["1", "建设城市数字底座", "市大数据局", "市财政局", "6月底前"],
        ["2", "推进工业互联网平台建设", "市工信局", "市发改委、市科技局", "12月底前"],
    ):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.save(str(tmp_path / "two-row.docx"))
    plan = parse_document(tmp_path / "two-row.docx")
    assert [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures] == [
        ("1", "建设城市数字底座", "市大数据局", ("市财政局",)),
        ("2", "推进工业互联网平台建设", "市工业和信息化局", ("市发展改革委", "市科技局")),
    ]
    assert [x.due for m in plan.measures for x in m.milestones] == [
        date(2024, 6, 30),
        date(2024, 12, 31),
    ]


def test_an_unclosed_bracket_spoils_only_its_own_line() -> None:
    plan = parse_text(
        "某市方案\n一、任务\n"
        "（一）推进工作（含试点。加快推进。（市商务局负责）\n"
        "（二）完善机制。（市财政局负责）\n"
    )
    assert [(m.id, m.lead) for m in plan.measures] == [("1.1", "市商务局"), ("1.2", "市财政局")]


def test_docx_with_word_auto_numbering(tmp_path: Path) -> None:
    """Headings numbered by Word's list feature: "一、" / "（一）" / "1." are not in the text."""
    path = write_numbered_docx(
        tmp_path / "numbered.docx",
        [
            (None, "深圳市智慧城市建设方案"),
            (0, "主要目标"),
            (None, "到2025年，建成5G基站5万个。"),
            (0, "重点任务"),
            (1, "建设城市大脑。2024年底前上线。（市政务服务数据管理局牵头，市发展改革委配合）"),
            (1, "推进数据开放"),
            (2, "编制开放目录。2024年6月底前完成。（市政务服务数据管理局负责）"),
            (2, "建设开放平台。（市工业和信息化局负责）"),
            (0, "保障措施"),
            (1, "加强组织领导。（市政府办公厅负责）"),
        ],
    )
    plan = parse_document(path)
    assert [(m.id, m.chapter, m.title, m.lead) for m in plan.measures] == [
        ("2.1", "重点任务", "建设城市大脑", "市政务服务数据管理局"),
        ("2.2.1", "重点任务", "编制开放目录", "市政务服务数据管理局"),
        ("2.2.2", "重点任务", "建设开放平台", "市工业和信息化局"),
        ("3.1", "保障措施", "加强组织领导", "市政府办公厅"),
    ]
    assert [g.value for g in plan.goals] == ["5万个"]
    assert plan.text.split("\n")[1:4] == [
        "一、主要目标",
        "到2025年，建成5G基站5万个。",
        "二、重点任务",
    ]


@pytest.mark.parametrize(
    ("n", "fmt", "label"),
    [
        (1, "chineseCounting", "一"),
        (10, "chineseCountingThousand", "十"),
        (12, "chineseCounting", "十二"),
        (21, "chineseCounting", "二十一"),
        (3, "decimal", "3"),
        (2, "decimalEnclosedCircle", "②"),
        (4, "upperRoman", "IV"),
        (3, "lowerLetter", "c"),
    ],
)
def test_word_number_formats(n: int, fmt: str, label: str) -> None:
    assert format_number(n, fmt) == label


def test_clause_on_the_heading_line_and_a_deadline_line() -> None:
    plan = parse_text(
        "天津市制造业高质量发展方案\n"
        "二、重点任务\n"
        "（一）做强产业链（市工业和信息化局牵头，市发展改革委配合）\n"
        "实施产业链“链长制”。到2025年，重点产业链产值达到1万亿元。\n"
        "（二）培育优质企业【责任单位：市工业和信息化局、市科技局】\n"
        "2024年新增专精特新企业200家。\n"
        "（三）推动数字化转型。\n"
        "责任单位：市工信局\n"
        "完成时限：2024年12月底前\n"
    )
    got = [(m.id, m.title, m.lead, m.cooperating) for m in plan.measures]
    assert got == [
        ("2.1", "做强产业链", "市工业和信息化局", ("市发展改革委",)),
        ("2.2", "培育优质企业", "市工业和信息化局", ("市科技局",)),
        ("2.3", "推动数字化转型", "市工业和信息化局", ()),
    ]
    ms = [(x.id, x.due, x.value, x.text) for m in plan.measures for x in m.milestones]
    assert ms == [
        ("2.1.1", date(2025, 12, 31), "1万亿元", "到2025年，重点产业链产值达到1万亿元"),
        ("2.2.1", date(2024, 12, 31), "200家", "2024年新增专精特新企业200家"),
        ("2.3.1", date(2024, 12, 31), None, "推动数字化转型"),  # a bare deadline dates the task
    ]
    for m in plan.measures:
        for x in m.milestones:
            assert plan.text[x.span[0] : x.span[1]] == x.text


def test_clauses_of_a_chapter_or_item_cover_what_has_none() -> None:
    plan = parse_text(
        "某市改革方案\n"
        "四、重点任务\n"
        "（一）推进改革。统筹推进各项改革。（市发改委牵头）\n"
        "1.深化审批改革。2024年底前完成。（市行政审批局负责）\n"
        "2.深化财税改革。（市财政局负责）\n"
        "3.深化国企改革。\n"
        "五、保障措施（市委办、市政府办牵头，各有关部门配合）\n"
        "（一）加强组织领导。建立工作专班。\n"
        "（二）强化督查考核。2024年6月底前开展督查。\n"
    )
    got = [(m.id, m.chapter, m.title, m.lead, m.cooperating) for m in plan.measures]
    both = ("市政府办", "有关部门")
    assert got == [
        ("4.1", "重点任务", "推进改革", "市发展改革委", ()),
        ("4.1.1", "重点任务", "深化审批改革", "市行政审批局", ()),
        ("4.1.2", "重点任务", "深化财税改革", "市财政局", ()),
        ("4.1.3", "重点任务", "深化国企改革", "市发展改革委", ()),
        ("5.1", "保障措施", "加强组织领导", "市委办", both),
        ("5.2", "保障措施", "强化督查考核", "市委办", both),
    ]
    assert [x.id for m in plan.measures for x in m.milestones] == ["4.1.1.1", "5.2.1"]
    assert plan.measures[0].text == "（一）推进改革。统筹推进各项改革。（市发改委牵头）"


LEADS = ["市发展改革委", "市财政局", "市商务局", "市住建局", "市生态环境局", "市农业农村局"]


@pytest.mark.parametrize("valign", ["TOP", "MIDDLE"])
def test_pdf_task_table_over_several_pages(tmp_path: Path, valign: str) -> None:
    """A long 任务分工表 in a PDF: wrapped cells (centred vertically or not), the header
    repeated on every page."""
    header = ["序号", "工作任务", "责任单位", "时限要求"]
    rows = [
        [
            str(n),
            f"推进第{n}批城市更新项目建设，完成老旧小区改造{n * 10}个并同步完善配套设施",
            f"{LEADS[n % 6]}（牵头）、{LEADS[(n + 1) % 6]}",
            f"2024年{n % 12 + 1}月底前",
        ]
        for n in range(1, 41)
    ]
    path = write_pdf_with_table(
        tmp_path / "long.pdf",
        ["合肥市城市更新2024年任务清单"],
        [header, *rows],
        ["各单位抓好落实。"],
    )
    plan = parse_document(path)
    assert [m.id for m in plan.measures] == [str(n) for n in range(1, 41)]
    for n, m in enumerate(plan.measures, start=1):
        assert m.title.startswith(f"推进第{n}批城市更新项目建设")
        assert (m.lead, m.cooperating) == (LEADS[n % 6], (LEADS[(n + 1) % 6],))
        (ms,) = m.milestones
        assert (ms.due.year, ms.due.month, ms.value) == (2024, n % 12 + 1, f"{n * 10}个")
        # A bare 完成时限 cell is the milestone (the corpus convention); it dates the row.
        assert plan.text[ms.span[0] : ms.span[1]] == ms.text == f"2024年{n % 12 + 1}月底前"


def test_a_flat_numbered_list_of_tasks() -> None:
    plan = parse_text(
        "某市2024年优化营商环境工作要点\n"
        "为持续优化营商环境，制定本要点。\n"
        "1.压缩企业开办时间。2024年6月底前实现全程网办。（市市场监管局负责）\n"
        "2.提升纳税便利度。（市税务局牵头，市财政局配合）\n"
    )
    assert [(m.id, m.title, m.lead) for m in plan.measures] == [
        ("1", "压缩企业开办时间", "市市场监管局"),
        ("2", "提升纳税便利度", "市税务局"),
    ]
    assert [x.id for x in plan.measures[0].milestones] == ["1.1"]


def test_items_without_chapters_and_chapters_without_items() -> None:
    items = parse_text(
        "某市方案\n（一）压缩开办时间。（市市场监管局负责）\n（二）提升纳税便利度。（市税务局负责）\n"
    )
    assert [(m.id, m.lead) for m in items.measures] == [("1", "市市场监管局"), ("2", "市税务局")]
    chapters = parse_text(
        "某市2024年工作要点\n"
        "一、压缩企业开办时间。2024年6月底前实现全程网办。（市市场监管局负责）\n"
        "二、提升纳税便利度。（市税务局牵头，市财政局配合）\n"
        "三、工作要求\n各单位要高度重视。\n"
    )
    got = [(m.id, m.chapter, m.title, m.lead, m.cooperating) for m in chapters.measures]
    assert got == [
        ("1", "压缩企业开办时间", "压缩企业开办时间", "市市场监管局", ()),
        ("2", "提升纳税便利度", "提升纳税便利度", "市税务局", ("市财政局",)),
    ]
    assert [x.id for m in chapters.measures for x in m.milestones] == ["1.1"]


def test_sub_items_without_a_clause_beside_ones_with_are_warned_not_tasks() -> None:
    plan = parse_text(
        "某区农村公路方案\n五、主要任务\n（二）强化养护资金筹措\n"
        "1.明确三级财政出资比例\n县道由市、区两级财政共同承担。\n"
        "2.加强资金使用监管。（责任单位：区财政局）\n"
        "3.探索投融资机制。（责任单位：区发展改革委）\n"
    )
    assert [m.id for m in plan.measures] == ["5.2.2", "5.2.3"]
    (w,) = [w for w in plan.warnings if w.kind == "no_clause"]
    assert "5.2.1" in w.message and w.span is not None
    assert plan.text[w.span[0] : w.span[1]].startswith("1.明确三级财政出资比例")


def test_an_attachment_that_starts_again_at_one_is_another_document() -> None:
    plan = parse_text(
        "某区农村公路方案\n一、主要任务\n（一）落实属地责任。（区交通委负责）\n"
        "二、保障措施\n（一）加强组织领导。（区政府办公室负责）\n"
        "附件2\n某区路长制实施方案\n一、组织构架\n（一）设立区级路长。（区交通委负责）\n"
    )
    assert [(m.id, m.title) for m in plan.measures] == [
        ("1.1", "落实属地责任"),
        ("2.1", "加强组织领导"),
    ]


def _body_and_table(rows: int) -> Plan:
    body = "".join(f"（{n}）任务{n}。推进工作。（市发改委负责）\n" for n in "一二三")
    table = "| 序号 | 重点任务 | 牵头单位 | 完成时限 |\n|---|---|---|---|\n" + "".join(
        f"| {n} | 表中任务{n} | 市商务局 | 2024年底前 |\n" for n in range(1, rows + 1)
    )
    return parse_text(f"某市行动方案\n一、重点任务\n{body}附件\n重点任务分工表\n{table}")


def test_a_task_table_of_the_same_tasks_is_the_measure_set() -> None:
    # The corpus convention: when the body and a 分工表 both list the tasks, the table's rows
    # are the measures; a short summary table beside many body measures is not.
    assert [m.lead for m in _body_and_table(3).measures] == ["市商务局"] * 3
    assert [m.lead for m in _body_and_table(1).measures] == ["市发展改革委"] * 3
