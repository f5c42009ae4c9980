"""Issue 12's attack files against the readers: each fails fast with a ParseError
naming the limit, and the process's peak memory barely moves."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from attack_files import grid_span_docx, minimal_docx, numbering_docx, para, write, zip_bomb
from plan_files import ROOT

from parser.errors import ParseError
from parser.limits import LimitError
from parser.reading import read_blocks
from parser.wordnum import format_number

FAST = 2.0  # seconds; each of these took minutes or gigabytes before the limits


def _refused(path: Path, match: str) -> ParseError:
    t0 = time.monotonic()
    with pytest.raises(ParseError, match=match) as info:
        read_blocks(path)
    assert time.monotonic() - t0 < FAST, f"{path.name} took {time.monotonic() - t0:.1f} s"
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    return info.value


def test_grid_span_of_400_million(tmp_path: Path) -> None:
    path = write(tmp_path / "span.docx", grid_span_docx())
    assert path.stat().st_size < 1500
    err = _refused(path, r"limit exceeded — table span \(gridSpan\) 400000000 > 64")
    assert isinstance(err, LimitError)


def test_zip_bomb_renamed_docx(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.docx", zip_bomb())
    _refused(path, r"limit exceeded — unzipped size of word/document\.xml 2147483648")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ilvl": "12"}, r"numbering level 12 > 8"),
        ({"ilvl": "x"}, r"malformed numbering level 'x'"),
        ({"start": "9" * 5000}, r"numbering start 999999999999… > 32767"),
        ({"start": "3000000000", "fmt": "upperRoman"}, r"numbering start 3000000000 > 32767"),
        ({"start": "-5"}, r"malformed numbering start"),
    ],
)
def test_malformed_numbering(tmp_path: Path, kwargs: dict[str, str], match: str) -> None:
    _refused(write(tmp_path / "numbering.docx", numbering_docx(**kwargs)), match)


def test_roman_numerals_are_linear() -> None:
    t0 = time.monotonic()
    assert format_number(3_000_000_000, "upperRoman") == "3000000000"
    assert format_number(3999, "upperRoman") == "MMMCMXCIX"
    assert format_number(14, "lowerRoman") == "xiv"
    assert time.monotonic() - t0 < 0.01


def test_numbering_in_bounds_still_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "ok.docx", numbering_docx(start="3998", fmt="upperRoman"))
    texts = [getattr(b, "text", "") for b in read_blocks(path)]
    assert texts == ["MMMCMXCVIII、加强组织领导", "MMMCMXCIX、加强组织领导", "4000、加强组织领导"]


def test_too_many_rows_and_a_huge_cell(tmp_path: Path) -> None:
    row = f"<w:tr><w:tc>{para('x')}</w:tc></w:tr>"
    rows = write(tmp_path / "rows.docx", minimal_docx(f"<w:tbl>{row * 10_001}</w:tbl>"))
    _refused(rows, r"table rows 10001 > 10000")
    cell = f"<w:tbl><w:tr><w:tc>{para('长' * 100_001)}</w:tc></w:tr></w:tbl>"
    _refused(write(tmp_path / "cell.docx", minimal_docx(cell)), r"table cell length")


def test_document_length(tmp_path: Path) -> None:
    rng = random.Random(0)  # varied text: a repeated one trips the compression-ratio limit
    body = "".join(
        para("".join(rng.choices("加强组织领导市能源局负责推进", k=90_000))) for _ in range(23)
    )
    _refused(write(tmp_path / "long.docx", minimal_docx(body)), r"document length")
    text = tmp_path / "long.txt"
    text.write_text("（一）加强组织领导。\n" * 210_000, encoding="utf-8")
    _refused(text, r"document length \(characters\) \d+ > 2000000")


def test_zip_member_count(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(2_001):
            z.writestr(f"word/media/{i}.bin", b"")
    _refused(path, r"zip member count 2001 > 2000")


def test_html_spans(tmp_path: Path) -> None:
    row = '<tr><td rowspan="400000000">市能源局</td><td>x</td></tr><tr><td>y</td><td>z</td></tr>'
    page = tmp_path / "span.html"
    page.write_text(f"<html><body><table>{row}</table></body></html>", encoding="utf-8")
    _refused(page, r"table span \(rowspan\) 400000000 > 64")
    page.write_text(
        f'<html><body><table><tr><td colspan="65">a</td></tr>{row[:0]}'
        "<tr><td>1</td><td>2</td></tr></table></body></html>",
        encoding="utf-8",
    )
    _refused(page, r"table span \(colspan\) 65 > 64")


def test_ofd_bomb(tmp_path: Path) -> None:
    bomb = zip_bomb(512 * 1024**2)
    # The same deflate bomb under an OFD's page name: refused before inflating.
    data = bomb.replace(b"word/document.xml", b"Doc_0/Pages/P.xml")
    _refused(write(tmp_path / "bomb.ofd", data), r"unzipped size of Doc_0/Pages/P\.xml")


def test_peak_memory_of_the_attack_files(tmp_path: Path) -> None:
    """RSS before and after reading every attack file in a fresh process (issue 12 asks
    for the figures): the 2 GB bomb and the 400-million span must cost under 64 MB."""
    files = {
        "span.docx": grid_span_docx(),
        "bomb.docx": zip_bomb(),
        "numbering.docx": numbering_docx(start="3000000000", fmt="upperRoman"),
    }
    for name, data in files.items():
        write(tmp_path / name, data)
    script = (
        "import json, resource, sys\n"
        "from parser.reading import read_blocks\n"
        "from parser.errors import ParseError\n"
        "import docx, pypdf\n"  # the readers' own imports before the baseline
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        read_blocks(path)\n"
        "    except ParseError:\n"
        "        pass\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'before_kb': before, 'after_kb': after}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, *(str(tmp_path / n) for n in files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    rss = json.loads(run.stdout)
    print(
        f"RSS peak before {rss['before_kb'] / 1024:.0f} MB, after {rss['after_kb'] / 1024:.0f} MB"
    )
    assert rss["after_kb"] - rss["before_kb"] < 64 * 1024
