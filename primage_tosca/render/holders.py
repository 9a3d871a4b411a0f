"""Which of a rendered node's values can hold a call of one function, so that
a later phase looking for that function (the RADL emitter's get_property and
get_artifact) walks those values only, not every value of every node.

A rendered value comes from the template or from a type. What the template
writes, the render phase already walked: each call it found has its path
(:attr:`Rendered.calls`), and the path leads to the value that holds it.
What a type gives its templates (defaults, operation inputs, artifacts) is
walked once per type, and remembered on the type. A node template whose type
gives such a call, or whose call cannot be placed in one value (a whole
``properties`` map written as a call, a ``copy``), is walked whole, as before.

"Holds a call" is read broadly here: any one-key map with the function's
name, whether or not the walker then counts it; the walker decides that on
the values it is given, so what it finds is what a walk of everything finds.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..typesystem import Types
from ..typesystem.model import Type
from .nodes import NodeTemplate

# What a node template's walkers may read: its section, and the values of its rendered node that come from it.
SECTIONS = ("properties", "capabilities", "artifacts", "interfaces")
REQUIREMENTS = "requirements"


class Holders:
    """For one rendered template and one function name."""

    def __init__(self, rendered: Any, name: str):
        self.name = name
        self.types: Types = rendered.types
        self.by_node: dict[Any, list[tuple]] = {}  # node name -> paths inside it of the calls of ``name``
        # node name -> indexes in its requirements list of those written with such calls (a node template, or
        # its requirements, written as a call has no requirements)
        self.requirements: dict[Any, set] = {}
        for call in rendered.calls:
            path = call.path
            if call.name == name and len(path) > 3 and path[1] == "node_templates":
                if path[3] in SECTIONS:
                    self.by_node.setdefault(path[2], []).append(path[3:])
                elif path[3] == REQUIREMENTS and len(path) > 4:
                    self.requirements.setdefault(path[2], set()).add(path[4])
        self._gives: dict[int, tuple[bool, bool]] = {}  # id of a type -> gives (values, requirements) such calls
        self.written = _node_templates(rendered.template.data)

    def gives(self, owner: Type | None) -> tuple[bool, bool]:
        """Whether a type gives its templates values (and relationship
        interfaces in its requirement definitions) that may hold a call of the
        function (see :func:`type_keys`)."""
        found = self._gives.get(id(owner))  # the types outlive this object: an id is not reused meanwhile
        if found is None:
            found = self._gives[id(owner)] = (self.name in type_keys(self.types, owner),
                                              self.name in type_keys(self.types, owner, REQUIREMENTS))
        return found

    def walks(self, nodes: dict[str, NodeTemplate], requirements: dict[str, list], sections: tuple[str, ...]
              ) -> Iterator[tuple[str, NodeTemplate, list | None, list]]:
        """For each node with something to walk: its name, the node, the
        values of its ``sections`` (see :data:`SECTION_VALUES`) that may hold
        a call of the function (None: all of them, as it cannot be told), and
        those of its resolved ``requirements`` (name -> list) whose values may.
        A requirement has ``index`` (where the node's ``requirements`` list
        writes it), ``relationship_type`` and ``template_name``."""
        gives, by_node, written_in, as_written = self._gives, self.by_node, self.requirements, self.written
        for name, node in nodes.items():
            own = gives.get(id(node.type_def)) or self.gives(node.type_def)
            # the calls' paths lead into the text as written; a copy's template is a merge with its
            # source's text (and a node kept from an earlier run, the text as it was): walked whole
            copied = as_written.get(name) is not node.template
            paths = by_node.get(name)
            values = None if own[0] or copied else _node_values(node, paths, sections) if paths else []
            walked = requirements.get(name) or []
            if walked and not (own[1] or copied):
                written = written_in.get(name, ())
                walked = [r for r in walked if r.template_name is not None or r.index in written
                          or (gives.get(id(r.relationship_type)) or self.gives(r.relationship_type))[0]]
            if values != [] or walked:
                yield name, node, values, walked


def _node_templates(data: Any) -> dict:
    topology = data.get("topology_template") if isinstance(data, dict) else None
    section = topology.get("node_templates") if isinstance(topology, dict) else None
    return section if isinstance(section, dict) else {}


def _node_values(node: NodeTemplate, paths: list[tuple], sections: tuple[str, ...]) -> list | None:
    """The values of ``node`` in ``sections`` that hold the calls at ``paths``
    (inside it); None when a call is in none of them."""
    values: dict[int, Any] = {}
    read: list = []
    found = []
    for path in paths:
        section = path[0]
        if section not in sections:
            continue
        value = _in_place(node, path)
        if value is not None:
            found.append(value)
            continue
        if section not in read:
            read.append(section)
            for value in SECTION_VALUES[section](node):
                values[id(value)] = value
        value = _value_on(node.template, path, values)
        if value is None:
            return None
        found.append(value)
    return found


def _in_place(node: NodeTemplate, path: tuple) -> Any:
    """The value holding the call at ``path`` when the rendered node has the
    template's own value at the place the path names (a property, an
    operation's input: the usual places); else None."""
    section = path[0]
    try:
        if section == "properties" and len(path) > 1:
            value = node.properties.get(path[1])
            return value if value is node.template[section][path[1]] else None
        if section == "interfaces" and len(path) > 4 and path[3] == "inputs":
            operation = node.interfaces[path[1]][path[2]]
            value = operation.inputs.get(path[4])
            return value if value is node.template[section][path[1]][path[2]]["inputs"][path[4]] else None
    except (KeyError, IndexError, TypeError):
        return None
    return None


