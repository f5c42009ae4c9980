"""The task graph: plan -> measures -> milestones, departments lead / cooperate."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest

from parser.graph import (
    PLAN,
    department_load,
    graph_from_json,
    graph_to_json,
    graphml,
    plan_to_graph,
)
from parser.model import Plan


@pytest.fixture(scope="module")
def graph(seed_plan: Plan) -> nx.DiGraph:
    return plan_to_graph(seed_plan)


def _rel(g: nx.DiGraph, rel: str) -> set[tuple[str, str]]:
    return {(a, b) for a, b, d in g.edges(data=True) if d["rel"] == rel}


def test_plan_contains_measures_contains_milestones(graph: nx.DiGraph, seed_plan: Plan) -> None:
    contains = _rel(graph, "contains")
    for m in seed_plan.measures:
        assert (PLAN, f"measure:{m.id}") in contains
        for ms in m.milestones:
            assert (f"measure:{m.id}", f"milestone:{ms.id}") in contains
    kinds = nx.get_node_attributes(graph, "kind")
    assert sum(k == "measure" for k in kinds.values()) == 22
    assert sum(k == "milestone" for k in kinds.values()) == 23
    assert sum(k == "goal" for k in kinds.values()) == 7
    assert nx.is_directed_acyclic_graph(graph)


def test_departments_lead_and_cooperate(graph: nx.DiGraph, seed_plan: Plan) -> None:
    leads, coops = _rel(graph, "leads"), _rel(graph, "cooperates")
    for m in seed_plan.measures:
        assert (f"dept:{m.lead}", f"measure:{m.id}") in leads
        assert {a for a, b in coops if b == f"measure:{m.id}"} == {
            f"dept:{u}" for u in m.cooperating
        }
    assert len(leads) == 22
    load = department_load(graph)
    assert load["县（市、区）政府"] == (0, 22)
    assert load["市生态环境局"][0] == 7


def test_milestone_attributes(graph: nx.DiGraph) -> None:
    node = graph.nodes["milestone:3.4.2"]
    assert node["kind"] == "milestone"
    assert node["label"] == "2023年力争全市新建充电桩1万台"
    assert (node["due"], node["value"], node["task_id"]) == ("2023-12-31", "1万台", "3.4.2")


def test_graphml_parses_back(graph: nx.DiGraph) -> None:
    back = nx.read_graphml(io.BytesIO(graphml(graph).encode("utf-8")))
    assert set(back.nodes) == set(graph.nodes)
    assert set(back.edges) == set(graph.edges)
    assert dict(back.nodes(data=True)) == dict(graph.nodes(data=True))
    assert {(a, b): d for a, b, d in back.edges(data=True)} == {
        (a, b): d for a, b, d in graph.edges(data=True)
    }


def test_json_round_trip_is_equal(graph: nx.DiGraph) -> None:
    data = json.loads(json.dumps(graph_to_json(graph), ensure_ascii=False))
    back = graph_from_json(data)
    assert isinstance(back, nx.DiGraph)
    assert dict(back.nodes(data=True)) == dict(graph.nodes(data=True))
    assert {(a, b): d for a, b, d in back.edges(data=True)} == {
        (a, b): d for a, b, d in graph.edges(data=True)
    }
    assert back.graph == graph.graph
    assert nx.utils.graphs_equal(back, graph)
