"""What an admin types on the review page, read and checked before anything is written:
department names (the chat's rules, new ones only when asked for), dates, a selected span.
Every refusal is one `ReviewRefused`: English for the CLI, Chinese (`zh`) for the page.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from bot.errors import UserError
from bot.rules.datebounds import check_date
from bot.store.manual import EntryRefused, Matcher, resolve_departments

MAX_SELECTION = 3000


class ReviewRefused(EntryRefused):
    """A review action refused: English for the CLI, `zh` for the page; nothing written."""


@dataclass(frozen=True, slots=True)
class DepartmentReader:
    """How typed department names are read (the chat's rules: "能源局" is 市能源局)."""

    match: Matcher
    canonicalize: Callable[[str], str]
    is_known: Callable[[str], bool]


_SEPARATORS = set(",，、;；") | {" ", "\t", "\n", "\u3000"}


def split_names(raw: str) -> tuple[str, ...]:
    """Departments as typed in one field: "A、B，C" -> (A, B, C), but a separator inside
    brackets stays ("县（市、区）政府" is one name, as the parser reads it)."""
    names: list[str] = []
    part: list[str] = []
    depth = 0
    for ch in raw:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if ch in _SEPARATORS and depth == 0:
            if part:
                names.append("".join(part))
            part = []
            continue
        part.append(ch)
    if part:
        names.append("".join(part))
    return tuple(n for n in names if n.strip())


def read_departments(
    session: Session,
    typed: Sequence[str],
    reader: DepartmentReader,
    *,
    create: bool,
    given: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """Canonical names for typed departments, and the ones to create. A name in `given` (the
    task names it already, as the parser read it) stands as it is; an unknown one is refused
    (every one listed) unless the admin explicitly chose to create new departments: then it
    is taken as typed."""
    out: list[str] = []
    new: list[str] = []
    unknown: list[str] = []
    for t in typed:
        if t.strip() in given:
            if t.strip() not in out:
                out.append(t.strip())
            continue
        try:
            name = resolve_departments(
                session,
                [t],
                match=reader.match,
                canonicalize=reader.canonicalize,
                is_known=reader.is_known,
            )[0]
        except EntryRefused:
            if not create:
                unknown.append(t)
                continue
            name = " ".join(t.split())
            if not name or len(name) > 100:
                raise ReviewRefused(
                    "a new department's name is empty or too long", "新建单位的名称不正确"
                ) from None
            new.append(name)
        if name not in out:
            out.append(name)
    if unknown:
        names = "、".join(u[:40] for u in unknown[:10])
        raise ReviewRefused(
            f"unknown department {names}; pick a known one or create it explicitly",
            f"未知单位：{names}。请从列表中选择已有单位，或勾选“新建单位”后再提交",
        )
    return out, new


def parse_due(raw: str) -> date | None:
    """A due date as typed on the page (YYYY-MM-DD, empty for none)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ReviewRefused(
            f"due date must look like 2024-06-30, not {raw[:40]!r}",
            f"截止日期格式不正确（应为 2024-06-30）：{raw[:40]}",
        ) from None
    try:
        return check_date(day, "due date")
    except UserError as exc:
        raise ReviewRefused(str(exc), "截止日期超出 2000–2100 年") from None


def check_span(text: str, start: int, end: int, selected_raw: str) -> tuple[int, int]:
    """The selection's offsets, checked against the stored text (a stale page or a crafted
    form cannot add a sentence the document does not hold)."""
    selected = selected_raw.strip()
    if not selected:
        raise ReviewRefused("select the measure's sentence first", "请先在原文中选中措施的句子")
    if len(selected) > MAX_SELECTION:
        raise ReviewRefused("the selection is too long", f"选中的文字不能超过{MAX_SELECTION}字")
    if 0 <= start < end <= len(text) and text[start:end].strip() == selected:
        lead_ws = len(text[start:end]) - len(text[start:end].lstrip())
        return start + lead_ws, start + lead_ws + len(selected)
    at = text.find(selected)
    if at < 0:
        raise ReviewRefused(
            "the selected text is not in this version's text", "选中的文字不在该版本原文中"
        )
    if text.find(selected, at + 1) >= 0:
        raise ReviewRefused(
            "the selected text occurs more than once; select a longer passage",
            "选中的文字在原文中出现多次，请多选一些",
        )
    return at, at + len(selected)
