"""The numbering grammar (parser/numbering.py): markers in every spelling, headings found
inside a paragraph, numbers inside sentences left alone.

The paragraphs below are taken from the corpus (tests/data/corpus/), where they occur run
together on one line exactly like this.
"""

from __future__ import annotations

import pytest

from parser.numbering import Counter, Level, cn_to_int, fold, heading_marker, split_paragraph


@pytest.mark.parametrize(
    ("line", "level", "number"),
    [
        ("第三章 重点任务", Level.PART, 3),
        ("第二部分　主要措施", Level.PART, 2),
        ("第十二节 保障", Level.PART, 12),
        ("三、重点任务", Level.CHAPTER, 3),
        ("十一．保障措施", Level.CHAPTER, 11),
        ("四.组织实施", Level.CHAPTER, 4),
        ("（十三）丰富农村消费", Level.ITEM, 13),
        ("(二)加强领导", Level.ITEM, 2),
        ("〔三〕强化督查", Level.ITEM, 3),
        ("12.推进改革", Level.SUB, 12),
        ("１２．推进改革", Level.SUB, 12),
        ("3﹒推进改革", Level.SUB, 3),
        ("3·推进改革", Level.SUB, 3),
        ("5、完善机制", Level.SUB, 5),
        ("（4）完善机制", Level.SUB, 4),
        ("2）完善机制", Level.SUB, 2),
        ("① 建设平台", Level.CIRCLED, 1),
    ],
)
def test_every_spelling_of_a_marker(line: str, level: Level, number: int) -> None:
    mk = heading_marker(line)
    assert mk is not None
    assert (mk.level, mk.number) == (level, number)
    assert line[mk.body :].strip() and not line[mk.body :].startswith(("、", ".", "）"))


@pytest.mark.parametrize(
    "line",
    [
        "2025年，全市新建充电桩1万台",
        "1.5万吨标准煤",
        "3.8.3 已完成",
        "一、二、三级医院全覆盖",
        "统一、规范、高效",
        "（市发改委负责）",
        "（2021—2025年）",
    ],
)
def test_not_a_heading(line: str) -> None:
    mk = heading_marker(line)
    assert mk is None or (mk.level == Level.CHAPTER and line.startswith("一、二"))


def test_fold_keeps_offsets() -> None:
    s = "（一）１２．３％，Ａ"
    assert len(fold(s)) == len(s)
    assert fold(s) == "(一)12.3%,A"


def test_chinese_numerals() -> None:
    assert [cn_to_int(s) for s in ("一", "十", "十二", "二十三", "一百零五", "三四")] == [
        1,
        10,
        12,
        23,
        105,
        None,
    ]


def _split(*paragraphs: str) -> list[str]:
    seq = Counter()
    return [line for p in paragraphs for line in split_paragraph(p, seq)]


def test_a_plan_on_one_line_is_cut_at_its_headings() -> None:
    # zhejiang_xianyushangye_2021: the whole plan is one line.
    text = (
        "结合我省实际，特制定本实施方案。一、总体方案（一）总体要求以习近平新时代中国特色社会主义"
        "思想为指导，深入贯彻党的十九大和十九届二中、三中、四中、五中全会精神。（二）基本原则一是要"
        "坚持县域统筹，分层分类实施。省级乡村休闲旅游集聚区个300二、高质量发展建设共同富裕县域商业体系，"
        "加速推进农村山区跨越式发展（一）高标准完善县城商业设施。把县域作为统筹农村商业发展的重要切入点。"
        "（省商务厅、各市、县〔市、区〕政府等分工负责）（二）高水平建设乡镇商贸中心。鼓励企业建设。"
        "（省农业农村厅）（三）培育新型农村商业人才。"
    )
    lines = _split(text)
    heads = [line[:6] for line in lines]
    assert heads == [
        "结合我省实际",
        "一、总体方案",
        "（一）总体要",
        "（二）基本原",
        "二、高质量发",
        "（一）高标准",
        "（二）高水平",
        "（三）培育新",
    ]
    # "二中、三中" and "一是" inside sentences are not headings.
    assert "十九届二中、三中、四中、五中全会精神。" in lines[2]


def test_items_that_run_on_across_chapters() -> None:
    lines = _split(
        "一、任务", "（一）甲。（市发改委负责）（二）乙。", "二、保障（三）丙。（四）丁。"
    )
    assert [line[:3] for line in lines] == [
        "一、任",
        "（一）",
        "（二）",
        "二、保",
        "（三）",
        "（四）",
    ]


def test_a_list_after_a_colon_stays_in_its_sentence() -> None:
    lines = _split("（一）建设平台。主要包括：1.数据中心；2.算力网络。（市大数据局负责）")
    assert len(lines) == 1


def test_a_number_out_of_sequence_stays_in_its_sentence() -> None:
    lines = _split("一、任务", "（一）推进改革。按照第（五）项执行。（市发改委负责）")
    assert len(lines) == 2
