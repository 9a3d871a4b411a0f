"""What the server answers, worked out from one analysis of a document and
the cursor read from its text: the outline, hover, go to definition and
completion. Positions here are (line, column) from 0, in characters; the
server converts them to the client's units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterator

from ..functions import FUNCTION_NAMES, is_symbolic, text as value_text
from ..typesystem.grammar import grammar_for
from ..typesystem.model import KIND_WORD, KINDS, PropertyDef, Type
from ..versions import known_names
from .analysis import Analysis
from .context import Cursor

NODES = ("topology_template", "node_templates")
INPUTS = ("topology_template", "inputs")
SECTIONS = (("inputs", INPUTS), ("node_templates", NODES), ("relationship_templates",
            ("topology_template", "relationship_templates")), ("groups", ("topology_template", "groups")),
            ("policies", ("topology_template", "policies")), ("outputs", ("topology_template", "outputs")),
            *((kind, (kind,)) for kind in KINDS))
# The kind of type a `type:` names, by the section its owner sits in.
TYPE_KIND_BY_SECTION = {
    "node_templates": "node_types", "relationship_templates": "relationship_types", "groups": "group_types",
    "policies": "policy_types", "artifacts": "artifact_types", "capabilities": "capability_types",
    "interfaces": "interface_types", "properties": "data_types", "inputs": "data_types",
    "attributes": "data_types", "outputs": "data_types", "entry_schema": "data_types", "key_schema": "data_types",
}
TYPE_KIND_BY_KEY = {"node": "node_types", "capability": "capability_types", "relationship": "relationship_types"}
_GET_INPUT = re.compile(r"get_input\s*:\s*\[?\s*[\w.\-]*$")
_FLOW_START = re.compile(r"\{\s*\$?\w*$")
TOP_LEVEL = ("tosca_definitions_version", "description", "metadata", "imports", "repositories", *KINDS,
             "topology_template")
TOP_LEVEL_2 = ("tosca_definitions_version", "description", "metadata", "imports", "repositories", "profile",
               *KINDS, "service_template")


@dataclass
class Place:
    """A place in a file: its real path (None when it is not a local file), line and column from 0."""

    path: str | None
    line: int
    column: int
    end_column: int


@dataclass
class Item:
    """A completion: what is inserted, what kind of thing it is, and its type and description."""

    label: str
    kind: str  # "type", "property", "requirement", "capability", "input", "function", "keyword", "node", "value"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None


@dataclass
class Symbol:
    name: str
    kind: str  # the section: "inputs", "node_templates", "node_types", ...
    detail: str
    line: int
    column: int
    end_line: int
    children: list["Symbol"]


# -- the template as last read ----------------------------------------------------------------

def canonical(cursor: Cursor) -> Cursor:
    """The cursor with TOSCA 2.0's ``service_template`` read as ``topology_template``."""
    if cursor.path[:1] == ("service_template",):
        return replace(cursor, path=("topology_template",) + cursor.path[1:])
    return cursor


def written_path(data: Any, path: tuple) -> tuple:
    """``path`` as the template writes it: ``topology_template`` is
    ``service_template`` in a TOSCA 2.0 file."""
    if path[:1] == ("topology_template",) and isinstance(data, dict) and "topology_template" not in data \
            and "service_template" in data:
        return ("service_template",) + tuple(path[1:])
    return tuple(path)


def _data(analysis: Analysis | None) -> dict:
    template = analysis.compilation.template if analysis and analysis.compilation else None
    data = template.data if template is not None else None
    return data if isinstance(data, dict) else {}


def _section(data: dict, path: tuple) -> dict:
    node: Any = data
    for key in written_path(data, path):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def node_type(analyses: list[Analysis], node: str) -> Type | None:
    """The type of node template ``node``, from the newest analysis that knows it."""
    for analysis in analyses:
        types = analysis.types if analysis else None
        written = _section(_data(analysis), NODES).get(node)
        if types is not None and isinstance(written, dict):
            return types.find("node_types", written.get("type"))
    return None


def _types(analyses: list[Analysis]) -> Any:
    return next((a.types for a in analyses if a is not None and a.types is not None), None)


