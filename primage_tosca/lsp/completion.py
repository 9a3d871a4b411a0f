"""Completion: what may be written at the cursor, with the type and
description of each property offered."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..functions import FUNCTION_NAMES
from ..records import record
from ..typesystem.functions2 import BUILT_INS
from ..typesystem.grammar import grammar_for
from ..typesystem.model import KIND_WORD, KINDS, PropertyDef, Type
from ..versions import known_names
from .analysis import Analysis
from .context import Cursor
from .lookup import (INPUTS, NODES, TYPE_KIND_BY_KEY, canonical, named, node_type, owner_of, schema_text,
                     type_kind, types_of)

_GET_INPUT = re.compile(r"get_input\s*:\s*\[?\s*[\w.\-]*$")
_FLOW_START = re.compile(r"\{\s*\$?\w*$")
TOP_LEVEL = ("tosca_definitions_version", "description", "metadata", "imports", "repositories", *KINDS,
             "topology_template")
TOP_LEVEL_2 = ("tosca_definitions_version", "description", "metadata", "imports", "repositories", "profile",
               *KINDS, "service_template")


@record
class Item:
    """A completion: what is inserted, what kind of thing it is, and its type and description."""

    label: str
    kind: str  # "type", "property", "requirement", "capability", "input", "function", "keyword", "node", "value"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None


def complete(analyses: list[Analysis], cursor: Cursor) -> list[Item]:
    """What may be written at the cursor."""
    cursor = canonical(cursor)
    before = cursor.before()
    if cursor.key == "tosca_definitions_version" and not cursor.path and cursor.in_value:
        return [Item(name, "value") for name in known_names()]
    if _GET_INPUT.search(before):
        return [_input_item(name, definition) for name, definition in named(analyses, INPUTS).items()]
    types = types_of(analyses)
    if _FLOW_START.search(before) and cursor.in_value or cursor.tosca2 and cursor.prefix.startswith("$"):
        return _functions(types, cursor.tosca2)
    if types is None:
        return [Item(key, "keyword", insert=f"{key}: ") for key in _top_level(cursor)] if not cursor.path else []
    if cursor.in_value:
        return list(_value_items(analyses, types, cursor))
    return list(_key_items(analyses, types, cursor))


def _functions(types: Any, tosca2: bool) -> list[Item]:
    """The built-in functions, and in TOSCA 2.0 (``$name``) the user-defined ones the file can call."""
    sign, names = ("$", BUILT_INS) if tosca2 else ("", FUNCTION_NAMES)
    found = [Item(sign + name, "function", insert=f"{sign}{name}: ") for name in sorted(names)]
    for name, definition in sorted(types.functions().items()) if hasattr(types, "functions") else []:
        raw = definition.raw if isinstance(definition.raw, dict) else {}
        description = raw.get("description") if isinstance(raw.get("description"), str) else ""
        found.append(Item(f"${name}", "function", "user-defined function", description, f"${name}: "))
    return found


def _top_level(cursor: Cursor) -> tuple[str, ...]:
    return TOP_LEVEL_2 if cursor.tosca2 else TOP_LEVEL


def _value_items(analyses: list[Analysis], types: Any, cursor: Cursor) -> Iterator[Item]:
    path = cursor.path
    if path[:2] == NODES and len(path) in (4, 5) and path[3] == "requirements":
        if len(path) == 4:  # `- host: |`
            yield from _targets(analyses, types, path[2], cursor.key)
            return
        if cursor.key == "node":  # `node: |` under a requirement: a node template or a node type
            yield from _targets(analyses, types, path[2], path[4])
    kind = None
    if cursor.key == "type" and path:
        kind = type_kind(path)
    elif cursor.key == "derived_from" and path and path[0] in KINDS:
        kind = path[0]
    elif cursor.key in TYPE_KIND_BY_KEY:
        kind = TYPE_KIND_BY_KEY[cursor.key]
    if kind is not None:
        yield from (_type_item(t) for t in types.system.all(kind))


def _key_items(analyses: list[Analysis], types: Any, cursor: Cursor) -> Iterator[Item]:
    path = cursor.path
    if not path:
        yield from (Item(key, "keyword", insert=f"{key}: ") for key in _top_level(cursor))
        return
    if path[:2] == NODES and len(path) == 3:
        table = grammar_for(types.version).get("node_template", {})
        yield from (Item(k, "keyword", insert=f"{k}: ") for k, entry in table.items() if entry.in_version(types.version))
        return
    owner, rest = owner_of(analyses, path)
    if owner is None:
        return
    definitions, written = types.definitions, set(named(analyses, path))
    if rest == ("properties",):
        yield from (_property_item(p, "property") for n, p in definitions.properties(owner).items() if n not in written)
    elif rest == ("attributes",):
        yield from (_property_item(p, "attribute") for n, p in definitions.attributes(owner).items() if n not in written)
    elif rest == ("capabilities",):
        for name, capability in definitions.capabilities(owner).items():
            if name not in written:
                yield Item(name, "capability", str(capability.type_name), capability.description or "", f"{name}:")
    elif rest == ("requirements",):
        for name, requirement in definitions.requirements(owner).items():
            yield Item(name, "requirement", f"capability {requirement.capability_name}",
                       requirement.description or "", f"{name}: ")
    elif len(rest) == 3 and rest[0] == "capabilities" and rest[2] in ("properties", "attributes"):
        capability = definitions.capabilities(owner).get(rest[1])
        table = getattr(capability, rest[2], None) or {}
        yield from (_property_item(p, rest[2][:-1]) for n, p in table.items() if n not in written)


def _targets(analyses: list[Analysis], types: Any, node: str, requirement: str | None) -> Iterator[Item]:
    """The node templates that can satisfy a requirement: their type is the
    one asked for, or they offer a capability of the type asked for."""
    owner = node_type(analyses, node)
    wanted = types.definitions.requirements(owner).get(requirement) if owner is not None and requirement else None
    for name in named(analyses, NODES):
        if name == node:
            continue
        target = node_type(analyses, name)
        if wanted is not None and (target is None or not _satisfies(types, target, wanted)):
            continue
        yield Item(str(name), "node", target.name if target is not None else "")


def _satisfies(types: Any, target: Type, wanted: Any) -> bool:
    if wanted.node is not None and not target.is_a(wanted.node):
        return False
    if wanted.capability is None:
        return True
    return any(c.type is not None and c.type.is_a(wanted.capability)
               for c in types.definitions.capabilities(target).values())


def _type_item(found: Type) -> Item:
    return Item(found.name, "type", KIND_WORD.get(found.kind, found.kind), (found.description or "").strip())


def _property_item(definition: PropertyDef, what: str) -> Item:
    detail = schema_text(definition.schema) + (" (required)" if definition.required and not definition.has_default
                                                 else "")
    return Item(definition.name, what, detail, (definition.description or "").strip(), f"{definition.name}: ")


def _input_item(name: str, definition: Any) -> Item:
    written = definition if isinstance(definition, dict) else {}
    description = written.get("description")
    return Item(str(name), "input", str(written.get("type", "")), description if isinstance(description, str) else "")
