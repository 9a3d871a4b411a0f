"""TOSCA 2.0 names: what each file defines and what its imports bring (6.8.4).

A file's own definitions, then each import: one without ``namespace`` brings
its names (and what it imports that way) into the file's own namespace; one
with ``namespace: ns`` makes them ``ns:Name`` (nested: ``ns:inner:Name``).
"""

from __future__ import annotations

from typing import Any

from ..records import record

TYPE_KINDS = ("artifact_types", "data_types", "capability_types", "interface_types", "relationship_types",
              "node_types", "group_types", "policy_types")
KINDS = TYPE_KINDS + ("functions", "repositories")


@record(frozen=True)
class Found:
    """A definition and where it is written."""

    name: str
    document: Any
    path: tuple
    raw: Any


class Scopes:
    """Name lookup over every file of one template."""

    def __init__(self, documents: list, edges: list) -> None:
        self.defined: dict[int, dict[str, dict[str, Found]]] = {}
        for document in documents:
            self.defined[id(document)] = _definitions(document)
        self.imports: dict[int, list[tuple[str | None, Any]]] = {}
        self.root_imports: dict[int, list[tuple[tuple, Any]]] = {}  # (where written, file) of imports without namespace
        # The files a profile file imports into its own namespace are parts of
        # that profile: each sees the others through the profile file.
        self.profile_of: dict[int, Any] = {}
        for edge in edges:
            if edge.target is not None and id(edge.target) in self.defined:
                self.imports.setdefault(id(edge.importer), []).append((edge.namespace_prefix, edge.target))
                if edge.namespace_prefix is None:
                    self.root_imports.setdefault(id(edge.importer), []).append((edge.path, edge.target))
                if edge.namespace_prefix is None and "profile" in edge.importer.data:
                    self.profile_of.setdefault(id(edge.target), edge.importer)

    def find(self, document: Any, kind: str, name: Any) -> Found | None:
        if not isinstance(name, str) or not name:
            return None
        found = self._find(document, kind, name, set())
        profile = self.profile_of.get(id(document))
        if found is None and profile is not None:
            found = self._find(profile, kind, name, set())
        return found

    def _find(self, document: Any, kind: str, name: str, seen: set) -> Found | None:
        if id(document) in seen:
            return None
        seen.add(id(document))
        found = self.defined.get(id(document), {}).get(kind, {}).get(name)
        if found is not None:
            return found
        prefix, _, rest = name.partition(":")
        for namespace, target in self.imports.get(id(document), []):
            if namespace is None:
                found = self._find(target, kind, name, seen)
            elif rest and namespace == prefix:
                found = self._find(target, kind, rest, set(seen) - {id(target)})
            if found is not None:
                return found
        return None

    def duplicates(self, document: Any, kind: str) -> list[tuple[Found, Found, tuple | None]]:
        """Names of the file's root namespace that two definitions give (6.8.4): (the one a
        lookup finds, the other, the import that brings the other, None for the file's own)."""
        first: dict[str, tuple[Found, tuple | None]] = {}
        found: list[tuple[Found, Found, tuple | None]] = []
        for definition, where in self._root_definitions(document, kind, None, set()):
            seen = first.setdefault(definition.name, (definition, where))[0]
            if seen.document is not definition.document:
                found.append((seen, definition, where))
        return found

    def _root_definitions(self, document: Any, kind: str, where: tuple | None, seen: set):
        """Every definition of ``kind`` in a file's root namespace, the file's own first, each with
        the import of ``document`` that brings it."""
        if id(document) in seen:
            return
        seen.add(id(document))
        for definition in self.defined.get(id(document), {}).get(kind, {}).values():
            yield definition, where
        for path, target in self.root_imports.get(id(document), []):
            yield from self._root_definitions(target, kind, path if where is None else where, seen)

    def chain(self, kind: str, found: Found) -> list[Found]:
        """The type and its ancestors, nearest first; stops at a cycle or an unknown parent."""
        chain, seen = [found], {(id(found.document), found.name)}
        while isinstance(chain[-1].raw, dict) and isinstance(chain[-1].raw.get("derived_from"), str):
            parent = self.find(chain[-1].document, kind, chain[-1].raw["derived_from"])
            if parent is None or (id(parent.document), parent.name) in seen:
                break
            seen.add((id(parent.document), parent.name))
            chain.append(parent)
        return chain

    def parent_name(self, kind: str, found: Found) -> str | None:
        """The last derived_from name of the chain (a built-in type name for data types)."""
        last = self.chain(kind, found)[-1]
        parent = last.raw.get("derived_from") if isinstance(last.raw, dict) else None
        return parent if isinstance(parent, str) else None

    def merged(self, kind: str, found: Found, section: str) -> dict[str, tuple[Any, Any]]:
        """A section (properties, requirements...) merged along the chain:
        name -> (document of the nearest definition, merged definition)."""
        result: dict[str, tuple[Any, Any]] = {}
        for entry in reversed(self.chain(kind, found)):
            items = entry.raw.get(section) if isinstance(entry.raw, dict) else None
            pairs = _pairs(items)
            for name, definition in pairs:
                before = result.get(name, (None, None))[1]
                merged = {**before, **definition} if isinstance(before, dict) and isinstance(definition, dict) \
                    else definition
                result[name] = (entry.document, merged)
        return result


def _pairs(items: Any) -> list[tuple[Any, Any]]:
    """Entries of a map, or of a list of single-key maps (requirements)."""
    if isinstance(items, dict):
        return list(items.items())
    if isinstance(items, list):
        return [next(iter(i.items())) for i in items if isinstance(i, dict) and len(i) == 1]
    return []


def _definitions(document: Any) -> dict[str, dict[str, Found]]:
    data = document.data if isinstance(document.data, dict) else {}
    found: dict[str, dict[str, Found]] = {}
    for kind in KINDS:
        section = data.get(kind)
        if isinstance(section, dict):
            found[kind] = {name: Found(name, document, (kind, name), raw)
                           for name, raw in section.items() if isinstance(name, str) and name}
    return found
