"""Read a contacts sheet (.csv or .xlsx) and validate every row before anything is stored.

Headers may be English (department, name, platform, user_id, role) or Chinese
(部门, 姓名, 平台, 账号, 角色). Department names go through the parser's alias table. Any bad
row refuses the whole file: the error lists each problem with its row number.

A sheet is untrusted input: an .xlsx is checked (member count, declared uncompressed sizes —
Python's zipfile never inflates past them) before anything is unzipped, and every file is
bounded in rows and in characters per cell, with the row that breaks a limit named. No row
with anything in it is dropped without a word.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sqlmodel import Session

from bot.adapters import platform_by_word, platform_names
from bot.errors import UserError
from bot.store import repo
from bot.store.errors import ImportRejected
from bot.store.models import Department, Role
from bot.store.repo import ContactSpec

HEADERS: dict[str, str] = {
    "department": "department",
    "dept": "department",
    "部门": "department",
    "单位": "department",
    "name": "name",
    "姓名": "name",
    "platform": "platform",
    "平台": "platform",
    "user_id": "user_id",
    "userid": "user_id",
    "账号": "user_id",
    "帐号": "user_id",
    "role": "role",
    "角色": "role",
}
REQUIRED = ("department", "name", "platform", "user_id")

# Chinese spellings people put in the platform and role columns.
ROLE_WORDS = {"联络员": "contact", "领导": "leader", "督办": "coordinator", "管理员": "admin"}

Row = tuple[int, dict[str, str]]  # (row number as the user sees it, values by field)

# Limits on a sheet; a city's contacts are a few thousand rows of short cells.
MAX_ROWS = 200_000
MAX_CELL = 200  # characters in one cell
MAX_COLUMNS = 50
MAX_FILE = 20 * 1024 * 1024  # bytes of a .csv, or of an .xlsx as uploaded
MAX_UNZIPPED = 200 * 1024 * 1024  # bytes of all of an .xlsx's parts, uncompressed
MAX_MEMBERS = 500  # parts in an .xlsx (a real one has a dozen or two)
# Rows written per transaction by `store_in_batches`: short enough that a chat message
# waiting for the database lock gets it within its busy timeout.
BATCH = 500


def read_rows(path: Path) -> list[Row]:
    """Rows of a .csv or .xlsx file keyed by field name; row numbers count the header as 1."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UserError(f"contacts file not found: {path}")
    if path.stat().st_size > MAX_FILE:
        raise UserError(f"{path.name} is larger than {MAX_FILE // (1024 * 1024)} MB")
    if suffix == ".csv":
        table = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(path)
    else:
        raise UserError(f"contacts file must be .csv or .xlsx, not {path.name}")
    return _keyed(table, path.name)


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK by default
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UserError(f"{path.name}: cannot decode the CSV (expected UTF-8 or GBK)")
    table: list[list[str]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            _check_row(path.name, len(table) + 1, row)
            table.append(row)
    except csv.Error as exc:
        raise UserError(f"{path.name}: row {reader.line_num}: unreadable CSV ({exc})") from None
    return table


def _check_row(name: str, n: int, cells: Sequence[str]) -> None:
    """Refuse a sheet that breaks a limit, naming the row (n counts the header as 1)."""
    if n > MAX_ROWS + 1:
        raise UserError(f"{name}: more than {MAX_ROWS} rows; split the file")
    if len(cells) > MAX_COLUMNS and any(c.strip() for c in cells[MAX_COLUMNS:]):
        raise UserError(f"{name}: row {n} has more than {MAX_COLUMNS} columns")
    for cell in cells:
        if len(cell) > MAX_CELL:
            raise UserError(
                f"{name}: row {n} has a cell of {len(cell)} characters (at most {MAX_CELL})"
            )


def check_xlsx_container(path: Path) -> None:
    """Refuse an .xlsx whose zip would unpack past the limits, before unpacking anything."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserError(f"{path.name} is not a readable .xlsx workbook") from None
    if len(members) > MAX_MEMBERS:
        raise UserError(
            f"{path.name}: {len(members)} parts in the workbook (at most {MAX_MEMBERS})"
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED:
        raise UserError(
            f"{path.name}: unpacks to {total // (1024 * 1024)} MB "
            f"(at most {MAX_UNZIPPED // (1024 * 1024)} MB): not a contacts sheet"
        )


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx_container(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UserError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb.worksheets[0]
        table: list[list[str]] = []
        for row in ws.iter_rows(values_only=True):
            cells = ["" if v is None else str(v).strip() for v in row[: MAX_COLUMNS + 1]]
            _check_row(path.name, len(table) + 1, cells)
            table.append(cells)
        return table
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise UserError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    finally:
        wb.close()


def read_upload(filename: str, content: bytes) -> list[Row]:
    """`read_rows` of uploaded bytes (for the bounded worker); messages name `filename`,
    never the temporary path."""
    suffix = Path(filename).suffix.lower()
    shown = Path(filename.replace("\\", "/")).name[:100] or "contacts" + suffix
    with tempfile.TemporaryDirectory(prefix="taskbot-contacts-") as tmp:
        path = Path(tmp) / ("contacts" + suffix)
        path.write_bytes(content)
        try:
            rows = read_rows(path)
        except UserError as exc:
            raise UserError(str(exc).replace(str(path), shown).replace(path.name, shown)) from None
    return rows


def _keyed(table: list[list[str]], name: str) -> list[Row]:
    if not table:
        raise UserError(f"{name} is empty")
    header = [HEADERS.get(h.strip().lower(), "") for h in table[0]]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise UserError(
            f"{name}: missing column(s) {', '.join(missing)}; expected department, name, "
            "platform, user_id, role (or 部门, 姓名, 平台, 账号, 角色)"
        )
    rows: list[Row] = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        values = {f: (cells[i].strip() if i < len(cells) else "") for i, f in enumerate(header)}
        # A row with something in it is kept even when the known columns are empty, so that
        # validation names it instead of skipping it.
        rows.append((n, values))
    return rows


def validate(
    rows: Iterable[Row],
    *,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
) -> list[ContactSpec]:
    """ContactSpecs for every row, or ImportRejected listing each bad row by number."""
    problems: list[str] = []
    specs: list[ContactSpec] = []
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        raise UserError(f"more than {MAX_ROWS} rows; split the file")
    seen: dict[tuple[str, str, str], int] = {}
    for n, v in rows:
        bad: list[str] = []
        for f in REQUIRED:
            if not v.get(f):
                bad.append(f"{f} is empty")
        dept_raw = v.get("department", "")
        dept = canonicalize(dept_raw) if dept_raw else ""
        if dept_raw and not is_known(dept):
            bad.append(f"unknown department {dept_raw!r}")
        raw_platform = v.get("platform", "")
        platform = platform_by_word(raw_platform) or raw_platform.lower()
        if raw_platform and platform not in platform_names():
            bad.append(f"bad platform {raw_platform!r} (use {', '.join(platform_names())})")
        role_raw = v.get("role", "") or "contact"
        role = ROLE_WORDS.get(role_raw, role_raw.lower())
        if role not in {r.value for r in Role}:
            bad.append(f"bad role {role_raw!r} (use {', '.join(r.value for r in Role)})")
        key = (platform, v.get("user_id", ""), dept)
        if not bad and key in seen:
            bad.append(f"duplicate of row {seen[key]}")
        if bad:
            problems.append(f"row {n}: " + ", ".join(bad))
            continue
        seen[key] = n
        specs.append(ContactSpec(dept, v["name"], platform, v["user_id"], role))
    if problems:
        raise ImportRejected(
            problems[:200] + ([f"… and {len(problems) - 200} more"] if len(problems) > 200 else [])
        )
    return specs


def import_contacts(
    session: Session,
    path: Path,
    *,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
    match: Callable[[str, Sequence[Department]], Department | None] | None = None,
    actor: str = "cli",
) -> tuple[int, int, int]:
    """Read, validate and store a contacts file in the caller's transaction: all rows or none.

    A department is accepted if the alias table knows it or the store has it already (a
    department named in a loaded plan). Returns (rows, created, updated).
    """
    rows = read_rows(path)
    specs = validate_against_store(
        session, rows, canonicalize=canonicalize, is_known=is_known, match=match
    )
    created, updated = store_batch(session, specs, rows)
    record_import(session, path.name, len(specs), created, updated, actor=actor)
    return len(specs), created, updated


def validate_against_store(
    session: Session,
    rows: list[Row],
    *,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
    match: Callable[[str, Sequence[Department]], Department | None] | None = None,
) -> list[ContactSpec]:
    """`validate`, accepting departments the store has already (read only).

    `match` finds the stored department a typed name means ("能源局" for 市能源局), the
    way the chat reads 逾期 and 催办 (bot/store/departments.py).
    """
    departments = repo.list_departments(session)
    stored = {d.name for d in departments}

    def canon(raw: str) -> str:
        found = match(raw, departments) if match is not None else None
        return found.name if found is not None else canonicalize(raw)

    return validate(rows, canonicalize=canon, is_known=lambda n: n in stored or is_known(n))


def store_batch(
    session: Session, specs: Sequence[ContactSpec], rows: Sequence[Row]
) -> tuple[int, int]:
    """Upsert validated `specs` (and the department aliases their `rows` spelled);
    `rows[i]` is the row `specs[i]` came from. Returns (created, updated)."""
    created, updated = repo.upsert_contacts(session, specs)
    for spec, (_n, values) in zip(specs, rows, strict=True):
        if values["department"] != spec.department:
            dept = repo.find_department(session, spec.department)
            if dept is not None:
                repo.add_department_alias(session, dept, values["department"])
    return created, updated


def record_import(
    session: Session, name: str, rows: int, created: int, updated: int, *, actor: str
) -> None:
    repo.audit(
        session,
        actor=actor,
        action="contacts_import",
        detail={"file": name, "rows": rows, "created": created, "updated": updated},
    )


def batches(
    specs: Sequence[ContactSpec], rows: Sequence[Row], size: int = BATCH
) -> Iterable[tuple[Sequence[ContactSpec], Sequence[Row]]]:
    """(specs, rows) in slices of `size`, for one short transaction each.

    Every row is validated before the first slice is written, so a bad file still writes
    nothing; only a database failure half-way leaves the slices before it (upserts: the
    same file imported again completes it).
    """
    for i in range(0, len(specs), size):
        yield specs[i : i + size], rows[i : i + size]
