"""Parser state shared between upload worker threads: built once, restored exactly.

The dashboard parses uploads in threads; the unit tokenizer and pypdf's logger level
are shared by all of them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from parser import reading
from parser.units import UnitNames


def test_the_tokenizer_is_built_once_when_threads_ask_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = UnitNames.load()
    builds = 0
    real_build = UnitNames._build_tokenizer
    go = threading.Barrier(8)

    def counting_build(self: UnitNames) -> Any:
        nonlocal builds
        builds += 1
        return real_build(self)

    monkeypatch.setattr(UnitNames, "_build_tokenizer", counting_build)
    got: list[Any] = []

    def ask() -> None:
        go.wait()
        got.append(names.tokenizer)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == 1
    assert len(got) == 8 and all(tk is got[0] for tk in got)
    assert [w for w, _ok in names.split_unknown("市发改委市工信局")] == [
        "市发展改革委",
        "市工业和信息化局",
    ]


def test_overlapping_pdf_reads_restore_the_pypdf_level_the_first_one_found() -> None:
    log = logging.getLogger("pypdf")
    before = log.level
    log.setLevel(logging.INFO)
    try:
        first, second = reading._pypdf_quiet(), reading._pypdf_quiet()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)  # the first read ends while the second runs
        assert log.level > logging.CRITICAL  # still quiet for the second
        second.__exit__(None, None, None)
        assert log.level == logging.INFO
    finally:
        log.setLevel(before)
