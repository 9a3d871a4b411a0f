"""Orders over the requirement graph: deploy order, cycles and the depth IM
contextualizes by. All linear in nodes plus edges (a log factor for the
deterministic tie-break), so a 10,000-node topology costs ten times a
1,000-node one."""

from __future__ import annotations

from typing import Callable, Iterable

import networkx as nx

from ..graphs import dependencies_first


def dependency_graph(names: Iterable[str], edges: Iterable[tuple[str, str]]) -> nx.DiGraph:
    """Source -> target for every requirement: the target comes first."""
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(edges)
    return graph


def components(graph: nx.DiGraph, index: Callable[[str], int]) -> tuple[list[list[str]], dict[str, int]]:
    """Strongly connected components with members in template order, ordered
    so that every component comes after the ones it depends on; and the
    component of each node."""
    ordered, cyclic = dependencies_first(graph, index)
    if not cyclic:  # the usual case: every component is one node, and this is their order
        return [[name] for name in ordered], {name: i for i, name in enumerate(ordered)}
    return scc_components(graph, index)


def scc_components(graph: nx.DiGraph, index: Callable[[str], int]) -> tuple[list[list[str]], dict[str, int]]:
    """:func:`components` of any graph, cycles included."""
    found = [sorted(c, key=index) for c in nx.strongly_connected_components(graph)]
    member_of = {name: i for i, members in enumerate(found) for name in members}
    condensed = nx.DiGraph()
    condensed.add_nodes_from(range(len(found)))
    for source, target in graph.edges():
        a, b = member_of[source], member_of[target]
        if a != b:
            condensed.add_edge(b, a)  # the target's component first
    first = [index(members[0]) for members in found]
    ordered = list(nx.lexicographical_topological_sort(condensed, key=lambda c: first[c]))
    sorted_components = [found[c] for c in ordered]
    position = {name: i for i, members in enumerate(sorted_components) for name in members}
    return sorted_components, position


def cycles(graph: nx.DiGraph, ordered_components: list[list[str]]) -> list[list[str]]:
    """Each cycle as the nodes along it, starting at the first in template
    order: a component of several nodes, or a node requiring itself."""
    found = []
    for members in ordered_components:
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        found.append(cycle_path(graph.subgraph(members), members[0]))
    return found


def cycle_path(subgraph: nx.DiGraph, start: str) -> list[str]:
    """One cycle through ``start`` (a component always has one)."""
    try:
        edges = nx.find_cycle(subgraph, source=start)
    except nx.NetworkXNoCycle:  # pragma: no cover - a component of 2+ nodes has a cycle
        return [start]
    path = [edges[0][0]] + [edge[1] for edge in edges[:-1]]
    if start in path:  # rotate so the cycle starts where the template does
        at = path.index(start)
        path = path[at:] + path[:at]
    return path


def levels(ordered_components: list[list[str]], targets: Callable[[str], Iterable[str]],
           component_of: dict[str, int]) -> dict[str, int]:
    """IM's contextualization depth: 1 for a node that orders after nothing,
    else one more than the deepest node it orders after. Edges inside a cycle
    are ignored, so a cycle still gets levels."""
    level: dict[str, int] = {}
    for members in ordered_components:
        for name in members:
            deepest = 0
            for target in targets(name):
                if component_of.get(target) != component_of[name]:
                    deepest = max(deepest, level.get(target, 0))
            level[name] = deepest + 1
    return level
