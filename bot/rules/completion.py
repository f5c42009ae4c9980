"""Done, and what is counted: the one home of the completion rates and of the counting unit.

**The counting unit** is what a coordinator tracks: a milestone (节点) where a measure has any
live milestone, else the measure itself. A measure with milestones is never counted beside
them (one missed milestone is 逾期1项, not 2); its status is rolled up from them
(`rollup_status`) for display.

**Completion rates** over those units, both always shown with their names:
- 已销号率 = 已销号 / 任务总数 — the completion rate proper (完成率): done is what a coordinator
  has confirmed;
- 已报完成率 = (已报完成 + 已销号) / 任务总数 — what departments say is done, confirmed or not.

统计 in chat, the dashboard overview and both reports print these two, computed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.store.models import TaskStatus

CLOSED_RATE_NAME = "已销号率"
REPORTED_RATE_NAME = "已报完成率"

# Statuses a rolled-up measure can be "started" by.
_STARTED = frozenset(
    {
        TaskStatus.IN_PROGRESS,
        TaskStatus.REPORTED,
        TaskStatus.CLOSED,
        TaskStatus.RETURNED,
        TaskStatus.EXTENSION_REQUESTED,
    }
)


def rate(part: int, total: int) -> float:
    """A percentage; 0.0 for nothing to count."""
    return 100.0 * part / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Completion:
    """Counts of units by status, with the two named rates."""

    total: int
    closed: int
    reported: int

    @property
    def closed_rate(self) -> float:
        return rate(self.closed, self.total)

    @property
    def reported_rate(self) -> float:
        return rate(self.closed + self.reported, self.total)

    def text(self) -> str:
        """'已销号率12.5%，已报完成率25.0%' — the one wording."""
        return (
            f"{CLOSED_RATE_NAME}{self.closed_rate:.1f}%，"
            f"{REPORTED_RATE_NAME}{self.reported_rate:.1f}%"
        )


def completion(by_status: Mapping[str, int]) -> Completion:
    """The rates of units counted by status (withdrawn ones must not be in `by_status`)."""
    return Completion(
        total=sum(by_status.values()),
        closed=by_status.get(TaskStatus.CLOSED, 0),
        reported=by_status.get(TaskStatus.REPORTED, 0),
    )


def rollup_status(own: str, milestones: Iterable[str]) -> str:
    """A measure's status from its live milestones' statuses (its own when it has none).

    All closed → closed; all reported or closed → reported; any started (in progress,
    reported, closed, returned, extension asked) → in progress; else the measure's own status.
    A coordinator's decision on the measure itself (closed) stands, and a withdrawn measure
    stays withdrawn.
    """
    children = [s for s in milestones if s != TaskStatus.WITHDRAWN]
    if not children or own in (TaskStatus.CLOSED, TaskStatus.WITHDRAWN):
        return own
    if all(s == TaskStatus.CLOSED for s in children):
        return TaskStatus.CLOSED
    if all(s in (TaskStatus.CLOSED, TaskStatus.REPORTED) for s in children):
        return TaskStatus.REPORTED
    if any(s in _STARTED for s in children):
        return TaskStatus.IN_PROGRESS
    return own
