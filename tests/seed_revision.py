"""A realistic revision of the seed plan, made by editing its text like a drafting office would.

Chapter 三 gets a new first measure (so every other measure in it is renumbered), measure
（四）'s charging-pile milestone moves from 2023 to 2024, and measure （九） is removed.
"""

from __future__ import annotations

from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "examples" / "taiyuan-energy-plan.txt"
NUMERALS = "一二三四五六七八九十"
NEW_MEASURE = (
    "（一）重点用能单位节能诊断工程。组织开展重点用能单位节能诊断，建立能效对标和节能"
    "诊断服务制度，2024年底前完成全市重点用能单位节能诊断全覆盖。"
    "（市能源局、市工信局、市财政局按职责分工负责）"
)


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if n <= 10 else "十" + NUMERALS[n - 11]


def revised_seed_text() -> str:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("三、"))
    end = next(i for i, line in enumerate(lines) if line.startswith("四、"))
    body = lines[start + 1 : end]
    items: list[list[str]] = []
    labels = {_numeral(n) for n in range(1, 21)}
    for line in body:
        if line.startswith("（") and "）" in line[:5] and line[1 : line.index("）")] in labels:
            items.append([line])
        elif items:
            items[-1].append(line)
    kept = [item for item in items if not item[0].startswith("（九）")]
    out: list[str] = ["", NEW_MEASURE, ""]
    for n, item in enumerate(kept, start=2):
        first = item[0]
        first = f"（{_numeral(n)}）" + first[first.index("）") + 1 :]
        first = first.replace("2023年力争全市新建充电桩1万台", "2024年力争全市新建充电桩1万台")
        out += [first, *item[1:]]
    return "\n".join([*lines[: start + 1], *out, *lines[end:]])
