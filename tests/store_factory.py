"""Hand-built plans for store tests (no parser needed), with real spans into their text."""

from __future__ import annotations

from datetime import date
from typing import Any

from parser.model import DocumentInfo, Measure, Milestone, Plan

PERIOD_END = date(2025, 12, 31)


def measure(
    key: str,
    title: str,
    lead: str,
    coop: tuple[str, ...] = (),
    milestones: tuple[tuple[str, date | None], ...] = (),
) -> dict[str, Any]:
    return {"id": key, "title": title, "lead": lead, "coop": coop, "milestones": milestones}


def make_plan(
    measures: list[dict[str, Any]], *, source: str = "plan.txt", title: str = "测试方案"
) -> Plan:
    """A Plan whose text contains every measure and milestone, spans pointing at them."""
    parts: list[str] = [title, "\n\n"]
    pos = len(title) + 2
    built: list[Measure] = []
    for m in measures:
        start = pos
        head = f"{m['title']}。牵头单位：{m['lead']}。\n"
        parts.append(head)
        pos += len(head)
        stones: list[Milestone] = []
        for n, (text, due) in enumerate(m["milestones"], start=1):
            stones.append(Milestone(f"{m['id']}.{n}", text, due, None, (pos, pos + len(text))))
            parts.append(text + "\n")
            pos += len(text) + 1
        built.append(
            Measure(
                id=m["id"],
                chapter="重点工程",
                title=m["title"],
                lead=m["lead"],
                cooperating=tuple(m["coop"]),
                milestones=tuple(stones),
                span=(start, pos),
                text=m["title"],
            )
        )
    text = "".join(parts)
    doc = DocumentInfo(title=title, source=source, sha256="", period_end=PERIOD_END)
    return Plan(document=doc, county_cooperators=(), goals=(), measures=tuple(built), text=text)


BASE = [
    measure(
        "1.1",
        "实施工业领域节能降碳改造工程，推动钢铁焦化行业超低排放改造",
        "市工信局",
        ("市发展改革委", "市生态环境局"),
        (
            ("2023年底前完成钢铁企业超低排放改造", date(2023, 12, 31)),
            ("2025年全市焦化企业全部完成超低排放改造", date(2025, 12, 31)),
        ),
    ),
    measure(
        "1.2",
        "推进城镇绿色节能改造，新建建筑全面执行绿色建筑标准",
        "市住建局",
        ("市规划和自然资源局",),
        (("2023年6月底前完成既有建筑节能改造100万平方米", date(2023, 6, 30)),),
    ),
    measure(
        "1.3",
        "加快交通物流节能减排，推广新能源汽车和充电基础设施建设",
        "市交通局",
        ("市能源局", "市公安局"),
        (("2023年力争全市新建充电桩1万台", date(2023, 12, 31)),),
    ),
    measure(
        "1.4",
        "推进农业农村节能减排，加快农村清洁取暖改造",
        "市农业农村局",
        ("市能源局",),
        (),
    ),
]