def _capability_values(node: NodeTemplate) -> list:
    return [value for capability in node.capabilities.values() for value in capability.properties.values()]


def _artifact_values(node: NodeTemplate) -> list:
    return [value for artifact in node.artifacts.values() if isinstance(artifact, dict) for value in artifact.values()]


def _input_values(node: NodeTemplate) -> list:
    return [value for operations in node.interfaces.values() for operation in operations.values()
            for value in operation.inputs.values()]


# The values a node's rendered sections hold, one level down: its properties, its capabilities' properties,
# the keys of its artifacts, its operations' inputs.
SECTION_VALUES = {"properties": lambda node: node.properties.values(), "capabilities": _capability_values,
                  "artifacts": _artifact_values, "interfaces": _input_values}


def _value_on(template: Any, path: tuple, values: dict[int, Any]) -> Any:
    """The first of ``values`` (by id) on ``path`` from ``template``; None when none is."""
    current = template
    try:
        for step in path:
            current = current[step]
            found = values.get(id(current))
            if found is not None:
                return found
    except (KeyError, IndexError, TypeError):
        return None
    return None


def type_keys(types: Types, owner: Type | None, part: str = "values") -> frozenset:
    """The keys of the one-key maps in what a type gives its templates, once
    per type: ``values`` (property and capability property defaults,
    artifacts, operation inputs) or ``requirements`` (the relationship
    interfaces its requirement definitions write)."""
    if owner is None:
        return frozenset()
    memo = owner.memo.get("one_key_maps")
    if memo is None:
        memo = owner.memo["one_key_maps"] = _type_values(types, owner)
    return memo[part]


def _type_values(types: Types, owner: Type) -> dict[str, frozenset]:
    definitions = types.definitions
    values: list = [_defaults(definitions.properties(owner)), list(definitions.artifacts(owner).values()),
                    [o.inputs for d in definitions.interfaces(owner).values() for o in d.operations.values()]]
    requirements: list = []
    if owner.kind == "node_types":
        values.append([_defaults(c.properties) for c in definitions.capabilities(owner).values()])
        requirements = [d.relationship_interfaces for d in definitions.requirements(owner).values()]
    return {"values": one_key_maps(values), "requirements": one_key_maps(requirements)}


def _defaults(definitions: dict) -> dict:
    return {name: d.default for name, d in definitions.items() if d.has_default}


def one_key_maps(value: Any) -> frozenset:
    """The keys of every one-key map in ``value``, at any depth."""
    found = set()
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if len(current) == 1:
                found.add(next(iter(current)))
            stack.extend(v for v in current.values() if isinstance(v, (dict, list)))
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, (dict, list)))
    return frozenset(found)


__all__ = ["Holders", "SECTION_VALUES", "SECTIONS", "type_keys"]
