"""Chinese names of codes people see on the dashboard: platforms and reminder kinds."""

from __future__ import annotations

from bot.adapters import find_platform

_REMINDER_KINDS: dict[str, str] = {
    "due_today": "当日",
    "overdue": "逾期",
    "escalation": "升级",
    "progress_request": "进度询问",
    "digest": "督办日报",
    "reminder": "提醒",
}


def platform_label(code: str) -> str:
    spec = find_platform(code)
    return spec.title if spec else code


def reminder_kind_label(code: str) -> str:
    """'before_7' -> '到期前7个工作日', 'overdue' -> '逾期' …"""
    if code.startswith("before_") and code[7:].isdigit():
        return f"到期前{code[7:]}个工作日"
    return _REMINDER_KINDS.get(code, code)
