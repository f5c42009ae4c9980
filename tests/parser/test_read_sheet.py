"""Task lists kept as spreadsheets (parser/read_sheet.py): columns in any order, a title
row, group rows and merged cells in .xlsx; CSV in UTF-8 and GBK; a bad row named by its
row number; the reader limits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from parser import parse_document
from parser.errors import ParseError
from parser.limits import MAX_TABLE_ROWS


def task_list(path: Path, *, bad_row: bool = False) -> Path:
    """A 分工表 as offices keep it: a merged title, columns in their own order, group rows
    merged across, one lead unit merged down over two rows, a real date cell."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "分工表"
    ws.append(["2024年市政府重点工作任务分工表"])
    ws.merge_cells("A1:F1")
    ws.append(["完成时限", "序号", "牵头单位", "重点任务", "工作措施", "配合单位"])
    ws.append(["一、能源保障"])
    ws.merge_cells("A3:F3")
    ws.append(
        [
            date(2024, 6, 30),
            1,
            "市能源局",
            "推进充电桩建设",
            "新建充电桩500台",
            "市发改委、市财政局",
        ]
    )
    ws.append(["2024年12月底前", 2, None, "推进光伏发电", "新增光伏10万千瓦", "市住建局"])
    ws.merge_cells("C4:C5")
    ws.append(["二、生态环境"])
    ws.merge_cells("A6:F6")
    ws.append(["2024年9月", 3, "市生态环境局", "开展大气污染治理", "完成锅炉改造20台", None])
    if bad_row:
        ws.append(["2024年9月", 4, None, "没有牵头单位的任务", "x", None])
    wb.save(path)
    return path


def test_xlsx_task_list_reads_like_a_task_table(tmp_path: Path) -> None:
    plan = parse_document(task_list(tmp_path / "分工表.xlsx"))
    assert plan.document.title == "2024年市政府重点工作任务分工表"
    got = {m.id: m for m in plan.measures}
    assert set(got) == {"1", "2", "3"}
    assert got["1"].lead == "市能源局"
    assert set(got["1"].cooperating) == {"市发展改革委", "市财政局"}
    assert got["2"].lead == "市能源局", "the merged lead cell fills down"
    assert got["3"].lead == "市生态环境局"
    dues = {ms.id: ms.due.isoformat() for m in plan.measures for ms in m.milestones if ms.due}
    assert dues == {"1.1": "2024-06-30", "2.1": "2024-12-31", "3.1": "2024-09-30"}
    assert "能源保障" in got["1"].chapter and "生态环境" in got["3"].chapter


def test_a_row_without_a_lead_is_named_by_its_row_number(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"分工表\]: row 8: a task without a lead unit"):
        parse_document(task_list(tmp_path / "bad.xlsx", bad_row=True))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_task_list(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "分工表.csv"
    path.write_bytes(
        "序号,重点任务,牵头单位,配合单位,完成时限\n"
        "1,推进充电桩建设,市能源局,市财政局,2024年6月底前\n"
        "2,推进光伏发电,市能源局,,2024年12月\n".encode(encoding)
    )
    plan = parse_document(path)
    assert [(m.id, m.lead) for m in plan.measures] == [("1", "市能源局"), ("2", "市能源局")]
    path.write_text("序号,重点任务,牵头单位\n1,推进充电桩建设,市能源局\n2,推进光伏,\n")
    with pytest.raises(ParseError, match="row 3"):
        parse_document(path)


def test_too_many_rows_is_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f"{i},任务{i},市能源局\n" for i in range(MAX_TABLE_ROWS + 5))
    path.write_text("序号,重点任务,牵头单位\n" + rows, encoding="utf-8")
    with pytest.raises(ParseError, match="limit exceeded — table rows"):
        parse_document(path)


def test_broken_xlsx_is_one_parse_error(tmp_path: Path) -> None:
    good = task_list(tmp_path / "ok.xlsx").read_bytes()
    path = tmp_path / "broken.xlsx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ParseError):
        parse_document(path)
