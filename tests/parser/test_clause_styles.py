"""Responsibility clauses in every common style, each in a small plan of its own.

The plans are other cities and other topics than the seed, written the way
their offices write them.
"""

from __future__ import annotations

from datetime import date

import pytest

from parser.model import Measure, Plan
from parser.pipeline import parse_text
from parser.units import UnitParser, canonicalize, is_known

COUNTY = "县（市、区）政府"


def measures(text: str) -> dict[str, Measure]:
    return {m.id: m for m in parse_text(text).measures}


def units_of(m: Measure) -> tuple[str | None, tuple[str, ...]]:
    return m.lead, m.cooperating


def test_list_with_division_of_duties() -> None:
    plan = measures(
        "西宁市生活垃圾分类工作方案\n"
        "一、重点任务\n"
        "（一）完善分类投放体系。2024年底前实现城区居民小区分类设施全覆盖。"
        "（市城管局、市住建局、市商务局等按职责分工负责）\n"
        "（二）健全收运处置体系。（市城市管理局、市生态环境局按照职责分工负责）\n"
    )
    # Names are kept as written unless they are a common spelling of one department
    # (发改委 = 发展改革委, 住房和城乡建设局 = 住建局 …): 城管局 stays 城管局.
    assert units_of(plan["1.1"]) == ("市城管局", ("市住建局", "市商务局"))
    assert units_of(plan["1.2"]) == ("市城市管理局", ("市生态环境局",))


def test_lead_then_cooperators() -> None:
    plan = measures(
        "合肥市新能源汽车产业发展行动计划\n"
        "二、主要任务\n"
        "（一）壮大整车企业。（市发改委牵头，市经信局、市科技局配合）\n"
        "（二）完善充电网络。（市住建局牵头负责，市供电公司、各县（市）区政府配合）\n"
    )
    assert units_of(plan["2.1"]) == ("市发展改革委", ("市经信局", "市科技局"))
    assert units_of(plan["2.2"]) == ("市住建局", ("市供电公司", "县（市）区政府"))


def test_labelled_lines_of_their_own() -> None:
    plan = measures(
        "厦门市优化营商环境行动方案\n"
        "三、重点任务\n"
        "（一）压缩企业开办时间。2023年6月底前实现企业开办全程网办。\n"
        "牵头单位：市市场监督管理局；配合单位：市税务局、市人社局\n"
        "（二）提升纳税便利度。\n"
        "牵头单位：市税务局\n"
        "配合单位：市财政局、市大数据管理局，各区人民政府\n"
    )
    assert units_of(plan["3.1"]) == ("市市场监管局", ("市税务局", "市人社局"))
    assert units_of(plan["3.2"]) == ("市税务局", ("市财政局", "市大数据管理局", "区人民政府"))


def test_labelled_clause_in_brackets() -> None:
    plan = measures(
        "长沙市数字经济发展方案\n"
        "一、主要任务\n"
        "（一）建设算力中心。(牵头单位：市工业和信息化局；配合单位：市发展和改革委员会)\n"
    )
    assert units_of(plan["1.1"]) == ("市工业和信息化局", ("市发展改革委",))


def test_lead_marked_inside_a_responsibility_list() -> None:
    plan = measures(
        "昆明市文旅融合发展方案\n"
        "一、重点工作\n"
        "（一）打造精品旅游线路。到2025年推出精品线路20条。"
        "责任单位：市文化和旅游局、市交通运输局（牵头）、市商务局\n"
    )
    assert units_of(plan["1.1"]) == ("市交通局", ("市文旅局", "市商务局"))


def test_single_responsible_unit() -> None:
    plan = measures(
        "大连市海洋经济发展方案\n"
        "一、重点任务\n"
        "（一）建设现代渔港。（市农业农村局负责）\n"
        "（二）发展海洋牧场。（市海洋发展局负责）\n"
    )
    assert units_of(plan["1.1"]) == ("市农业农村局", ())
    assert units_of(plan["1.2"]) == ("市海洋发展局", ())


def test_trailing_county_cooperation_sentence() -> None:
    plan = measures(
        "兰州市农村人居环境整治方案\n"
        "一、重点任务\n"
        "（一）推进农村厕所革命。到2025年农村卫生厕所普及率达到75%。"
        "（市农业农村局、市卫健委负责）各县（市、区）政府配合落实。\n"
        "（二）治理农村生活污水。（市生态环境局负责）\n"
        "各区、县（市）政府配合落实。\n"
    )
    assert units_of(plan["1.1"]) == ("市农业农村局", ("市卫健委", COUNTY))
    # Local-government tails are kept as the text writes them (corpus convention).
    assert units_of(plan["1.2"]) == ("市生态环境局", ("区、县（市）政府",))


