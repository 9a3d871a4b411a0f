"""Hover: what a type, a property, a requirement, an input, a node template
or a function call under the cursor is."""

from __future__ import annotations

from typing import Any

from ..functions import FUNCTION_NAMES, is_symbolic, text as value_text
from ..typesystem.functions2 import BUILT_INS, calls
from ..typesystem.model import KIND_WORD, Type
from .analysis import Analysis
from .context import Cursor
from .lookup import (INPUTS, NODES, OUTPUTS, RELATIONSHIPS, canonical, definition_at, find_type, named, preferred_kinds,
                     schema_text, template_data, types_of, where_text, written_path)


def hover(analyses: list[Analysis], cursor: Cursor) -> str | None:
    """Markdown about what the cursor is on, or None."""
    cursor = canonical(cursor)
    types = types_of(analyses)
    if types is None or not cursor.word:
        return None
    definition = definition_at(analyses, cursor)
    if definition is not None:
        return _describe_property(*definition)
    if (cursor.in_value or cursor.key == cursor.word) and _built_in(cursor):
        return _describe_call(analyses, cursor)
    if cursor.word.startswith("$") and hasattr(types, "function") and types.function(cursor.word[1:]) is not None:
        return _describe_function(cursor.word, types.function(cursor.word[1:]))
    inputs = named(analyses, INPUTS)
    if cursor.word in inputs and (cursor.path == INPUTS or "get_input" in cursor.line):
        return _describe_input(cursor.word, inputs[cursor.word], analyses)
    nodes = named(analyses, NODES)
    if cursor.word in nodes and (cursor.in_value or cursor.path == NODES):
        return _describe_node(cursor.word, nodes[cursor.word], types)
    found = find_type(types, cursor.word, preferred_kinds(cursor))
    return _describe_type(found) if found is not None else None


def _built_in(cursor: Cursor) -> bool:
    """The word is a built-in function: ``$concat`` in TOSCA 2.0, ``concat`` in 1.x."""
    if cursor.tosca2:
        return cursor.word.startswith("$") and cursor.word[1:] in BUILT_INS
    return cursor.word in FUNCTION_NAMES


def _describe_call(analyses: list[Analysis], cursor: Cursor) -> str:
    """A function call's value, when the compiler can work it out (get_input,
    get_property, concat...), else that it is known only once deployed."""
    lines = [f"**{cursor.word}** (function)"]
    path = cursor.full_path
    if cursor.key == cursor.word:
        path = path[:-1]  # a call written as a block: `num_cpus:` then `$get_input: cpus`
    value = _evaluated(analyses[0] if analyses else None, path)
    if value is _UNKNOWN:
        return lines[0]
    if is_symbolic(value) or cursor.tosca2 and next(calls(value), None) is not None:  # a user function's too
        lines.append("its value is known only once the application is deployed")
    else:
        lines.append(f"value: `{value_text(value)}`")
    return "\n\n".join(lines)


_UNKNOWN = object()


def _evaluated(analysis: Analysis | None, path: tuple[str, ...]) -> Any:
    """The evaluated value at ``path``, from the topology: of a node template's property
    (its own, or of one of its capabilities), of an input of an operation of a node or
    relationship template, or of an output."""
    topology = analysis.topology() if analysis is not None else None
    if topology is not None and path[:2] == OUTPUTS and len(path) == 4 and path[3] == "value":
        return (topology.outputs.get(path[2]) or {}).get("value", _UNKNOWN)
    if topology is not None and path[:2] == RELATIONSHIPS and len(path) > 4 and path[3] == "interfaces":
        interfaces = [edge.get("interfaces") or {} for _, _, edge in topology.edges if edge.get("template") == path[2]]
        return _operation_input(interfaces, _written(analysis, path[:5]), path[4:])
    if topology is None or path[:2] != NODES or len(path) < 5 or path[2] not in topology.vertices:
        return _UNKNOWN
    vertex, rest = topology.vertices[path[2]], path[3:]
    if rest[0] == "interfaces":
        return _operation_input([vertex.get("interfaces") or {}], _written(analysis, path[:5]), rest[1:])
    if rest[0] == "capabilities" and len(rest) == 4 and rest[2] == "properties":
        vertex, rest = (vertex.get("capabilities") or {}).get(rest[1]) or {}, rest[2:]
    if rest[0] != "properties" or len(rest) != 2:
        return _UNKNOWN
    return (vertex.get("properties") or {}).get(rest[1], _UNKNOWN)


