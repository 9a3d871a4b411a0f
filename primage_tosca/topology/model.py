"""The Topology: a template's node templates as a graph, with the questions
every emitter asks (what hosts this node, in which order to deploy) answered once."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ..diagnostics import Diagnostic
from ..graphs import components_in_order, cycle_through
from ..imports.template import ServiceTemplate
from ..records import field, record
from ..render import NodeTemplate, Rendered
from ..typesystem import Types
from .requirements import Requirement

COMPUTE = "tosca.nodes.Compute"
HOSTING_KINDS = frozenset({"HostedOn", "BindsTo"})  # IM follows both to find a node's Compute
# Relationships that order a deployment, as IM orders contextualization.
ORDERING_KINDS = frozenset({"HostedOn", "DependsOn", "ConnectsTo"})
ORDERING_BASES = frozenset({"tosca.relationships.HostedOn", "tosca.relationships.DependsOn",
                            "tosca.relationships.ConnectsTo"})
NO_TYPES: frozenset[str] = frozenset()


@record
class Policy:
    name: str
    type: str | None
    types: list[str]  # the type and its ancestors, nearest first
    targets: list[str]  # node templates, groups expanded to their members
    properties: dict  # evaluated
    written: set  # property names the template assigns
    path: tuple


@record
class Topology:
    """A template as a graph: a vertex per node template, an edge per
    resolved requirement.

    :meth:`node` gives a vertex's attributes: ``type``, ``types`` (the
    ancestry, nearest first), ``properties``, ``capabilities`` (name ->
    ``type`` and ``properties``), ``artifacts``, ``interfaces`` (interface ->
    operation -> ``implementation`` and ``inputs``), ``index`` (template order)
    and ``path``. :meth:`edges_from` gives an edge's: ``requirement``,
    ``relationship`` (the full type name), ``kind`` (the normative
    relationship it is or derives from: HostedOn, DependsOn, ConnectsTo,
    AttachesTo, LinksTo, BindsTo, RoutesTo, or None), ``capability``,
    ``properties``, ``index`` and ``path``. Compile-time functions are
    evaluated; run-time ones stay as written. :attr:`graph` is the same as a
    networkx MultiDiGraph, for callers who want one.
    """

    template: ServiceTemplate
    rendered: Rendered
    types: Types
    vertices: dict[str, dict] = field(default_factory=dict)
    edges: list[tuple[str, str, dict]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    requirements: dict[str, list[Requirement]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # every finding of the template so far
    notes: list[Diagnostic] = field(default_factory=list)  # what only a compiler needs to say (PT700, PT701)

    # -- plain lookups -----------------------------------------------------------------

    @property
    def raw(self) -> dict[str, NodeTemplate]:
        """The rendered node templates, before evaluation, in template order."""
        return self.rendered.nodes

    @property
    def file(self) -> str:
        return self.template.file

    @property
    def nodes(self) -> list[str]:
        """Node template names in template order."""
        return list(self.vertices)

    def node(self, name: str) -> dict:
        return self.vertices[name]

    def is_a(self, name: str, base: str) -> bool:
        """True when the node's type is ``base`` or derives from it."""
        return base in self.types_of(name)

    def types_of(self, name: str) -> frozenset[str]:
        """The node's type and the types it derives from (none for a name that is no node template)."""
        return self._ancestries.get(name, NO_TYPES)

    @cached_property
    def _ancestries(self) -> dict[str, frozenset[str]]:
        """Node -> its type and the types it derives from: asked for every node, many times over.
        The nodes of one type share one set."""
        shared: dict[tuple, frozenset[str]] = {}
        found = {}
        for name, raw in self.rendered.nodes.items():
            key = tuple(raw.ancestry)
            ancestry = shared.get(key)
            if ancestry is None:
                ancestry = shared[key] = frozenset(key)
            found[name] = ancestry
        return found

    def edges_from(self, name: str) -> list[tuple[str, dict]]:
        """(target, edge attributes) of a node's requirements, in template order."""
        return self._edges[0].get(name, [])

    def edges_to(self, name: str) -> list[tuple[str, dict]]:
        """(source, edge attributes) of the requirements that target a node,
        in template order of their sources."""
        return self._edges[1].get(name, [])

    @cached_property
    def _edges(self) -> tuple[dict[str, list], dict[str, list]]:
        out: dict[str, list] = {}
        into: dict[str, list] = {}
        for source, target, data in self.edges:
            out.setdefault(source, []).append((target, data))
            into.setdefault(target, []).append((source, data))
        for found in out.values():
            found.sort(key=lambda e: e[1]["index"])
        for found in into.values():
            found.sort(key=lambda e: (self.rendered.nodes[e[0]].index, e[1]["index"]))
        return out, into

    @cached_property
    def graph(self) -> Any:
        """The topology as a :class:`networkx.MultiDiGraph` (networkx is loaded on first use)."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        for name, attributes in self.vertices.items():
            graph.add_node(name, **attributes)
        for source, target, data in self.edges:
            graph.add_edge(source, target, key=data["index"], **data)
        return graph

    # -- hosting ------------------------------------------------------------------------

    @cached_property
    def _host_edge(self) -> dict[str, str]:
        """The node each node is hosted on (its first HostedOn or BindsTo)."""
        found: dict[str, str] = {}
        for name, requirements in self.requirements.items():
            for requirement in requirements:
                if requirement.kind in HOSTING_KINDS and requirement.target is not None:
                    found.setdefault(name, requirement.target)
        return found

    def hosting_chain(self, name: str) -> list[str]:
        """The nodes ``name`` is hosted on, nearest first (stops at a loop)."""
        chain: list[str] = []
        seen = {name}
        current = self._host_edge.get(name)
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = self._host_edge.get(current)
        return chain

    @cached_property
    def _computes(self) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for name in self.rendered.nodes:
            if self.is_a(name, COMPUTE):
                found[name] = name
                continue
            found[name] = next((h for h in self.hosting_chain(name) if self.is_a(h, COMPUTE)), None)
        return found

    def compute_of(self, name: str) -> str | None:
        """The Compute a node runs on, along its HostedOn chain (itself for a Compute)."""
        return self._computes.get(name)

    @cached_property
    def _hosted(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, compute in self._computes.items():
            if compute is not None:
                found.setdefault(compute, []).append(name)
        return found

    def hosted_on(self, compute: str) -> list[str]:
        """Every node that runs on ``compute`` (itself first), in template order."""
        return list(self._hosted.get(compute, []))

    # -- orders -----------------------------------------------------------------------------

    def _index(self, name: str) -> int:
        return self.rendered.nodes[name].index

    @cached_property
    def _all_dependencies(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {name: [] for name in self.rendered.nodes}
        for source, target, _data in self.edges:
            found[source].append(target)
        return found

    @cached_property
    def _ordering_dependencies(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {name: [] for name in self.rendered.nodes}
        for name, requirements in self.requirements.items():
            found[name] = [r.target for r in requirements if r.target is not None and self._orders(r)]
        return found

    @cached_property
    def _components(self) -> list[list[str]]:
        return components_in_order(self._all_dependencies, self._index)

    def deploy_order(self) -> list[str]:
        """Every node after the nodes it requires; ties (and the members of a
        cycle) in template order. Deterministic."""
        return [name for members in self._components for name in members]

    @cached_property
    def cycles(self) -> list[list[str]]:
        """Each cycle of requirements that order a deployment (HostedOn,
        DependsOn, ConnectsTo and types derived from them), as the nodes along
        it, starting at the first in template order."""
        graph = self._ordering_dependencies
        found = []
        for members in components_in_order(graph, self._index):
            if len(members) == 1 and members[0] not in graph[members[0]]:
                continue
            found.append(cycle_through(graph, set(members), members[0]))
        return found

    @cached_property
    def levels(self) -> dict[str, int]:
        """IM's contextualization depth of each node: 1 plus the deepest node it
        reaches by a HostedOn, DependsOn or ConnectsTo (or derived) requirement.
        Edges inside a cycle are ignored, so a cycle still gets levels."""
        ordering = self._ordering_dependencies
        component_of = {name: i for i, members in enumerate(self._components) for name in members}
        level: dict[str, int] = {}
        for members in self._components:
            for name in members:
                deepest = 0
                for target in ordering.get(name, ()):
                    if component_of.get(target) != component_of[name]:
                        deepest = max(deepest, level.get(target, 0))
                level[name] = deepest + 1
        return level

    @staticmethod
    def _orders(requirement: Requirement) -> bool:
        """HostedOn, DependsOn, ConnectsTo, or a type derived from one (BindsTo and LinksTo derive from DependsOn)."""
        if requirement.relationship_type is not None:
            return bool(requirement.relationship_type.names & ORDERING_BASES)
        return requirement.kind in ORDERING_KINDS
