"""The seed as users receive it: .docx, GB18030 and UTF-8-BOM text, a PDF — same plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_files import cjk_ttf, seed_text, write_docx, write_pdf

from parser.errors import ParseError
from parser.model import Plan
from parser.pipeline import parse_document
from parser.reading import decode_text


def _tasks(plan: Plan) -> list[tuple[object, ...]]:
    return [
        (m.id, m.title, m.lead, m.cooperating, tuple((x.id, x.due, x.value) for x in m.milestones))
        for m in plan.measures
    ]


def _assert_same_plan(plan: Plan, seed: Plan) -> None:
    assert plan.document.title == seed.document.title
    assert _tasks(plan) == _tasks(seed)
    assert [(g.value, g.due) for g in plan.goals] == [(g.value, g.due) for g in seed.goals]
    assert plan.county_cooperators == seed.county_cooperators
    for m in plan.measures:
        for ms in m.milestones:
            assert plan.text[ms.span[0] : ms.span[1]] == ms.text


def test_docx_paragraphs(tmp_path: Path, seed_plan: Plan) -> None:
    path = write_docx(tmp_path / "plan.docx", seed_text().split("\n"))
    plan = parse_document(path)
    _assert_same_plan(plan, seed_plan)
    assert plan.document.source == "plan.docx"
    assert plan.text == seed_plan.text


def test_docx_with_line_breaks_inside_paragraphs(tmp_path: Path, seed_plan: Plan) -> None:
    """Some offices put a whole section in one paragraph with manual line breaks."""
    import docx

    document = docx.Document()
    for block in seed_text().split("\n\n"):
        para = document.add_paragraph()
        lines = block.split("\n")
        for i, line in enumerate(lines):
            run = para.add_run(line)
            if i + 1 < len(lines):
                run.add_break()
    document.save(str(tmp_path / "breaks.docx"))
    _assert_same_plan(parse_document(tmp_path / "breaks.docx"), seed_plan)


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("gb18030.txt", lambda s: s.encode("gb18030")),
        ("gbk.txt", lambda s: s.replace("₂", "2").replace("₄", "4").encode("gbk")),
        ("bom.txt", lambda s: b"\xef\xbb\xbf" + s.encode("utf-8")),
        ("utf16.txt", lambda s: s.encode("utf-16")),
        ("crlf.txt", lambda s: s.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_text_encodings(tmp_path: Path, seed_plan: Plan, name: str, encode: object) -> None:
    path = tmp_path / name
    path.write_bytes(encode(seed_text()))  # type: ignore[operator]
    _assert_same_plan(parse_document(path), seed_plan)


def test_gb18030_is_detected_not_guessed() -> None:
    assert decode_text("牵头单位：市发展改革委".encode("gb18030")) == "牵头单位：市发展改革委"
    with pytest.raises(ParseError, match=r"encoding|binary"):
        decode_text(bytes(range(0x80, 0x100)) * 20 + b"\x01\x02" * 400)


def test_pdf_with_builtin_cid_font(tmp_path: Path, seed_plan: Plan) -> None:
    """Lines wrapped at the page width and page breaks: the reader must rejoin them."""
    path = write_pdf(tmp_path / "plan.pdf", seed_text().split("\n"))
    _assert_same_plan(parse_document(path), seed_plan)


def test_pdf_with_embedded_cjk_truetype_font(tmp_path: Path, seed_plan: Plan) -> None:
    font = cjk_ttf()
    if font is None:
        pytest.skip(
            "!!! NO CJK TRUETYPE FONT ON THIS MACHINE (fc-list :lang=zh is empty): the "
            "embedded-font PDF test did not run; `make system` installs fonts-wqy-microhei !!!"
        )
    path = write_pdf(tmp_path / "embedded.pdf", seed_text().split("\n"), font_file=font)
    _assert_same_plan(parse_document(path), seed_plan)


def test_content_decides_not_the_file_name(tmp_path: Path, seed_plan: Plan) -> None:
    """A Word file saved as .txt and a PDF saved as .docx are still read as what they are."""
    lines = seed_text().split("\n")
    docx_as_txt = tmp_path / "plan.txt"
    docx_as_txt.write_bytes(write_docx(tmp_path / "a.docx", lines).read_bytes())
    pdf_as_docx = tmp_path / "plan.docx"
    pdf_as_docx.write_bytes(write_pdf(tmp_path / "b.pdf", lines).read_bytes())
    _assert_same_plan(parse_document(docx_as_txt), seed_plan)
    _assert_same_plan(parse_document(pdf_as_docx), seed_plan)
