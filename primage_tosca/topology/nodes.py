"""One node template as raw data: its type chain, and its properties,
capabilities, artifacts and interfaces with the type's definitions merged in
(defaults first, the template's own values winning). Functions are not
evaluated here; :mod:`.build` does that once every node is known."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .typeview import TypeView

NODE_TEMPLATES = ("topology_template", "node_templates")

# Interface names as written, and the interface each one means.
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
# Keys of an interface definition that are not operations.
INTERFACE_KEYWORDS = frozenset({"type", "inputs", "description", "notifications", "derived_from", "metadata"})


@dataclass
class Operation:
    """An interface operation: where its implementation is, and its inputs."""

    implementation: Any = None  # a string, or a map {primary: ..., dependencies: [...]}
    inputs: dict = field(default_factory=dict)
    path: tuple = ()  # where it is written in the template; () when only a type defines it
    origin: Any = None  # the document that wrote the implementation (for relative paths)

    @property
    def written(self) -> bool:
        return bool(self.path)


@dataclass
class Capability:
    name: str
    type: str | None
    properties: dict
    written: set  # property names the template itself assigns
    path: tuple


@dataclass
class RawNode:
    """A node template with its type's definitions merged in."""

    name: str
    index: int
    path: tuple
    type: str | None  # the type's full name, or the name as written when unknown
    ancestry: list[str]  # the type and its ancestors, nearest first
    template: dict
    property_defs: dict
    properties: dict  # defaults, then the template's values
    written: set  # property names the template assigns
    attribute_defs: dict
    capabilities: dict[str, Capability]
    artifacts: dict[str, dict]
    interfaces: dict[str, dict[str, Operation]]
    requirement_defs: dict

    def is_a(self, base: str) -> bool:
        return base in self.ancestry


def read_node(name: str, index: int, template: Any, types: TypeView, owner: Any) -> RawNode:
    """Merge a node template with its type's definitions. ``owner`` is the
    document the node template is written in (a fragment's own file):
    relative implementation paths start there."""
    template = template if isinstance(template, dict) else {}
    path = NODE_TEMPLATES + (name,)
    written_type = template.get("type")
    typedef = types.find("node_types", written_type)
    type_name = typedef.name if typedef else (written_type if isinstance(written_type, str) else None)
    if typedef:
        ancestry = [t.name for t in types.ancestry("node_types", type_name)]
    else:
        ancestry = [type_name] if type_name else []
    property_defs = _chain(types, type_name, "properties") if typedef else {}
    defaults = types.memo(("property defaults", type_name), lambda: _defaults(property_defs))
    properties, written = _assigned(defaults, template.get("properties"))
    return RawNode(
        name=name, index=index, path=path, type=type_name, ancestry=ancestry, template=template,
        property_defs=property_defs, properties=properties, written=written,
        attribute_defs=_chain(types, type_name, "attributes") if typedef else {},
        capabilities=_capabilities(types, type_name, template.get("capabilities"), path),
        artifacts=_artifacts(types, type_name, template.get("artifacts")),
        interfaces=_interfaces(types, type_name, template.get("interfaces"), path, owner),
        requirement_defs=_chain(types, type_name, "requirements") if typedef else {},
    )


def _chain(types: TypeView, type_name: str | None, section: str, kind: str = "node_types") -> dict:
    return types.lookup_in_chain(kind, type_name, section) if type_name else {}


def _defaults(definitions: dict) -> dict:
    """The default values of property definitions."""
    return {name: d["default"] for name, d in definitions.items() if isinstance(d, dict) and "default" in d}


def _assigned(defaults: dict, values: Any) -> tuple[dict, set]:
    """The defaults, then the assigned values on top; and the names assigned."""
    merged = dict(defaults)
    written: set = set()
    if isinstance(values, dict):
        merged.update(values)
        written = set(values)
    return merged, written


