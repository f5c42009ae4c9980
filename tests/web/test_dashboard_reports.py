"""The 督办通报 (.docx) and 台账 (.xlsx): produced by `taskbot report`, opened and checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pypdf
import pytest
import typer
from dash_helpers import COORDINATOR
from docx.oxml.ns import qn
from docx.shared import Pt
from PIL import Image
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import dashboard as cli_dashboard
from bot.cli.state import global_options
from bot.errors import UserError
from bot.reports import collect
from bot.reports.chart import find_cjk_font
from bot.reports.xlsx_ledger import HEADER
from bot.store import repo
from bot.store.db import session_scope
from bot.web.passwords import make_hasher, verify


def run(db: str, *args: str, stdin: str | None = None) -> tuple[int, str, BaseException | None]:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(global_options)
    cli_dashboard.register(app)
    result = CliRunner().invoke(app, ["--db", db, *args], input=stdin, env={"TASKBOT_DB": None})
    return result.exit_code, result.stdout, result.exception


@pytest.fixture
def with_reply(seeded_engine: Engine) -> Engine:
    """3.8.5 reported in progress by 张伟, with his words."""
    with session_scope(seeded_engine) as s:
        task = repo.find_task(s, "3.8.5")
        contact = repo.find_contacts_by_name(s, "张伟")[0]
        repo.record_status(
            s, task.id or 0, "进度", contact_id=contact.id, raw_message="3.8.5 进度 已选定试点矿井"
        )
    return seeded_engine


def test_briefing_docx_has_title_date_figures_chart_overdue_and_measures(
    seeded_url: str, with_reply: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "督办通报.docx"
    code, stdout, exc = run(seeded_url, "report", "--out", str(out), "--as-of", "2024-01-05")
    assert code == 0, exc
    assert "7 overdue" in stdout
    d = docx.Document(str(out))
    paras = [p.text for p in d.paragraphs]
    assert paras[0].endswith("督办通报") and "节能减排" in paras[0]
    assert "（截至2024年1月5日）" in paras
    # 36 counting units: a measure with milestones is counted as its milestones.
    assert any("共有督办任务36项" in p and "逾期未完成7项" in p for p in paras)
    headings = [
        p.text for p in d.paragraphs if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[:3] == ["一、总体情况", "二、各单位完成情况", "三、逾期事项"]
    assert "（三）市能源局（2项）" in headings and "四、各项措施进展" in headings
    # Summary figures table, then departments, then one table per overdue department.
    summary = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows[1:]}
    assert summary["逾期"] == "7项" and summary["推进中"] == "1项"
    assert summary["完成率（已销号率）"] == "0.0%" and summary["已报完成率"] == "0.0%"
    depts = {r.cells[0].text: [c.text for c in r.cells] for r in d.tables[1].rows[1:]}
    assert depts["市能源局"][4] == "2"
    # Departments in the plan's order, not by code point.
    assert list(depts)[:2] == ["市生态环境局", "市工业和信息化局"]
    overdue_rows = [[c.text for c in r.cells] for t in d.tables[2:-1] for r in t.rows[1:]]
    assert {r[0] for r in overdue_rows} == {
        "3.3.1",
        "3.4.2",
        "3.4.4",
        "3.8.3",
        "3.8.5",
        "4.5.1",
        "4.5.2",
    }
    assert all(r[3] == "4" for r in overdue_rows)  # working days: 元旦 is not counted
    assert all(len(r[1]) <= 28 for r in overdue_rows)  # short titles, never the paragraph
    measures = d.tables[-1]
    assert [c.text for c in measures.rows[0].cells][:3] == ["编号", "措施", "牵头单位"]
    with session_scope(with_reply) as s:
        n_measures = len(repo.list_tasks(s, as_of=date(2024, 1, 5), kind="measure"))
    assert len(measures.rows) - 1 == n_measures
    row = next(r for r in measures.rows if r.cells[0].text == "3.8")
    assert row.cells[4].text == "推进中"  # rolled up from 3.8.5's progress
    assert row.cells[5].text == "3.8.5 进度 已选定试点矿井"  # the department's own words
    # The chart is embedded as a picture.
    assert len(d.inline_shapes) == 1


def test_briefing_is_laid_out_as_a_gongwen(seeded_url: str, tmp_path: Path) -> None:
    out = tmp_path / "督办通报.docx"
    code, _stdout, exc = run(seeded_url, "report", "--out", str(out), "--as-of", "2024-01-05")
    assert code == 0, exc
    d = docx.Document(str(out))
    section = d.sections[0]
    # A4 and GB/T 9704 margins (EMU: 36,000 per mm).
    assert (round(section.page_width / 36000), round(section.page_height / 36000)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin)
    assert tuple(round(m / 36000) for m in margins) == (37, 35, 28)
    assert round(section.right_margin / 36000) == 26
    title = d.paragraphs[0].runs[0]
    assert title.font.size == Pt(22)
    assert title._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in d.paragraphs if p.text.startswith("截至2024年"))
    assert body.runs[0].font.size == Pt(16)
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    for table in d.tables:
        first = table.rows[0]._tr
        assert first.trPr.find(qn("w:tblHeader")) is not None  # header repeats on every page
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)
        ids = [r.cells[0]._tc.tcPr for r in table.rows]
        if table.rows[0].cells[0].text == "编号":
            assert all(p.find(qn("w:noWrap")) is not None for p in ids)  # ids never wrap


@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")),
    reason="LibreOffice and poppler-utils (pdftoppm) render the pages",
)
def test_briefing_pages_render_as_a4_images(seeded_url: str, tmp_path: Path) -> None:
    """LibreOffice headless -> PDF -> one PNG per page: A4 pages, none blank, the overdue and
    measure tables' header rows at the top of every page they continue on."""
    out = tmp_path / "督办通报.docx"
    code, _stdout, exc = run(seeded_url, "report", "--out", str(out), "--as-of", "2024-01-05")
    assert code == 0, exc
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    pdf = tmp_path / "督办通报.pdf"
    pages = pypdf.PdfReader(str(pdf)).pages
    assert 2 <= len(pages) <= 6
    for page in pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (210, 297)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(pages)
    for path in images:
        with Image.open(path) as im:
            gray = im.convert("L")
            dark = sum(gray.histogram()[:128])
            assert dark > 500, f"{path.name} is blank"
    # A table that continues on a page starts that page with its header row.
    for page in pages[1:]:
        text = page.extract_text()
        first_line = text.strip().splitlines()[0]
        if first_line.startswith(("3.", "4.", "5.")):
            pytest.fail(f"a continued table lost its header: {first_line!r}")