@pytest.mark.parametrize(
    ("declaration", "government"),
    [
        ("（以下均需县（市、区）政府、开发区管委会配合落实，名单不再一一列出）", COUNTY),
        ("（以下各项任务均需各区人民政府、各开发区管委会配合落实，不再一一列出）", "区人民政府"),
        (
            "以下各项任务均由各县（市、区）人民政府、开发区管理委员会配合落实，不再逐一列出。",
            "县（市、区）人民政府",
        ),
    ],
)
def test_cooperators_of_every_later_measure(declaration: str, government: str) -> None:
    plan = parse_text(
        "贵阳市大数据产业提升方案\n"
        "一、重点任务\n"
        f"{declaration}\n"
        "（一）建设数据中心集群。（市大数据局牵头，市发改委配合）\n"
        "（二）培育数据服务企业。（市工信局负责）\n"
    )
    # Local governments are kept as written (corpus convention); bureaus are canonical.
    expected = (government, "开发区管理委员会" if "管理委员会" in declaration else "开发区管委会")
    assert plan.county_cooperators == expected
    ms = {m.id: m for m in plan.measures}
    assert units_of(ms["1.1"]) == ("市大数据局", ("市发展改革委", *expected))
    assert units_of(ms["1.2"]) == ("市工业和信息化局", expected)


def test_declaration_applies_only_after_it() -> None:
    plan = measures(
        "福州市节水型城市建设方案\n"
        "一、重点任务\n"
        "（一）完善节水制度。（市水利局负责）\n"
        "（二）推进管网改造。（市城乡建设局负责）"
        "（以下均需各县（市）区政府配合落实，名单不再一一列出）\n"
        "（三）推广节水器具。（市市场监管局负责）\n"
    )
    assert plan["1.1"].cooperating == ()
    assert plan["1.3"].cooperating == ("县（市）区政府",)


@pytest.mark.parametrize(
    "spelling",
    ["市发改委", "市发展改革委", "太原市发展和改革委员会", "市发展和改革委员会", "各市发改委"],
)
def test_aliases_are_one_department(spelling: str) -> None:
    assert canonicalize(spelling) == "市发展改革委"
    assert is_known(spelling)
    plan = measures(f"太原市节能方案\n一、任务\n（一）推进节能。（{spelling}、市工信局负责）\n")
    assert units_of(plan["1.1"]) == ("市发展改革委", ("市工业和信息化局",))


@pytest.mark.parametrize(
    ("clause", "lead", "coop"),
    [
        ("市发改委市工信局负责", "市发展改革委", ("市工业和信息化局",)),
        (
            "市发改委市工信局市商务局按职责分工负责",
            "市发展改革委",
            ("市工业和信息化局", "市商务局"),
        ),
        ("市住建局牵头，市财政局市自然资源局配合", "市住建局", ("市财政局", "市自然资源局")),
        ("市教育局和市人社局负责", "市教育局", ("市人社局",)),
        (
            "县发改委、区工信局配合落实，市能源局牵头",
            "市能源局",
            ("县发展改革委", "区工业和信息化局"),
        ),
    ],
)
def test_units_written_without_separators_are_split(
    clause: str, lead: str, coop: tuple[str, ...]
) -> None:
    r = UnitParser().parse(clause)
    assert (r.lead, r.cooperating) == (lead, coop)
    assert r.warnings == ()


def test_unknown_unit_is_kept_verbatim_with_a_warning() -> None:
    plan = parse_text(
        "青岛市港口发展方案\n"
        "一、重点任务\n"
        "（一）建设智慧港口。（青岛港集团、市交通运输局按职责分工负责）\n"
    )
    (m,) = plan.measures
    assert units_of(m) == ("青岛港集团", ("市交通局",))
    (w,) = [w for w in plan.warnings if "青岛港集团" in w.message]
    assert (w.kind, w.measure) == ("new_unit", "1.1")
    # The span is the name as the clause writes it: what a reviewer is shown.
    assert w.span is not None and plan.text[w.span[0] : w.span[1]] == "青岛港集团"


def test_asides_in_brackets_are_not_clauses() -> None:
    plan = measures(
        "石家庄市钢铁行业整治方案\n"
        "一、重点任务\n"
        "（一）实施超低排放改造。完成钢铁行业（含炼焦工序）改造，推进炭化室4.3米以上（不含）"
        "焦炉改造，加强“九河”（小东流河、玉门河）治理。（市生态环境局负责）\n"
    )
    assert units_of(plan["1.1"]) == ("市生态环境局", ())


