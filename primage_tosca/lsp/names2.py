"""The types of a TOSCA 2.0 template as its own files name them, for the editor.

The 2.0 checker's name lookup (:mod:`..typesystem.scope2`: namespaces,
profiles, imports by url or profile) gives each name the definition it means
where it is written, so ``simple:Compute`` in a template and ``Compute`` in the
profile's own file are the same type, shown as the profile defines it. The
view answers in the shape the features read for 1.x (``find``, ``ancestry``,
``definitions.properties(owner)``...), and needs no lowering: it serves a
template with errors too.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..records import field, record
from ..typesystem.scope2 import TYPE_KINDS, Found, Scopes
from ..typesystem.values2 import BUILT_IN_TYPES
from ..versions import V2_0

UNBOUNDED = float("inf")


@record(eq=False)
class Type2:
    """A type, by the name it is seen under, and the view that resolves its parents."""

    kind: str
    name: str
    found: Found = field(repr=False)
    view: Any = field(repr=False)

    @property
    def document(self) -> Any:
        return self.found.document

    @property
    def path(self) -> tuple:
        return self.found.path

    @property
    def raw(self) -> dict:
        return self.found.raw if isinstance(self.found.raw, dict) else {}

    @property
    def description(self) -> str | None:
        value = self.raw.get("description")
        return value if isinstance(value, str) else None

    @property
    def ancestry(self) -> tuple["Type2", ...]:
        """The type and its ancestors, nearest first; each ancestor named as its own file names it."""
        chain = self.view.scopes.chain(self.kind, self.found)
        return (self,) + tuple(Type2(self.kind, f.name, f, self.view) for f in chain[1:])

    def is_a(self, other: "Type2 | None") -> bool:
        if other is None or other.kind != self.kind:
            return False
        key = (id(other.found.document), other.found.name)
        return any((id(f.document), f.name) == key for f in self.view.scopes.chain(self.kind, self.found))


@record
class Schema2:
    """A value's type as written, with its entry schema and the built-in type it stands on."""

    type_name: Any
    entry: "Schema2 | None" = None
    primitive: str | None = None
    constraints: tuple = ()  # 2.0 writes a validation clause instead (Definition2.validation)


@record
class Definition2:
    """A property, attribute, parameter, requirement or capability definition, merged along
    its owner's derivation, with the file and path of its nearest writing."""

    name: str
    raw: Any
    document: Any
    path: tuple
    schema: Schema2 | None = None
    # requirements
    capability_name: Any = None
    capability: Type2 | None = None
    node_name: Any = None
    node: Type2 | None = None
    relationship_name: Any = None
    occurrences: tuple | None = None  # count_range, when written
    # capabilities
    type_name: Any = None
    type: Type2 | None = None
    properties: dict = field(default_factory=dict)
    attributes: dict = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default) if isinstance(self.raw, dict) else default

    @property
    def required(self) -> bool:
        return self.get("required", True) is not False

    @property
    def has_default(self) -> bool:
        return isinstance(self.raw, dict) and ("default" in self.raw or "value" in self.raw)

    @property
    def default(self) -> Any:
        return self.get("value", self.get("default"))

    @property
    def validation(self) -> Any:
        return self.get("validation")

    @property
    def description(self) -> str | None:
        value = self.get("description")
        return value if isinstance(value, str) else None


