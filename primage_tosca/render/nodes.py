"""Node templates rendered: the type's definitions merged in (defaults
first, the template's values winning), every written value checked against
its definition, requirements read (not yet resolved: the topology phase
does that). Function calls stay as written; the topology evaluates them."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..diagnostics import Severity, close_matches
from ..records import field, record
from ..typesystem import Types
from ..typesystem.definitions import DEFINITION_KEYNAMES, artifact_entries, operation_entries
from ..typesystem.constraints import read_clause
from ..typesystem.keynames import check_keys
from ..typesystem.quirks import required_relaxed
from ..typesystem.model import CapabilityDef, InterfaceDef, PropertyDef, RequirementDef, Type

NODE_TEMPLATES = ("topology_template", "node_templates")
Report = Callable[..., None]


NOTHING_WRITTEN: frozenset = frozenset()  # the names written under a capability its template leaves alone


@record
class Operation:
    """An interface operation: where its implementation is, and its inputs."""

    implementation: Any = None  # a string, or a map {primary: ..., dependencies: [...]}
    inputs: dict = field(default_factory=dict)
    path: tuple = ()  # where it is written in the template; () when only a type defines it
    origin: Any = None  # the document that wrote the implementation (for relative paths)

    @property
    def written(self) -> bool:
        return bool(self.path)


@record
class Capability:
    name: str
    type: str | None
    properties: dict
    written: set  # property names the template itself assigns
    path: tuple
    definition: CapabilityDef | None = None


@record
class RequirementAssignment:
    """A requirement as a node template writes it, before it is resolved."""

    name: str
    index: int
    path: tuple
    definition: RequirementDef | None
    node: Any  # a node template's name, a node type's name, or None
    capability: Any
    relationship: Any  # a relationship type or template name, or {type, properties, interfaces}
    node_filter: Any
    raw: Any

    @property
    def target_path(self) -> tuple:
        return self.path + ("node",) if isinstance(self.raw, dict) else self.path


@record
class NodeTemplate:
    """A node template with its type's definitions merged in."""

    name: str
    index: int
    path: tuple
    type: str | None  # the type's full name, or the name as written when unknown
    ancestry: list[str]  # the type and its ancestors, nearest first
    template: dict  # as written (after ``copy``)
    property_defs: dict[str, PropertyDef]
    properties: dict  # defaults, then the template's values
    written: set  # property names the template assigns
    attribute_defs: dict[str, PropertyDef]
    capabilities: dict[str, Capability]
    artifacts: dict[str, dict]
    interfaces: dict[str, dict[str, Operation]]
    requirement_defs: dict[str, RequirementDef]
    requirements: list[RequirementAssignment] = field(default_factory=list)
    type_def: Type | None = None
    document: Any = None  # the document it is written in (a fragment's own file)
    attributes: dict = field(default_factory=dict)
    declared_operations: dict[str, set] = field(default_factory=dict)  # interface -> what the type declares

    def is_a(self, base: str) -> bool:
        return base in self.ancestry


class TypeFacts:
    """What every template of one node type starts from, worked out once per type (see
    NodeRenderer.type_facts). The maps are shared by the templates: read, never changed."""

    __slots__ = ("ancestry", "property_defs", "attribute_defs", "requirement_defs", "capabilities", "unwritten",
                 "declared_operations")

    def __init__(self, typedef: Type, renderer: "NodeRenderer"):
        definitions = renderer.definitions
        self.ancestry = tuple(t.name for t in typedef.ancestry)
        self.property_defs = definitions.properties(typedef)
        self.attribute_defs = definitions.attributes(typedef)
        self.requirement_defs = definitions.requirements(typedef)
        self.capabilities = definitions.capabilities(typedef)
        # capability -> (its type's name, its definition, its default values), for a template that leaves it as
        # the type defines it: one map of defaults for them all (a 10,000-node template would hold 60,000 copies)
        self.unwritten = {name: (_capability_type(d), d, renderer.facts_of(d.properties)[0])
                          for name, d in self.capabilities.items()}
        self.declared_operations = {name: set(d.operations) for name, d in definitions.interfaces(typedef).items()}


