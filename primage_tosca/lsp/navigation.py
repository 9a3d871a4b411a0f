"""Go to definition and find references: of types (in imported files too),
node templates, inputs, and the properties, capabilities and requirements
types define."""

from __future__ import annotations

from typing import Any

from .analysis import Analysis
from .context import Cursor
from .lookup import (INPUTS, NODES, Place, canonical, definition_at, find_type, named, place_of, preferred_kinds,
                     types_of, value_place)
from .members import Mention, mention_at, mentions


def definition(analyses: list[Analysis], cursor: Cursor) -> Place | None:
    """Where the name under the cursor is defined: a type (in imported files
    too), a node template, an input, a property or requirement of a type."""
    cursor = canonical(cursor)
    types = types_of(analyses)
    if types is None or not cursor.word:
        return None
    template = next((a.compilation.template for a in analyses if a and a.compilation and a.compilation.template), None)
    root = template.sources.root if template is not None else None
    found = definition_at(analyses, cursor)
    if found is not None and found[1] is not None:
        return place_of(found[1].document, found[1].path)
    mention = _mention(analyses, cursor)
    if mention is not None:  # a capability or requirement named in a value: a function, a mapping
        return place_of(mention.definition.document, mention.definition.path)
    if cursor.word in named(analyses, INPUTS) and "get_input" in cursor.line:
        return place_of(root, INPUTS + (cursor.word,))
    if cursor.word in named(analyses, NODES) and (cursor.in_value or cursor.list_item):
        return place_of(root, NODES + (cursor.word,))
    found_type = find_type(types, cursor.word, preferred_kinds(cursor))
    if found_type is not None and found_type.document is not None:
        return place_of(found_type.document, found_type.path)
    function = types.function(cursor.word[1:]) if cursor.word.startswith("$") and hasattr(types, "function") else None
    return place_of(function.document, function.path) if function is not None else None


NODE_USES = ("requirements", "get_property", "get_attribute", "$get_property", "$get_attribute", "targets",
             "members")
TYPE_KEYS = ("type", "derived_from", "node", "capability", "relationship", "valid_source_types", "valid_target_types",
             "valid_source_node_types", "valid_target_node_types", "valid_capability_types",
             "valid_relationship_types", "node_type")
TYPE_LIST_KEYS = ("members", "targets")  # in a group or policy type: types; in a template: templates


def references(analyses: list[Analysis], cursor: Cursor, declaration: bool = True,
               others: list[Analysis] = ()) -> list[Place]:
    """Where the node template, input, type, capability or requirement under the
    cursor is named, in the document and the local files it reads; for a
    capability or requirement, in the ``others`` (other open documents) too."""
    cursor = canonical(cursor)
    analysis = _readable(analyses)
    if analysis is None or not cursor.word:
        return []
    mention = mention_at(analysis, cursor.number, cursor.column, cursor.word)
    if mention is not None:
        return _member_references(analysis, mention, declaration, others)
    template, name = analysis.compilation.template, cursor.word
    root = template.sources.root
    if name in named(analyses, NODES) and (cursor.in_value or cursor.path == NODES):
        found = [p for p in _uses(root, name) if any(part in NODE_USES for part in p)]
        return ([place_of(root, NODES + (name,))] if declaration else []) + [value_place(root, p, name) for p in found]
    if name in named(analyses, INPUTS) and (cursor.path == INPUTS or "get_input" in cursor.line):
        found = [p for p in _uses(root, name) if any(str(part).lstrip("$") == "get_input" for part in p)]
        return ([place_of(root, INPUTS + (name,))] if declaration else []) + [value_place(root, p, name) for p in found]
    types = types_of(analyses)
    found_type = find_type(types, name, preferred_kinds(cursor)) if types is not None else None
    if found_type is None:
        return []
    places = [place_of(found_type.document, found_type.path)] if declaration and found_type.document is not None else []
    for document in template.all_documents():
        if document.url is None and document.ok:
            places += [value_place(document, p, value) for p, value in _names_of(document, types, found_type, name)
                       if _names_a_type(p)]
    return [p for p in places if p is not None and p.path]


def _readable(analyses: list[Analysis]) -> Analysis | None:
    return next((a for a in analyses if a.compilation is not None and a.compilation.template is not None), None)


def _mention(analyses: list[Analysis], cursor: Cursor) -> Mention | None:
    analysis = _readable(analyses)
    return mention_at(analysis, cursor.number, cursor.column, cursor.word) if analysis and cursor.word else None


def _member_references(analysis: Analysis, mention: Mention, declaration: bool,
                       others: list[Analysis]) -> list[Place]:
    """Every place that names the same capability or requirement definition: in the
    document's files, and in the other open documents that read one of them (the
    library that holds the types, say) or the file that defines it."""
    shared = analysis.files | {mention.declaration.path if mention.declaration is not None else None}
    readers = [a for a in others if a is not analysis and a.files & shared]
    places = [mention.declaration] if declaration and mention.declaration is not None else []
    for reader in [analysis, *readers]:
        places += [m.place for m in mentions(reader) if m.key == mention.key]
    unique = {(p.path, p.line, p.column): p for p in places}  # a library read by two documents
    if not declaration and mention.declaration is not None:
        declared = mention.declaration
        unique.pop((declared.path, declared.line, declared.column), None)
    return list(unique.values())


def _names_a_type(path: tuple) -> bool:
    """The value at ``path`` is a type's name, by the keyname it is under."""
    last = path[-2:]
    return any(part in TYPE_KEYS for part in last) or str(path[0]).endswith("_types") and any(
        part in TYPE_LIST_KEYS for part in last)


def _names_of(document: Any, types: Any, found_type: Any, name: str) -> list[tuple[tuple, str]]:
    """Where ``document`` names the type: in TOSCA 2.0 by whatever name means it in that
    file (``simple:Compute`` in a template, ``Compute`` in the profile), in 1.x by its name."""
    if not hasattr(types, "means"):
        return [(p, name) for p in _uses(document, name)]
    return [(p, value) for p, value in _uses(document, None)
            if types.means(document, found_type.kind, value, found_type)]


def _uses(document: Any, name: str | None) -> list:
    """The paths of the values written as exactly ``name`` in a document; with no
    ``name``, (path, value) of every string value."""
    found: list = []

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,))
        elif isinstance(value, str) and name is None:
            found.append((path, value))
        elif value == name and isinstance(value, str):
            found.append(path)

    walk(document.data, ())
    return found
