"""Quantities in commitments and goals: "1万台", "85%", "144万千瓦", "300克标准煤/千瓦时"."""

from __future__ import annotations

import re

_UNIT_TEXT = """
% ‰ 个百分点 百分点 倍 万千瓦时 千瓦时 万千瓦 千瓦 兆瓦 吉瓦 万kW kW
MW GW 万吨标准煤 吨标准煤 克标准煤/千瓦时 万吨/年 吨/年 万吨 吨 蒸吨
万立方米 立方米 万平方米 平方米 平方公里 公里 千米 米 万亩 亩 公顷 亿元 万元
元 个工作日 工作日 万台 台 万辆 辆 万套 套 万户 户 万人 人次 人 家 个 座
处 项 所 条 片 栋 批 支 只 张 次 天 小时 年 件 宗 块 眼 口 根 盏 部
辆次 类 级 星级 微克/立方米 毫克/升 分贝 名 位 户次 件次
"""
# Longest units first so "万千瓦" wins over "万" + "千瓦".
_UNITS = sorted(_UNIT_TEXT.split(), key=len, reverse=True)
_QUANTITY = re.compile(
    r"(?<![\d.A-Za-z第])(\d+(?:\.\d+)?)\s*(万亿|亿|万|千)?\s*("
    + "|".join(re.escape(u) for u in _UNITS)
    + r")"
)


_MEASURED = re.compile(r"(?:天数|时间|时长|用时|日数|次数)[^，,。；;]{0,12}$")


def quantities(s: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of each quantity; years ("2025年") are not quantities."""
    out: list[tuple[int, int, str]] = []
    for m in _QUANTITY.finditer(s):
        number, mult, unit = m.group(1), m.group(2) or "", m.group(3)
        if unit == "年" and not mult and len(number) == 4:
            continue
        if (
            unit in ("年", "天", "小时", "次")
            and not mult
            and not _MEASURED.search(s, 0, m.start())
        ):
            continue  # durations and counts of times are not targets, unless a
            # time is what is measured: "优良天数达到250天", "通关时间压缩至30小时"
        out.append((m.start(), m.end(), f"{number}{mult}{unit}"))
    return out


def first_quantity(s: str) -> str | None:
    q = quantities(s)
    return q[0][2] if q else None
