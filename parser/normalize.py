"""Turn raw blocks into one normalized text with table cells located in it.

Real files carry noise that must not reach the parser: markdown `**`, full-width
digits, half-width or mismatched brackets (〔…）), spaces inside numbers
("2025 年"), page numbers ("— 5 —") and sentences split by page breaks
("可再\\n\\n生能源"). Every span the parser reports points into the text
built here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from parser.flattables import lift_flat_tables
from parser.numbering import Counter, is_heading, split_paragraph
from parser.reading import Block, Paragraph, Table
from parser.units import LABEL

_FULLWIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "\uff0e": ".",  # ．
        "\uff05": "%",  # ％
        "\u3000": " ",  # ideographic space
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200b": "",
        "\ufeff": "",
        "(": "（",
        ")": "）",
        "［": "（",
        "］": "）",
        "【": "（",
        "】": "）",
        "\uff5e": "~",
        "\u2014": "—",
        "\u2013": "—",
    }
)

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’《》、，。；：？！（）…—"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d)[ \t]+(?=[\d.%])|(?<=\d\.)[ \t]+(?=\d)")
_MARKDOWN = re.compile(r"\*\*|__|^#{1,6}\s+|^>\s+")
# Document numbers keep their 〔2022〕 brackets (they are not clause brackets).
_DOC_NUMBER = re.compile(r"（(\d{4})）(?=\d+号)")
# A short 〔…〕 pair stays as written: it sits inside a name ("市、县〔区〕人民政府") or a
# document number. A stray 〔 or 〕 is a bracket typo and becomes （ or ）.
_TORTOISE = re.compile(r"〔([^〔〕（）\n]{1,8})〕")
_STRAY_TORTOISE = str.maketrans({"〔": "（", "〕": "）"})

# "— 5 —", "-5-", "5", "第5页", "第5页 共12页", "5/12": a page's number, not text.
_PAGE_NUMBER = re.compile(
    r"^(?:[-—~·－]*\s*\d{1,3}\s*[-—~·－]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3})$"
)
_TERMINAL = "。！？；：!?;:"
_LABEL_LINE = re.compile(rf"^{LABEL}")
_UNIT_END = re.compile(r"(?:局|委|办|府|会|中心|公司|集团|室|院|队|部|厅|行|社|所|站|）)$")
_CLAUSE_END = re.compile(r"（[^（）]*(?:负责|牵头|配合|落实|列出)[^（）]*）$")


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TableAt:
    """A table whose cells are located in the normalized text."""

    rows: tuple[tuple[Cell, ...], ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str
    tables: tuple[TableAt, ...]


def clean_inline(s: str) -> str:
    """Normalize one line: widths, brackets, markdown, spaces near CJK and in numbers."""
    s = s.translate(_FULLWIDTH)
    s = _MARKDOWN.sub("", s)
    s = _SPACE_NEAR_CJK.sub("", s)
    s = _SPACE_IN_NUMBER.sub("", s)
    s = _DOC_NUMBER.sub(r"〔\1〕", s)
    return s.strip()


_NUMERAL_TAIL = "一二三四五六七八九十0123456789（"


def tortoise_brackets(s: str) -> str:
    """Keep short 〔…〕 pairs as written; a stray 〔 or 〕 becomes （ or ）.

    Runs on a whole paragraph, after its lines are joined, so a pair that a line break
    split ("县〔区" | "〕政府") is still seen as a pair.
    """
    if "〔" not in s and "〕" not in s:
        return s
    kept = _TORTOISE.sub(lambda m: "\0" + m.group(1) + "\1", s)
    return kept.translate(_STRAY_TORTOISE).replace("\0", "〔").replace("\1", "〕")


def _continues(prev: str, nxt: str, first_line: bool) -> bool:
    """Whether `nxt` continues the sentence that `prev` left open (a page or line break)."""
    if first_line or not prev or not nxt:
        return False
    if prev[-1] in _NUMERAL_TAIL and is_heading(nxt) and is_heading(prev[-1] + nxt):
        # "…予以支持。二" | "十六、对…": the break split a heading's number.
        return True
    if prev[-1] in _TERMINAL or is_heading(nxt):
        return False
    if prev[-1] == "）" and _CLAUSE_END.search(prev):
        return False
    if _LABEL_LINE.match(nxt):
        return False  # "配合单位：…" under "牵头单位：…" is a line of its own
    opened = prev.count("（") + prev.count("〔")
    if opened > prev.count("）") + prev.count("〕") or prev[-1] in "、，,":
        return True  # an open bracket or list: "（市生态环境局、市能源局" + "等按职责分工负责）"
    if _LABEL_LINE.match(prev) and _UNIT_END.search(prev) and nxt[0] not in "、，,；;（":
        return False  # a complete "责任单位：A、B" line; what follows is new text
    has_sentence = re.search(r"[，。；]", prev) is not None
    if is_heading(prev) and not has_sentence:
        return False  # a heading on its own line ("一、指导思想")
    # Short lines without punctuation are headings or titles, not broken sentences.
    return not (len(prev) < 15 and not has_sentence)


def normalize(blocks: Sequence[Block]) -> Normalized:
    """Join broken sentences, clean every line and lay tables out as text."""
    out: list[str] = []
    pos = 0
    tables: list[TableAt] = []
    pending = ""  # paragraph being assembled across breaks
    seq = Counter()  # the document's numbering, to find headings run into one line

    def flush() -> None:
        nonlocal pending, pos
        for line in split_paragraph(tortoise_brackets(pending), seq) if pending else ():
            if out:
                out.append("\n")
                pos += 1
            out.append(line)
            pos += len(line)
        pending = ""

    for block in _lift_text_tables(blocks):
        if isinstance(block, Table):
            flush()
            tables.append(_lay_out_table(block, out, pos))
            pos = sum(map(len, out))
            continue
        for raw in block.text.split("\n"):
            line = clean_inline(raw)
            if not line or _PAGE_NUMBER.match(line):
                continue  # page numbers sit between the halves of a broken sentence
            # The document's first short line is its title: never glue text onto it.
            title = not out and len(pending) < 40
            if pending and _continues(pending, line, first_line=title):
                pending += line
            else:
                flush()
                pending = line
    flush()
    return Normalized("".join(out), tuple(tables))


def _lay_out_table(table: Table, out: list[str], pos: int) -> TableAt:
    rows: list[tuple[Cell, ...]] = []
    start = pos + (1 if out else 0)
    for row in table.rows:
        cells: list[Cell] = []
        line_parts: list[str] = []
        cursor = pos + (1 if out else 0)
        for i, raw in enumerate(row):
            text = tortoise_brackets(clean_inline(raw.replace("\n", "")))
            if i:
                line_parts.append(" | ")
                cursor += 3
            cells.append(Cell(text, cursor, cursor + len(text)))
            line_parts.append(text)
            cursor += len(text)
        if out:
            out.append("\n")
            pos += 1
        line = "".join(line_parts)
        out.append(line)
        pos += len(line)
        rows.append(tuple(cells))
    return TableAt(tuple(rows), start, pos)


_PIPE_ROW = re.compile(r"^\s*\|?(.+\|.+)\|?\s*$")
_RULE_ROW = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def _lift_text_tables(blocks: Sequence[Block]) -> list[Block]:
    """Markdown pipe tables and tab-separated runs in plain text become `Table`s."""
    result: list[Block] = []
    run: list[tuple[str, ...]] = []

    def end_run() -> None:
        if len(run) >= 2:
            result.append(Table(tuple(run)))
        else:
            result.extend(Paragraph("\t".join(r)) for r in run)
        run.clear()

    for block in lift_flat_tables(blocks):
        if isinstance(block, Paragraph):
            line = block.text
            if "|" in line and line.count("|") >= 2 and _PIPE_ROW.match(line):
                if _RULE_ROW.match(line):
                    continue
                run.append(tuple(c.strip() for c in line.strip().strip("|").split("|")))
                continue
            if line.count("\t") >= 2:
                run.append(tuple(c.strip() for c in line.split("\t")))
                continue
        end_run()
        result.append(block)
    end_run()
    return result