def _named(analyses: list[Analysis], path: tuple) -> dict:
    """A section of the template (node templates, inputs), from the newest analysis that read one."""
    for analysis in analyses:
        found = _section(_data(analysis), path)
        if found:
            return found
    return {}


def find_type(types: Any, name: str, prefer: tuple[str, ...] = ()) -> Type | None:
    for kind in (*prefer, *KINDS):
        found = types.find(kind, name)
        if found is not None:
            return found
    return None


def _preferred_kinds(cursor: Cursor) -> tuple[str, ...]:
    kinds = [k for k in cursor.path if k in KINDS]
    if cursor.key in TYPE_KIND_BY_KEY:
        kinds.insert(0, TYPE_KIND_BY_KEY[cursor.key])
    if cursor.key == "type" and cursor.path:
        by_place = _type_kind(cursor.path)
        if by_place:
            kinds.insert(0, by_place)
    return tuple(kinds)


def _type_kind(path: tuple[str, ...]) -> str | None:
    """The kind of type a ``type:`` under ``path`` names."""
    if path[-1] in ("entry_schema", "key_schema"):
        return "data_types"
    if len(path) >= 2 and path[-2] in TYPE_KIND_BY_SECTION:
        return TYPE_KIND_BY_SECTION[path[-2]]
    return None


def _where(document: Any, path: tuple) -> Place | None:
    if document is None or not hasattr(document, "locate"):
        return None
    path = written_path(getattr(document, "data", None), path)
    location = document.locate(path, key=True)
    real = getattr(document, "real_path", None) if getattr(document, "url", None) is None else None
    name = str(path[-1]) if path else ""
    return Place(real, location.line - 1, location.column - 1, location.column - 1 + len(name))


def _where_text(document: Any, path: tuple) -> str:
    if document is None:
        return ""
    location = document.locate(written_path(getattr(document, "data", None), path), key=True)
    return f"{location.file}:{location.line}"


# -- outline ----------------------------------------------------------------------------------

def symbols(analysis: Analysis | None) -> list[Symbol]:
    """Inputs, node templates, outputs, types... of the document, each under its section."""
    template = analysis.compilation.template if analysis and analysis.compilation else None
    if template is None or not isinstance(template.data, dict):
        return []
    parsed = template.sources.root.parsed
    last = _last_lines(parsed)
    found = []
    for section, canonical_path in SECTIONS:
        path = written_path(template.data, canonical_path)
        entries = _section(template.data, path)
        if path not in parsed.keys or not entries:
            continue
        children = []
        for name, value in entries.items():
            line, column = parsed.keys.get(path + (name,), (0, 0))
            detail = value.get("type", "") if isinstance(value, dict) else ""
            end = last.get(path + (name,), line)
            children.append(Symbol(str(name), section, str(detail or ""), line - 1, column - 1, end - 1, []))
        line, column = parsed.keys[path]
        found.append(Symbol(section, section, "", line - 1, column - 1, last.get(path, line) - 1, children))
    return found


def _last_lines(parsed: Any) -> dict[tuple, int]:
    """The last line written under each path of up to three keys."""
    last: dict[tuple, int] = {}
    for table in (parsed.values, parsed.keys):
        for path, (line, _) in table.items():
            for size in (1, 2, 3):
                if len(path) >= size and last.get(path[:size], 0) < line:
                    last[path[:size]] = line
    return last


# -- hover --------------------------------------------------------------------------------------

def hover(analyses: list[Analysis], cursor: Cursor) -> str | None:
    """Markdown about what the cursor is on, or None."""
    cursor = canonical(cursor)
    types = _types(analyses)
    if types is None or not cursor.word:
        return None
    definition = _definition_at(analyses, cursor)
    if definition is not None:
        return _describe_property(*definition)
    if cursor.word.lstrip("$") in FUNCTION_NAMES and cursor.in_value:
        return _describe_call(analyses, cursor)
    inputs = _named(analyses, INPUTS)
    if cursor.word in inputs and (cursor.path == INPUTS or "get_input" in cursor.line):
        return _describe_input(cursor.word, inputs[cursor.word], analyses)
    nodes = _named(analyses, NODES)
    if cursor.word in nodes and (cursor.in_value or cursor.path == NODES):
        return _describe_node(cursor.word, nodes[cursor.word], types)
    found = find_type(types, cursor.word, _preferred_kinds(cursor))
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


