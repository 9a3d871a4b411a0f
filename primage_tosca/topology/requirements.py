"""Requirements as edges: the node each one targets, the relationship type
(normalized to its full name) and the target's capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate
from .typeview import TypeView
from .nodes import Operation, RawNode, merge_interfaces

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


@dataclass
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


def relationship_type_name(types: TypeView, name: Any) -> str | None:
    """The full name of a relationship type: ``HostedOn``, ``tosca:HostedOn``
    and ``tosca.relationships.HostedOn`` are one type; so are ``LinksTo`` and
    ``tosca.relationships.network.LinksTo``."""
    if not isinstance(name, str):
        return None
    found = types.find("relationship_types", name)
    if found is None:
        short = name.split(":", 1)[1] if name.startswith("tosca:") else name
        found = types.find("relationship_types", "tosca.relationships.network." + short)
    return found.name if found else name


def kind_of(types: TypeView, name: str) -> str | None:
    for typedef in types.ancestry("relationship_types", name):
        if typedef.name in NORMATIVE:
            return NORMATIVE[typedef.name]
    return NORMATIVE.get(name)


class RequirementReader:
    """Reads the requirements of every node; knows all nodes, so each lookup is O(1)."""

    def __init__(self, template: ServiceTemplate, nodes: dict[str, RawNode], types: TypeView):
        self.template = template
        self.types = types
        self.nodes = nodes
        relationship_templates = template.section("topology_template", "relationship_templates")
        self.relationship_templates = relationship_templates
        self.diagnostics: list[Diagnostic] = []

    def read(self, node: RawNode) -> list[Requirement]:
        found = []
        items = node.template.get("requirements")
        if not isinstance(items, list):
            return found
        for index, item in enumerate(items):
            if not isinstance(item, dict) or len(item) != 1:
                continue  # malformed: the structure checks report it
            name, assignment = next(iter(item.items()))
            requirement = self._one(node, str(name), assignment, index)
            if requirement is not None:
                found.append(requirement)
        return found

    def _problem(self, rule: str, message: str, path: tuple, hint: str | None = None) -> None:
        self.diagnostics.append(catalog.make(rule, message, self.template.locate(path), path, hint))

    def _one(self, node: RawNode, name: str, assignment: Any, index: int) -> Requirement | None:
        path = node.path + ("requirements", index, name)
        target = assignment.get("node") if isinstance(assignment, dict) else assignment
        target_path = path + ("node",) if isinstance(assignment, dict) else path
        if target is None or not isinstance(target, str):
            self._problem("PT700", f"requirement {name!r} of {node.name!r} names no node template "
                          "(a node filter or a type); the compiler cannot choose one", path,
                          "name the node template that fulfils it with `node:`")
            return None
        if target not in self.nodes:
            if self.types.find("node_types", target) is not None:
                self._problem("PT700", f"requirement {name!r} of {node.name!r} names the node type {target!r}; "
                              "the compiler cannot choose a node template of that type", path,
                              "name the node template that fulfils it")
            else:
                self._problem("PT320", f"requirement {name!r} of {node.name!r} names {target!r}, "
                              "which is not a node template", target_path)
            return None
        definition = node.requirement_defs.get(name)
        definition = definition if isinstance(definition, dict) else (
            {"capability": definition} if isinstance(definition, str) else {})
        requirement = Requirement(node.name, name, index, path, target, DEFAULT_RELATIONSHIP, None, None,
                                  target_path=target_path)
        written = assignment.get("relationship") if isinstance(assignment, dict) else None
        self._relationship(requirement, written if written is not None else definition.get("relationship"),
                           path + ("relationship",) if written is not None else ())
        wanted = assignment.get("capability") if isinstance(assignment, dict) else None
        requirement.capability = self._capability(self.nodes[target], wanted or definition.get("capability"))
        return requirement

    def _relationship(self, requirement: Requirement, written: Any, path: tuple) -> None:
        """Fill the relationship's type, properties and interfaces from what the
        requirement writes: a type name, a relationship template's name, or a
        map with ``type``, ``properties`` and ``interfaces``."""
        properties: dict = {}
        interfaces_section: Any = None
        type_name: Any = written
        if isinstance(written, str) and isinstance(self.relationship_templates.get(written), dict):
            rel_template = self.relationship_templates[written]
            requirement.template_name = written
            type_name = rel_template.get("type")
            properties = rel_template.get("properties") if isinstance(rel_template.get("properties"), dict) else {}
            interfaces_section = rel_template.get("interfaces")
            path = ("topology_template", "relationship_templates", written)
        elif isinstance(written, dict):
            type_name = written.get("type")
            properties = written.get("properties") if isinstance(written.get("properties"), dict) else {}
            interfaces_section = written.get("interfaces")
        full = relationship_type_name(self.types, type_name) or DEFAULT_RELATIONSHIP
        requirement.relationship = full
        requirement.kind = kind_of(self.types, full)
        defaults = self.types.lookup_in_chain("relationship_types", full, "properties")
        requirement.properties = {n: d["default"] for n, d in defaults.items()
                                  if isinstance(d, dict) and "default" in d}
        requirement.properties.update(properties)
        requirement.interfaces = self._interfaces(full, interfaces_section, path)
        for typedef in reversed(self.types.ancestry("relationship_types", full)):
            artifacts = typedef.get("artifacts")
            if isinstance(artifacts, dict):
                requirement.artifacts.update({k: v for k, v in artifacts.items() if isinstance(v, dict)})

    def _interfaces(self, type_name: str, written: Any, path: tuple) -> dict:
        found: dict = {}
        for typedef in reversed(self.types.ancestry("relationship_types", type_name)):
            merge_interfaces(found, typedef.get("interfaces"), (), typedef.document)
        if written is not None:
            merge_interfaces(found, written, path + ("interfaces",) if path else (), self.template.document_of(path))
        return found

    def _capability(self, target: RawNode, wanted: Any) -> str | None:
        """The target's capability: named outright, or the first whose type
        is (or derives from) the capability type asked for."""
        if not isinstance(wanted, str):
            return None
        if wanted in target.capabilities:
            return wanted
        wanted_type = self.types.find("capability_types", wanted)
        wanted_name = wanted_type.name if wanted_type else wanted
        for name, capability in target.capabilities.items():
            if capability.type and self.types.is_derived_from("capability_types", capability.type, wanted_name):
                return name
        return wanted_name
