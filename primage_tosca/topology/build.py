"""Building a Topology from a rendered template: resolve every requirement,
then evaluate the compile-time functions (each property once, memoized, so a
chain of get_property costs its length, not its square), then check the
values functions gave against their definitions."""

from __future__ import annotations

import atexit
import gc
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from ..catalog import Reporter
from ..diagnostics import Diagnostic, Location, Severity
from ..functions import MISSING, Context, Evaluator, Unresolved, is_symbolic
from ..render import MISSING as NO_INPUT
from ..render import NodeTemplate, Operation, Rendered
from .model import Policy, Topology
from .requirements import HOSTING, Requirement, RequirementResolver

TOPOLOGY = ("topology_template",)
COMPILER_RULES = frozenset({"PT700", "PT701"})


class Builder:
    """Implements :class:`primage_tosca.functions.Scope` over the rendered nodes."""

    def __init__(self, rendered: Rendered, report: Reporter, reuse: Any = None):
        self.rendered = rendered
        self.reuse = reuse  # see build_topology
        self.template = rendered.template
        self.types = rendered.types
        self.report = report
        self.notes: list[Diagnostic] = []
        self.nodes = rendered.nodes
        self.requirements: dict[str, list[Requirement]] = {}
        self._by_requirement: dict[tuple[str, str], str | None] = {}
        self._properties: dict[tuple[str, str], Any] = {}
        self._capability_values: dict[tuple[str, str, str], Any] = {}
        self._busy: set = set()
        self.evaluator = Evaluator(self, self._finding)

    def _finding(self, diagnostic: Diagnostic) -> None:
        if diagnostic.rule in COMPILER_RULES:
            self.notes.append(diagnostic)
        else:
            self.report.collector.add(diagnostic)

    # -- resolving -------------------------------------------------------------------------

    def resolve(self) -> None:
        resolver = RequirementResolver(self.nodes, self.rendered.relationships, self.types, self.report,
                                       self.template.document_of)
        resolver.substituted = substituted_types(self.template)
        for name, node in self.nodes.items():
            if self.reuse is None:
                self.requirements[name] = resolver.resolve(node)
            else:
                self.requirements[name] = self.reuse.requirements(name, lambda: resolver.resolve(node),
                                                                  resolver.unresolved)
            for requirement in self.requirements[name]:
                self._by_requirement.setdefault((name, requirement.name), requirement.target)
        for node, requirement, path, why in resolver.unresolved:
            self.notes.append(self.report.place("PT700", f"requirement {requirement!r} of {node!r} {why}",
                                                self.template.document_of(path), path,
                                                hint="name the node template that fulfils it with `node:`"))

    # -- the Scope protocol ---------------------------------------------------------------

    def input_value(self, name: str) -> Any:
        parameter = self.rendered.inputs.get(name)
        if parameter is None:
            raise KeyError(name)
        return MISSING if parameter.value is NO_INPUT else parameter.value

    def input_declares(self, name: str, field: Any) -> bool:
        """Whether the input's data type (or an ancestor) defines the property ``field``."""
        parameter = self.rendered.inputs.get(name)
        definition = parameter.definition if parameter is not None else None
        owner = definition.schema.type if definition is not None else None
        return owner is not None and any(isinstance(t.raw.get("properties"), dict) and field in t.raw["properties"]
                                         for t in owner.ancestry)

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
            raise Unresolved(f"{'.'.join(key)} refers back to itself", rule="PT422")
        self._busy.add(key)
        try:
            return self.evaluator.evaluate(value, context)
        finally:
            self._busy.discard(key)

    def has_capability(self, node: str, capability: str) -> bool:
        return capability in self.nodes[node].capabilities

    def has_requirement(self, node: str, requirement: str) -> bool:
        return (node, requirement) in self._by_requirement or requirement in self.nodes[node].requirement_defs

    def requirement_target(self, node: str, requirement: str) -> str | None:
        return self._by_requirement.get((node, requirement))

    def hosts(self, node: str) -> Iterable[str]:
        seen = {node}
        current = node
        while True:
            current = next((r.target for r in self.requirements.get(current, ())
                            if r.kind in HOSTING and r.target), None)
            if current is None or current in seen:
                return
            seen.add(current)
            yield current

    def declares_property(self, node: str, name: str) -> bool:
        raw = self.nodes[node]
        return name in raw.property_defs or name in raw.properties

    def declares_attribute(self, node: str, name: str) -> bool:
        return name in self.nodes[node].attribute_defs

    def hosted_later(self, node: str) -> bool:
        raw = self.nodes[node]
        assigned = {r.name for r in self.requirements.get(node, ()) if r.target is not None}
        return any(d.relationship is not None and d.relationship.is_a("tosca.relationships.HostedOn")
                   and name not in assigned for name, d in raw.requirement_defs.items())

    def attribute_primitive(self, node: str, name: str) -> str | None:
        raw = self.nodes[node]
        definition = raw.attribute_defs.get(name) or raw.property_defs.get(name)
        return definition.schema.memo.get("primitive") if definition is not None else None

    def attribute_value(self, node: str, path: list) -> Any:
        return MISSING  # attributes are known once deployed

    def artifact(self, node: str, name: str) -> dict | None:
        return self.nodes[node].artifacts.get(name)

    def locate(self, path: tuple) -> Location:
        return self.template.locate(path)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(self, value: Any, context: Context) -> Any:
        return self.evaluator.evaluate(value, context)

    def node_attributes(self, raw: NodeTemplate) -> dict:
        # a value that is not a map or a list holds no function: it is its own result; with no function
        # at all there is nothing a function gave to check either
        if _holds_function(raw.properties):
            properties = {name: self.property_value(raw.name, name) if isinstance(value, (dict, list)) else value
                          for name, value in raw.properties.items()}
            self._check_results(raw.properties, raw.written, raw.property_defs, properties,
                                raw.path + ("properties",), f"node template {raw.name!r}: property")
        else:
            properties = dict(raw.properties)
        capabilities = {}
        for name, cap in raw.capabilities.items():
            values = cap.properties  # no function to evaluate: the values as rendered (shared, read only)
            if _holds_function(values):
                values = {p: self.capability_value(raw.name, name, p) if isinstance(value, (dict, list)) else value
                          for p, value in cap.properties.items()}
                if cap.definition is not None and cap.written:  # only written values are checked again
                    self._check_results(cap.properties, cap.written, cap.definition.properties, values,
                                        cap.path + ("properties",), f"capability {name!r} of {raw.name!r}: property")
            capabilities[name] = {"type": cap.type, "properties": values}
        artifacts = {name: self.evaluate(artifact, Context(raw.name, path=raw.path + ("artifacts", name)))
                     for name, artifact in raw.artifacts.items()}
        interfaces = {iface: {op: self.operation(operation, Context(raw.name, path=operation.path or raw.path))
                              for op, operation in ops.items()}
                      for iface, ops in raw.interfaces.items()}
        return {"type": raw.type, "types": list(raw.ancestry), "properties": properties,
                "capabilities": capabilities, "artifacts": artifacts, "interfaces": interfaces,
                "index": raw.index, "path": raw.path}

    def _check_results(self, written_values: dict, written: set, definitions: dict, evaluated: dict, path: tuple,
                       label: str) -> None:
        """The parts of written properties that functions gave, checked once
        their values are known. A warning, not an error: tosca-parser and IM
        take such values as they come (a number where a string is wanted is
        written as text). A value read from an input of the same type was
        checked where the input is declared."""
        values = self.types.values
        for name in written:
            value = written_values.get(name)
            definition = definitions.get(name)
            if not isinstance(value, (dict, list)) or definition is None:
                continue
            for parts, call in outermost_calls(value, self.types.is_call):
                result = _part(evaluated.get(name), parts)
                schema = values.schema_at(definition.schema, parts)
                if result is MISSING or schema is None or is_symbolic(result) or self.types.is_call(result):
                    continue
                where = path + (name, *parts)
                document = self.template.document_of(where)
                own = self._typed_input(call, schema)
                if own is None:
                    values.check(result, schema, document, where, f"{label} {name!r}",
                                 " (the value its function gave)", Severity.WARNING)
                else:  # the input's type was checked where it is declared: only what it lacks is left
                    extra = tuple(c for c in schema.constraints if id(c) not in set(map(id, own.constraints)))
                    values.check_constraints(result, schema, extra, document, where, f"{label} {name!r}",
                                             " (the value its input gave)", Severity.WARNING)

    def _typed_input(self, call: dict, schema: Any) -> Any:
        """The schema of the input a plain get_input reads, when it is
        declared with the very type wanted (its value was checked there); else None."""
        args = call.get("get_input")
        name = args[0] if isinstance(args, list) and len(args) == 1 else args
        parameter = self.rendered.inputs.get(name) if isinstance(name, str) else None
        if parameter is None or parameter.definition is None or schema.type is None:
            return None
        own = parameter.definition.schema
        return own if own.type is schema.type else None

    def operation(self, operation: Operation, context: Context) -> dict:
        inputs = {name: self.evaluate(value, context.at("inputs", name) if operation.path else context)
                  if isinstance(value, (dict, list)) else value for name, value in operation.inputs.items()}
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

    def vertices(self) -> dict[str, dict]:
        if self.reuse is not None:
            return {name: self.reuse.vertex(name, lambda: self.node_attributes(raw), self.notes)
                    for name, raw in self.nodes.items()}
        return {name: self.node_attributes(raw) for name, raw in self.nodes.items()}

    def edges(self) -> list[tuple[str, str, dict]]:
        if self.reuse is not None:
            return [edge for name, requirements in self.requirements.items()
                    for edge in self.reuse.edges(name, lambda: self.node_edges(name, requirements))]
        return [edge for name, requirements in self.requirements.items()
                for edge in self.node_edges(name, requirements)]

    def node_edges(self, name: str, requirements: list[Requirement]) -> list[tuple[str, str, dict]]:
        return [(name, requirement.target, self.edge_attributes(requirement)) for requirement in requirements]

    def inputs(self) -> dict[str, Any]:
        found = {}
        for name in self.rendered.inputs:
            value = self.input_value(name)
            if value is not MISSING:
                found[name] = self.evaluate(value, Context(path=TOPOLOGY + ("inputs", name)))
        return found

    def outputs(self) -> dict[str, dict]:
        found = {}
        for name, definition in self.rendered.outputs.items():
            entry = dict(definition)
            if "value" in definition:
                entry["value"] = self.evaluate(definition["value"], Context(path=TOPOLOGY + ("outputs", name, "value")))
            found[name] = entry
        return found

    def groups(self) -> dict[str, list[str]]:
        return {name: list(group.members) for name, group in self.rendered.groups.items()}

    def policies(self, groups: dict[str, list[str]]) -> list[Policy]:
        found = []
        for policy in self.rendered.policies:
            targets: list[str] = []
            for target in policy.targets:
                targets.extend(groups.get(target, [target]) if target not in self.nodes else [target])
            properties = {k: self.evaluate(v, Context(path=policy.path + ("properties", k)))
                          for k, v in policy.properties.items()}
            ancestry = [t.name for t in policy.type_def.ancestry] if policy.type_def else [policy.type]
            found.append(Policy(policy.name, policy.type, ancestry, list(dict.fromkeys(targets)), properties,
                                set(policy.written), policy.path))
        return found

    def check_cycles(self, topology: Topology) -> None:
        for cycle in topology.cycles:
            # placed where the first member names the second
            following = cycle[1] if len(cycle) > 1 else cycle[0]
            path = next(r.target_path for r in self.requirements[cycle[0]] if r.target == following)
            members = " -> ".join([*cycle, cycle[0]])
            self.report("PT321", f"requirements form a dependency cycle: {members}", self.template.document_of(path),
                        path, hint="a node cannot (indirectly) require itself; remove or reverse one requirement")


