"""Reports for coordinators: 督办通报 (.docx) and 台账 (.xlsx), built from one `ReportData`.

data = collect(session, as_of=date(2024, 1, 5))
Path("督办通报.docx").write_bytes(build_briefing(data))
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import UserError
from bot.reports.data import ReportData, collect
from bot.reports.docx_report import build_briefing
from bot.reports.xlsx_ledger import build_ledger

__all__ = ["ReportData", "build_briefing", "build_ledger", "build_report", "collect"]


def build_report(data: ReportData, out: Path) -> bytes:
    """The report `out`'s suffix asks for: .docx -> 督办通报, .xlsx -> 台账."""
    suffix = out.suffix.lower()
    if suffix == ".docx":
        return build_briefing(data)
    if suffix == ".xlsx":
        return build_ledger(data)
    raise UserError(f"--out must end in .docx (督办通报) or .xlsx (台账), not {out.name}")
