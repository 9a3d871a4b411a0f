"""The types phase: every type a template can name, linked to its parent,
with its definitions merged along the derivation chain, and every type
definition the template's documents write checked.

    types = build_types(template, collector)
    types.find("node_types", "Compute")           # the Type of tosca.nodes.Compute
    types.definitions.properties(compute_type)     # name -> PropertyDef, inherited ones included

The normative types come from the packaged profile of the template's TOSCA
version (``primage_tosca/profiles``), read once per process. A type library
imported by many templates is checked once per process too: its types are
linked once, in a layer the templates share, and its findings are kept and
reported again for the next template that reads the same content.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from typing import Any, Callable

from ..catalog import Reporter
from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate
from ..profiles import profile_path
from ..records import record
from ..source.document import Document, load_document
from ..versions import V1_0, Version
from .check import TypeChecker, check_document
from .definitions import Definitions
from .grammar import is_call_1
from .model import KINDS, Type
from .namespace import TypeSystem, primitive_layer
from .values import ValueChecker

# Profiles that extend another: the NFV and MEC profiles sit on the 1.0 types.
PROFILE_BASE = {
    "tosca_simple_profile_for_nfv_1_0_0": "tosca_simple_yaml_1_0",
    "tosca_simple_profile_for_mec_1_0_0": "tosca_simple_yaml_1_0",
}
# Loaded on top of every 1.x profile: non-normative types real templates use.
EXTRAS_1 = "tosca_simple_yaml_1_extras.yaml"


@record
class Types:
    """The types phase's product for one template."""

    system: TypeSystem
    definitions: Definitions
    values: ValueChecker
    version: Version  # the template's own TOSCA version
    profile: tuple[str, ...]
    is_call: Callable[[Any], bool]

    def find(self, kind: str, name: Any) -> Type | None:
        return self.system.find(kind, name)

    def is_derived_from(self, kind: str, name: Any, base: str) -> bool:
        """True when ``name`` names a type that is ``base`` or derives from it."""
        found = self.find(kind, name)
        if found is None:
            return False
        target = self.find(kind, base)
        return found.is_a(target if target is not None else base)


def profile_files(name: str) -> list[str]:
    """The packaged files of a profile (its normative types, then the extras
    every 1.x version gets), or the profile definitions tosca-parser ships for
    the NFV and MEC profiles, whose specifications we have no text of."""
    path = profile_path(name)
    if path is not None:
        return [str(path), str(path.parent / EXTRAS_1)]
    kind = {"tosca_simple_profile_for_nfv_1_0_0": "nfv", "tosca_simple_profile_for_mec_1_0_0": "mec"}.get(name)
    spec = importlib.util.find_spec("toscaparser") if kind else None  # found, never imported
    if spec is None or not spec.submodule_search_locations:
        return []
    found = os.path.join(spec.submodule_search_locations[0], "extensions", kind, f"TOSCA_{kind}_definition_1_0_0.yaml")
    return [found] if os.path.isfile(found) else []


_PROFILE_LOCK = threading.Lock()


@lru_cache(maxsize=None)
def _primitives() -> TypeSystem:
    return primitive_layer()


@lru_cache(maxsize=16)
def profile_layer(names: tuple[str, ...]) -> TypeSystem:
    """The normative types of the profiles ``names``, over the primitives; read once per process."""
    with _PROFILE_LOCK:
        layer = TypeSystem(base=_primitives())
        for name in names:
            for path in profile_files(name):
                document = load_document(path, display=f"profile:{os.path.basename(path)}")
                layer.add_document(document, None, builtin=True)
        for table in layer.tables.values():
            for found in table.values():
                found.builtin = True
        layer.link(None, lambda _t: False)
        layer.add_short_names()
        return layer


def profile_names(template: ServiceTemplate) -> tuple[str, ...]:
    """The profiles a template's types sit on: its own dialect's when that
    is a profile of its own (NFV), else the newest 1.x version among the
    files it reads, so a 1.0 template importing a 1.3 library sees 1.3 types."""
    own = template.dialect
    if own is not None and own.profile in PROFILE_BASE:
        return (PROFILE_BASE[own.profile], own.profile)
    newest = max((d for d in template.dialects.values() if d.profile not in PROFILE_BASE),
                 key=lambda d: d.version, default=own)
    return (newest.profile,) if newest is not None and newest.profile else ()


# -- the findings of type libraries, kept per process ------------------------------------------

