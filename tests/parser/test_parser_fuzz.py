"""Property: whatever bytes arrive — random text, a .docx whose XML parts were
mutated, an HTML page or OFD package of junk — the parser returns a plan or raises
its one `ParseError`, within a time bound. Bounded (a fixed example count, no
shrinking deadline) so it runs in CI in well under 30 s."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_files import write_numbered_docx

from parser.errors import ParseError
from parser.pipeline import parse_document

PER_EXAMPLE_S = 10.0  # a 1 KB input must never take longer (minutes before issue 12)
FUZZ = settings(
    max_examples=40,
    deadline=None,  # a busy CI machine must not fail a slow-but-bounded example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
    derandomize=True,  # the same examples every run: a failure reproduces
)
PLAN_WORDS = [
    "一、", "（一）", "1.", "牵头单位：", "配合单位：", "市能源局", "市发展改革委", "负责",
    "2025年底前", "完成", "10万台", "（", "）", "、", "。", "；", "\n", "\n\n", "|", "\t",
    "第一章", "附件", "序号", "责任单位", "到2023年", "%", "〔2022〕1号",
]  # fmt: skip


def _parse(path: Path) -> None:
    t0 = time.monotonic()
    try:
        parse_document(path)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc).strip(), repr(exc)
    elapsed = time.monotonic() - t0
    assert elapsed < PER_EXAMPLE_S, f"{path.name}: {elapsed:.1f} s"


plan_text = st.lists(
    st.one_of(st.sampled_from(PLAN_WORDS), st.text(max_size=20)), max_size=300
).map("".join)


@FUZZ
@given(text=plan_text)
def test_random_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _parse(path)


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["a.docx", "a.pdf", "a.ofd", "a.htm"]))
def test_random_bytes_under_any_name(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data or b"x")
    _parse(path)


@pytest.fixture(scope="module")
def base_docx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A small auto-numbered plan with a merged task table: every part, as bytes."""
    import docx

    folder = tmp_path_factory.mktemp("fuzz")
    path = write_numbered_docx(
        folder / "base.docx",
        [(0, "总体要求"), (1, "推进工程。（市能源局负责）"), (None, "2025年底前完成。")],
    )
    document = docx.Document(str(path))
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"单元{r}{c}"
    table.cell(1, 2).merge(table.cell(2, 2))
    table.cell(0, 0).merge(table.cell(0, 1))
    document.save(str(path))
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


_ATTR = re.compile(r'w:\w+="')
_HOT = re.compile(
    r'<w:(?:ilvl|gridSpan|start|numFmt|lvlText|vMerge|numId)\b[^>]*?w:val="|w:ilvl="'
)
ATTR_VALUES = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["x", "", "3e9", "9" * 5000, "400000000", "12", "restart", "continue"]),
    st.text(max_size=8),
)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_mutated_docx_parts(
    tmp_path: Path, base_docx: dict[str, bytes], data: st.DataObject
) -> None:
    parts = dict(base_docx)
    member = data.draw(st.sampled_from(["word/document.xml", "word/numbering.xml"]))
    xml = parts[member].decode("utf-8")
    kind = data.draw(st.sampled_from(["attribute", "cut", "splice"]))
    if kind == "attribute":
        # Replace one attribute's value (a span, a list level, a start, a format …)
        # with a hostile one; the numbering and table attributes first, they bit before.
        hot = [m.end() for m in _HOT.finditer(xml)]
        every = [m.end() for m in _ATTR.finditer(xml)]
        at = data.draw(
            st.sampled_from(hot or every) if data.draw(st.booleans()) else st.sampled_from(every)
        )
        end = xml.index('"', at)
        value = data.draw(ATTR_VALUES).replace('"', "").replace("&", "").replace("<", "")
        xml = xml[:at] + value + xml[end:]
    elif kind == "cut":
        a = data.draw(st.integers(0, len(xml)))
        b = data.draw(st.integers(a, min(len(xml), a + 200)))
        xml = xml[:a] + xml[b:]
    else:  # a slice repeated: duplicated rows, cells, nested elements
        a = data.draw(st.integers(0, len(xml)))
        b = data.draw(st.integers(a, min(len(xml), a + 400)))
        xml = xml[:b] + xml[a:b] * data.draw(st.integers(1, 50)) + xml[b:]
    parts[member] = xml.encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    path = tmp_path / "mutated.docx"
    path.write_bytes(buf.getvalue())
    _parse(path)


@FUZZ
@given(
    cells=st.lists(
        st.tuples(st.text(max_size=10), st.integers(-3, 100), st.integers(-3, 100)), max_size=30
    ),
    charset=st.sampled_from(["gb2312", "utf-8", "nonsense"]),
)
def test_random_html_tables(
    tmp_path: Path, cells: list[tuple[str, int, int]], charset: str
) -> None:
    import html

    tds = "".join(
        f'<td rowspan="{r}" colspan="{c}">{html.escape(t)}</td>'
        + ("</tr><tr>" if i % 3 == 2 else "")
        for i, (t, r, c) in enumerate(cells)
    )
    page = (
        f'<html><head><meta charset="{charset}"></head><body><p>一、任务</p>'
        f"<table><tr>{tds}</tr></table></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("utf-8"))
    _parse(path)