def test_units_have_no_noise() -> None:
    plan = measures(
        "唐山市污染防治方案\n"
        "一、重点任务\n"
        "（一）整治扬尘污染。（**各**市住建局、市城管局\n\n等按职责分工负责）\n"
    )
    assert units_of(plan["1.1"]) == ("市住建局", ("市城管局",))


def test_whole_plan_of_labelled_style_is_consistent() -> None:
    plan: Plan = parse_text(
        "银川市营商环境提升方案\n"
        "一、任务\n"
        "（一）优化审批。\n责任单位：市行政审批服务管理局（牵头）、市住建局\n"
        "（二）优化监管。\n责任单位：市市场监管局\n"
    )
    assert [(m.id, m.lead) for m in plan.measures] == [
        ("1.1", "市行政审批服务管理局"),
        ("1.2", "市市场监管局"),
    ]
    assert plan.warnings == ()


@pytest.mark.parametrize(
    ("clause", "lead", "coop"),
    [
        ("（市商务局牵头，市财政局等部门配合）", "市商务局", ("市财政局",)),
        (
            "（责任单位：市发展改革委牵头，市财政局、市住建局按职责分工负责）",
            "市发展改革委",
            ("市财政局", "市住建局"),
        ),
        (
            "牵头单位：市发展改革委    配合单位：市财政局、市税务局",
            "市发展改革委",
            ("市财政局", "市税务局"),
        ),
        ("牵头单位：市发展改革委\t配合单位：市财政局", "市发展改革委", ("市财政局",)),
        ("（市商务局、市财政局负责，2024年底前完成）", "市商务局", ("市财政局",)),
        ("（市商务局牵头；各县（市、区）政府负责落实）", "市商务局", (COUNTY,)),
        (
            "（市政府办公室、市发展改革委牵头，市直各部门按职责分工负责）",
            "市政府办公室",
            ("市发展改革委", "市直各部门"),
        ),
        ("市卫健委牵头，市医保局、市市场监管局配合。", "市卫健委", ("市医保局", "市市场监管局")),
        (
            "（市委组织部、市委宣传部，市发展改革委按职责分工负责）",
            "市委组织部",
            ("市委宣传部", "市发展改革委"),
        ),
    ],
)
def test_more_clause_variants(clause: str, lead: str, coop: tuple[str, ...]) -> None:
    plan = parse_text(
        f"宁波市港航物流方案\n一、任务\n（一）推进工作。加快推进。{clause}\n（二）下一项。（市商务局负责）\n"
    )
    assert units_of(plan.measures[0]) == (lead, coop)
    assert plan.warnings == ()


@pytest.mark.parametrize(
    "sentence",
    [
        "市发展改革委、市能源局加强统筹协调。",
        "各县（市、区）政府对本地区工作负总责。",
        "市场监管部门要加强抽检。",
    ],
)
def test_body_sentences_about_units_are_not_clauses(sentence: str) -> None:
    plan = parse_text(
        f"宁波市港航物流方案\n一、任务\n（一）推进工作。{sentence}（市交通局负责）\n"
    )
    assert units_of(plan.measures[0]) == ("市交通局", ())


@pytest.mark.parametrize(
    ("clause", "lead", "coop", "unknown"),
    [
        (
            "市政府办公室（市金融办）、市发改委负责",
            "市政府办公室",
            ("市金融办", "市发展改革委"),
            (),
        ),
        ("市公安局交警支队牵头", "市公安局交警支队", (), ("市公安局交警支队",)),
        ("县发改局、县财政局按职责分工负责", "县发展改革局", ("县财政局",), ()),
        ("山西省能源局、太原市生态环境局负责", "省能源局", ("市生态环境局",), ()),
        ("太原海关市商务局负责", "太原海关市商务局", (), ("太原海关市商务局",)),
        ("市委、市政府督查室负责", "市委", ("市政府督查室",), ()),
        ("各乡镇（街道）、各开发区管委会负责", "乡镇（街道）", ("开发区管委会",), ()),
        # the kinds of department after one name are one collective phrase
        (
            "市民政局牵头，各街道、相关委、办、局配合",
            "市民政局",
            ("街道", "相关委、办、局"),
            ("街道", "相关委、办、局"),
        ),
        ("市民政局、市财政局负责", "市民政局", ("市财政局",), ()),
        # local governments as one phrase, also "有关" ones
        (
            "市民政局牵头，各有关区、县级市政府配合",
            "市民政局",
            ("有关区、县级市政府",),
            ("有关区、县级市政府",),
        ),
    ],
)
def test_unit_names(
    clause: str, lead: str, coop: tuple[str, ...], unknown: tuple[str, ...]
) -> None:
    r = UnitParser().parse(clause)
    assert (r.lead, r.cooperating) == (lead, coop)
    assert r.warnings == tuple(f"unknown unit kept verbatim: {u}" for u in unknown)