class LibraryFindings:
    """What checking a type library found, by the library's name, content and
    the contents of the other files beside it, and the profile used."""

    def __init__(self) -> None:
        self._found: dict[tuple, list[Diagnostic]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> list[Diagnostic] | None:
        with self._lock:
            return self._found.get(key)

    def put(self, key: tuple, findings: list[Diagnostic]) -> None:
        with self._lock:
            if len(self._found) > 512:  # a long-lived process (the language server) reads many libraries
                self._found.clear()
            self._found[key] = findings

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


LIBRARY_FINDINGS = LibraryFindings()


@record
class LibraryLayer:
    """The linked types of the libraries one template imports, and their documents."""

    system: TypeSystem
    documents: frozenset  # ids of the documents the types were read from


class LibraryLayers:
    """Library layers, by the profile and each library's name, content, prefix
    and TOSCA version; the few most recent ones (an editor makes a new
    content per keystroke in a library)."""

    def __init__(self, size: int = 8) -> None:
        self._layers: dict[tuple, LibraryLayer] = {}
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> LibraryLayer | None:
        with self._lock:
            found = self._layers.pop(key, None)
            if found is not None:
                self._layers[key] = found  # most recent last
            return found

    def put(self, key: tuple, layer: LibraryLayer) -> None:
        with self._lock:
            self._layers[key] = layer
            while len(self._layers) > self._size:
                del self._layers[next(iter(self._layers))]

    def clear(self) -> None:
        with self._lock:
            self._layers.clear()


LIBRARY_LAYERS = LibraryLayers()


class _Router(Reporter):
    """Reports findings, except about libraries whose findings come from
    the cache, and records the findings of libraries checked afresh."""

    def __init__(self, collector: Any):
        super().__init__(collector)
        self.quiet: set[int] = set()
        self.recording: dict[int, list[Diagnostic]] = {}

    def __call__(self, rule_id: str, message: str, document: Any, path: tuple = (), **kwargs: Any) -> None:
        if id(document) in self.quiet:
            return
        finding = self.place(rule_id, message, document, path, **kwargs)
        self.collector.add(finding)
        recording = self.recording.get(id(document))
        if recording is not None:
            recording.append(finding)


def build_types(template: ServiceTemplate, collector: Any, cache: LibraryFindings = LIBRARY_FINDINGS,
                layers: LibraryLayers | None = None, is_call: Callable[[Any], bool] = is_call_1) -> Types:
    """The types of a readable template (see :attr:`ServiceTemplate.readable`);
    ``is_call`` tells the function calls of its values (a lowered TOSCA 2.0
    template has calls 1.x has no function for)."""
    layers = LIBRARY_LAYERS if layers is None else layers
    names = profile_names(template)
    router = _Router(collector)
    libraries = template.imported_documents()
    # a template that defines a type its libraries name (redefines one, or the
    # parent one derives from) changes what they mean: nothing about them is shared then
    shared = not _entangled(template.document, libraries)
    context = tuple(sorted((d.file, d.sha256) for d in libraries))
    keys: dict[int, tuple] = {}
    for document in libraries if shared else ():
        key = (document.file, document.sha256, names, context)
        cached = cache.get(key)
        if cached is not None:
            router.quiet.add(id(document))
            collector.extend(cached)
        else:
            router.recording[id(document)] = []
            keys[id(document)] = key
    own_version = template.dialect.version if template.dialect else V1_0
    versions = {id(d): (template.dialects[id(d)].version if id(d) in template.dialects else own_version)
                for d in libraries}
    system, fresh = _library_types(template, libraries, versions, names, router, layers if shared else None,
                                   reused=not keys)
    system.add_document(template.document, own_version, report=router)
    system.link(router, lambda found: not found.builtin)
    definitions = Definitions(system, router, lambda found: not found.builtin and id(found.document) not in router.quiet)
    values = ValueChecker(definitions, router, is_call)
    checker = TypeChecker(system, definitions, values, router)
    for document in libraries:
        if id(document) not in router.quiet:
            check_document(document, versions[id(document)], router)
    for layer in (fresh, system):
        for kind in KINDS:
            for found in list(layer.own(kind).values()) if layer is not None else ():
                if id(found.document) not in router.quiet:
                    checker.check(found)
    for document_id, key in keys.items():
        cache.put(key, router.recording[document_id])
    return Types(system, definitions, values, own_version, names, is_call)


def _library_types(template: ServiceTemplate, libraries: list[Document], versions: dict[int, Version],
                   names: tuple[str, ...], router: _Router, layers: LibraryLayers | None,
                   reused: bool) -> tuple[TypeSystem, TypeSystem | None]:
    """The layer the template's own types go in, over its libraries' types, and
    the library layer when it was built just now (its types are checked then).

    With ``layers``, the libraries' types sit in a layer of their own, linked
    once and shared by every template that imports the same contents the same
    way (reused only when their findings are cached too, so they are reported
    again as they were). Without, they go in one layer with the template's."""
    prefixes = [template.prefixes.get(id(d)) for d in libraries]
    if layers is not None and libraries:
        key = (names, tuple((d.file, d.sha256, p, versions[id(d)]) for d, p in zip(libraries, prefixes)))
        found = layers.get(key) if reused else None
        if found is not None:
            router.quiet.update(found.documents)
            return TypeSystem(base=found.system), None
    layer = TypeSystem(base=profile_layer(names))
    for document, prefix in zip(libraries, prefixes):
        layer.add_document(document, versions[id(document)], prefix, report=router)
    if layers is None or not libraries:
        return layer, None  # the template's own types go in this one layer too
    layer.link(router, lambda t: not t.builtin)
    layers.put(key, LibraryLayer(layer, frozenset(id(d) for d in libraries)))
    return TypeSystem(base=layer), layer


def _entangled(document: Document, libraries: list[Document]) -> bool:
    """Whether the template defines a type of a name its libraries write anywhere."""
    data = document.data if isinstance(document.data, dict) else {}
    own = [name for kind in KINDS if isinstance(data.get(kind), dict) for name in data[kind] if isinstance(name, str)]
    if not own or not libraries:
        return False
    written = [_strings_of(d) for d in libraries]
    return any(name in texts or name.partition(":")[2] in texts for texts in written for name in own)


def _strings_of(document: Document) -> frozenset[str]:
    """Every text a document writes, as key or value; once per content."""
    found = _STRINGS.get(document.sha256) if document.sha256 else None
    if found is None:
        texts: set[str] = set()
        stack = [document.data]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                texts.update(k for k in value if isinstance(k, str))
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, str):
                texts.add(value)
        found = frozenset(texts)
        if document.sha256:
            if len(_STRINGS) > 64:
                _STRINGS.clear()
            _STRINGS[document.sha256] = found
    return found


_STRINGS: dict[Any, frozenset[str]] = {}


__all__ = ["LIBRARY_FINDINGS", "LIBRARY_LAYERS", "Types", "build_types", "profile_files", "profile_layer", "profile_names"]
