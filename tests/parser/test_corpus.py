"""The corpus floor: the parser on real published plans may never score below what it reached.

The figures come from the corpus's own scorer (tests/data/corpus/score.py) through
bench/corpus.py, the same command that prints them for people. Raise the floor in
tests/data/corpus/floor.json when the parser gets better; never lower it to pass.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
FLOOR = json.loads((CORPUS / "floor.json").read_text(encoding="utf-8"))


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while being built
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("shape", [None, "oneline", "shredded"])
def test_corpus_never_falls_below_its_floor(shape: str | None) -> None:
    bench = _bench()
    totals = bench.run(CORPUS, shape, echo=False)
    got = totals.summary()
    floor = FLOOR[shape or "as_published"]
    assert not totals.failed or floor.get("failed_ok", False), totals.failed
    for key, minimum in floor.items():
        if key == "extra":
            assert got[key] <= minimum + 1e-9, (key, got[key], minimum)
        elif key != "failed_ok":
            assert got[key] >= minimum - 1e-9, (key, got[key], minimum)


def test_the_corpus_holds_every_document_with_its_gold() -> None:
    docs = [p for p in CORPUS.iterdir() if p.suffix in (".txt", ".docx")]
    assert len(docs) >= 12
    assert all(p.with_suffix(".json").exists() for p in docs)
