"""Looking things up for the editor's features: the template as last
read, the types it sees, and places in files. Positions are (line, column)
from 0, in characters; the server converts them to the client's units."""

from __future__ import annotations

from typing import Any

from ..records import record, replace
from ..typesystem.model import KINDS, Type
from .analysis import Analysis
from .context import Cursor

NODES = ("topology_template", "node_templates")
INPUTS = ("topology_template", "inputs")
OUTPUTS = ("topology_template", "outputs")
RELATIONSHIPS = ("topology_template", "relationship_templates")
SECTIONS = (("inputs", INPUTS), ("node_templates", NODES), ("relationship_templates", RELATIONSHIPS),
            ("groups", ("topology_template", "groups")),
            ("policies", ("topology_template", "policies")), ("outputs", OUTPUTS),
            *((kind, (kind,)) for kind in KINDS), ("functions", ("functions",)))
# The kind of type a `type:` names, by the section its owner sits in.
TYPE_KIND_BY_SECTION = {
    "node_templates": "node_types", "relationship_templates": "relationship_types", "groups": "group_types",
    "policies": "policy_types", "artifacts": "artifact_types", "capabilities": "capability_types",
    "interfaces": "interface_types", "properties": "data_types", "inputs": "data_types",
    "attributes": "data_types", "outputs": "data_types", "entry_schema": "data_types", "key_schema": "data_types",
}
TYPE_KIND_BY_KEY = {"node": "node_types", "capability": "capability_types", "relationship": "relationship_types"}


@record
class Place:
    """A place in a file: its real path (None when it is not a local file), line and column from 0."""

    path: str | None
    line: int
    column: int
    end_column: int


def canonical(cursor: Cursor) -> Cursor:
    """The cursor with TOSCA 2.0's ``service_template`` read as ``topology_template``."""
    return replace(cursor, path=canonical_path(cursor.path))


def canonical_path(path: tuple) -> tuple:
    """A path with TOSCA 2.0's ``service_template`` read as ``topology_template``."""
    path = tuple(path)
    return ("topology_template",) + path[1:] if path[:1] == ("service_template",) else path


def written_path(data: Any, path: tuple) -> tuple:
    """``path`` as the template writes it: ``topology_template`` is
    ``service_template`` in a TOSCA 2.0 file."""
    if path[:1] == ("topology_template",) and isinstance(data, dict) and "topology_template" not in data \
            and "service_template" in data:
        return ("service_template",) + tuple(path[1:])
    return tuple(path)


def template_data(analysis: Analysis | None) -> dict:
    template = analysis.compilation.template if analysis and analysis.compilation else None
    data = template.data if template is not None else None
    return data if isinstance(data, dict) else {}


def section(data: dict, path: tuple) -> dict:
    node: Any = data
    for key in written_path(data, path):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def node_type(analyses: list[Analysis], node: str) -> Type | None:
    """The type of node template ``node``, from the newest analysis that knows it."""
    for analysis in analyses:
        types = analysis.types if analysis else None
        written = section(template_data(analysis), NODES).get(node)
        if types is not None and isinstance(written, dict):
            return types.find("node_types", written.get("type"))
    return None


def types_of(analyses: list[Analysis]) -> Any:
    return next((a.types for a in analyses if a is not None and a.types is not None), None)


def named(analyses: list[Analysis], path: tuple) -> dict:
    """A section of the template (node templates, inputs), from the newest analysis that read one."""
    for analysis in analyses:
        found = section(template_data(analysis), path)
        if found:
            return found
    return {}


def find_type(types: Any, name: str, prefer: tuple[str, ...] = ()) -> Type | None:
    for kind in (*prefer, *KINDS):
        found = types.find(kind, name)
        if found is not None:
            return found
    return None


def preferred_kinds(cursor: Cursor) -> tuple[str, ...]:
    kinds = [k for k in cursor.path if k in KINDS]
    if cursor.key in TYPE_KIND_BY_KEY:
        kinds.insert(0, TYPE_KIND_BY_KEY[cursor.key])
    if cursor.key == "type" and cursor.path:
        by_place = type_kind(cursor.path)
        if by_place:
            kinds.insert(0, by_place)
    return tuple(kinds)


def type_kind(path: tuple[str, ...]) -> str | None:
    """The kind of type a ``type:`` under ``path`` names."""
    if path[-1] in ("entry_schema", "key_schema"):
        return "data_types"
    if len(path) >= 2 and path[-2] in TYPE_KIND_BY_SECTION:
        return TYPE_KIND_BY_SECTION[path[-2]]
    return None


def place_of(document: Any, path: tuple) -> Place | None:
    if document is None or not hasattr(document, "locate"):
        return None
    path = written_path(getattr(document, "data", None), path)
    location = document.locate(path, key=True)
    real = getattr(document, "real_path", None)  # a library imported by URL too, when it is a file here
    name = str(path[-1]) if path else ""
    return Place(real, location.line - 1, location.column - 1, location.column - 1 + len(name))


def value_place(document: Any, path: tuple, name: str) -> Place:
    """Where the value at ``path`` is written, as long as ``name``."""
    location = document.locate(path)
    return Place(document.real_path, location.line - 1, location.column - 1, location.column - 1 + len(name))


def where_text(document: Any, path: tuple) -> str:
    if document is None:
        return ""
    location = document.locate(written_path(getattr(document, "data", None), path), key=True)
    return f"{location.file}:{location.line}"


def definition_at(analyses: list[Analysis], cursor: Cursor) -> tuple[str, Any, str] | None:
    """The property, attribute, capability or requirement definition a key
    of a node template or a type names: (what, definition, owner's name)."""
    types = types_of(analyses)
    path, key = cursor.path, cursor.key
    if key is None or cursor.in_value and cursor.word != key:
        return None
    owner, rest = owner_of(analyses, path)
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


def owner_of(analyses: list[Analysis], path: tuple[str, ...]) -> tuple[Type | None, tuple[str, ...]]:
    """The type whose definitions apply under ``path`` (a node template's or a
    type's own) and the rest of the path below it."""
    types = types_of(analyses)
    if path[:2] == NODES and len(path) >= 3:
        return node_type(analyses, path[2]), path[3:]
    if path and path[0] in KINDS and len(path) >= 2:
        return types.find(path[0], path[1]), path[2:]
    return None, ()


def schema_text(schema: Any) -> str:
    name = str(schema.type_name)
    if schema.entry is not None:
        name += f" of {schema_text(schema.entry)}"
    return name
