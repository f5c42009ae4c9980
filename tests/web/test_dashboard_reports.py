"""The 督办通报 (.docx) and 台账 (.xlsx): produced by `taskbot report`, opened and checked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
import typer
from dash_helpers import COORDINATOR
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot import cli, cli_dashboard
from bot.errors import UserError
from bot.reports import collect
from bot.reports.chart import find_cjk_font
from bot.reports.xlsx_ledger import HEADER
from bot.store import repo
from bot.store.db import session_scope
from bot.web.passwords import make_hasher, verify


def run(db: str, *args: str, stdin: str | None = None) -> tuple[int, str, BaseException | None]:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(cli._global)
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
    assert "8 overdue" in stdout
    d = docx.Document(str(out))
    paras = [p.text for p in d.paragraphs]
    assert paras[0].endswith("督办通报") and "节能减排" in paras[0]
    assert "截至2024年1月5日" in paras
    assert any("共有督办任务45项" in p and "逾期未完成8项" in p for p in paras)
    headings = [
        p.text for p in d.paragraphs if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[:3] == ["一、总体情况", "二、各单位完成情况", "三、逾期事项"]
    assert "市能源局（2项）" in headings and "四、各项措施进展" in headings
    # Summary figures table, then departments, then one table per overdue department.
    summary = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows[1:]}
    assert summary["逾期"] == "8项" and summary["推进中"] == "1项"
    assert summary["完成率（已销号）"] == "0.0%"
    depts = {r.cells[0].text: [c.text for c in r.cells] for r in d.tables[1].rows[1:]}
    assert depts["市能源局"][3] == "2"
    overdue_rows = [[c.text for c in r.cells] for t in d.tables[2:-1] for r in t.rows[1:]]
    assert {r[0] for r in overdue_rows} == {
        "3.3",
        "3.3.1",
        "3.4.2",
        "3.4.4",
        "3.8.3",
        "3.8.5",
        "4.5.1",
        "4.5.2",
    }
    assert all(r[3] == "5" for r in overdue_rows)
    measures = d.tables[-1]
    assert [c.text for c in measures.rows[0].cells][:3] == ["编号", "措施", "牵头单位"]
    with session_scope(with_reply) as s:
        n_measures = len(repo.list_tasks(s, as_of=date(2024, 1, 5), kind="measure"))
    assert len(measures.rows) - 1 == n_measures
    row = next(r for r in measures.rows if r.cells[0].text == "3.3")
    assert row.cells[4].text == "未开始（逾期5天）"
    # The chart is embedded as a picture.
    assert len(d.inline_shapes) == 1


def test_ledger_xlsx_one_row_per_task_frozen_header_and_filter(
    seeded_url: str, with_reply: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    code, _stdout, exc = run(seeded_url, "report", "--out", str(out), "--as-of", "2024-01-05")
    assert code == 0, exc
    wb = openpyxl.load_workbook(out)
    ws = wb["台账"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:L{ws.max_row}"
    assert [c.value for c in ws[1]] == list(HEADER)
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == ws.max_row - 1 == 45
    r = rows["3.8.5"]
    assert r[4] == "市能源局"
    assert r[6].date() == date(2023, 12, 31)
    assert r[7] == "推进中"
    assert r[8] == 5  # progress reported, but still owed and past due
    assert r[9] == "3.8.5 进度 已选定试点矿井" and r[11] == "张伟"
    assert rows["3.4.2"][5].startswith("市能源局、")
    assert rows["3.4.2"][8] == 5


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
    assert data.total == 45 and len(data.overdue) == 8
    assert next(iter(data.overdue_by_department())) in ("市发展改革委", "市城乡管理局", "市能源局")


def test_a_cjk_font_is_found_for_the_chart() -> None:
    font = find_cjk_font()
    if font is None:
        pytest.fail("no Chinese font: run scripts/setup-system.sh (fonts-wqy-microhei)")
    assert font.is_file()