def _declared_capabilities(types: TypeView, type_name: str | None) -> dict[str, tuple[str | None, dict]]:
    """Capability name -> (capability type, default property values), as
    the node type declares them."""
    declared = {}
    for name, definition in _chain(types, type_name, "capabilities").items():
        cap_type = definition if isinstance(definition, str) else (
            definition.get("type") if isinstance(definition, dict) else None)
        captype = types.find("capability_types", cap_type)
        cap_type = captype.name if captype else cap_type
        definitions = _chain(types, cap_type, "properties", "capability_types") if captype else {}
        if isinstance(definition, dict) and isinstance(definition.get("properties"), dict):
            definitions = {**definitions, **definition["properties"]}
        declared[name] = (cap_type, _defaults(definitions))
    return declared


def _capabilities(types: TypeView, type_name: str | None, written: Any, path: tuple) -> dict[str, Capability]:
    declared = types.memo(("capabilities", type_name), lambda: _declared_capabilities(types, type_name))
    written = written if isinstance(written, dict) else {}
    found: dict[str, Capability] = {}
    for name in [*declared, *(n for n in written if n not in declared)]:
        cap_type, defaults = declared.get(name, (None, {}))
        assignment = written.get(name)
        values = assignment.get("properties") if isinstance(assignment, dict) else None
        properties, assigned = _assigned(defaults, values)
        found[name] = Capability(name, cap_type, properties, assigned, path + ("capabilities", name))
    return found


def _artifact(definition: Any) -> dict | None:
    if isinstance(definition, str):
        return {"file": definition}
    if isinstance(definition, dict):
        return dict(definition)
    return None


def _artifact_items(section: Any):
    """Artifacts are a map, or (TOSCA 1.0 style) a list of one-key maps."""
    if isinstance(section, dict):
        yield from section.items()
    elif isinstance(section, list):
        for item in section:
            if isinstance(item, dict):
                yield from item.items()


def _artifacts(types: TypeView, type_name: str | None, written: Any) -> dict[str, dict]:
    found: dict[str, dict] = {}
    chain = types.ancestry("node_types", type_name) if type_name else []
    for typedef in reversed(chain):
        for name, definition in _artifact_items(typedef.get("artifacts")):
            artifact = _artifact(definition)
            if artifact is not None:
                found[name] = artifact
    for name, definition in _artifact_items(written):
        artifact = _artifact(definition)
        if artifact is not None:
            found[name] = artifact
    return found


def interface_key(name: str, definition: Any) -> str:
    """``Standard`` for the lifecycle interface however it is named; other
    interfaces keep their name."""
    if name in INTERFACE_ALIASES:
        return INTERFACE_ALIASES[name]
    declared = definition.get("type") if isinstance(definition, dict) else None
    return INTERFACE_TYPES.get(declared, name) if isinstance(declared, str) else name


def operations(definition: Any) -> dict[str, Any]:
    """The operations of one interface definition (TOSCA 1.3 nests them
    under ``operations``)."""
    if not isinstance(definition, dict):
        return {}
    if isinstance(definition.get("operations"), dict):
        return definition["operations"]
    return {k: v for k, v in definition.items() if k not in INTERFACE_KEYWORDS and k != "operations"}


def merge_operation(base: Operation | None, definition: Any, path: tuple, origin: Any,
                    shared_inputs: dict) -> Operation:
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


def merge_interfaces(found: dict, section: Any, path: tuple, origin: Any) -> None:
    if not isinstance(section, dict):
        return
    for name, definition in section.items():
        if not isinstance(name, str):
            continue
        key = interface_key(name, definition)
        table = found.setdefault(key, {})
        shared = definition.get("inputs") if isinstance(definition, dict) else None
        shared = {k: v for k, v in shared.items()} if isinstance(shared, dict) else {}
        for op_name, op in operations(definition).items():
            op_path = path + (name, op_name) if path else ()
            table[op_name] = merge_operation(table.get(op_name), op, op_path, origin, shared)


def _interfaces(types: TypeView, type_name: str | None, written: Any, path: tuple,
                owner: Any) -> dict[str, dict[str, Operation]]:
    found: dict[str, dict[str, Operation]] = {}
    chain = types.ancestry("node_types", type_name) if type_name else []
    for typedef in reversed(chain):
        merge_interfaces(found, typedef.get("interfaces"), (), typedef.document)
    merge_interfaces(found, written, path + ("interfaces",), owner)
    return found
