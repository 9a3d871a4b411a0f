"""Graph algorithms over plain adjacency maps (node -> the nodes it has an
edge to), shared by the topology and the checks. An edge goes from a node to
a node it requires. Everything here is linear in nodes and edges (plus a log
factor where ties are broken deterministically), iterative (a 10,000-node
chain must not exhaust the stack) and needs no graph library."""

from __future__ import annotations

import heapq
from typing import Any, Callable, Hashable, Iterable, Mapping

Adjacency = Mapping[Hashable, Iterable[Hashable]]


def predecessors(graph: Adjacency) -> dict[Hashable, list[Hashable]]:
    found: dict[Hashable, list[Hashable]] = {node: [] for node in graph}
    for node, targets in graph.items():
        for target in targets:
            found.setdefault(target, []).append(node)
    return found


def dependencies_first(graph: Adjacency, key: Callable[[Any], Any]) -> tuple[list, set]:
    """Every node after all the nodes it has an edge to, ties broken by
    ``key`` (smallest first); and the nodes left out because they lie on a
    cycle or require one (an empty set when the graph has no cycle).
    Kahn's algorithm."""
    waiting = {node: len(set(targets)) for node, targets in graph.items()}
    preds = predecessors({node: set(targets) for node, targets in graph.items()})
    ready = [(key(node), index, node) for index, node in enumerate(graph) if not waiting[node]]
    heapq.heapify(ready)
    order: list[Hashable] = []
    tie = len(waiting)  # a unique second field: nodes themselves need not be comparable
    while ready:
        _, _, node = heapq.heappop(ready)
        order.append(node)
        for source in preds.get(node, ()):
            waiting[source] -= 1
            if not waiting[source]:
                tie += 1
                heapq.heappush(ready, (key(source), tie, source))
    if len(order) == len(waiting):
        return order, set()
    placed = set(order)
    return order, {node for node in graph if node not in placed}


def strongly_connected(graph: Adjacency) -> list[list[Hashable]]:
    """The strongly connected components (Tarjan's algorithm, iterative).
    A component comes after every component it has an edge to."""
    index_of: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    on_stack: set[Hashable] = set()
    stack: list[Hashable] = []
    found: list[list[Hashable]] = []
    counter = 0
    for start in graph:
        if start in index_of:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index_of[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index_of:
                    index_of[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.get(target, ()))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index_of[target])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def cycle_through(graph: Adjacency, members: set, start: Hashable) -> list[Hashable]:
    """One cycle through ``start`` inside a strongly connected component:
    a breadth-first search back to ``start`` (the shortest such cycle)."""
    parent: dict[Hashable, Hashable] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for target in graph.get(node, ()):
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return list(reversed(path))
                if target not in seen:
                    seen.add(target)
                    parent[target] = node
                    following.append(target)
        frontier = following
    return [start]


def components_in_order(graph: Adjacency, key: Callable[[Any], Any]) -> list[list[Hashable]]:
    """Strongly connected components, members sorted by ``key``, every
    component after the components it depends on, ties by ``key`` of the first member."""
    ordered, cyclic = dependencies_first(graph, key)
    if not cyclic:  # the usual case: every component is one node, and this is their order
        return [[name] for name in ordered]
    found = [sorted(c, key=key) for c in strongly_connected(graph)]
    member_of = {name: i for i, members in enumerate(found) for name in members}
    condensed: dict[int, set[int]] = {i: set() for i in range(len(found))}
    for source, targets in graph.items():
        for target in targets:
            a, b = member_of[source], member_of[target]
            if a != b:
                condensed[a].add(b)
    order, _ = dependencies_first(condensed, lambda c: key(found[c][0]))
    return [found[c] for c in order]