class NodeRenderer:
    """Renders node templates of one template; type facts are worked out once per type."""

    def __init__(self, types: Types, report: Report, document_of: Callable[[tuple], Any],
                 repositories: Iterable[str] = ()):
        self.repositories = set(repositories)
        self.types = types
        self.definitions = types.definitions
        self.values = types.values
        self.report = report
        self.document_of = document_of
        # id of a definitions map -> (the map, (its defaults, its required names without default)): many
        # templates share a type, and most of a type's capabilities are not written at all
        self._facts: dict[int, tuple[Any, tuple[dict, list[str]]]] = {}
        self._types: dict[str, Type] = {}  # node type name as written -> the type found
        self._type_facts: dict[int, tuple[Type, TypeFacts]] = {}  # id of a node type -> (it, its facts)

    def render(self, name: str, index: int, raw: Any, written_raw: dict) -> NodeTemplate:
        path = NODE_TEMPLATES + (name,)
        document = self.document_of(path)
        version = self.types.version
        raw = raw if isinstance(raw, dict) else {}
        if "copy" in written_raw:  # what it has from its source is checked there; what it must have, here
            merged = {**{k: v for k, v in raw.items() if k not in written_raw}, **written_raw}
            if "type" not in merged:  # the copy found no source (PT332 says so): its type is not missing too
                merged["type"] = ""
            check_keys("node_template", merged, version, document, path, self.report)
        else:
            check_keys("node_template", written_raw, version, document, path, self.report)
        typedef = self._type(raw.get("type"), document, path)
        facts = self.type_facts(typedef) if typedef else None
        type_name = typedef.name if typedef else (raw.get("type") if isinstance(raw.get("type"), str) else None)
        ancestry = list(facts.ancestry) if facts else ([type_name] if type_name else [])
        node = NodeTemplate(
            name=name, index=index, path=path, type=type_name, ancestry=ancestry, template=raw,
            property_defs=facts.property_defs if facts else {},
            properties={}, written=set(),
            attribute_defs=facts.attribute_defs if facts else {},
            capabilities={}, artifacts={}, interfaces={},
            requirement_defs=facts.requirement_defs if facts else {},
            type_def=typedef, document=document)
        label = f"node template {name!r}"
        selected = isinstance(raw.get("directives"), list) and "select" in raw["directives"]
        # a node to select is found among existing ones: its own values are not needed (1.3 3.8.3, 2.0 7.2.1)
        node.properties, node.written = self.assign(node.property_defs, raw.get("properties"), document,
                                                    path + ("properties",), f"{label}: property", typedef,
                                                    check_required=not selected)
        node.attributes = self._attributes(node, raw.get("attributes"), document, path, label)
        node.capabilities = self._capabilities(node, facts, raw.get("capabilities"), document, path)
        node.requirements = self._requirements(node, raw.get("requirements"), document, path)
        node.interfaces = self.interfaces(typedef, raw.get("interfaces"), document, path, label)
        node.declared_operations = facts.declared_operations if facts else {}
        node.artifacts = self._artifacts(node, raw.get("artifacts"), document, path)
        self.node_filter(raw.get("node_filter"), document, path + ("node_filter",))
        return node

    def _type(self, written: Any, document: Any, path: tuple) -> Type | None:
        if written is None:
            return None  # PT305 from the keyname check
        if not isinstance(written, str):
            self.report("PT306", "type must name a node type", document, path + ("type",))
            return None
        found = self._types.get(written) or self.types.find("node_types", written)
        if found is not None:
            self._types[written] = found
        else:
            self.report("PT310", f"unknown node type {written!r}", document, path + ("type",),
                        hint=self.types.system.suggestion("node_types", written))
        return found

    # -- values ------------------------------------------------------------------------------

    def assign(self, definitions: dict[str, PropertyDef], written: Any, document: Any, path: tuple, label: str,
               owner: Type | None, check_required: bool = True) -> tuple[dict, set]:
        """Defaults, then the written values on top (each checked); the names written.
        Unknown names and missing required values are reported; a type we do
        not know (``owner`` None) is not second-guessed."""
        facts = self.facts_of(definitions)
        values = dict(facts[0])
        if written is not None and not isinstance(written, dict):
            self.report("PT306", f"{path[-1]} must be a map of names to values", document, path)
            written = None
        names: set = set()
        if written:
            names = set(written)
            values.update(written)
            for name, value in written.items():
                definition = definitions.get(name)
                if definition is None:
                    if owner is not None:
                        self.report("PT506", f"{label} {name!r} is not defined by {owner.name}", document,
                                    path + (name,), key=True, hint=_close(name, definitions))
                    continue
                self.values.check(value, definition.schema, document, path + (name,), f"{label} {name!r}")
                if definition.status in ("deprecated", "unsupported"):
                    self.report("PT339", f"{label} {name!r} is {definition.status}", document, path + (name,),
                                key=True)
        if check_required and owner is not None:
            for name in facts[1]:
                if name not in values or values[name] is None and name not in names:
                    relaxed = required_relaxed(definitions[name].owner.names, name) \
                        if definitions[name].owner is not None else False
                    self.report("PT505", f"{label} {name!r} is required and has no value"
                                + ("; tosca-parser (and so IM) lets it pass" if relaxed else ""), document, path[:-1],
                                hint=f"set it under {path[-1]}: (or give the definition a default)",
                                severity=Severity.WARNING if relaxed else None)
        return values, names

    def type_facts(self, typedef: Type) -> TypeFacts:
        found = self._type_facts.get(id(typedef))
        if found is None or found[0] is not typedef:
            found = self._type_facts[id(typedef)] = (typedef, TypeFacts(typedef, self))
        return found[1]

    def facts_of(self, definitions: dict[str, PropertyDef]) -> tuple[dict, list[str]]:
        """The definitions' defaults and their required names without a default, worked out once."""
        return once_per(self._facts, definitions, lambda: (
            {name: d.default for name, d in definitions.items() if d.has_default}, _required(definitions)))

    def _attributes(self, node: NodeTemplate, written: Any, document: Any, path: tuple, label: str) -> dict:
        if written is None:
            return {}
        if isinstance(written, dict):  # TOSCA 1.3's long notation: {description, value}
            written = {name: value["value"] if isinstance(value, dict) and "value" in value
                       and set(value) <= {"description", "value"} else value for name, value in written.items()}
        values, _ = self.assign(reflected(node.property_defs, node.attribute_defs, written), written, document,
                                path + ("attributes",), f"{label}: attribute", node.type_def, check_required=False)
        return values

    def _capabilities(self, node: NodeTemplate, facts: TypeFacts | None, written: Any, document: Any, path: tuple
                      ) -> dict[str, Capability]:
        declared = facts.capabilities if facts else {}
        if written is not None and not isinstance(written, dict):
            self.report("PT306", "capabilities must be a map of capability names to assignments", document,
                        path + ("capabilities",))
            written = {}
        written = written or {}
        found: dict[str, Capability] = {}
        unwritten = facts.unwritten if facts else {}
        for name in [*declared, *(n for n in written if n not in declared)]:
            where = path + ("capabilities", name)
            if name not in written:  # a declared one, as its type defines it: nothing to check
                cap_type, definition, defaults = unwritten[name]
                found[name] = Capability(name, cap_type, defaults, NOTHING_WRITTEN, where, definition)
                continue
            definition = declared.get(name)
            assignment = written[name]
            if definition is None and node.type_def is not None:
                self.report("PT337", f"node type {node.type} has no capability {name!r}", document, where,
                            key=True, hint=_close(name, declared))
            check_keys("capability_assignment", assignment, self.types.version, document, where, self.report)
            values = assignment.get("properties") if isinstance(assignment, dict) else None
            label = f"capability {name!r} of {node.name!r}: property"
            definitions = definition.properties if definition is not None else {}
            properties, assigned = self.assign(definitions, values, document, where + ("properties",), label,
                                               definition.type if definition is not None else None,
                                               check_required=definition is not None)
            if definition is not None and isinstance(assignment, dict) and assignment.get("attributes") is not None:
                self.assign(reflected(definition.properties, definition.attributes, assignment["attributes"]),
                            assignment["attributes"],
                            document, where + ("attributes",),
                            f"capability {name!r} of {node.name!r}: attribute", definition.type, check_required=False)
            cap_type = _capability_type(definition) if definition is not None else None
            found[name] = Capability(name, cap_type, properties, assigned, where, definition)
        return found

    # -- requirements ------------------------------------------------------------------------

    def _requirements(self, node: NodeTemplate, written: Any, document: Any, path: tuple
                      ) -> list[RequirementAssignment]:
        if written is None:
            return []
        if not isinstance(written, list):
            self.report("PT306", "requirements must be a list of one-name maps", document, path + ("requirements",))
            return []
        found = []
        for index, item in enumerate(written):
            where = path + ("requirements", index)
            if not isinstance(item, dict) or len(item) != 1:
                self.report("PT306", "a requirement assignment is a map of one requirement name to a node or "
                            "an assignment", document, where)
                continue
            name, raw = next(iter(item.items()))
            if not isinstance(name, str):
                self.report("PT306", "a requirement's name must be a string", document, where)
                continue
            found.append(self._requirement(node, name, raw, index, document, where + (name,)))
        return found

    def _requirement(self, node: NodeTemplate, name: str, raw: Any, index: int, document: Any,
                     path: tuple) -> RequirementAssignment:
        definition = node.requirement_defs.get(name)
        if definition is None and node.type_def is not None:
            # tosca-parser (and so IM) takes a requirement the type does not define when it is written out as a
            # map: only the short form is an error there.
            self.report("PT322", f"node type {node.type} has no requirement {name!r}", document, path, key=True,
                        hint=_close(name, node.requirement_defs),
                        severity=Severity.WARNING if isinstance(raw, dict) else None)
        if isinstance(raw, dict):
            check_keys("requirement_assignment", raw, self.types.version, document, path, self.report)
            relationship = raw.get("relationship")
            if isinstance(relationship, dict):
                check_keys("relationship_assignment", relationship, self.types.version, document,
                           path + ("relationship",), self.report)
            if raw.get("node_filter") is not None:
                self.node_filter(raw["node_filter"], document, path + ("node_filter",))
            return RequirementAssignment(name, index, path, definition, raw.get("node"), raw.get("capability"),
                                         relationship, raw.get("node_filter"), raw)
        if raw is not None and not isinstance(raw, str):
            self.report("PT306", f"requirement {name!r} must name a node template or be an assignment",
                        document, path)
            raw = None
        return RequirementAssignment(name, index, path, definition, raw, None, None, None, raw)

    def node_filter(self, value: Any, document: Any, path: tuple) -> None:
        """A node filter's structure (TOSCA 1.3, 3.6.5): property filters and
        capability filters, each a list of one-name maps of constraint clauses.
        The lists are required (tosca-parser checks them too); a malformed
        entry inside one is a warning, since IM reads none of it."""
        if value is None:
            return
        if not check_keys("node_filter", value, self.types.version, document, path, self.report):
            self.report("PT328", "a node filter is a map with properties and capabilities", document, path)
            return
        self._property_filters(value.get("properties"), document, path + ("properties",))
        capabilities = value.get("capabilities")
        if capabilities is None:
            return
        if not isinstance(capabilities, list):
            self.report("PT328", "capabilities of a node filter are a list of one-name maps", document,
                        path + ("capabilities",))
            return
        for index, item in enumerate(capabilities):
            where = path + ("capabilities", index)
            if not isinstance(item, dict) or len(item) != 1:
                self.report("PT328", "a capability filter is a map of one capability name or type to its "
                            "property filters", document, where, severity=Severity.WARNING)
                continue
            cap, body = next(iter(item.items()))
            if not isinstance(body, dict) or set(body) - {"properties"}:
                self.report("PT328", f"the filter of capability {cap!r} takes only `properties`", document,
                            where + (cap,), severity=Severity.WARNING)
                continue
            self._property_filters(body.get("properties"), document, where + (cap, "properties"))

    def _property_filters(self, value: Any, document: Any, path: tuple) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.report("PT328", "property filters are a list of one-name maps", document, path)
            return
        for index, item in enumerate(value):
            where = path + (index,)
            if not isinstance(item, dict) or len(item) != 1:
                self.report("PT328", "a property filter is a map of one property name to its constraint clauses",
                            document, where, severity=Severity.WARNING)
                continue
            prop, clauses = next(iter(item.items()))
            if not isinstance(clauses, (list, dict)):
                continue  # a bare value: equality, as tosca-parser reads it
            for position, clause in enumerate(clauses if isinstance(clauses, list) else [clauses]):
                clause_path = where + ((prop, position) if isinstance(clauses, list) else (prop,))
                read_clause(clause, None, document, clause_path, self.report)

    # -- interfaces and artifacts ---------------------------------------------------------------

    def interfaces(self, typedef: Type | None, written: Any, document: Any, path: tuple, label: str
                   ) -> dict[str, dict[str, Operation]]:
        """The operations of a node's (or relationship's) interfaces: the
        type's, refined by the template's assignments (each checked)."""
        declared = self.definitions.interfaces(typedef) if typedef else {}
        found: dict[str, dict[str, Operation]] = {}
        for name, definition in declared.items():
            found[interface_key(name, definition)] = {
                op: Operation(o.implementation, dict(o.inputs), (), o.document)
                for op, o in definition.operations.items() if o.implementation is not None or o.inputs}
        if written is None:
            return found
        if not isinstance(written, dict):
            self.report("PT306", "interfaces must be a map of interface names to assignments", document,
                        path + ("interfaces",))
            return found
        for name, raw in written.items():
            self._interface(name, raw, declared, typedef, found, document, path + ("interfaces", name), label)
        return found

    def _interface(self, name: Any, raw: Any, declared: dict[str, InterfaceDef], typedef: Type | None,
                   found: dict, document: Any, path: tuple, label: str) -> None:
        if not isinstance(name, str):
            return
        definition = declared.get(name) or _by_type(name, declared, self.types)
        if definition is None:
            itype, _ = self.definitions.interface_type_of(name, raw, None)
            if typedef is not None:
                # tosca-parser (and so IM) takes the lifecycle interfaces by name on any template: a warning there
                lenient = name in INTERFACE_ALIASES
                self.report("PT336", f"{typedef.name} has no interface {name!r}", document, path, key=True,
                            hint="interfaces of the type: " + (", ".join(sorted(declared)) or "none"),
                            severity=Severity.WARNING if lenient else None)
            operations = set(self.definitions.interface_operations(itype)) if itype is not None else None
        else:
            operations = set(definition.operations)
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.report("PT306", f"interface {name!r} must be a map of operations", document, path)
            return
        entries = list(operation_entries(raw, path))
        check_keys("interface_assignment", raw, self.types.version, document, path, self.report,
                   skip={op for op, _r, _p, _n in entries})
        key = interface_key(name, definition) if definition is not None else _interface_name(name, raw, self.types)
        table = found.setdefault(key, {})
        shared = raw.get("inputs") if isinstance(raw.get("inputs"), dict) else {}
        declared_inputs = dict(definition.inputs) if definition is not None else {}
        self._inputs(shared, declared_inputs, document, path + ("inputs",), f"{label}: interface {name!r} input")
        for op_name, op_raw, op_path, notification in entries:
            if operations is not None and op_name not in operations:
                what = "notification" if notification else "operation"
                self.report("PT336", f"interface {name!r} has no {what} {op_name!r}", document, op_path, key=True,
                            hint="its operations and notifications: " + (", ".join(sorted(operations)) or "none"))
            if isinstance(op_raw, dict):
                check_keys("operation_assignment", op_raw, self.types.version, document, op_path, self.report)
                if isinstance(op_raw.get("implementation"), dict):
                    check_keys("implementation", op_raw["implementation"], self.types.version, document,
                               op_path + ("implementation",), self.report)
                declared_op = definition.operations.get(op_name) if definition is not None else None
                self._inputs(op_raw.get("inputs"), {**declared_inputs, **(declared_op.inputs if declared_op else {})},
                             document, op_path + ("inputs",), f"{label}: operation {op_name!r} input")
            table[op_name] = merge_operation(table.get(op_name), op_raw, op_path, document, shared)

    def _inputs(self, values: Any, declared: dict, document: Any, path: tuple, label: str) -> None:
        """Operation (or interface) input values the template assigns, checked
        against the input definitions the type gives (TOSCA 1.3, 3.6.16); an
        input the type only gives a value to, or does not mention, is free."""
        if not isinstance(values, dict):
            return
        for name, value in values.items():
            raw = declared.get(name)
            if not isinstance(raw, dict) or not DEFINITION_KEYNAMES & set(raw) or "type" not in raw:
                continue
            definition = self.definitions.property_def(name, raw, document, path + (name,), None, None)
            self.values.check(value, definition.schema, document, path + (name,), f"{label} {name!r}")

    def _artifacts(self, node: NodeTemplate, written: Any, document: Any, path: tuple) -> dict[str, dict]:
        found = {name: dict(artifact) for name, artifact in
                 (self.definitions.artifacts(node.type_def).items() if node.type_def else ())}
        if written is not None and not isinstance(written, (dict, list)):
            self.report("PT306", "artifacts must be a map of artifact names to definitions", document,
                        path + ("artifacts",))
            return found
        for name, raw, where in artifact_entries(written, path + ("artifacts",)):
            if isinstance(raw, str):
                found[name] = {"file": raw}
                continue
            if not isinstance(raw, dict):
                self.report("PT306", f"artifact {name!r} must be a file name or a definition", document, where)
                continue
            inherited = found.get(name, {})
            check_keys("artifact_definition", {**{k: inherited[k] for k in ("type", "file") if k in inherited}, **raw},
                       self.types.version, document, where, self.report)
            repository = raw.get("repository")
            if isinstance(repository, str) and repository not in self.repositories:
                self.report("PT205", f"artifact {name!r} names repository {repository!r}, which 'repositories' does "
                            "not define", document, where + ("repository",),
                            hint="repositories: " + (", ".join(self.repositories) or "none"))
            artifact_type = raw.get("type")
            if isinstance(artifact_type, str) and self.types.find("artifact_types", artifact_type) is None:
                self.report("PT314", f"unknown artifact type {artifact_type!r}", document, where + ("type",),
                            hint=self.types.system.suggestion("artifact_types", artifact_type))
            found[name] = {**inherited, **raw}  # a template's artifact refines the type's of that name
        return found


