"""Contacts import: .csv and .xlsx, English or Chinese headers, all rows or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from bot.errors import UserError
from bot.store import repo
from bot.store.contacts_import import import_contacts
from bot.store.db import session_scope
from bot.store.errors import ImportRejected
from parser.units import canonicalize, is_known


def _import(engine: Engine, path: Path) -> tuple[int, int, int]:
    with session_scope(engine) as s:
        return import_contacts(s, path, canonicalize=canonicalize, is_known=is_known)


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_csv_with_english_headers_and_aliases(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "department,name,platform,user_id,role\n"
        "市发改委,陈静,feishu,ou_1,contact\n"
        "市能源局,李娜,matrix,@lina:localhost,leader\n"
        "\n",
        encoding="utf-8",
    )
    assert _import(engine, f) == (2, 2, 0)
    assert _import(engine, f) == (2, 0, 0)  # importing the same file again changes nothing
    with session_scope(engine) as s:
        found = repo.find_contacts(s, "feishu", "ou_1")
        assert [(c.name, c.department) for c in found] == [("陈静", "市发展改革委")]
        dept = repo.find_department(s, "市发改委")
        assert dept is not None and dept.name == "市发展改革委"
        assert [c.name for c in repo.list_contacts(s, department="市能源局")] == ["李娜"]


def test_xlsx_with_chinese_headers(engine: Engine, tmp_path: Path) -> None:
    f = _xlsx(
        tmp_path / "c.xlsx",
        [
            ["部门", "姓名", "平台", "账号", "角色"],
            ["市生态环境局", "周敏", "企业微信", "zhoumin", "联络员"],
            ["市能源局", "李娜", "dingtalk", "1234", "coordinator"],
        ],
    )
    assert _import(engine, f) == (2, 2, 0)
    with session_scope(engine) as s:
        assert [(c.platform, c.role) for c in repo.coordinators(s)] == [
            ("dingtalk", "coordinator")
        ]
        assert repo.find_contacts(s, "wecom", "zhoumin")[0].role == "contact"


def test_bad_rows_are_listed_by_number_and_nothing_is_imported(
    engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        "部门,姓名,平台,账号,角色\n"
        "市能源局,李娜,matrix,@lina:localhost,contact\n"
        "火星开发局,某人,wecom,x1,contact\n"
        "市能源局,李娜,matrix,@lina:localhost,contact\n"
        "市能源局,王五,qq,55,contact\n"
        "市能源局,赵六,wecom,66,boss\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as err:
        _import(engine, f)
    problems = err.value.problems
    assert problems[0].startswith("row 3: unknown department '火星开发局'")
    assert problems[1] == "row 4: duplicate of row 2"
    assert problems[2].startswith("row 5: bad platform 'qq'")
    assert problems[3].startswith("row 6: bad role 'boss'")
    with session_scope(engine) as s:
        assert repo.list_contacts(s) == []


def test_missing_columns_and_wrong_file_types(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("部门,姓名\n市能源局,李娜\n", encoding="utf-8")
    with pytest.raises(UserError, match="missing column"):
        _import(engine, f)
    txt = tmp_path / "c.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match=r"must be \.csv or \.xlsx"):
        _import(engine, txt)
    with pytest.raises(UserError, match="not found"):
        _import(engine, tmp_path / "missing.csv")


def test_corrupt_xlsx_is_one_clear_error(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04 this is not really a workbook" * 10)
    with pytest.raises(UserError, match=r"not a readable \.xlsx"):
        _import(engine, f)
    good = _xlsx(tmp_path / "g.xlsx", [["department", "name", "platform", "user_id"]])
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(UserError, match=r"not a readable \.xlsx"):
        _import(engine, truncated)
