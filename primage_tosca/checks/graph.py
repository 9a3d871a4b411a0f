"""PT320, PT321: requirements name existing node templates and form no cycle."""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass
from typing import Iterator

import networkx as nx

from ..diagnostics import Diagnostic
from ..graphs import dependencies_first
from ..model.requirements import relationship_of, requirement_definitions
from ..imports.template import ServiceTemplate
from .base import check, report
from .types import find_type, named_entries

# A template with a dense web of requirements could have a huge number of
# simple cycles; a handful is enough to show the author the problem.
MAX_CYCLES = 20


@dataclass(frozen=True)
class RequirementTarget:
    """One requirement assignment of a node template and the node it names."""

    source: str
    requirement: str
    target: str
    path: tuple  # where the target's name is written


def requirement_targets(template: ServiceTemplate) -> Iterator[RequirementTarget]:
    """Every requirement assignment that names a node: ``- host: name`` or
    ``- host: {node: name}``."""
    for source, node in template.node_templates.items():
        if not isinstance(node, dict):
            continue
        path = ("topology_template", "node_templates", source, "requirements")
        for requirement, value, where in named_entries(node.get("requirements"), path):
            if isinstance(value, str):
                yield RequirementTarget(source, requirement, value, where)
            elif isinstance(value, dict) and isinstance(value.get("node"), str):
                yield RequirementTarget(source, requirement, value["node"], where + ("node",))


def missing_node(template: ServiceTemplate, target: RequirementTarget) -> Diagnostic | None:
    names = template.node_templates
    if target.target in names:
        return None
    # TOSCA lets `node` name a node type: the orchestrator picks or creates one.
    if find_type(template, "node_types", target.target) is not None:
        return None
    close = difflib.get_close_matches(target.target, [str(n) for n in names], n=1, cutoff=0.7)
    hint = f"did you mean {close[0]!r}?" if close else "node templates: " + ", ".join(map(str, names))
    return report(template, "PT320",
                  f"requirement {target.requirement!r} of {target.source!r} names node template "
                  f"{target.target!r}, which does not exist", target.path, hint=hint)


@check("PT320")
def missing_nodes(template: ServiceTemplate) -> Iterator[Diagnostic]:
    for target in requirement_targets(template):
        found = missing_node(template, target)
        if found is not None:
            yield found


# Relationships that order a deployment, as IM orders contextualization.
# A cycle through any other relationship (peers linked both ways for high
# availability, say) orders nothing and is legal.
ORDERING_RELATIONSHIPS = ("tosca.relationships.HostedOn", "tosca.relationships.DependsOn",
                          "tosca.relationships.ConnectsTo")


def relationship_type(template: ServiceTemplate, target: RequirementTarget) -> str | None:
    node = template.node_templates[target.source]
    assignment = value_at(template.data, target.path[:-1] if target.path[-1] == "node" else target.path)
    return relationship_of(template, assignment, requirement_definitions(template, node).get(target.requirement))


def value_at(data, path: tuple):
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def relationship_orders(template: ServiceTemplate, name: str | None) -> bool:
    typedef = find_type(template, "relationship_types", name) if name else None
    if typedef is None:  # unknown or unstated: assume it orders, as DependsOn would
        return True
    return any(template.types.is_derived_from("relationship_types", typedef.name, base)
               for base in ORDERING_RELATIONSHIPS)


def dependency_graph(template: ServiceTemplate) -> nx.DiGraph:
    """Node templates and an edge for each requirement that orders the
    deployment; an edge keeps the first requirement that made it, for placing a report."""
    nodes = template.node_templates
    edges: dict[tuple, RequirementTarget] = {}
    orders: dict[str | None, bool] = {}  # relationship type -> whether it orders: a template uses few
    for target in requirement_targets(template):
        edge = (target.source, target.target)
        if target.target not in nodes or edge in edges:
            continue
        relationship = relationship_type(template, target)
        if relationship not in orders:
            orders[relationship] = relationship_orders(template, relationship)
        if orders[relationship]:
            edges[edge] = target
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((source, target, {"requirement": found}) for (source, target), found in edges.items())
    return graph


def rotate(cycle: list, order: dict) -> list:
    """The cycle started at its member declared first, so a cycle always reads
    (and is reported) the same way whatever order networkx found it in."""
    start = min(range(len(cycle)), key=lambda i: order[cycle[i]])
    return cycle[start:] + cycle[:start]


def cycles(graph: nx.DiGraph, order: dict) -> list[list]:
    _, cyclic = dependencies_first(graph, order.__getitem__)
    if not cyclic:  # the usual case, found in linear time
        return []
    graph = graph.subgraph(cyclic)  # every cycle lies among the nodes left unordered
    found: list[list] = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component, key=order.__getitem__)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        sub = graph.subgraph(members)
        found.extend(rotate(list(c), order) for c in itertools.islice(nx.simple_cycles(sub), MAX_CYCLES))
    found.sort(key=lambda c: [order[n] for n in c])
    return found[:MAX_CYCLES]


@check("PT321")
def dependency_cycles(template: ServiceTemplate) -> Iterator[Diagnostic]:
    graph = dependency_graph(template)
    order = {name: index for index, name in enumerate(template.node_templates)}
    for cycle in cycles(graph, order):
        first = graph.edges[cycle[0], cycle[1 % len(cycle)]]["requirement"]
        text = " -> ".join(str(n) for n in cycle + [cycle[0]])
        yield report(template, "PT321", f"requirements form a dependency cycle: {text}", first.path,
                     hint="a node cannot (indirectly) require itself; remove or reverse one requirement")
