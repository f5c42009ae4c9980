"""Item 10 and 12 of issue 12: hostile contacts sheets are refused naming the row or the
limit, before anything is unpacked; and a writer that finds SQLite locked waits its turn
instead of failing the chat message."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from aiohttp.test_utils import TestClient
from dash_helpers import ADMIN, login, multipart
from sqlalchemy import text

from bot.errors import DatabaseBusy, UserError
from bot.store.aio import Database
from bot.store.contacts_import import MAX_CELL, read_rows
from bot.store.db import make_engine, migrate
from bot.store.errors import ImportRejected

HEADER = ["部门", "姓名", "平台", "账号", "角色"]


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in [HEADER, *rows]:
        ws.append(r)
    wb.save(path)
    return path


def _bomb(path: Path, megabytes: int) -> Path:
    """An .xlsx whose shared strings inflate to `megabytes` MB of one cell (< 1 MB file)."""
    base = _xlsx(path.with_name("base.xlsx"), [["市能源局", "张伟", "webchat", "x", "contact"]])
    src = zipfile.ZipFile(base)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "xl/sharedStrings.xml":
                dst.writestr(item.filename, src.read(item.filename))
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            f.write(b"<si><t>")
            for _ in range(megabytes):
                f.write(b"A" * (1 << 20))
            f.write(b"</t></si></sst>")
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reported attack: a sub-1 MB .xlsx holding one 800 MB cell (made once)."""
    return _bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", 800)


@pytest.fixture
def bomb_bytes(bomb: Path) -> bytes:
    return bomb.read_bytes()


def test_an_xlsx_bomb_is_refused_before_it_is_unpacked(bomb: Path) -> None:
    assert bomb.stat().st_size < 1_000_000
    t0 = time.perf_counter()
    with pytest.raises(UserError, match=r"unpacks to 8\d\d MB"):
        read_rows(bomb)
    assert time.perf_counter() - t0 < 1.0, "refused from the zip directory, not by inflating"


def test_a_long_cell_is_refused_naming_its_row(tmp_path: Path) -> None:
    sheet = _xlsx(
        tmp_path / "c.xlsx",
        [
            ["市能源局", "张伟", "webchat", "a", "contact"],
            ["市能源局", "李" * 1000, "webchat", "b", ""],
        ],
    )
    with pytest.raises(
        UserError, match=f"row 3 has a cell of 1000 characters \\(at most {MAX_CELL}"
    ):
        read_rows(sheet)


def test_a_row_is_never_dropped_silently(tmp_path: Path) -> None:
    from bot.store.contacts_import import validate
    from parser.units import canonicalize, is_known

    sheet = tmp_path / "c.csv"
    sheet.write_text(
        "部门,姓名,平台,账号,角色,备注\n市能源局,张伟,webchat,a,contact,\n,,,,,新来的同事\n",
        encoding="utf-8",
    )
    rows = read_rows(sheet)
    assert [n for n, _ in rows] == [2, 3]
    with pytest.raises(ImportRejected) as err:
        validate(rows, canonicalize=canonicalize, is_known=is_known)
    assert err.value.problems[0].startswith("row 3:")


def test_a_huge_csv_field_is_a_user_error(tmp_path: Path) -> None:
    sheet = tmp_path / "c.csv"
    sheet.write_text('部门,姓名,平台,账号\n"' + "x" * 200_000 + '",a,b,c\n', encoding="utf-8")
    with pytest.raises(UserError, match="row 2"):
        read_rows(sheet)


async def test_the_bomb_over_http_is_a_4xx_naming_the_limit(
    dash: TestClient,  # type: ignore[type-arg]
    bomb_bytes: bytes,
) -> None:
    csrf = await login(dash, ADMIN)
    content = bomb_bytes
    resp = await dash.post(
        "/contacts/import", data=multipart("sheet", "通讯录.xlsx", content, csrf=csrf)
    )
    body = await resp.text()
    assert resp.status == 400
    assert "unpacks to" in body, body[-3000:]
    assert "taskbot-contacts-" not in body and "/tmp/" not in body


def test_a_write_waits_out_a_long_writer_instead_of_failing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}?timeout=0.2"
    engine = make_engine(url)
    migrate(engine)
    held = threading.Event()

    def long_writer() -> None:  # a contacts import holding the write lock for 1.5 s
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            held.set()
            time.sleep(1.5)
            conn.exec_driver_sql("COMMIT")

    def write(s: object) -> None:
        s.exec(
            text(
                "INSERT INTO calendar_override (day, workday, note, set_by, at) "
                "VALUES ('2024-01-01', 0, 'x', 't', '2024-01-01 00:00:00')"
            )
        )  # type: ignore[attr-defined]

    import asyncio

    t = threading.Thread(target=long_writer)
    t.start()
    held.wait(5)
    with pytest.raises(DatabaseBusy):  # what a chat message got before: 500 "database is locked"
        asyncio.run(Database(engine).run(write))
    asyncio.run(Database(engine, busy_retry=10).run(write))  # now: it waits its turn
    t.join()
    engine.dispose()