# Interface names as written, and the name the graph files them under.
INTERFACE_ALIASES = {
    "Standard": "Standard",
    "tosca.interfaces.node.lifecycle.Standard": "Standard",
    "Configure": "Configure",
    "tosca.interfaces.relationship.Configure": "Configure",
}
INTERFACE_TYPES = {
    "tosca.interfaces.node.lifecycle.Standard": "Standard",
    "tosca.interfaces.relationship.Configure": "Configure",
}


def interface_key(name: str, definition: InterfaceDef | None) -> str:
    """``Standard`` for the lifecycle interface however it is named; other interfaces keep their name."""
    if name in INTERFACE_ALIASES:
        return INTERFACE_ALIASES[name]
    if definition is not None and definition.type is not None:
        for ancestor in definition.type.ancestry:
            if ancestor.name in INTERFACE_TYPES:
                return INTERFACE_TYPES[ancestor.name]
    return name


def _interface_name(name: str, raw: Any, types: Types) -> str:
    written = raw.get("type") if isinstance(raw, dict) else None
    found = types.find("interface_types", written) if written else None
    if found is not None:
        for ancestor in found.ancestry:
            if ancestor.name in INTERFACE_TYPES:
                return INTERFACE_TYPES[ancestor.name]
    return INTERFACE_ALIASES.get(name, name)


