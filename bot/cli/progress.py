"""A rich progress bar for long reads on the command line (OCR of a scan, LibreOffice).

Readers report through `parser.progress`; nothing shows for the common fast
reads, and nothing at all when stderr is not a terminal (scripts, CI logs).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from parser import progress

_LABELS = {"OCR": "识别扫描页 (OCR)", "LibreOffice": "转换 .doc/.wps", "OFD": "读取 OFD 页面"}


@contextmanager
def parse_progress() -> Iterator[None]:
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, object] = {}

    def update(what: str, done: int, total: int) -> None:
        if what not in tasks:
            bar.start()
            tasks[what] = bar.add_task(_LABELS.get(what, what), total=total or None)
        bar.update(tasks[what], completed=done, total=total or None)  # type: ignore[arg-type]

    try:
        with progress.reporting(update):
            yield
    finally:
        bar.stop()