def _holds_function(values: dict) -> bool:
    """Whether any value is a map or a list (only those can hold a function call)."""
    for value in values.values():
        if isinstance(value, (dict, list)):
            return True
    return False


def outermost_calls(value: Any, is_call) -> Iterator[tuple[tuple, dict]]:
    """(path inside ``value``, call) of each call not inside another call."""
    stack = [(value, ())]
    while stack:
        current, parts = stack.pop()
        if is_call(current):
            yield parts, current
        elif isinstance(current, dict):
            stack.extend((v, parts + (k,)) for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, parts + (i,)) for i, v in enumerate(current))


def _part(value: Any, parts: tuple) -> Any:
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return MISSING
    return value


def substituted_types(template: Any) -> set[str]:
    """The node types the template's imports implement with a topology of their own (substitution mappings)."""
    found = set()
    for document in template.imported_documents():
        topology = document.data.get("topology_template") if isinstance(document.data, dict) else None
        mapping = topology.get("substitution_mappings") if isinstance(topology, dict) else None
        node_type = mapping.get("node_type") if isinstance(mapping, dict) else None
        if isinstance(node_type, str):
            found.add(node_type)
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
    would otherwise walk all of it. Cycles among those objects are still
    found by the next full collection. A host program that froze objects
    itself (before forking, say) keeps them frozen: the trick is skipped then."""
    _skip_last_collection_at_exit()
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


_exit_hook_set = False


def _skip_last_collection_at_exit() -> None:
    """The interpreter's last act is a full collection that walks every live
    object (hundreds of milliseconds after a 10,000-node compile) only to
    find nothing worth freeing before the process's memory goes back to the
    system. A program that built a template skips it: at exit its objects
    are handed to the permanent generation, as the command line does after
    its run. CPython never promised to collect cycles at exit, so nothing a
    program relies on is lost."""
    global _exit_hook_set
    if not _exit_hook_set:
        atexit.register(gc.freeze)
        _exit_hook_set = True


def build_topology(rendered: Rendered, collector: Any, reuse: Any = None) -> Topology:
    """The topology of a rendered template; its findings go to ``collector``,
    what only a compiler needs to say to ``topology.notes``. ``reuse`` (the
    language server's, see :mod:`primage_tosca.lsp.reuse`) may hand back a
    node's resolved requirements and its vertex from an earlier build of the
    same text: ``requirements(name, make, unresolved)``,
    ``vertex(name, make, notes)`` and ``edges(name, make)`` return ``make()``
    or that earlier product, its findings reported again and its entries put
    back in the list given."""
    builder = Builder(rendered, Reporter(collector), reuse)
    builder.resolve()
    groups = builder.groups()
    topology = Topology(template=rendered.template, rendered=rendered, types=rendered.types,
                        requirements=builder.requirements, groups=groups)
    topology.vertices = builder.vertices()
    topology.edges = builder.edges()
    topology.inputs = builder.inputs()
    topology.outputs = builder.outputs()
    topology.policies = builder.policies(groups)
    builder.check_cycles(topology)
    topology.notes = builder.notes
    return topology


__all__ = ["Builder", "build_topology", "gc_paused"]