def test_ledger_xlsx_one_row_per_task_frozen_header_and_filter(
    seeded_url: str, with_reply: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    code, _stdout, exc = run(seeded_url, "report", "--out", str(out), "--as-of", "2024-01-05")
    assert code == 0, exc
    wb = openpyxl.load_workbook(out)
    ws = wb["台账"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:M{ws.max_row}"
    assert [c.value for c in ws[1]] == list(HEADER)
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == ws.max_row - 1 == 45  # every task; 计入统计 marks the counting units
    col = {name: i for i, name in enumerate(HEADER)}
    r = rows["3.8.5"]
    assert r[col["牵头单位"]] == "市能源局"
    assert r[col["截止日期"]].date() == date(2023, 12, 31)
    assert r[col["状态"]] == "推进中"
    assert r[col["逾期工作日"]] == 4  # progress reported, but still owed and past due
    assert r[col["最新反馈"]] == "3.8.5 进度 已选定试点矿井" and r[col["反馈人"]] == "张伟"
    assert rows["3.4.2"][col["配合单位"]].startswith("市能源局、")
    assert rows["3.4"][col["计入统计"]].startswith("否")
    assert sum(1 for v in rows.values() if v[col["计入统计"]] == "是") == 36


def test_ledger_is_data_only_no_formula_runs(seeded_engine: Engine, tmp_path: Path) -> None:
    """Issue 12 item 3: a reply like =HYPERLINK(...) or a DDE payload is written as text."""
    payloads = [
        '=HYPERLINK("http://evil.example","点此查看详情")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1,2)",
        "\t=1+1",
        "\r=1+1",
    ]
    with session_scope(seeded_engine) as s:
        contact = repo.find_contacts_by_name(s, "张伟")[0]
        for key, text in zip(
            ("3.8.1", "3.8.2", "3.8.3", "3.8.4", "3.8.5", "3.8.6"), payloads, strict=True
        ):
            pk = repo.find_task(s, key).id or 0
            repo.record_status(s, pk, "进度", contact_id=contact.id, raw_message=text)
    out = tmp_path / "台账.xlsx"
    code, _stdout, exc = run(str(seeded_engine.url), "report", "--out", str(out))
    assert code == 0, exc
    ws = openpyxl.load_workbook(out)["台账"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for text in payloads:
        assert "'" + text in texts
    with zipfile.ZipFile(out) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_report_refuses_other_formats(seeded_url: str, tmp_path: Path) -> None:
    _code, _out, exc = run(seeded_url, "report", "--out", str(tmp_path / "x.pdf"))
    assert isinstance(exc, UserError) and ".docx" in str(exc)


def test_set_password_from_stdin_and_refusals(seeded_url: str, seeded_engine: Engine) -> None:
    code, _stdout, exc = run(
        seeded_url,
        "users",
        "set-password",
        COORDINATOR,
        "--password-stdin",
        stdin="new-pass-123\n",
    )
    assert code == 0, exc
    with session_scope(seeded_engine) as s:
        (row,) = repo.find_contacts_by_name(s, COORDINATOR)
        digest = repo.password_hash(s, row.id)
    assert digest is not None and digest.startswith("$argon2id$")
    assert verify(make_hasher(), digest, "new-pass-123")
    _c, _o, exc = run(
        seeded_url, "users", "set-password", "张伟", "--password-stdin", stdin="x" * 9
    )
    assert isinstance(exc, UserError) and "only coordinators and admins" in str(exc)
    _c, _o, exc = run(
        seeded_url, "users", "set-password", COORDINATOR, "--password-stdin", stdin="short\n"
    )
    assert isinstance(exc, UserError) and "too short" in str(exc)


def test_set_password_prompts_twice_hidden(seeded_url: str) -> None:
    code, stdout, exc = run(
        seeded_url, "users", "set-password", COORDINATOR, stdin="pass-word-1\npass-word-1\n"
    )
    assert code == 0, exc
    assert "Repeat for confirmation" in stdout and "pass-word-1" not in stdout


def test_collect_matches_the_store(seeded_engine: Engine) -> None:
    with session_scope(seeded_engine) as s:
        data = collect(s, as_of=date(2024, 1, 5))
    assert data.total == 36 and len(data.overdue) == 7 and len(data.tasks) == 45
    assert next(iter(data.overdue_by_department())) in ("市发展改革委", "市城乡管理局", "市能源局")


def test_a_cjk_font_is_found_for_the_chart() -> None:
    font = find_cjk_font()
    if font is None:
        pytest.fail("no Chinese font: run scripts/setup-system.sh (fonts-wqy-microhei)")
    assert font.is_file()
