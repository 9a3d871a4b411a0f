"""Requirements resolved: each assignment to the node template it targets,
the target's capability and the relationship type (normalized to its full
name), with what TOSCA asks of the match (3.7.3 and 3.8.2): the target's
type, a capability of the asked type, the capability's valid source types,
the relationship's valid target types and the requirement's occurrences."""

from __future__ import annotations

from typing import Any, Callable

from ..diagnostics import Severity, close_matches
from ..records import field, record
from ..render import NodeTemplate, Operation, RelationshipTemplate, RequirementAssignment
from ..render.nodes import INTERFACE_ALIASES, interface_key, merge_operation, once_per
from ..typesystem import Types
from ..typesystem.definitions import operation_entries
from ..typesystem.model import RequirementDef, Type

Report = Callable[..., None]

# The normative relationship types, by the short name the graph reports as ``kind``.
NORMATIVE = {
    "tosca.relationships.HostedOn": "HostedOn",
    "tosca.relationships.DependsOn": "DependsOn",
    "tosca.relationships.ConnectsTo": "ConnectsTo",
    "tosca.relationships.AttachesTo": "AttachesTo",
    "tosca.relationships.RoutesTo": "RoutesTo",
    "tosca.relationships.network.LinksTo": "LinksTo",
    "tosca.relationships.network.BindsTo": "BindsTo",
}
DEFAULT_RELATIONSHIP = "tosca.relationships.DependsOn"
HOSTING = ("HostedOn", "BindsTo")


@record
class Requirement:
    source: str
    name: str
    index: int  # position in the template's requirements list
    path: tuple
    target: str | None
    relationship: str  # full type name (a custom one stays as it is named)
    kind: str | None  # the normative relationship it is or derives from
    capability: str | None  # the target's capability name, or a capability type when none fits
    properties: dict = field(default_factory=dict)
    interfaces: dict[str, dict[str, Operation]] = field(default_factory=dict)
    template_name: str | None = None  # the relationship template used, if any
    artifacts: dict = field(default_factory=dict)  # artifacts of the relationship type
    target_path: tuple = ()  # where the target's name is written
    relationship_type: Type | None = None


def kind_of(relationship: Type | None, name: str) -> str | None:
    if relationship is not None:
        for ancestor in relationship.ancestry:
            if ancestor.name in NORMATIVE:
                return NORMATIVE[ancestor.name]
    return NORMATIVE.get(name)


