"""Graph algorithms shared by the checks and the topology (both build
requirement graphs with networkx: an edge goes from a node to a node it
requires)."""

from __future__ import annotations

import heapq
from typing import Any, Callable, Hashable

import networkx as nx


def dependencies_first(graph: nx.DiGraph, key: Callable[[Any], Any]) -> tuple[list, set]:
    """Every node after all the nodes it has an edge to, ties broken by
    ``key`` (smallest first); and the nodes left out because they lie on a
    cycle or require one (an empty set when the graph has no cycle).

    Kahn's algorithm, linear in nodes and edges plus a log factor for the
    tie-break: on an acyclic graph it gives the order networkx's
    ``lexicographical_topological_sort`` gives on the reversed graph, without
    first finding strongly connected components."""
    waiting = {node: len(targets) for node, targets in graph.succ.items()}
    ready = [(key(node), index, node) for index, node in enumerate(graph) if not waiting[node]]
    heapq.heapify(ready)
    order: list[Hashable] = []
    tie = len(waiting)  # a unique second field: nodes themselves need not be comparable
    while ready:
        _, _, node = heapq.heappop(ready)
        order.append(node)
        for source in graph.pred[node]:
            waiting[source] -= 1
            if not waiting[source]:
                tie += 1
                heapq.heappush(ready, (key(source), tie, source))
    if len(order) == len(waiting):
        return order, set()
    placed = set(order)
    return order, {node for node in graph if node not in placed}