def _definition_at(analyses: list[Analysis], cursor: Cursor) -> tuple[str, Any, str] | None:
    """The property, attribute, capability or requirement definition a key
    of a node template or a type names: (what, definition, owner's name)."""
    types = _types(analyses)
    path, key = cursor.path, cursor.key
    if key is None or cursor.in_value and cursor.word != key:
        return None
    owner, rest = _owner(analyses, path)
    if owner is None:
        return None
    definitions = types.definitions
    if rest == ("properties",):
        return "property", definitions.properties(owner).get(key), owner.name
    if rest == ("attributes",):
        return "attribute", definitions.attributes(owner).get(key), owner.name
    if rest == ("requirements",):
        return "requirement", definitions.requirements(owner).get(key), owner.name
    if rest == ("capabilities",):
        return "capability", definitions.capabilities(owner).get(key), owner.name
    if len(rest) == 3 and rest[0] == "capabilities" and rest[2] in ("properties", "attributes"):
        capability = definitions.capabilities(owner).get(rest[1])
        table = getattr(capability, rest[2], None) or {}
        return rest[2][:-1] if rest[2] != "properties" else "property", table.get(key), f"{owner.name}.{rest[1]}"
    return None


def _owner(analyses: list[Analysis], path: tuple[str, ...]) -> tuple[Type | None, tuple[str, ...]]:
    """The type whose definitions apply under ``path`` (a node template's or a
    type's own) and the rest of the path below it."""
    types = _types(analyses)
    if path[:2] == NODES and len(path) >= 3:
        return node_type(analyses, path[2]), path[3:]
    if path and path[0] in KINDS and len(path) >= 2:
        return types.find(path[0], path[1]), path[2:]
    return None, ()


def _describe_property(what: str, definition: Any, owner: str) -> str | None:
    if definition is None:
        return None
    lines = [f"**{definition.name}** ({what} of `{owner}`)"]
    if isinstance(definition, PropertyDef):
        facts = [f"type: `{_schema_text(definition.schema)}`", "required" if definition.required else "optional"]
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
    lines.append(f"defined at {_where_text(definition.document, definition.path)}")
    return "\n\n".join(lines)


def _schema_text(schema: Any) -> str:
    name = str(schema.type_name)
    if schema.entry is not None:
        name += f" of {_schema_text(schema.entry)}"
    return name


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
        lines.append(f"defined at {_where_text(template.sources.root, INPUTS + (name,))}")
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
        lines.append(f"defined at {_where_text(found.document, found.path)}")
    return "\n\n".join(lines)


# -- go to definition ---------------------------------------------------------------------------

def definition(analyses: list[Analysis], cursor: Cursor) -> Place | None:
    """Where the name under the cursor is defined: a type (in imported files
    too), a node template, an input, a property or requirement of a type."""
    cursor = canonical(cursor)
    types = _types(analyses)
    if types is None or not cursor.word:
        return None
    template = next((a.compilation.template for a in analyses if a and a.compilation and a.compilation.template), None)
    root = template.sources.root if template is not None else None
    found = _definition_at(analyses, cursor)
    if found is not None and found[1] is not None:
        return _where(found[1].document, found[1].path)
    if cursor.word in _named(analyses, INPUTS) and "get_input" in cursor.line:
        return _where(root, INPUTS + (cursor.word,))
    if cursor.word in _named(analyses, NODES) and (cursor.in_value or cursor.list_item):
        return _where(root, NODES + (cursor.word,))
    named = find_type(types, cursor.word, _preferred_kinds(cursor))
    if named is not None and named.document is not None:
        return _where(named.document, named.path)
    return None


# -- find references ----------------------------------------------------------------------------

NODE_USES = ("requirements", "get_property", "get_attribute", "$get_property", "$get_attribute", "targets",
             "members")
TYPE_KEYS = ("type", "derived_from", "node", "capability", "relationship", "valid_source_types", "valid_target_types")


