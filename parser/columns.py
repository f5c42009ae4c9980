"""The columns of a task table (重点任务分工表), recognised by their header names.

序号/编号, 事项/项目 (a task's short name), 重点任务/工作措施/主要内容 (what to do),
牵头单位, 配合单位, 责任单位/推进单位, 完成时限/时间节点.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COLUMNS = {
    "id": re.compile(r"^(序号|编号|序)$"),
    # A short name of the task beside a column of what to do ("事项 | 工作措施").
    "name": re.compile(r"^(事项|任务名称|项目名称|项目|工作事项|重点事项|任务事项|名称)$"),
    "task": re.compile(
        r"(重点任务|工作任务|任务名称|主要任务|任务内容|主要内容|工作内容|具体措施|工作措施|措施|任务"
        r"|工作举措|举措|具体内容|^内容$|^工作$)"
    ),
    "lead": re.compile(r"(牵头单位|牵头部门|主责单位|牵头)"),
    "coop": re.compile(r"(配合单位|配合部门|协办单位|参与单位|配合)"),
    "resp": re.compile(r"(责任单位|责任部门|推进单位|实施单位|落实单位|承办单位|责任主体)"),
    "due": re.compile(r"(完成时限|时限要求|完成时间|时间节点|时限|进度安排|完成期限)"),
}


# A column that sorts the tasks into groups ("任务分类", "类别") is not the task column.
CATEGORY = re.compile(r"(?:分类|类别)$")


@dataclass(frozen=True, slots=True)
class TaskColumns:
    id: int | None
    task: int
    name: int | None
    lead: int | None
    coop: int | None
    resp: int | None
    due: int | None


def recognise(header: tuple[str, ...]) -> TaskColumns | None:
    """Column positions if this row heads a task table, else None."""
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = cell.replace(" ", "")
        if CATEGORY.search(name):
            continue
        for key in ("id", "name", "lead", "coop", "resp", "due", "task"):
            if key not in found and COLUMNS[key].search(name):
                found[key] = i
                break
    if "task" not in found and "name" in found:
        found["task"] = found.pop("name")
    if "task" not in found or not ({"lead", "resp"} & found.keys()):
        return None
    return TaskColumns(
        found.get("id"),
        found["task"],
        found.get("name"),
        found.get("lead"),
        found.get("coop"),
        found.get("resp"),
        found.get("due"),
    )
