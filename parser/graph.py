"""Plan <-> task graph (networkx DiGraph).

Nodes: the plan, its measures, milestones and goals, and departments.
Edges: plan -contains-> measure -contains-> milestone; plan -targets-> goal;
department -leads-> measure; department -cooperates-> measure.
Node ids are prefixed by kind ("measure:3.4", "dept:市能源局") so a measure and a
goal can never collide. Exportable as GraphML and as JSON (node-link), and
rebuilt from that JSON.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from parser.model import Plan

PLAN = "plan"


def plan_to_graph(plan: Plan) -> nx.DiGraph:
    """Build the task graph of a plan; attributes are GraphML-safe scalars."""
    g = nx.DiGraph(title=plan.document.title, source=plan.document.source)
    g.add_node(PLAN, kind="plan", label=plan.document.title, sha256=plan.document.sha256)
    for goal in plan.goals:
        gid = f"goal:{goal.id}"
        g.add_node(
            gid,
            kind="goal",
            label=goal.text,
            value=goal.value or "",
            due=goal.due.isoformat() if goal.due else "",
        )
        g.add_edge(PLAN, gid, rel="targets")
    for m in plan.measures:
        mid = f"measure:{m.id}"
        g.add_node(mid, kind="measure", label=m.title, chapter=m.chapter, task_id=m.id)
        g.add_edge(PLAN, mid, rel="contains")
        if m.lead:
            _dept(g, m.lead)
            g.add_edge(f"dept:{m.lead}", mid, rel="leads")
        for unit in m.cooperating:
            _dept(g, unit)
            g.add_edge(f"dept:{unit}", mid, rel="cooperates")
        for ms in m.milestones:
            nid = f"milestone:{ms.id}"
            g.add_node(
                nid,
                kind="milestone",
                label=ms.text,
                task_id=ms.id,
                value=ms.value or "",
                due=ms.due.isoformat() if ms.due else "",
            )
            g.add_edge(mid, nid, rel="contains")
    return g


def _dept(g: nx.DiGraph, name: str) -> None:
    if f"dept:{name}" not in g:
        g.add_node(f"dept:{name}", kind="department", label=name)


def graph_to_json(g: nx.DiGraph) -> dict[str, Any]:
    """Node-link JSON of the graph (stable across networkx versions: explicit keys)."""
    data: dict[str, Any] = nx.node_link_data(g, edges="links")
    return data


def graph_from_json(data: dict[str, Any]) -> nx.DiGraph:
    """Rebuild the graph `graph_to_json` produced."""
    g: nx.DiGraph = nx.node_link_graph(data, directed=True, edges="links")
    return g


def graphml(g: nx.DiGraph) -> str:
    """The graph as a GraphML document."""
    return "\n".join(nx.generate_graphml(g)) + "\n"


def department_load(g: nx.DiGraph) -> dict[str, tuple[int, int]]:
    """For each department: (measures it leads, measures it cooperates on)."""
    load: dict[str, tuple[int, int]] = {}
    for node, attrs in g.nodes(data=True):
        if attrs.get("kind") != "department":
            continue
        rels = [d["rel"] for _, _, d in g.out_edges(node, data=True)]
        load[attrs["label"]] = (rels.count("leads"), rels.count("cooperates"))
    return load
