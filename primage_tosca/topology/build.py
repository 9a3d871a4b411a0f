"""Building a Topology from a loaded template: read every node, resolve every
requirement, then evaluate the compile-time functions (each property once,
memoized, so a chain of get_property costs its length, not its square)."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import networkx as nx

from .. import catalog
from ..diagnostics import Diagnostic, Diagnostics, Location
from ..functions import MISSING, Context, Evaluator, Unresolved
from ..imports.template import ServiceTemplate
from .model import Policy, Topology
from .nodes import NODE_TEMPLATES, Operation, RawNode, read_node
from .requirements import Requirement, RequirementReader
from .typeview import TypeView, registry_for

TOPOLOGY = ("topology_template",)


class Builder:
    """Implements :class:`primage_tosca.functions.Scope` over the raw nodes."""

    def __init__(self, template: ServiceTemplate):
        self.template = template
        self.diagnostics = Diagnostics()
        self.nodes: dict[str, RawNode] = {}
        self.requirements: dict[str, list[Requirement]] = {}
        self._by_requirement: dict[tuple[str, str], str] = {}
        self._properties: dict[tuple[str, str], Any] = {}
        self._capability_values: dict[tuple[str, str, str], Any] = {}
        self._busy: set = set()
        self.evaluator = Evaluator(self, self.diagnostics.add)
        self.types = TypeView(registry_for(template))
        self.input_defs = template.inputs
        supplied = template.options.inputs
        self.supplied = supplied if isinstance(supplied, dict) else {}

    # -- reading -------------------------------------------------------------------------

    def read(self) -> None:
        for index, (name, definition) in enumerate(self.template.node_templates.items()):
            if isinstance(name, str):
                owner = self.template.document_of(NODE_TEMPLATES + (name,))
                self.nodes[name] = read_node(name, index, definition, self.types, owner)
        reader = RequirementReader(self.template, self.nodes, self.types)
        for name, node in self.nodes.items():
            self.requirements[name] = reader.read(node)
            for requirement in self.requirements[name]:
                self._by_requirement.setdefault((name, requirement.name), requirement.target)
        self.diagnostics.extend(reader.diagnostics)

    # -- the Scope protocol ---------------------------------------------------------------

    def input_value(self, name: str) -> Any:
        if name not in self.input_defs:
            raise KeyError(name)
        if name in self.supplied:
            return self.supplied[name]
        definition = self.input_defs[name]
        if isinstance(definition, dict) and "default" in definition:
            return definition["default"]
        return MISSING

    def has_node(self, name: str) -> bool:
        return name in self.nodes

    def property_value(self, node: str, name: str) -> Any:
        raw = self.nodes[node]
        value = raw.properties.get(name, MISSING)
        if not isinstance(value, (dict, list)):  # no function inside: nothing to evaluate
            return value
        key = (node, name)
        if key not in self._properties:
            context = Context(node, path=raw.path + ("properties", name))
            self._properties[key] = self._guarded(key, value, context)
        return self._properties[key]

    def capability_value(self, node: str, capability: str, name: str) -> Any:
        found = self.nodes[node].capabilities.get(capability)
        value = MISSING if found is None else found.properties.get(name, MISSING)
        if not isinstance(value, (dict, list)):  # no function inside: nothing to evaluate
            return value
        key = (node, capability, name)
        if key not in self._capability_values:
            context = Context(node, path=found.path + ("properties", name))
            self._capability_values[key] = self._guarded(key, value, context)
        return self._capability_values[key]

    def _guarded(self, key: tuple, value: Any, context: Context) -> Any:
        """Evaluate once; a property that reaches itself is a cycle, not a hang."""
        if key in self._busy:
            raise Unresolved(f"{'.'.join(key)} refers back to itself")
        self._busy.add(key)
        try:
            return self.evaluator.evaluate(value, context)
        finally:
            self._busy.discard(key)

    def has_capability(self, node: str, capability: str) -> bool:
        return capability in self.nodes[node].capabilities

    def has_requirement(self, node: str, requirement: str) -> bool:
        return (node, requirement) in self._by_requirement

    def requirement_target(self, node: str, requirement: str) -> str | None:
        return self._by_requirement.get((node, requirement))

    def hosts(self, node: str) -> Iterable[str]:
        seen = {node}
        current = node
        while True:
            current = next((r.target for r in self.requirements.get(current, ())
                            if r.kind in ("HostedOn", "BindsTo") and r.target), None)
            if current is None or current in seen:
                return
            seen.add(current)
            yield current

    def declares_property(self, node: str, name: str) -> bool:
        raw = self.nodes[node]
        return name in raw.property_defs or name in raw.properties

    def declares_attribute(self, node: str, name: str) -> bool:
        return name in self.nodes[node].attribute_defs

    def artifact(self, node: str, name: str) -> dict | None:
        return self.nodes[node].artifacts.get(name)

    def locate(self, path: tuple) -> Location:
        return self.template.locate(path)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(self, value: Any, context: Context) -> Any:
        return self.evaluator.evaluate(value, context)

    def node_attributes(self, raw: RawNode) -> dict:
        properties = {name: self.property_value(raw.name, name) for name in raw.properties}
        capabilities = {
            name: {"type": cap.type,
                   "properties": {p: self.capability_value(raw.name, name, p) for p in cap.properties}}
            for name, cap in raw.capabilities.items()
        }
        artifacts = {name: self.evaluate(artifact, Context(raw.name, path=raw.path + ("artifacts", name)))
                     for name, artifact in raw.artifacts.items()}
        interfaces = {iface: {op: self.operation(operation, Context(raw.name, path=operation.path or raw.path))
                              for op, operation in ops.items()}
                      for iface, ops in raw.interfaces.items()}
        return {"type": raw.type, "types": list(raw.ancestry), "properties": properties,
                "capabilities": capabilities, "artifacts": artifacts, "interfaces": interfaces,
                "index": raw.index, "path": raw.path}

    def operation(self, operation: Operation, context: Context) -> dict:
        inputs = {name: self.evaluate(value, context.at("inputs", name) if operation.path else context)
                  for name, value in operation.inputs.items()}
        implementation = operation.implementation
        if isinstance(implementation, dict):
            implementation = self.evaluate(implementation, context.at("implementation") if operation.path else context)
        return {"implementation": implementation, "inputs": inputs}

    def relationship_context(self, requirement: Requirement) -> Context:
        path = requirement.path + ("relationship",)
        if requirement.template_name:
            path = TOPOLOGY + ("relationship_templates", requirement.template_name)
        return Context(None, source=requirement.source, target=requirement.target,
                       relationship=requirement.properties, path=path)

    def edge_attributes(self, requirement: Requirement) -> dict:
        context = self.relationship_context(requirement)
        properties = {name: self.evaluate(value, context.at("properties", name))
                      for name, value in requirement.properties.items()}
        interfaces = {iface: {op: self.operation(operation, context) for op, operation in ops.items()}
                      for iface, ops in requirement.interfaces.items()}
        return {"requirement": requirement.name, "relationship": requirement.relationship,
                "kind": requirement.kind, "capability": requirement.capability, "properties": properties,
                "interfaces": interfaces, "index": requirement.index, "path": requirement.path,
                "template": requirement.template_name}

    # -- the whole topology -----------------------------------------------------------------

    def graph(self) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        for name, raw in self.nodes.items():
            graph.add_node(name, **self.node_attributes(raw))
        for name, requirements in self.requirements.items():
            for requirement in requirements:
                graph.add_edge(name, requirement.target, key=requirement.index, **self.edge_attributes(requirement))
        return graph

    def inputs(self) -> dict[str, Any]:
        found = {}
        for name in self.input_defs:
            value = self.input_value(name)
            if value is not MISSING:
                found[name] = self.evaluate(value, Context(path=TOPOLOGY + ("inputs", name)))
        return found

    def outputs(self) -> dict[str, dict]:
        found = {}
        for name, definition in self.template.outputs.items():
            if not isinstance(definition, dict):
                continue
            entry = dict(definition)
            if "value" in definition:
                entry["value"] = self.evaluate(definition["value"], Context(path=TOPOLOGY + ("outputs", name, "value")))
            found[name] = entry
        return found

    def groups(self) -> dict[str, list[str]]:
        found = {}
        for name, definition in self.template.section("topology_template", "groups").items():
            members = definition.get("members") if isinstance(definition, dict) else None
            found[name] = [m for m in members if isinstance(m, str)] if isinstance(members, list) else []
        return found

    def policies(self, groups: dict[str, list[str]]) -> list[Policy]:
        section = self.template.topology.get("policies")
        items = _policy_items(section)
        found = []
        types = self.types
        for name, definition, path in items:
            typedef = types.find("policy_types", definition.get("type"))
            type_name = typedef.name if typedef else definition.get("type")
            targets = []
            for target in definition.get("targets") or []:
                targets.extend(groups.get(target, [target]) if target not in self.nodes else [target])
            written = definition.get("properties") if isinstance(definition.get("properties"), dict) else {}
            defaults = types.lookup_in_chain("policy_types", type_name, "properties") if typedef else {}
            raw = {n: d["default"] for n, d in defaults.items() if isinstance(d, dict) and "default" in d}
            raw.update(written)
            properties = {k: self.evaluate(v, Context(path=path + ("properties", k))) for k, v in raw.items()}
            ancestry = [t.name for t in types.ancestry("policy_types", type_name)] if typedef else [type_name]
            found.append(Policy(name, type_name, ancestry, list(dict.fromkeys(targets)), properties,
                                set(written), path))
        return found

    def check_cycles(self, topology: Topology) -> None:
        for cycle in topology.cycles:
            # placed where the first member names the second, as the graph check places it
            following = cycle[1] if len(cycle) > 1 else cycle[0]
            path = next(r.target_path for r in self.requirements[cycle[0]] if r.target == following)
            members = " -> ".join([*cycle, cycle[0]])
            self.diagnostics.add(catalog.make(
                "PT321", f"requirements form a dependency cycle: {members}", self.template.locate(path), path,
                "a node cannot (indirectly) require itself; remove or reverse one requirement"))


def _policy_items(section: Any) -> list[tuple[str, dict, tuple]]:
    """Policies are a list of one-key maps (or, loosely, a map)."""
    base = TOPOLOGY + ("policies",)
    found = []
    if isinstance(section, list):
        for index, item in enumerate(section):
            if isinstance(item, dict) and len(item) == 1:
                name, definition = next(iter(item.items()))
                if isinstance(definition, dict):
                    found.append((str(name), definition, base + (index, name)))
    elif isinstance(section, dict):
        for name, definition in section.items():
            if isinstance(definition, dict):
                found.append((str(name), definition, base + (name,)))
    return found


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building. A big template
    allocates millions of small objects that all stay alive; each collection
    would scan them all again, making the whole build quadratic. Nothing
    built here needs the collector (reference counting frees the rest).

    On the way out, what was built is filed as old (freeze, then unfreeze,
    moves every tracked object to the oldest generation without scanning
    it): it lives as long as the result, and the first young collection
    would otherwise walk all of it (a tenth of a compile's time). Cycles
    among those objects are still found by the next full collection. A
    host program that froze objects itself (before forking, say) keeps them
    frozen: the trick is skipped then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def build(template: ServiceTemplate) -> Topology:
    """The topology of a loaded template, with its diagnostics (the
    template's own loading problems come first)."""
    builder = Builder(template)
    builder.read()
    graph = builder.graph()
    groups = builder.groups()
    topology = Topology(template=template, graph=graph, inputs=builder.inputs(), outputs=builder.outputs(),
                        policies=builder.policies(groups), groups=groups, raw=builder.nodes, types=builder.types,
                        requirements=builder.requirements)
    builder.check_cycles(topology)
    found = Diagnostics()
    found.extend(template.diagnostics)
    found.extend(builder.diagnostics)
    topology.diagnostics = found.sorted()
    return topology


__all__ = ["Builder", "build", "Diagnostic"]