def references(analyses: list[Analysis], cursor: Cursor, declaration: bool = True) -> list[Place]:
    """Where the node template, input or type under the cursor is named, in
    the document and the local files it reads."""
    cursor = canonical(cursor)
    analysis = next((a for a in analyses if a.compilation is not None and a.compilation.template is not None), None)
    if analysis is None or not cursor.word:
        return []
    template, name = analysis.compilation.template, cursor.word
    root = template.sources.root
    if name in _named(analyses, NODES) and (cursor.in_value or cursor.path == NODES):
        found = [p for p in _uses(root, name) if any(part in NODE_USES for part in p)]
        return ([_where(root, NODES + (name,))] if declaration else []) + [_value_place(root, p, name) for p in found]
    if name in _named(analyses, INPUTS) and (cursor.path == INPUTS or "get_input" in cursor.line):
        found = [p for p in _uses(root, name) if any(str(part).lstrip("$") == "get_input" for part in p)]
        return ([_where(root, INPUTS + (name,))] if declaration else []) + [_value_place(root, p, name) for p in found]
    types = _types(analyses)
    named = find_type(types, name, _preferred_kinds(cursor)) if types is not None else None
    if named is None:
        return []
    places = [_where(named.document, named.path)] if declaration and named.document is not None else []
    for document in template.all_documents():
        if document.url is None and document.ok:
            places += [_value_place(document, p, name) for p in _uses(document, name)
                       if any(part in TYPE_KEYS for part in p[-2:])]
    return [p for p in places if p is not None and p.path]


def _uses(document: Any, name: str) -> list[tuple]:
    """The paths of the values written as exactly ``name`` in a document."""
    found = []

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,))
        elif value == name and isinstance(value, str):
            found.append(path)

    walk(document.data, ())
    return found


def _value_place(document: Any, path: tuple, name: str) -> Place:
    location = document.locate(path)
    return Place(document.real_path, location.line - 1, location.column - 1, location.column - 1 + len(name))


# -- completion ---------------------------------------------------------------------------------

def complete(analyses: list[Analysis], cursor: Cursor) -> list[Item]:
    """What may be written at the cursor."""
    cursor = canonical(cursor)
    before = cursor.before()
    if cursor.key == "tosca_definitions_version" and not cursor.path and cursor.in_value:
        return [Item(name, "value") for name in known_names()]
    if _GET_INPUT.search(before):
        return [_input_item(name, definition) for name, definition in _named(analyses, INPUTS).items()]
    if _FLOW_START.search(before) and cursor.in_value:
        sign = "$" if cursor.tosca2 else ""
        return [Item(sign + name, "function", insert=f"{sign}{name}: ") for name in sorted(FUNCTION_NAMES)]
    types = _types(analyses)
    if types is None:
        return [Item(key, "keyword", insert=f"{key}: ") for key in _top_level(cursor)] if not cursor.path else []
    if cursor.in_value:
        return list(_value_items(analyses, types, cursor))
    return list(_key_items(analyses, types, cursor))


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
        kind = _type_kind(path)
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
    owner, rest = _owner(analyses, path)
    if owner is None:
        return
    definitions, written = types.definitions, _written(analyses, path)
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


def _written(analyses: list[Analysis], path: tuple) -> set:
    """The keys already written under ``path``, in the newest analysis that read the path."""
    for analysis in analyses:
        found = _section(_data(analysis), path)
        if found:
            return set(found)
    return set()


def _targets(analyses: list[Analysis], types: Any, node: str, requirement: str | None) -> Iterator[Item]:
    """The node templates that can satisfy a requirement: their type is the
    one asked for, or they offer a capability of the type asked for."""
    owner = node_type(analyses, node)
    wanted = types.definitions.requirements(owner).get(requirement) if owner is not None and requirement else None
    for name in _named(analyses, NODES):
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
    detail = _schema_text(definition.schema) + (" (required)" if definition.required and not definition.has_default
                                                 else "")
    return Item(definition.name, what, detail, (definition.description or "").strip(), f"{definition.name}: ")


def _input_item(name: str, definition: Any) -> Item:
    written = definition if isinstance(definition, dict) else {}
    description = written.get("description")
    return Item(str(name), "input", str(written.get("type", "")), description if isinstance(description, str) else "")
