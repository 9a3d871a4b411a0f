"""The copies tosca-parser is given: it writes into what it gets, so the
template and every import it asks for are kept frozen and thawed into a fresh
copy per run, with every import rewritten to the absolute path of the file our
loader resolved."""

from __future__ import annotations

import marshal
import threading
from collections import OrderedDict
from typing import Any, Callable

from ...imports.template import ServiceTemplate
from ...records import record
from ...source.document import Document
from ...imports.loader import IMPORT_KEYS

# ---------------------------------------------------------------------------
# Fast copies
# ---------------------------------------------------------------------------


def plain_copy(value: Any, memo: dict | None = None) -> Any:
    """A copy of YAML data: new dicts, lists and sets, shared leaves. The
    fallback when marshal refuses a value (a YAML timestamp is a datetime)."""
    memo = {} if memo is None else memo
    if isinstance(value, (dict, list, set, tuple)):
        found = memo.get(id(value))
        if found is not None:
            return found
    if isinstance(value, dict):
        mapping: dict = {}
        memo[id(value)] = mapping
        for key, item in value.items():
            mapping[key] = plain_copy(item, memo)
        return mapping
    if isinstance(value, list):
        items: list = []
        memo[id(value)] = items
        items.extend(plain_copy(item, memo) for item in value)
        return items
    if isinstance(value, set):
        return memo.setdefault(id(value), set(value))  # set members are hashable leaves
    if isinstance(value, tuple):
        return memo.setdefault(id(value), tuple(plain_copy(item, memo) for item in value))
    return value


class Frozen:
    """Data kept ready to copy: marshalled bytes when marshal takes it (fast to
    load), else the data itself, copied by :func:`plain_copy` on each thaw."""

    __slots__ = ("blob", "data")

    def __init__(self, data: Any):
        try:
            self.blob: bytes | None = marshal.dumps(data)
            self.data = None
        except ValueError:  # datetime, date, or anything marshal does not know
            self.blob = None
            self.data = data

    def thaw(self) -> Any:
        if self.blob is not None:
            return marshal.loads(self.blob)
        return plain_copy(self.data)


