"""Read a contacts sheet (.csv or .xlsx) and validate every row before anything is stored.

Headers may be English (department, name, platform, user_id, role) or Chinese
(部门, 姓名, 平台, 账号, 角色). Department names go through the parser's alias table. Any bad
row refuses the whole file: the error lists each problem with its row number.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.errors import ImportRejected
from bot.store.models import Platform, Role
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
PLATFORM_WORDS = {"网页": "webchat", "企业微信": "wecom", "钉钉": "dingtalk", "飞书": "feishu"}
ROLE_WORDS = {"联络员": "contact", "领导": "leader", "督办": "coordinator", "管理员": "admin"}

Row = tuple[int, dict[str, str]]  # (row number as the user sees it, values by field)


def read_rows(path: Path) -> list[Row]:
    """Rows of a .csv or .xlsx file keyed by field name; row numbers count the header as 1."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UserError(f"contacts file not found: {path}")
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
    return [row for row in csv.reader(io.StringIO(text))]


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UserError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb.worksheets[0]
        return [
            ["" if v is None else str(v).strip() for v in row]
            for row in ws.iter_rows(values_only=True)
        ]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UserError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    finally:
        wb.close()


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
        values = {f: (cells[i].strip() if i < len(cells) else "") for i, f in enumerate(header)}
        if any(values.get(f) for f in (*REQUIRED, "role")):
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
        platform = PLATFORM_WORDS.get(v.get("platform", ""), v.get("platform", "").lower())
        if v.get("platform") and platform not in {p.value for p in Platform}:
            bad.append(
                f"bad platform {v['platform']!r} (use {', '.join(p.value for p in Platform)})"
            )
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
        raise ImportRejected(problems)
    return specs


def import_contacts(
    session: Session,
    path: Path,
    *,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
    actor: str = "cli",
) -> tuple[int, int, int]:
    """Read, validate and store a contacts file in the caller's transaction: all rows or none.

    A department is accepted if the alias table knows it or the store has it already (a
    department named in a loaded plan). Returns (rows, created, updated).
    """
    rows = read_rows(path)
    stored = {d.name for d in repo.list_departments(session)}
    specs = validate(
        rows, canonicalize=canonicalize, is_known=lambda n: n in stored or is_known(n)
    )
    created, updated = repo.upsert_contacts(session, specs)
    for spec, (_n, values) in zip(specs, rows, strict=True):
        if values["department"] != spec.department:
            dept = repo.find_department(session, spec.department)
            if dept is not None:
                repo.add_department_alias(session, dept, values["department"])
    repo.audit(
        session,
        actor=actor,
        action="contacts_import",
        detail={"file": path.name, "rows": len(specs), "created": created, "updated": updated},
    )
    return len(specs), created, updated
