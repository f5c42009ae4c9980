"""Bad input through the real CLI: one clear line on stderr, exit 2, never a traceback.

The cases the issue names run as `taskbot parse` processes, concurrently, once per
module; the rest call the parser in process and expect its one-line `ParseError`.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from plan_files import TASKBOT, write_docx, write_pdf, write_pdf_with_table

from parser.errors import ParseError
from parser.pipeline import parse_document

Maker = Callable[[Path], Path]


def _write(name: str, data: bytes) -> Maker:
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


def _zip_not_word(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a word document")
    (d / "archive.docx").write_bytes(buf.getvalue())
    return d / "archive.docx"


def _truncated_docx(d: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("（一）推进工作。（市发改委负责）")
    buf = io.BytesIO()
    document.save(buf)
    (d / "truncated.docx").write_bytes(buf.getvalue()[:2000])
    return d / "truncated.docx"


def _blank_pdf(d: Path) -> Path:
    return write_pdf(d / "scan.pdf", ["   "])


def _directory(d: Path) -> Path:
    (d / "folder.txt").mkdir()
    return d / "folder.txt"


# 4 KiB of fixed pseudo-random bytes (deterministic, with NULs and invalid UTF-8).
_NOISE = bytes((i * 2654435761 >> 13) & 0xFF for i in range(4096))

# Through the real `taskbot parse` process: the cases the issue names.
CLI_CASES: dict[str, Maker] = {
    "empty file": _write("empty.txt", b""),
    "binary renamed .docx": _write("image.docx", b"\x89PNG\r\n\x1a\n" + _NOISE),
    "random bytes .txt": _write("noise.txt", _NOISE),
    "text with no measures": _write(
        "notice.txt", "关于做好春节期间安全工作的通知\n各单位要高度重视，确保平安。\n".encode()
    ),
    "corrupt PDF": _write("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n" + _NOISE),
    "missing file": lambda d: d / "does-not-exist.docx",
}
# In process (each CLI run costs a second of start-up): the parser's own error type.
MORE_CASES: dict[str, Maker] = {
    "only whitespace": _write("blank.txt", b" \n\r\n\t\n"),
    "zip that is not Word": _zip_not_word,
    "truncated .docx": _truncated_docx,
    "unreadable encoding": _write("latin.txt", bytes(range(0x80, 0x100)) * 20 + b"\x01" * 99),
    "PDF without text": _blank_pdf,
    "legacy .doc": _write("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _NOISE),
    "a directory": _directory,
    "a .docx with no measures": lambda d: write_docx(
        d / "memo.docx", ["会议纪要", "会议听取了汇报。"]
    ),
}


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    d = tmp_path_factory.mktemp("bad-input")
    paths = {name: make(d) for name, make in CLI_CASES.items()}

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TASKBOT), "parse", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(paths, pool.map(run, paths.values()), strict=True))
    return done


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_one_line_and_exit_2(
    results: dict[str, subprocess.CompletedProcess[str]], case: str
) -> None:
    proc = results[case]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("taskbot: error: ")
    assert len(lines[0]) > len("taskbot: error: ") + 10
    assert proc.stdout == ""


def test_messages_say_what_is_wrong(results: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert "empty" in results["empty file"].stderr
    assert "no such file" in results["missing file"].stderr
    assert "no measures" in results["text with no measures"].stderr
    assert ".docx" in results["binary renamed .docx"].stderr
    assert "PDF" in results["corrupt PDF"].stderr


@pytest.mark.parametrize("case", list(MORE_CASES))
def test_parser_raises_one_line_parse_error(tmp_path: Path, case: str) -> None:
    path = MORE_CASES[case](tmp_path)
    with pytest.raises(ParseError) as info:
        parse_document(path)
    message = str(info.value)
    assert message and "\n" not in message
    assert path.name in message


def test_a_pdf_pypdf_must_repair_parses_quietly(tmp_path: Path) -> None:
    """pypdf logs its repairs at ERROR level; none of that may reach the user's stderr."""
    before = ["某市2024年重点任务分工方案", "一、重点任务分工表"]
    table = [
        ["序号", "重点任务", "牵头单位", "完成时限"],
        ["1", "建设城市数字底座", "市大数据局", "6月底前"],
    ]
    path = write_pdf_with_table(tmp_path / "odd.pdf", before, table, [])
    path.write_bytes(path.read_bytes().replace(b"WinAnsiEncoding", b"WinAnsiEncodi8g"))
    proc = subprocess.run(
        [str(TASKBOT), "parse", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert '"lead": "市大数据局"' in proc.stdout
