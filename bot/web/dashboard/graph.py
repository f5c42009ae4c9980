"""The task graph: departments ↔ measures as an SVG drawn server-side, and each
department's load (measures it leads / cooperates on).

The graph has the same shape as parser.graph.plan_to_graph ("dept:…" and "measure:…"
nodes, "leads"/"cooperates" edges) but is built from the store, so it shows live statuses
and revisions; parser.graph.department_load then counts the load. Positions come from
networkx's spring layout, drawn as two columns (departments, measures) in its order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
from aiohttp import web
from sqlmodel import Session

from bot.store import repo
from bot.store.models import STATUS_LABELS
from bot.store.repo import TaskRow
from bot.web.dashboard.context import DashContext
from parser.graph import department_load

STATUS_COLOURS = {
    "pending": "#9e9e9e",
    "in_progress": "#1e88e5",
    "reported": "#66bb6a",
    "closed": "#2e7d32",
    "returned": "#ef6c00",
    "extension_requested": "#fbc02d",
    "overdue": "#d32f2f",
}
ROW = 26  # vertical pixels per node in the taller column
WIDTH = 1100
LEFT_X, RIGHT_X = 260.0, 700.0


@dataclass(frozen=True, slots=True)
class Picture:
    width: int
    height: int
    departments: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    edges: list[dict[str, Any]]


def task_graph(measures: list[TaskRow]) -> nx.DiGraph:
    """Departments and measures, with lead / cooperate edges (plan_to_graph's shape)."""
    g = nx.DiGraph()
    for m in measures:
        g.add_node(f"measure:{m.id}", kind="measure", label=m.title or m.text, row=m)
    for m in measures:
        for dept, rel in [(m.lead, "leads")] + [(c, "cooperates") for c in m.cooperating]:
            if not dept:
                continue
            node = f"dept:{dept}"
            if node not in g:
                g.add_node(node, kind="department", label=dept)
            g.add_edge(node, f"measure:{m.id}", rel=rel)
    return g


def draw(g: nx.DiGraph, late: frozenset[str] = frozenset()) -> Picture:
    """Pixel positions for every node and edge.

    networkx's spring layout (seeded, so the picture is stable; lead edges pull harder)
    puts departments near the measures they work on; we keep its vertical order but
    draw two columns, departments left and measures right, so labels never overlap.
    Departments in `late` (with overdue led tasks, milestones included) are drawn red.
    """
    load = department_load(g)
    depts = [n for n, a in g.nodes(data=True) if a["kind"] == "department"]
    measures = [n for n, a in g.nodes(data=True) if a["kind"] == "measure"]
    rows = max(len(depts), len(measures), 1)
    height = rows * ROW + 40
    if not depts or not measures:
        return Picture(WIDTH, height, [], [], [])
    u = nx.Graph()
    u.add_nodes_from(sorted(g.nodes))
    for a, b, d in g.edges(data=True):
        u.add_edge(a, b, w=3.0 if d["rel"] == "leads" else 1.0)
    pos = nx.spring_layout(u, seed=7, weight="w", iterations=200)

    def column(nodes: list[str], x: float) -> dict[str, tuple[float, float]]:
        ordered = sorted(nodes, key=lambda n: (-float(pos[n][1]), n))
        top = 20 + (rows - len(nodes)) * ROW / 2  # centre the shorter column
        return {n: (x, top + i * ROW) for i, n in enumerate(ordered)}

    at = column(depts, LEFT_X) | column(measures, RIGHT_X)
    out_d, out_m = [], []
    for n in sorted(depts, key=lambda n: at[n][1]):
        name = g.nodes[n]["label"]
        leads, coops = load[name]
        out_d.append(
            {
                "x": at[n][0],
                "y": at[n][1],
                "name": name,
                "leads": leads,
                "coops": coops,
                "colour": STATUS_COLOURS["overdue"] if name in late else "#455a64",
            }
        )
    for n in sorted(measures, key=lambda n: at[n][1]):
        row: TaskRow = g.nodes[n]["row"]
        key = "overdue" if row.overdue_days else row.status
        out_m.append(
            {
                "x": at[n][0],
                "y": at[n][1],
                "id": row.id,
                "pk": row.pk,
                "label": _short(g.nodes[n]["label"], 24),
                "title": f"{row.id} {g.nodes[n]['label']} — {STATUS_LABELS.get(row.status, '')}"
                + (f"，逾期{row.overdue_days}个工作日" if row.overdue_days else ""),
                "colour": STATUS_COLOURS.get(key, "#9e9e9e"),
            }
        )
    edges = [
        {
            "x1": at[a][0] + 8,
            "y1": at[a][1],
            "x2": at[b][0] - 8,
            "y2": at[b][1],
            "lead": d["rel"] == "leads",
        }
        for a, b, d in g.edges(data=True)
    ]
    return Picture(WIDTH, height, out_d, out_m, edges)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def routes(ctx: DashContext) -> list[web.RouteDef]:
    async def graph_page(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        today = ctx.today()

        def q(s: Session) -> tuple[list[TaskRow], frozenset[str]]:
            measures = repo.list_tasks(s, as_of=today, kind="measure")
            depts = repo.department_overview(s, as_of=today, soon_until=today)
            return measures, frozenset(d.department for d in depts if d.overdue)

        measures, late = await ctx.db.run(q)
        g = task_graph(measures)
        load = sorted(department_load(g).items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
        return ctx.render(
            "graph.html",
            user=user,
            pic=draw(g, late),
            load=load,
            colours=STATUS_COLOURS,
        )

    return [web.get("/graph", graph_page)]