def _by_type(name: str, declared: dict[str, InterfaceDef], types: Types) -> InterfaceDef | None:
    """The declared interface a template names by its type (``tosca.interfaces.node.lifecycle.Standard``
    for ``Standard``), as templates often do."""
    itype = types.find("interface_types", name)
    if itype is None:
        return None
    return next((d for d in declared.values() if d.type is itype), None)


def merge_operation(base: Operation | None, definition: Any, path: tuple, origin: Any, shared_inputs: dict) -> Operation:
    """An operation refined by a later definition: a new implementation
    replaces the old; inputs are merged, the later winning."""
    merged = Operation() if base is None else Operation(base.implementation, dict(base.inputs), base.path, base.origin)
    merged.inputs.update(shared_inputs)
    if isinstance(definition, str):
        merged.implementation, merged.origin = definition, origin
    elif isinstance(definition, dict):
        if definition.get("implementation") is not None:
            merged.implementation, merged.origin = definition["implementation"], origin
        if isinstance(definition.get("inputs"), dict):
            merged.inputs.update(definition["inputs"])
    if path:
        merged.path = path
    return merged


def _capability_type(definition: Any) -> str | None:
    return definition.type.name if definition.type is not None else definition.type_name


def once_per(table: dict, owner: Any, make: Callable[[], Any]) -> Any:
    """``make()`` once per ``owner`` object: kept by its id, with the object itself,
    so that another object given the same id later is not taken for it."""
    found = table.get(id(owner))
    if found is None or found[0] is not owner:
        found = table[id(owner)] = (owner, make())
    return found[1]


def _required(definitions: dict[str, PropertyDef]) -> list[str]:
    return [name for name, d in definitions.items() if d.required and not d.has_default]


def _close(name: Any, known: dict) -> str:
    close = close_matches(str(name), [str(k) for k in known])
    if close:
        return f"did you mean {close[0]!r}?"
    return ("known: " + ", ".join(sorted(map(str, known)))) if known else "the type defines none"


def reflected(properties: dict, attributes: dict, written: Any) -> dict:
    """The attribute definitions for what a template assigns: its type's, and for a name written
    that only a property has, that property's, as TOSCA creates an attribute for every property
    (1.3 3.6.12, 2.0 9.6) that a template may assign (2.0 9.7)."""
    extra = {name: properties[name] for name in written if name in properties and name not in attributes} \
        if isinstance(written, dict) else {}
    return {**attributes, **extra} if extra else attributes
