"""Store errors a caller can tell apart; all reach a user as one line (exit code 2)."""

from __future__ import annotations

from bot.errors import UserError


class NotFound(UserError):
    """No such task, contact, department or plan."""


class PermissionDenied(UserError):
    """The person may not make this change (not the task's department, not a coordinator)."""


class InvalidTransition(UserError):
    """The task's status does not allow this action now (e.g. 销号 before 完成)."""


class ImportRejected(UserError):
    """A contacts file has bad rows; nothing was imported. `problems` lists them by row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"contacts import refused, nothing imported: {shown}{more}")
