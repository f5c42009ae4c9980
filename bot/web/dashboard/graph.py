"""The task graph: departments ↔ measures as an SVG drawn server-side, and each
department's load (measures it leads / cooperates on).

The graph has the same shape as parser.graph.plan_to_graph ("dept:…" and "measure:…"
nodes, "leads"/"cooperates" edges) but is built from the store, so it shows live statuses
and revisions; parser.graph.department_load then counts the load. Positions come from
networkx's bipartite layout: departments in one column, measures in plan order in the other.
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


def draw(g: nx.DiGraph) -> Picture:
    """Pixel positions for every node and edge, from networkx's bipartite layout."""
    load = department_load(g)
    depts = sorted(
        (n for n, a in g.nodes(data=True) if a["kind"] == "department"),
        key=lambda n: (-load[g.nodes[n]["label"]][0], -load[g.nodes[n]["label"]][1], n),
    )
    measures = [n for n, a in g.nodes(data=True) if a["kind"] == "measure"]
    rows = max(len(depts), len(measures), 1)
    height = rows * ROW + 60
    if not depts or not measures:
        return Picture(WIDTH, height, [], [], [])
    # Build the layout graph in the order we want the columns drawn (layout keeps order).
    ordered = nx.Graph()
    ordered.add_nodes_from(depts)
    ordered.add_nodes_from(measures)
    ordered.add_edges_from(g.to_undirected().edges())
    pos = nx.bipartite_layout(ordered, depts, align="vertical")
    xs = sorted({float(p[0]) for p in pos.values()})
    ys_d = [float(pos[n][1]) for n in depts]
    ys_m = [float(pos[n][1]) for n in measures]

    def px(node: str, ys: list[float], count: int) -> tuple[float, float]:
        x = LEFT_X if float(pos[node][0]) == xs[0] else RIGHT_X
        lo, hi = min(ys), max(ys)
        span = (hi - lo) or 1.0
        # Each column is spread over its own share of the height, centred.
        col_h = (count - 1) * ROW
        top = 30 + (rows - 1) * ROW / 2 - col_h / 2
        y = top + (hi - float(pos[node][1])) / span * col_h if count > 1 else 30 + col_h
        return x, y

    at: dict[str, tuple[float, float]] = {}
    out_d, out_m = [], []
    for n in depts:
        at[n] = px(n, ys_d, len(depts))
        name = g.nodes[n]["label"]
        leads, coops = load[name]
        late = any(
            g.nodes[m]["row"].overdue_days > 0
            for _, m, d in g.out_edges(n, data=True)
            if d["rel"] == "leads"
        )
        out_d.append(
            {
                "x": at[n][0],
                "y": at[n][1],
                "name": name,
                "leads": leads,
                "coops": coops,
                "colour": STATUS_COLOURS["overdue"] if late else "#455a64",
            }
        )
    for n in measures:
        at[n] = px(n, ys_m, len(measures))
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
                + (f"，逾期{row.overdue_days}天" if row.overdue_days else ""),
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

        def q(s: Session) -> list[TaskRow]:
            return repo.list_tasks(s, as_of=today, kind="measure")

        g = task_graph(await ctx.db.run(q))
        load = sorted(department_load(g).items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
        return ctx.render(
            "graph.html",
            user=user,
            pic=draw(g),
            load=load,
            colours=STATUS_COLOURS,
        )

    return [web.get("/graph", graph_page)]