class RequirementResolver:
    """Resolves the requirements of every node; knows all nodes, so each lookup is O(1)."""

    def __init__(self, nodes: dict[str, NodeTemplate], relationships: dict[str, RelationshipTemplate],
                 types: Types, report: Report, document_of: Callable[[tuple], Any]):
        self.nodes = nodes
        self.relationships = relationships
        self.types = types
        self.report = report
        self.document_of = document_of
        self.unresolved: list[tuple[str, str, tuple, str]] = []  # (node, requirement, path, why) for compilers
        self.substituted: set[str] = set()  # node types another template substitutes: it fulfils their requirements
        # what depends only on definitions and types, worked out once (they outlive the resolver: their ids
        # are not reused meanwhile): see _as_defined and _valid_targets
        self._defined: dict[int, tuple] = {}  # see once_per
        self._accepted: dict[tuple[int, int], bool] = {}
        self._valid: dict[tuple[int, int, int], list | None] = {}
        self._first: dict[tuple[str, int], tuple] = {}  # see _of_type

    def resolve(self, node: NodeTemplate) -> list[Requirement]:
        found = []
        for assignment in node.requirements:
            requirement = self._one(node, assignment)
            if requirement is not None:
                found.append(requirement)
        self._occurrences(node)
        return found

    def _problem(self, rule: str, message: str, path: tuple, hint: str | None = None, **kwargs: Any) -> None:
        self.report(rule, message, self.document_of(path), path, hint=hint, **kwargs)

    def _one(self, node: NodeTemplate, assignment: RequirementAssignment) -> Requirement | None:
        name, path = assignment.name, assignment.path
        target = assignment.node
        if target is None:
            self.unresolved.append((node.name, name, path, "names no node template (a node filter or a "
                                    "capability only); the compiler cannot choose one"))
            return None
        if not isinstance(target, str):
            return None  # reported by render
        target_node = self.nodes.get(target)
        if target_node is None:
            node_type = self.types.find("node_types", target)
            if node_type is not None:
                self.unresolved.append((node.name, name, path, f"names the node type {target!r}; the compiler "
                                        "cannot choose a node template of that type"))
                self._target_type(node, assignment, node_type, target, assignment.target_path)
                return None
            close = close_matches(target, list(self.nodes))
            self._problem("PT320", f"requirement {name!r} of {node.name!r} names {target!r}, which is not a "
                          "node template", assignment.target_path,
                          f"did you mean {close[0]!r}?" if close else "node templates: " + ", ".join(self.nodes))
            return None
        self._target_type(node, assignment, target_node.type_def, target, assignment.target_path)
        requirement = Requirement(node.name, name, assignment.index, path, target, DEFAULT_RELATIONSHIP, None, None,
                                  target_path=assignment.target_path)
        self._relationship(requirement, assignment)
        requirement.capability = self._capability(node, assignment, target_node, requirement)
        return requirement

    # -- the target ---------------------------------------------------------------------------

    def _target_type(self, node: NodeTemplate, assignment: RequirementAssignment, target_type: Type | None,
                     target: str, path: tuple) -> None:
        definition = assignment.definition
        wanted = definition.node if definition is not None else None
        if wanted is None or target_type is None or target_type.is_a(wanted):
            return
        self._problem("PT323", f"requirement {assignment.name!r} of {node.name!r} needs a {wanted.name}; "
                      f"{target!r} is a {target_type.name}", path,
                      f"target a node template of type {wanted.name} (or one derived from it)")

    def _capability(self, node: NodeTemplate, assignment: RequirementAssignment, target: NodeTemplate,
                    requirement: Requirement) -> str | None:
        """The target's capability: named outright, or the first whose type
        is (or derives from) the capability type asked for."""
        definition = assignment.definition
        wanted = assignment.capability if assignment.capability is not None else (
            definition.capability_name if definition is not None else None)
        if not isinstance(wanted, str):
            return None
        where = assignment.path + ("capability",) if assignment.capability is not None else assignment.target_path
        if wanted in target.capabilities:
            chosen = wanted
        else:
            wanted_type, chosen = self._of_type(wanted, target)
            if chosen is None:
                if wanted_type is None and assignment.capability is not None and target.type_def is not None:
                    self._problem("PT311", f"capability {wanted!r} is neither a capability type nor a capability of "
                                  f"{target.name!r}", where, _closest(wanted, list(target.capabilities)))
                elif target.type_def is not None and wanted_type is not None:
                    self._no_capability(node, assignment, target, wanted, wanted_type, where)
                return wanted_type.name if wanted_type is not None else wanted
        self._sources(node, assignment, target, chosen, where)
        self._targets(requirement, target, chosen, where)
        return chosen

    def _of_type(self, wanted: str, target: NodeTemplate) -> tuple[Type | None, str | None]:
        """The capability type named ``wanted``, and the name of the target's first capability of that type
        (or one derived from it): the same for every target of one type, so worked out once per type."""
        key = (wanted, id(target.type_def))
        found = self._first.get(key) if target.type_def is not None else None
        if found is None:
            wanted_type = self.types.find("capability_types", wanted)
            found = (wanted_type, next((cap_name for cap_name, cap in target.capabilities.items()
                                        if wanted_type is not None and cap.definition is not None and
                                        cap.definition.type is not None and cap.definition.type.is_a(wanted_type)),
                                       None))
            if target.type_def is not None:  # a capability the template adds has no definition: not counted
                self._first[key] = found
        return found

    def _no_capability(self, node: NodeTemplate, assignment: RequirementAssignment, target: NodeTemplate,
                       wanted: str, wanted_type: Type | None, where: tuple) -> None:
        """PT324, saying whether the target offers at least a capability of a
        base of the wanted type (a Docker application on a generic container runtime)."""
        offered = ", ".join(f"{n} ({c.type})" for n, c in target.capabilities.items()) or "none"
        message = (f"requirement {assignment.name!r} of {node.name!r} needs a capability {wanted!r}; "
                   f"{target.name!r} ({target.type}) offers none")
        broader = wanted_type is not None and any(
            c.definition is not None and c.definition.type is not None and wanted_type.is_a(c.definition.type)
            for c in target.capabilities.values())
        self._problem("PT324", message + (" (only a broader one)" if broader else ""), where,
                      f"capabilities of {target.name!r}: {offered}")

    def _sources(self, node: NodeTemplate, assignment: RequirementAssignment, target: NodeTemplate, capability: str,
                 where: tuple) -> None:
        definition = target.capabilities[capability].definition
        sources = definition.valid_source_types if definition is not None else None
        if not sources or node.type_def is None:
            return
        key = (id(definition), id(node.type_def))
        accepted = self._accepted.get(key)
        if accepted is None:
            accepted = self._accepted[key] = any(node.type_def.is_a(self.types.find("node_types", s) or s)
                                                 for s in sources)
        if not accepted:
            self._problem("PT325", f"capability {capability!r} of {target.name!r} accepts requirements of "
                          f"{', '.join(sources)} only; {node.name!r} is a {node.type}", where)

    def _targets(self, requirement: Requirement, target: NodeTemplate, capability: str, where: tuple) -> None:
        relationship = requirement.relationship_type
        if relationship is None:
            return
        cap = target.capabilities[capability].definition
        cap_type = cap.type if cap is not None else None
        key = (id(relationship), id(cap_type), id(target.type_def))
        if key not in self._valid:
            self._valid[key] = self._valid_targets(relationship, cap_type, target.type_def)
        valid = self._valid[key]
        if valid is not None:
            self._problem("PT326", f"relationship {relationship.name} targets {', '.join(map(str, valid))}; "
                          f"capability {capability!r} of {target.name!r} is a {cap_type.name}", where)

    def _valid_targets(self, relationship: Type, cap_type: Type | None, target_type: Type | None) -> list | None:
        """The valid target types of the relationship when the capability (of type ``cap_type``, on a
        node of ``target_type``) is none of them; None when it may be targeted."""
        valid = next((t.raw["valid_target_types"] for t in relationship.ancestry
                      if isinstance(t.raw.get("valid_target_types"), list)), None)
        if not valid or cap_type is None:
            return None
        for name in valid:
            accepted = self.types.find("capability_types", name) or self.types.find("node_types", name)
            if accepted is None or cap_type.is_a(accepted) or (target_type is not None and target_type.is_a(accepted)):
                return None
        return valid

    # -- the relationship ---------------------------------------------------------------------------

    def _relationship(self, requirement: Requirement, assignment: RequirementAssignment) -> None:
        """The relationship's type, properties and interfaces: from what the
        assignment writes (a type name, a relationship template's name, or
        ``{type, properties, interfaces}``), else from the requirement's definition."""
        definition = assignment.definition
        written = assignment.relationship
        path = assignment.path + ("relationship",)
        properties: dict = {}
        interfaces_written: Any = None
        if written is None:
            self._as_defined(requirement, definition)
            return
        if isinstance(written, str) and written in self.relationships:
            template = self.relationships[written]
            requirement.template_name = written
            type_name, relationship = template.type, template.type_def
            properties = dict(template.properties)
            requirement.properties = properties
            requirement.interfaces = template.interfaces
            self._finish(requirement, relationship, type_name)
            return
        else:
            type_name = written.get("type") if isinstance(written, dict) else written
            relationship = self.types.find("relationship_types", type_name)
            if isinstance(written, dict):
                properties = written.get("properties") if isinstance(written.get("properties"), dict) else {}
                interfaces_written = written.get("interfaces")
            if relationship is None and isinstance(type_name, str):
                where = path + ("type",) if isinstance(written, dict) else path
                hint = self.types.system.suggestion("relationship_types", type_name)
                if self.relationships:
                    hint += "; relationship templates: " + ", ".join(self.relationships)
                self._problem("PT312", f"{type_name!r} is neither a relationship template nor a relationship type",
                              where, hint)
        requirement.properties = self._defaults(relationship)
        requirement.properties.update(properties)
        requirement.interfaces = self._interfaces(relationship, interfaces_written, path)
        self._finish(requirement, relationship, type_name)

    def _as_defined(self, requirement: Requirement, definition: RequirementDef | None) -> None:
        """The relationship the requirement's definition names, the same for every assignment of it: worked
        out once per definition. Its interfaces and artifacts are shared (read, never changed)."""
        defaults, model = once_per(self._defined, definition, lambda: self._defined_relationship(definition))
        requirement.properties = dict(defaults)
        requirement.interfaces, requirement.artifacts = model.interfaces, model.artifacts
        requirement.relationship, requirement.relationship_type, requirement.kind = (
            model.relationship, model.relationship_type, model.kind)

    def _defined_relationship(self, definition: RequirementDef | None) -> tuple[dict, Requirement]:
        relationship = definition.relationship if definition is not None else None
        model = Requirement("", "", 0, (), None, DEFAULT_RELATIONSHIP, None, None)
        model.interfaces = self._interfaces(relationship, definition.relationship_interfaces
                                            if definition is not None else None, ())
        self._finish(model, relationship, definition.relationship_name if definition is not None else None)
        return self._defaults(relationship), model

    def _defaults(self, relationship: Type | None) -> dict:
        defaults = self.types.definitions.properties(relationship) if relationship is not None else {}
        return {n: d.default for n, d in defaults.items() if d.has_default}

    def _finish(self, requirement: Requirement, relationship: Type | None, type_name: Any) -> None:
        full = relationship.name if relationship is not None else (
            type_name if isinstance(type_name, str) else DEFAULT_RELATIONSHIP)
        requirement.relationship = full
        requirement.relationship_type = relationship
        requirement.kind = kind_of(relationship, full)
        if relationship is not None:
            requirement.artifacts = {k: v for k, v in self.types.definitions.artifacts(relationship).items()
                                     if isinstance(v, dict)}

    def _interfaces(self, relationship: Type | None, written: Any, path: tuple) -> dict:
        found: dict[str, dict[str, Operation]] = {}
        if relationship is not None:
            for name, definition in self.types.definitions.interfaces(relationship).items():
                found[interface_key(name, definition)] = {
                    op: Operation(o.implementation, dict(o.inputs), (), o.document)
                    for op, o in definition.operations.items() if o.implementation is not None or o.inputs}
        if isinstance(written, dict):
            origin = self.document_of(path) if path else None
            for name, raw in written.items():
                if not isinstance(name, str):
                    continue
                table = found.setdefault(INTERFACE_ALIASES.get(name, name), {})
                shared = raw.get("inputs") if isinstance(raw, dict) and isinstance(raw.get("inputs"), dict) else {}
                for op_name, op_raw, op_path, _n in operation_entries(raw, path + ("interfaces", name) if path else ()):
                    table[op_name] = merge_operation(table.get(op_name), op_raw, op_path if path else (), origin,
                                                     shared)
        return found

    # -- occurrences --------------------------------------------------------------------------------

    def _occurrences(self, node: NodeTemplate) -> None:
        """Each requirement assigned as often as its definition allows. An
        upper bound counts only when the definition writes it: TOSCA's
        default is one, but tosca-parser (and so IM) reads it as unbounded."""
        if node.type_def is None or node.type_def.names & self.substituted:
            return
        counts: dict[str, int] = {}
        for assignment in node.requirements:
            counts[assignment.name] = counts.get(assignment.name, 0) + 1
        for name, definition in node.requirement_defs.items():
            count = counts.get(name, 0)
            low, high = definition.occurrences
            if count < low:
                self._too_few(node, name, count, low)
            elif count > high and definition.occurrences_written:
                where = next(a.path for a in node.requirements if a.name == name)
                self._problem("PT327", f"requirement {name!r} of {node.name!r} is assigned {count} times; its "
                              f"definition allows at most {high:g}", where)

    def _too_few(self, node: NodeTemplate, name: str, count: int, low: int) -> None:
        """A warning: TOSCA leaves a requirement the template does not assign to
        the orchestrator to fulfil (TOSCA 1.3, 3.8.2); tosca-parser, and so IM,
        refuse it unless another hosting requirement places the node."""
        hosted = name == "host" and any(
            a.definition is not None and a.definition.relationship is not None and
            kind_of(a.definition.relationship, "") in HOSTING for a in node.requirements if a.name != name)
        message = (f"node template {node.name!r} ({node.type}) leaves requirement {name!r} to the orchestrator "
                   f"(its definition asks for {low}, the template assigns {count})")
        if hosted:
            message += "; another hosting requirement places the node, as IM's converter reads it"
        else:
            message += "; tosca-parser, and so IM, refuse that"
        where = node.path + ("requirements",) if "requirements" in node.template else node.path
        self.report("PT327", message, self.document_of(where), where, key=True,
                    hint=f"add `- {name}: NODE_TEMPLATE` under requirements", severity=Severity.WARNING)


def _closest(name: str, known: list[str]) -> str:
    close = close_matches(name, known)
    return f"did you mean {close[0]!r}?" if close else "capabilities: " + (", ".join(known) or "none")