def test_deadline_inside_a_clause_dates_the_measure() -> None:
    plan = parse_text(
        "郑州市智慧城市建设方案\n一、任务\n"
        "（一）建设城市大脑。推进建设。（责任单位：市大数据局；完成时限：2024年底前）\n"
        "（二）完善标准。（市市场监管局负责，长期坚持）\n"
    )
    first, second = plan.measures
    assert units_of(first) == ("市大数据局", ())
    # The milestone names what is due and when: from the title through the deadline.
    assert [(x.id, x.text, x.due) for x in first.milestones] == [
        (
            "1.1.1",
            "建设城市大脑。推进建设。（责任单位：市大数据局；完成时限：2024年底前",
            date(2024, 12, 31),
        )
    ]
    assert units_of(second) == ("市市场监管局", ())
    assert second.milestones == ()
    assert plan.warnings == ()


@pytest.mark.parametrize(
    ("lines", "lead", "coop"),
    [
        ("责任主体：各县（市、区）政府", COUNTY, ()),
        ("主要责任单位：市应急局、市公安局", "市应急局", ("市公安局",)),
        ("牵头部门：市应急局\n协办处室：市财政局", "市应急局", ("市财政局",)),
        ("牵头单位：市应急管理局配合部门：市消防救援支队", "市应急局", ("市消防救援支队",)),
    ],
)
def test_label_vocabulary(lines: str, lead: str, coop: tuple[str, ...]) -> None:
    plan = parse_text(f"南昌市安全生产专项整治方案\n一、任务\n（一）整治隐患。\n{lines}\n")
    assert units_of(plan.measures[0]) == (lead, coop)
    assert plan.warnings == ()


@pytest.mark.parametrize(
    ("clause", "lead", "coop", "due"),
    [
        # A deadline segment first, then a label with a qualifier.
        (
            "（6月底完成，牵头考核单位：市委组织部、市发改委）",
            "市委组织部",
            ("市发展改革委",),
            date(2022, 6, 30),
        ),
        (
            "（2024年底前完成，责任单位：市委组织部、市发改委）",
            "市委组织部",
            ("市发展改革委",),
            date(2024, 12, 31),
        ),
        (
            "（责任部门：市委组织部；推进单位：市发改委、市财政局）",
            "市委组织部",
            ("市发展改革委", "市财政局"),
            None,
        ),
        (
            "（牵头部门：市委组织部；配合部门：市发改委和市财政局及市人社局）",
            "市委组织部",
            ("市发展改革委", "市财政局", "市人社局"),
            None,
        ),
        # Local governments listed first lead, as written.
        (
            "（责任单位：各市人民政府，省经济和信息化厅）",
            "市人民政府",
            ("省经济和信息化厅",),
            None,
        ),
        ("(牵头单位：市委组织部;配合单位：市发改委)", "市委组织部", ("市发展改革委",), None),
        ("（长期坚持，市委组织部、市发改委负责）", "市委组织部", ("市发展改革委",), None),
        ("（市发改委会同市财政局负责）", "市发展改革委", ("市财政局",), None),
        ("（海关总署、商务部等有关部门负责）", "海关总署", ("商务部",), None),
    ],
)
def test_clause_styles_from_real_plans(
    clause: str, lead: str, coop: tuple[str, ...], due: date | None
) -> None:
    plan = parse_text(
        f"2022年某市考评办法\n一、任务\n（一）完善考核机制。制定考核细则。{clause}\n"
        "（二）其他。（市文旅局负责）\n"
    )
    m = plan.measures[0]
    assert units_of(m) == (lead, coop)
    assert [x.due for x in m.milestones] == ([due] if due else [])
    for x in m.milestones:
        assert plan.text[x.span[0] : x.span[1]] == x.text
        assert x.text.startswith("完善考核机制")


def test_decoys_are_not_clauses() -> None:
    plan = measures(
        "某市数字政府建设方案\n一、任务\n"
        "（一）推广政务服务（APP）。在（自治区、直辖市）层面推广，每项得（0.5分）。"
        "由市工作专班牵头单位统筹，各部门配合做好工作。（市大数据局牵头，市财政局配合）\n"
        "（二）其他。（市文旅局负责）\n"
    )
    assert units_of(plan["1.1"]) == ("市大数据局", ("市财政局",))
