"""What real files contain, and the one normalized text every span points into."""

from __future__ import annotations

import pytest

from parser.normalize import clean_inline, normalize, tortoise_brackets
from parser.reading import Paragraph, Table


def norm(text: str) -> str:
    return normalize([Paragraph(line) for line in text.split("\n")]).text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("到**2025**年，创建**30**家示范单位", "到2025年，创建30家示范单位"),
        ("## （一）加强组织领导", "（一）加强组织领导"),
        ("到２０２５年，覆盖率达到８５％以上", "到2025年，覆盖率达到85%以上"),
        (
            "〔市生态环境局、市能源局等按职责分工负责）",
            "（市生态环境局、市能源局等按职责分工负责）",
        ),
        ("(市发改委牵头，市财政局配合)", "（市发改委牵头，市财政局配合）"),
        ("［市商务局负责］", "（市商务局负责）"),
        ("到 2025 年，基本淘汰国三及以下排放标准汽车", "到2025年，基本淘汰国三及以下排放标准汽车"),
        ("于 2025 年底前全部安装到位", "于2025年底前全部安装到位"),
        ("建成基站 3.5 万个，装机 144 万千瓦", "建成基站3.5万个，装机144万千瓦"),
        ("占比提高 15% 以上", "占比提高15%以上"),
        ("　　（二）全面推进改革。", "（二）全面推进改革。"),
        ("晋政发(2022)25号", "晋政发〔2022〕25号"),
    ],
)
def test_clean_inline(raw: str, expected: str) -> None:
    # Brackets are judged on the whole paragraph (a pair may be split by a line break).
    assert tortoise_brackets(clean_inline(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("各市、县〔区〕人民政府", "各市、县〔区〕人民政府"),  # a name, as written
        ("〔市发改委负责）", "（市发改委负责）"),  # a typo for （
        ("（市发改委负责〕", "（市发改委负责）"),
    ],
)
def test_tortoise_brackets(raw: str, expected: str) -> None:
    assert tortoise_brackets(raw) == expected


def test_word_split_by_a_page_break_is_joined() -> None:
    text = norm(
        "某市方案\n\n（三）推进工程。协同提高利用率，加大可再\n\n生能源应用，持续推进建设。"
    )
    assert "加大可再生能源应用" in text


def test_clause_split_by_a_page_break_is_joined() -> None:
    text = norm(
        "某市方案\n\n（一）推进改造工程。实施改造。\n\n〔市生态环境局、市能源局\n\n"
        "等按职责分工负责，各县（市、区）政府配合落实）\n\n（二）下一项工作。"
    )
    assert "（市生态环境局、市能源局等按职责分工负责，各县（市、区）政府配合落实）" in text
    assert text.endswith("\n（二）下一项工作。")


def test_headings_and_title_are_not_glued() -> None:
    text = norm("某市数字政府建设方案\n一、总体要求\n坚持问题导向\n二、主要任务\n（一）深化改革")
    assert text.split("\n") == [
        "某市数字政府建设方案",
        "一、总体要求",
        "坚持问题导向",
        "二、主要任务",
        "（一）深化改革",
    ]


def test_sentence_ends_stay_line_ends() -> None:
    text = norm(
        "某市方案\n（一）深化改革。推进改革工作。\n（二）优化服务，提升效能。\n1.建立机制。"
    )
    assert text.split("\n")[1:] == [
        "（一）深化改革。推进改革工作。",
        "（二）优化服务，提升效能。",
        "1.建立机制。",
    ]


def test_tables_are_laid_out_with_located_cells() -> None:
    blocks = [
        Paragraph("某市任务分工方案"),
        Table((("序号", "重点任务", "牵头单位"), ("1", "建设**智慧**平台", "市大数据局"))),
        Paragraph("附：说明"),
    ]
    n = normalize(blocks)
    (table,) = n.tables
    cell = table.rows[1][1]
    assert cell.text == "建设智慧平台"
    assert n.text[cell.start : cell.end] == "建设智慧平台"
    assert n.text[table.start : table.end].split("\n")[0] == "序号 | 重点任务 | 牵头单位"


def test_markdown_pipe_table_in_text_becomes_a_table() -> None:
    lines = [
        "某市任务分工方案",
        "| 序号 | 重点任务 | 牵头单位 |",
        "| --- | --- | --- |",
        "| 1 | 建设平台 | 市大数据局 |",
    ]
    n = normalize([Paragraph(line) for line in lines])
    assert [[c.text for c in row] for row in n.tables[0].rows] == [
        ["序号", "重点任务", "牵头单位"],
        ["1", "建设平台", "市大数据局"],
    ]


@pytest.mark.parametrize(
    "number", ["— 5 —", "-5-", "－ 12 －", "5", "第5页", "第 5 页 共 12 页", "5/12"]
)
def test_page_numbers_between_halves_of_a_sentence_are_dropped(number: str) -> None:
    text = norm(f"某市方案\n（二）推进工作。加强市生\n{number}\n态环境局的统筹协调。")
    assert text == "某市方案\n（二）推进工作。加强市生态环境局的统筹协调。"


def test_numbers_that_are_text_stay() -> None:
    text = norm("某市方案\n（一）目标。到2025年达到\n2025\n年的水平。")
    assert text.endswith("到2025年达到2025年的水平。")
