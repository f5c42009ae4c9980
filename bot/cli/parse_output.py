"""Output of `taskbot parse`: the contract JSON, a rich table, or GraphML."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from parser.model import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(include_text=False), ensure_ascii=False, indent=2) + "\n"


def emit(plan: Plan, fmt: str, out: Path | None) -> None:
    """Write the plan in `fmt` to `out` (or stdout; a table is always for people)."""
    if fmt == "json":
        _write(render_json(plan), out)
    elif fmt == "graphml":
        from parser.graph import graphml, plan_to_graph

        _write(plain_utf8(graphml(plan_to_graph(plan))), out)
    else:
        _table(plan, out)


_CHAR_REF = re.compile(r"&#(\d+);")
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def plain_utf8(xml: str) -> str:
    """networkx writes every non-ASCII character as a reference (&#22826;…): the same XML,
    unreadable in an editor. Write those characters as themselves (UTF-8, declared); markup
    escapes (&lt; &amp;, and control characters) stay references."""
    body = _CHAR_REF.sub(
        lambda m: chr(int(m.group(1))) if int(m.group(1)) > 127 else m.group(0), xml
    )
    return body if body.startswith("<?xml") else _XML_DECLARATION + body


def _write(data: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(data)
    else:
        out.write_text(data, encoding="utf-8")


def _table(plan: Plan, out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out.open("w", encoding="utf-8") if out else None, width=160)
    doc = plan.document
    console.print(
        f"[bold]{doc.title}[/bold]  ({doc.source}; "
        f"{len(plan.measures)} measures, {plan.milestone_count()} milestones, "
        f"{len(plan.goals)} goals; period ends {doc.period_end or '—'})"
    )
    if plan.goals:
        goals = Table(title="主要目标 goals", show_lines=False)
        for col in ("id", "due", "value", "goal"):
            goals.add_column(col)
        for g in plan.goals:
            goals.add_row(g.id, str(g.due or ""), g.value or "", g.text)
        console.print(goals)
    t = Table(title="measures and milestones", show_lines=True)
    t.add_column("id", no_wrap=True)
    t.add_column("task")
    t.add_column("lead", no_wrap=True)
    t.add_column("cooperating")
    t.add_column("due", no_wrap=True)
    for m in plan.measures:
        t.add_row(
            m.id, f"[bold]{m.title}[/bold]", m.lead or "[red]?[/red]", "、".join(m.cooperating), ""
        )
        for ms in m.milestones:
            value = f" [{ms.value}]" if ms.value else ""
            t.add_row(ms.id, f"  {ms.text}{value}", "", "", str(ms.due or ""))
    console.print(t)
    for w in plan.warnings:
        console.print(f"[yellow]warning ({w.kind}):[/yellow] {w}")
    if out:
        console.file.close()