def _written(analysis: Analysis, path: tuple) -> dict:
    """The template's own writing at ``path`` (a map), or {}."""
    found: Any = template_data(analysis)
    for key in written_path(found, path):
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def _operation_input(interfaces: list[dict], written: dict, rest: tuple) -> Any:
    """An operation input's value, ``rest`` being the path below ``interfaces``: ``(interface,
    operation, inputs, name)``, with ``operations`` before the operation in TOSCA 2.0, or
    ``(interface, inputs, name)`` for an input of every operation. ``interfaces`` are those
    of each use of the template (a relationship template may serve many requirements);
    their values must agree."""
    interface, rest = rest[0], rest[1:]
    rest = rest[1:] if rest[:1] == ("operations",) else rest
    operations = written.get("operations") if isinstance(written.get("operations"), dict) else written
    if len(rest) == 3 and rest[1] == "inputs":
        name, wanted = rest[2], {rest[0]}
    elif len(rest) == 2 and rest[0] == "inputs":  # not the operations that give it a value of their own
        name, wanted = rest[1], None
    else:
        return _UNKNOWN
    values = []
    for found in interfaces:
        for operation, evaluated in (found.get(interface) or {}).items():
            own = operations.get(operation) if isinstance(operations.get(operation), dict) else {}
            overrides = isinstance(own.get("inputs"), dict) and name in own["inputs"]
            if operation in wanted if wanted is not None else not overrides:
                values.append((evaluated.get("inputs") or {}).get(name, _UNKNOWN))
    return values[0] if values and all(v == values[0] for v in values) else _UNKNOWN


def _describe_property(what: str, definition: Any, owner: str) -> str | None:
    if definition is None:
        return None
    lines = [f"**{definition.name}** ({what} of `{owner}`)"]
    if what in ("property", "attribute") and getattr(definition, "schema", None) is not None:
        facts = [f"type: `{schema_text(definition.schema)}`", "required" if definition.required else "optional"]
        if definition.has_default:
            facts.append(f"default: `{value_text(definition.default)}`")
        lines.append(" · ".join(facts))
        if definition.schema.constraints:
            lines.append("constraints: " + ", ".join(f"`{c.operator}: {value_text(c.argument)}`"
                                                     for c in definition.schema.constraints))
        if getattr(definition, "validation", None) is not None:  # TOSCA 2.0
            lines.append(f"validation: `{flow(definition.validation)}`")
    elif what == "requirement":
        facts = [f"capability: `{definition.capability_name}`"]
        facts += [f"node: `{definition.node_name}`"] if definition.node_name else []
        facts += [f"relationship: `{definition.relationship_name}`"] if definition.relationship_name else []
        if definition.occurrences is not None:
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
        if definition.get("validation") is not None:  # TOSCA 2.0
            lines.append(f"validation: `{flow(definition['validation'])}`")
        if isinstance(definition.get("description"), str):
            lines.append(definition["description"].strip())
    template = next((a.compilation.template for a in analyses if a and a.compilation and a.compilation.template), None)
    if template is not None:
        lines.append(f"defined at {where_text(template.sources.root, INPUTS + (name,))}")
    return "\n\n".join(lines)


def flow(value: Any) -> str:
    """A value in YAML's flow style, as a template would write it on one line."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[ " + ", ".join(flow(v) for v in value) + " ]"
    return value_text(value) if value is not None else "null"


def _describe_function(written: str, found: Any) -> str:
    """A user-defined function (TOSCA 2.0): its signatures and description."""
    lines = [f"**{written}** (function)"]
    raw = found.raw if isinstance(found.raw, dict) else {}
    signatures = raw.get("signatures")
    lines += [_signature(s) for s in (signatures if isinstance(signatures, list) else []) if isinstance(s, dict)]
    if isinstance(raw.get("description"), str):
        lines.append(raw["description"].strip())
    lines.append(f"defined at {where_text(found.document, found.path)}")
    return "\n\n".join(lines)


def _signature(signature: dict) -> str:
    """``(integer, string) -> boolean``: a signature's argument and result types."""
    arguments = signature.get("arguments")
    arguments = list(arguments.values()) if isinstance(arguments, dict) else arguments
    names = ", ".join(_type_name(a) for a in (arguments if isinstance(arguments, list) else []))
    return f"`({names}) -> {_type_name(signature.get('result'))}`" + (" (variadic)" if signature.get("variadic") else "")


def _type_name(schema: Any) -> str:
    return str(schema.get("type", "?")) if isinstance(schema, dict) else str(schema or "?")


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
