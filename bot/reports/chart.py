"""The completion-by-department chart (matplotlib, Agg, no pyplot, no global rcParams).

A coordinator forwards the report as is, so Chinese labels must render: we look for a CJK
font file (WenQuanYi Micro Hei from Debian's fonts-wqy-microhei first) and hand it to every
text element as FontProperties, instead of changing matplotlib's global configuration.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reports.data import STATUS_ORDER, ReportData, status_label

# Preferred families, best first; file-name fragments catch fonts fontconfig does not name.
_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei")
_FILE_HINTS = ("wqy-microhei", "wqy-zenhei", "notosanscjk", "sourcehansans", "simhei")
_KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

_COLOURS = {
    "closed": "#2e7d32",
    "reported": "#81c784",
    "in_progress": "#1e88e5",
    "extension_requested": "#fbc02d",
    "returned": "#ef6c00",
    "pending": "#bdbdbd",
}


def _fc_match(family: str) -> Path | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", f"{family}:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    p = Path(out)
    return p if out and p.is_file() and any(h in p.name.lower() for h in _FILE_HINTS) else None


def find_cjk_font() -> Path | None:
    """A font file with Chinese glyphs, or None (labels would render as boxes).

    Known Debian paths first (instant); the system-wide scan only when they are missing.
    """
    for known in _KNOWN_PATHS:
        if Path(known).is_file():
            return Path(known)
    files = font_manager.findSystemFonts()
    for hint in _FILE_HINTS:
        for f in files:
            if hint in Path(f).name.lower().replace("-", "").replace("_", "") or hint in f.lower():
                return Path(f)
    for family in _FAMILIES:
        found = _fc_match(family)
        if found is not None:
            return found
    return None


def completion_chart(data: ReportData, *, dpi: int = 150) -> bytes:
    """A PNG: one horizontal stacked bar per lead department (tasks by status), with the
    share closed written at the end of each bar."""
    path = find_cjk_font()
    font = font_manager.FontProperties(fname=str(path)) if path else None
    small = font_manager.FontProperties(fname=str(path), size=8) if path else None
    depts = sorted(data.departments, key=lambda d: (d.completion.closed_rate, d.department))
    height = max(2.5, 0.38 * len(depts) + 1.4)
    fig = Figure(figsize=(8.0, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    names = [d.department for d in depts]
    left = [0] * len(depts)
    for status in STATUS_ORDER:
        counts = [d.by_status.get(status, 0) for d in depts]
        if not any(counts):
            continue
        ax.barh(
            names,
            counts,
            left=left,
            color=_COLOURS[status],
            label=status_label(status),
            height=0.6,
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for i, d in enumerate(depts):
        ax.text(
            left[i] + 0.2,
            i,
            f"{d.completion.closed_rate:.0f}%",
            va="center",
            fontproperties=small,
        )
    ax.set_title(f"各单位牵头任务完成情况（截至{data.as_of.isoformat()}）", fontproperties=font)
    ax.set_xlabel("任务数", fontproperties=font)
    for label in ax.get_yticklabels():
        if small is not None:
            label.set_fontproperties(small)
    ax.set_xlim(0, max(left, default=1) * 1.15 + 1)
    if depts:
        ax.legend(prop=small, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