class View2:
    """Name lookup over one 2.0 template's files, seen from its root file."""

    version = V2_0

    def __init__(self, template: Any) -> None:
        documents = [d for d in template.all_documents() if d.ok and isinstance(d.data, dict)
                     and getattr(template.dialects.get(id(d)), "version", None) == V2_0]
        edges = [e for s in [template.sources, *template.parent_sources] for e in s.edges]
        self.scopes = Scopes(documents, edges)
        self.root = template.sources.root
        self.definitions = self
        self.system = self

    # -- names --------------------------------------------------------------------------------
    def find(self, kind: str, name: Any, document: Any = None) -> Type2 | None:
        """The type ``name`` means where it is written (the root file unless ``document``)."""
        found = self.scopes.find(document or self.root, kind, name) if kind in TYPE_KINDS else None
        if found is None and kind == "data_types" and isinstance(name, str) and name in BUILT_IN_TYPES:
            found = Found(name, None, (), {})
        return Type2(kind, name, found, self) if found is not None else None

    def all(self, kind: str) -> list[Type2]:
        """Every type of ``kind`` the root file can name, by the name it can use (the
        built-in data types too)."""
        found = [Type2(kind, name, found, self) for name, found in self.visible(kind).items()]
        if kind == "data_types":
            found += [self.find(kind, name) for name in sorted(BUILT_IN_TYPES)]
        return found

    def functions(self) -> dict[str, Found]:
        """The user-defined functions the root file can call, by name (``ns:name`` too)."""
        return self.visible("functions")

    def function(self, name: str) -> Found | None:
        return self.scopes.find(self.root, "functions", name)

    def visible(self, kind: str) -> dict[str, Found]:
        found: dict[str, Found] = {}
        self._visible(self.root, kind, "", set(), found)
        profile = self.scopes.profile_of.get(id(self.root))
        if profile is not None:
            self._visible(profile, kind, "", set(), found)
        return found

    def _visible(self, document: Any, kind: str, prefix: str, seen: set, found: dict) -> None:
        """As :meth:`Scopes.find` looks names up, the other way round."""
        if id(document) in seen:
            return
        seen.add(id(document))
        for name, definition in self.scopes.defined.get(id(document), {}).get(kind, {}).items():
            found.setdefault(prefix + name, definition)
        for namespace, target in self.scopes.imports.get(id(document), []):
            if namespace is None:
                self._visible(target, kind, prefix, seen, found)
            else:
                self._visible(target, kind, f"{prefix}{namespace}:", set(seen) - {id(target)}, found)

    def means(self, document: Any, kind: str, name: Any, wanted: Type2) -> bool:
        """Whether ``name``, written in ``document``, names the type ``wanted``."""
        found = self.scopes.find(document, kind, name)
        return found is not None and (id(found.document), found.name) == (id(wanted.document), wanted.found.name)

    # -- definitions along a type's derivation ----------------------------------------------------
    def properties(self, owner: Type2) -> dict[str, Definition2]:
        return self._values(owner, "properties")

    def attributes(self, owner: Type2) -> dict[str, Definition2]:
        return self._values(owner, "attributes")

    def requirements(self, owner: Type2) -> dict[str, Definition2]:
        found = {}
        for name, (raw, document, path) in self._merged(owner, "requirements").items():
            raw = raw if isinstance(raw, dict) else {"capability": raw}
            relationship = raw.get("relationship")
            found[name] = Definition2(
                name, raw, document, path,
                capability_name=raw.get("capability"),
                capability=self.find("capability_types", raw.get("capability"), document),
                node_name=raw.get("node"), node=self.find("node_types", raw.get("node"), document),
                relationship_name=relationship.get("type") if isinstance(relationship, dict) else relationship,
                occurrences=_range(raw.get("count_range")))
        return found

    def capabilities(self, owner: Type2) -> dict[str, Definition2]:
        found = {}
        for name, (raw, document, path) in self._merged(owner, "capabilities").items():
            raw = raw if isinstance(raw, dict) else {"type": raw}
            kind = self.find("capability_types", raw.get("type"), document)
            tables = {}
            for section in ("properties", "attributes"):
                tables[section] = {**(self._values(kind, section) if kind is not None else {}),
                                   **self._own_values(raw.get(section), document, path + (section,))}
            found[name] = Definition2(name, raw, document, path, type_name=raw.get("type"), type=kind, **tables)
        return found

    def _values(self, owner: Type2, section: str) -> dict[str, Definition2]:
        return {name: self._value(name, raw, document, path)
                for name, (raw, document, path) in self._merged(owner, section).items()}

    def _own_values(self, items: Any, document: Any, base: tuple) -> dict[str, Definition2]:
        return {name: self._value(name, raw, document, path) for name, raw, path in entries(items, base)}

    def _value(self, name: str, raw: Any, document: Any, path: tuple) -> Definition2:
        return Definition2(name, raw, document, path, schema=self.schema(raw, document))

    def schema(self, raw: Any, document: Any) -> Schema2:
        if not isinstance(raw, dict):
            return Schema2(raw, primitive=self._primitive(raw, document))
        entry = raw.get("entry_schema")
        return Schema2(raw.get("type"), self.schema(entry, document) if entry is not None else None,
                       self._primitive(raw.get("type"), document))

    def _primitive(self, name: Any, document: Any) -> str | None:
        """The built-in type a data type stands on (``integer`` for a type derived from it)."""
        found = self.scopes.find(document, "data_types", name)
        if found is None:
            return name if isinstance(name, str) else None
        return self.scopes.parent_name("data_types", found)

    def _merged(self, owner: Type2, section: str) -> dict[str, tuple[Any, Any, tuple]]:
        """name -> (definition merged along the derivation, file and path of its nearest writing)."""
        result: dict[str, tuple[Any, Any, tuple]] = {}
        for entry in reversed(self.scopes.chain(owner.kind, owner.found)):
            items = entry.raw.get(section) if isinstance(entry.raw, dict) else None
            for name, definition, path in entries(items, entry.path + (section,)):
                before = result.get(name, (None,))[0]
                if isinstance(before, dict) and isinstance(definition, dict):
                    definition = {**before, **definition}
                result[name] = (definition, entry.document, path)
        return result


def entries(items: Any, base: tuple) -> Iterator[tuple[str, Any, tuple]]:
    """(name, definition, path) of a map, or of a list of one-entry maps (requirements)."""
    if isinstance(items, dict):
        for name, raw in items.items():
            if isinstance(name, str):
                yield name, raw, base + (name,)
    elif isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict) and len(item) == 1:
                [(name, raw)] = item.items()
                if isinstance(name, str):
                    yield name, raw, base + (index, name)


def _range(value: Any) -> tuple | None:
    if isinstance(value, list) and len(value) == 2:
        low, high = value
        return (low, UNBOUNDED if high == "UNBOUNDED" else high)
    return None


def is_tosca_2(template: Any) -> bool:
    dialect = getattr(template, "dialect", None)
    return getattr(dialect, "version", None) is not None and dialect.version >= V2_0