class LazySections(dict):
    """An imported document as served: each top-level section is copied the
    first time tosca-parser reads it. tosca-parser loads every import twice
    per template, the first time only for its relationship types, and never
    reads some sections (artifact types, metadata) at all, so most of the
    copying is saved. Reading through any dict method thaws the section;
    only keys, ``in`` and ``len`` look without thawing."""

    def _thawed(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        if isinstance(value, (Frozen, TypeSection)):
            value = value.thaw()
            dict.__setitem__(self, key, value)
        return value

    def _thaw_all(self) -> None:
        for key in list(dict.keys(self)):
            self._thawed(key)

    def __getitem__(self, key: Any) -> Any:
        return self._thawed(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._thawed(key) if dict.__contains__(self, key) else default

    def items(self):  # type: ignore[override]
        self._thaw_all()
        return dict.items(self)

    def values(self):  # type: ignore[override]
        self._thaw_all()
        return dict.values(self)

    def copy(self) -> dict:
        self._thaw_all()
        return dict(dict.items(self))

    def pop(self, key: Any, *default: Any) -> Any:
        if dict.__contains__(self, key):
            self._thawed(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self._thawed(key)
        return dict.setdefault(self, key, default)

    def __reduce_ex__(self, protocol: Any) -> Any:  # copy.deepcopy and pickle see plain data
        return (dict, (self.copy(),))


# Sections of type definitions. tosca-parser 2.15 writes into them at one
# depth only: EntityType.get_definition merges a parent's properties,
# attributes, requirements... into the child's own keyword mapping
# (``value.update(inherited)`` on ``node_types[T]['properties']``). Every
# other place copies before it changes anything (get_value, interfaces,
# relationship templates). So these sections are copied down to the keyword
# values of each type and share what lies below (property definitions,
# constraints): about a third of the cost of a full marshal copy.
# tests/test_toscaparser_bridge.py checks over the corpus that no parsed
# document changes, should a later tosca-parser write deeper.
TYPE_SECTIONS = frozenset({
    "node_types", "capability_types", "relationship_types", "data_types", "artifact_types",
    "interface_types", "policy_types", "group_types",
})


class TypeSection:
    """A type section kept ready to serve: thawed by copying each type and
    each of its keyword values, sharing what lies deeper."""

    __slots__ = ("data",)

    def __init__(self, data: dict):
        self.data = data

    def thaw(self) -> dict:
        return {name: _copy_type(definition) for name, definition in self.data.items()}


def _copy_type(definition: Any) -> Any:
    if not isinstance(definition, dict):
        return plain_copy(definition)
    return {key: (dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value)
            for key, value in definition.items()}


class FrozenDocument:
    """An imported document kept ready to serve, section by section, each
    thawed lazily (see :class:`LazySections`): type sections as
    :class:`TypeSection`, anything else (imports, a nested topology) as a
    full :class:`Frozen` copy."""

    __slots__ = ("sections",)

    def __init__(self, data: dict):
        self.sections = {key: _freeze_section(key, value) for key, value in data.items()}

    def thaw(self) -> dict:
        return LazySections(self.sections)


def _freeze_section(key: Any, value: Any) -> Any:
    if key in TYPE_SECTIONS and isinstance(value, dict):
        return TypeSection(value)
    if isinstance(value, (dict, list)):
        return Frozen(value)
    return value


class FrozenCache:
    """Frozen copies of imported documents, keyed by content hash and the way
    their imports were rewritten. Bounded: a long-lived process keeps the most
    recently used ones."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict[tuple, FrozenDocument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], dict]) -> FrozenDocument:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        frozen = FrozenDocument(make())
        with self._lock:
            self._items[key] = frozen
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return frozen


FROZEN = FrozenCache()


# ---------------------------------------------------------------------------
# Imports rewritten to the files our loader resolved
# ---------------------------------------------------------------------------

TargetLookup = Callable[[tuple], "Document | None"]


def rewrite_entry(item: Any, path: tuple, target_of: TargetLookup) -> Any:
    """One ``imports`` entry with its file replaced by the absolute path of the
    document it led to. The entry keeps its shape (and namespace_prefix), so
    tosca-parser judges the same import the author wrote; ``repository`` goes,
    since the file it named is already resolved."""
    if isinstance(item, str):
        target = target_of(path)
        return target.real_path if target is not None else item
    if not isinstance(item, dict):
        return item
    if "file" in item and set(item) <= IMPORT_KEYS:  # TOSCA 1.2+ unnamed definition
        return _rewrite_definition(item, target_of(path))
    if len(item) != 1:
        return item
    name, definition = next(iter(item.items()))
    target = target_of(path + (name,))
    if isinstance(definition, str):
        return {name: target.real_path} if target is not None else item
    if isinstance(definition, dict):
        return {name: _rewrite_definition(definition, target)}
    return item


def _rewrite_definition(definition: dict, target: Document | None) -> dict:
    if target is None:
        return definition
    rewritten = {key: value for key, value in definition.items() if key != "repository"}
    rewritten["file"] = target.real_path
    return rewritten


def rewrite_imports(imports: Any, owners: list[Document], targets: dict) -> Any:
    """``imports`` (of one document, or merged from a fragment and its parents)
    with every entry rewritten. An entry is traced back to the document that
    wrote it, since the import edges are recorded per writer and index."""
    if not isinstance(imports, list):
        return imports
    rewritten = []
    for index, item in enumerate(imports):
        owner, position = _writer_of(item, index, owners)
        if owner is None:
            rewritten.append(item)
            continue
        rewritten.append(rewrite_entry(item, ("imports", position),
                                       lambda path, owner=owner: targets.get((id(owner), path))))
    return rewritten


def _writer_of(item: Any, index: int, owners: list[Document]) -> tuple[Document | None, int]:
    for exact in (True, False):  # the same object first; an equal entry after merging
        for owner in owners:
            written = owner.data.get("imports") if isinstance(owner.data, dict) else None
            if not isinstance(written, list):
                continue
            if exact and index < len(written) and written[index] is item:
                return owner, index
            if not exact:
                for position, candidate in enumerate(written):
                    if candidate == item:
                        return owner, position
    return None, -1


@record
class Prepared:
    """What tosca-parser gets: the template's data with imports rewritten,
    and the imported documents it may ask for, by absolute path."""

    template: Frozen
    files: dict[str, FrozenDocument]


def prepare(template: ServiceTemplate, cache: FrozenCache = FROZEN) -> Prepared:
    source_sets = [template.sources, *template.parent_sources]
    targets: dict[tuple, Document] = {}
    for sources in source_sets:
        for edge in sources.edges:
            if edge.target is not None:
                targets[(id(edge.importer), tuple(edge.path))] = edge.target
    files = {real_path: _freeze_document(document, targets, cache)
             for real_path, document in imported_documents(template).items() if isinstance(document.data, dict)}
    data = template.data
    owners = [sources.root for sources in source_sets]
    rewritten = dict(data)
    if "imports" in data:
        rewritten["imports"] = rewrite_imports(data["imports"], owners, targets)
    return Prepared(Frozen(rewritten), files)


def imported_documents(template: ServiceTemplate) -> dict[str, Document]:
    """The documents the template and its parents import, by absolute path."""
    found: dict[str, Document] = {}
    for sources in (template.sources, *template.parent_sources):
        for document in sources.imported_documents():
            if document.real_path:
                found.setdefault(document.real_path, document)
    return found


def _freeze_document(document: Document, targets: dict, cache: FrozenCache) -> FrozenDocument:
    data = document.data
    imports = rewrite_imports(data.get("imports"), [document], targets)

    def make() -> dict:
        if "imports" not in data:
            return data
        rewritten = dict(data)
        rewritten["imports"] = imports
        return rewritten

    if not document.sha256:  # not read from bytes: nothing safe to key a cache entry by
        return FrozenDocument(make())
    return cache.get((document.sha256, repr(imports)), make)
