"""The Topology: a template's node templates as a networkx graph, with the
questions every emitter asks (what hosts this node, in which order to
deploy) answered once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate
from . import order
from .nodes import RawNode
from .requirements import Requirement
from .typeview import TypeView

COMPUTE = "tosca.nodes.Compute"
HOSTING_KINDS = frozenset({"HostedOn", "BindsTo"})  # IM follows both to find a node's Compute
ORDERING_BASES = ("tosca.relationships.HostedOn", "tosca.relationships.DependsOn",
                  "tosca.relationships.ConnectsTo")


@dataclass
class Policy:
    name: str
    type: str | None
    types: list[str]  # the type and its ancestors, nearest first
    targets: list[str]  # node templates, groups expanded to their members
    properties: dict  # evaluated
    written: set  # property names the template assigns
    path: tuple


@dataclass
class Topology:
    """A template as a graph.

    ``graph`` is a :class:`networkx.MultiDiGraph` with a vertex per node
    template and an edge (source -> target, keyed by requirement index) per
    requirement. Vertex attributes: ``type``, ``types`` (the ancestry,
    nearest first), ``properties``, ``capabilities`` (name -> ``type`` and
    ``properties``), ``artifacts``, ``interfaces`` (interface -> operation ->
    ``implementation`` and ``inputs``), ``index`` (template order) and
    ``path``. Edge attributes: ``requirement``, ``relationship`` (the full
    type name), ``kind`` (the normative relationship it is or derives from:
    HostedOn, DependsOn, ConnectsTo, AttachesTo, LinksTo, BindsTo, RoutesTo,
    or None), ``capability``, ``properties``, ``index`` and ``path``.
    Compile-time functions are evaluated; run-time ones stay as written.
    """

    template: ServiceTemplate
    graph: nx.MultiDiGraph
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, RawNode] = field(default_factory=dict)  # before evaluation, with the type merged in
    requirements: dict[str, list[Requirement]] = field(default_factory=dict)
    types: TypeView | None = None  # the template's types, lookups memoized

    # -- plain lookups -----------------------------------------------------------------

    @property
    def file(self) -> str:
        return self.template.file

    @property
    def nodes(self) -> list[str]:
        """Node template names in template order."""
        return list(self.raw)

    def node(self, name: str) -> dict:
        return self.graph.nodes[name]

    def is_a(self, name: str, base: str) -> bool:
        """True when the node's type is ``base`` or derives from it."""
        raw = self.raw.get(name)
        return raw is not None and base in raw.ancestry

    def edges_from(self, name: str) -> list[tuple[str, dict]]:
        """(target, edge attributes) of a node's requirements, in template order."""
        return self._edges[0].get(name, [])

    def edges_to(self, name: str) -> list[tuple[str, dict]]:
        """(source, edge attributes) of the requirements that target a node,
        in template order of their sources."""
        return self._edges[1].get(name, [])

    @cached_property
    def _edges(self) -> tuple[dict[str, list], dict[str, list]]:
        """Every node's edges out and in, sorted once: the emitters ask for
        them node by node, and a view of the graph per question costs more."""
        out: dict[str, list] = {}
        into: dict[str, list] = {}
        for source, target, data in self.graph.edges(data=True):
            out.setdefault(source, []).append((target, data))
            into.setdefault(target, []).append((source, data))
        for edges in out.values():
            edges.sort(key=lambda e: e[1]["index"])
        for edges in into.values():
            edges.sort(key=lambda e: (self.raw[e[0]].index, e[1]["index"]))
        return out, into

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
        for name in self.raw:
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

    @cached_property
    def _dependencies(self) -> nx.DiGraph:
        edges = ((s, t) for s, t in self.graph.edges() if s in self.raw and t in self.raw)
        return order.dependency_graph(self.raw, edges)

    @cached_property
    def _components(self) -> tuple[list[list[str]], dict[str, int]]:
        return order.components(self._dependencies, lambda n: self.raw[n].index)

    def deploy_order(self) -> list[str]:
        """Every node after the nodes it requires; ties (and the members of a
        cycle) in template order. Deterministic."""
        return [name for members in self._components[0] for name in members]

    @cached_property
    def cycles(self) -> list[list[str]]:
        """Each requirement cycle as the nodes along it."""
        return order.cycles(self._dependencies, self._components[0])

    @cached_property
    def levels(self) -> dict[str, int]:
        """IM's contextualization depth of each node: 1 plus the deepest node it
        reaches by a HostedOn, DependsOn or ConnectsTo (or derived) requirement."""
        ordering = {name: [r.target for r in requirements if r.target is not None and self._orders(r)]
                    for name, requirements in self.requirements.items()}
        ordered, position = self._components
        return order.levels(ordered, lambda n: ordering.get(n, ()), position)

    def _orders(self, requirement: Requirement) -> bool:
        types = self.types or TypeView(self.template.types)
        return any(types.is_derived_from("relationship_types", requirement.relationship, base)
                   for base in ORDERING_BASES)
