"""Hover: what a type, a property, a requirement, an input, a node template
or a function call under the cursor is."""

from __future__ import annotations

from typing import Any

from ..functions import FUNCTION_NAMES, is_symbolic, text as value_text
from ..typesystem.model import KIND_WORD, PropertyDef, Type
from .analysis import Analysis
from .context import Cursor
from .lookup import (INPUTS, NODES, canonical, definition_at, find_type, named, preferred_kinds, schema_text,
                     types_of, where_text)


def hover(analyses: list[Analysis], cursor: Cursor) -> str | None:
    """Markdown about what the cursor is on, or None."""
    cursor = canonical(cursor)
    types = types_of(analyses)
    if types is None or not cursor.word:
        return None
    definition = definition_at(analyses, cursor)
    if definition is not None:
        return _describe_property(*definition)
    if cursor.word.lstrip("$") in FUNCTION_NAMES and cursor.in_value:
        return _describe_call(analyses, cursor)
    inputs = named(analyses, INPUTS)
    if cursor.word in inputs and (cursor.path == INPUTS or "get_input" in cursor.line):
        return _describe_input(cursor.word, inputs[cursor.word], analyses)
    nodes = named(analyses, NODES)
    if cursor.word in nodes and (cursor.in_value or cursor.path == NODES):
        return _describe_node(cursor.word, nodes[cursor.word], types)
    found = find_type(types, cursor.word, preferred_kinds(cursor))
    return _describe_type(found) if found is not None else None


def _describe_call(analyses: list[Analysis], cursor: Cursor) -> str:
    """A function call's value, when the compiler can work it out (get_input,
    get_property, concat...), else that it is known only once deployed."""
    lines = [f"**{cursor.word}** (function)"]
    value = _evaluated(analyses[0] if analyses else None, cursor.full_path)
    if value is _UNKNOWN:
        return lines[0]
    if is_symbolic(value):
        lines.append("its value is known only once the application is deployed")
    else:
        lines.append(f"value: `{value_text(value)}`")
    return "\n\n".join(lines)


_UNKNOWN = object()


def _evaluated(analysis: Analysis | None, path: tuple[str, ...]) -> Any:
    """The evaluated value of the node template property at ``path`` (a
    node's own, or of one of its capabilities), from the topology."""
    topology = analysis.compilation.topology if analysis and analysis.compilation else None
    if topology is None or path[:2] != NODES or len(path) < 5 or path[2] not in topology.vertices:
        return _UNKNOWN
    vertex, rest = topology.vertices[path[2]], path[3:]
    if rest[0] == "capabilities" and len(rest) == 4 and rest[2] == "properties":
        vertex, rest = (vertex.get("capabilities") or {}).get(rest[1]) or {}, rest[2:]
    if rest[0] != "properties" or len(rest) != 2:
        return _UNKNOWN
    return (vertex.get("properties") or {}).get(rest[1], _UNKNOWN)


def _describe_property(what: str, definition: Any, owner: str) -> str | None:
    if definition is None:
        return None
    lines = [f"**{definition.name}** ({what} of `{owner}`)"]
    if isinstance(definition, PropertyDef):
        facts = [f"type: `{schema_text(definition.schema)}`", "required" if definition.required else "optional"]
        if definition.has_default:
            facts.append(f"default: `{value_text(definition.default)}`")
        lines.append(" · ".join(facts))
        if definition.schema.constraints:
            lines.append("constraints: " + ", ".join(f"`{c.operator}: {value_text(c.argument)}`"
                                                     for c in definition.schema.constraints))
    elif what == "requirement":
        facts = [f"capability: `{definition.capability_name}`"]
        facts += [f"node: `{definition.node_name}`"] if definition.node_name else []
        facts += [f"relationship: `{definition.relationship_name}`"] if definition.relationship_name else []
        low, high = definition.occurrences
        facts.append(f"occurrences: [{low}, {'UNBOUNDED' if high == float('inf') else int(high)}]")
        lines.append(" · ".join(facts))
    elif what == "capability":
        lines.append(f"type: `{definition.type_name}`")
    if definition.description:
        lines.append(definition.description.strip())
    lines.append(f"defined at {where_text(definition.document, definition.path)}")
    return "\n\n".join(lines)


def _describe_input(name: str, definition: Any, analyses: list[Analysis]) -> str:
    lines = [f"**{name}** (input)"]
    if isinstance(definition, dict):
        facts = [f"type: `{definition.get('type', '?')}`",
                 "optional" if definition.get("required") is False else "required"]
        if "default" in definition:
            facts.append(f"default: `{value_text(definition['default'])}`")
        lines.append(" · ".join(facts))
        if isinstance(definition.get("constraints"), list):
            lines.append("constraints: " + ", ".join(f"`{value_text(c)}`" for c in definition["constraints"]))
        if isinstance(definition.get("description"), str):
            lines.append(definition["description"].strip())
    template = next((a.compilation.template for a in analyses if a and a.compilation and a.compilation.template), None)
    if template is not None:
        lines.append(f"defined at {where_text(template.sources.root, INPUTS + (name,))}")
    return "\n\n".join(lines)


def _describe_node(name: str, written: Any, types: Any) -> str:
    lines = [f"**{name}** (node template)"]
    found = types.find("node_types", written.get("type")) if isinstance(written, dict) else None
    if found is not None:
        lines.append(f"type: `{found.name}`")
    if isinstance(written, dict) and isinstance(written.get("description"), str):
        lines.append(written["description"].strip())
    return "\n\n".join(lines)


def _describe_type(found: Type) -> str:
    lines = [f"**{found.name}** ({KIND_WORD.get(found.kind, found.kind)})",
             " → ".join(f"`{t.name}`" for t in found.ancestry)]
    if found.description:
        lines.append(found.description.strip())
    if found.document is not None:
        lines.append(f"defined at {where_text(found.document, found.path)}")
    return "\n\n".join(lines)
