"""Score the parser over a corpus folder of real plans with gold answers.

Run: .venv/bin/python bench/corpus.py tests/data/corpus [--shape oneline|shredded]

Each document NAME.txt / NAME.docx / NAME.html beside its gold NAME.json is parsed in this
process and scored by the corpus's own `score.py` (the official scorer, kept unchanged in the
corpus folder). One line per document, then the totals, then the parse time.

`--shape` re-lays a .txt document before parsing, to check that structure comes from the
numbering and punctuation, not from line breaks: `oneline` joins the whole plan into one line,
`shredded` breaks it every 37 characters the way a careless PDF export does.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from parser import ParseError, parse_document, parse_text
from parser.reading import decode_text

DOC_SUFFIXES = (".txt", ".docx", ".html", ".htm", ".pdf")


@dataclass
class Totals:
    """Sums over documents; ratios are computed from the sums, not averaged."""

    measures: int = 0
    gold: int = 0
    leads: int = 0
    extra: int = 0
    co_f1: list[tuple[float, int]] = field(default_factory=list)
    milestones: int = 0
    gold_milestones: int = 0
    goals: int = 0
    gold_goals: int = 0
    worst_measures: float = 1.0
    worst_leads: float = 1.0
    failed: list[str] = field(default_factory=list)

    def add(self, fig: dict[str, str]) -> None:
        got, n = _pair(fig["measures"])
        lead, _ = _pair(fig["lead"])
        ms, ms_n = _pair(fig["milestones"])
        gl, gl_n = _pair(fig["goals"])
        self.measures += got
        self.gold += n
        self.leads += lead
        self.extra += int(fig["extra_measures"])
        self.co_f1.append((float(fig["co_f1"]), n))
        self.milestones += ms
        self.gold_milestones += ms_n
        self.goals += gl
        self.gold_goals += gl_n
        if n:
            self.worst_measures = min(self.worst_measures, got / n)
            self.worst_leads = min(self.worst_leads, lead / n)

    def summary(self) -> dict[str, float]:
        weight = sum(n for _, n in self.co_f1) or 1
        return {
            "measures": self.measures / max(self.gold, 1),
            "leads": self.leads / max(self.gold, 1),
            "co_f1": sum(f * n for f, n in self.co_f1) / weight,
            "milestones": self.milestones / max(self.gold_milestones, 1),
            "goals": self.goals / max(self.gold_goals, 1),
            "extra": self.extra / max(self.gold, 1),
            "worst_measures": self.worst_measures,
            "worst_leads": self.worst_leads,
        }


def _pair(s: str) -> tuple[int, int]:
    a, b = s.split("/")
    return int(a), int(b)


def load_scorer(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score", folder / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"{folder}: no score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def documents(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.suffix in DOC_SUFFIXES and p.with_suffix(".json").exists()
    )


def reshape(text: str, shape: str | None) -> str:
    if shape == "oneline":
        return "".join(line.strip() for line in text.splitlines())
    if shape == "shredded":
        flat = "".join(line.strip() for line in text.splitlines())
        return "\n".join(flat[i : i + 37] for i in range(0, len(flat), 37))
    return text


def parse_one(path: Path, shape: str | None) -> dict[str, object]:
    if shape and path.suffix == ".txt":
        text = reshape(decode_text(path.read_bytes()), shape)
        return parse_text(text, path.name).to_dict(include_text=False)
    return parse_document(path).to_dict(include_text=False)


def score_one(scorer: ModuleType, gold: Path, parsed: dict[str, object]) -> dict[str, str]:
    """Run the official scorer on one parse and read back its one line of figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(parsed, f, ensure_ascii=False)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            scorer.main(str(gold), f.name)
    finally:
        Path(f.name).unlink()
    return dict(kv.split("=", 1) for kv in out.getvalue().split())


def run(folder: Path, shape: str | None = None, echo: bool = True) -> Totals:
    scorer = load_scorer(folder)
    totals = Totals()
    docs = documents(folder)
    if docs:  # warm-up: the alias table, regex compilation; timings below are steady-state
        with contextlib.suppress(ParseError):
            parse_one(docs[0], shape)
    started = time.perf_counter()
    for path in docs:
        t0 = time.perf_counter()
        try:
            parsed = parse_one(path, shape)
        except ParseError as exc:
            parsed = {"measures": [], "goals": []}
            totals.failed.append(f"{path.name}: {exc}")
        ms = (time.perf_counter() - t0) * 1000
        fig = score_one(scorer, path.with_suffix(".json"), parsed)
        totals.add(fig)
        if echo:
            line = " ".join(f"{k}={v}" for k, v in fig.items() if k != "county")
            print(f"{path.stem:34} {line} ({ms:.0f} ms)")
    if echo:
        s = totals.summary()
        print(
            f"{'TOTAL':34} measures={totals.measures}/{totals.gold} ({s['measures']:.1%}) "
            f"leads={totals.leads}/{totals.gold} ({s['leads']:.1%}) co_f1={s['co_f1']:.3f} "
            f"milestones={totals.milestones}/{totals.gold_milestones} ({s['milestones']:.1%}) "
            f"goals={totals.goals}/{totals.gold_goals} ({s['goals']:.1%}) "
            f"extra={totals.extra} ({s['extra']:.1%})"
        )
        print(
            f"{'WORST DOCUMENT':34} measures {s['worst_measures']:.1%} "
            f"leads {s['worst_leads']:.1%}"
        )
        total_ms = (time.perf_counter() - started) * 1000
        print(f"{'TIME':34} {total_ms:.0f} ms for {len(docs)} documents (parse and score)")
        for f in totals.failed:
            print(f"FAILED {f}")
    return totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--shape", choices=["oneline", "shredded"])
    args = ap.parse_args()
    run(args.folder, args.shape)


if __name__ == "__main__":
    sys.exit(main())
