"""The types phase: every type a template can name, linked to its parent,
with its definitions merged along the derivation chain, and every type
definition the template's documents write checked.

    types = build_types(template, collector)
    types.find("node_types", "Compute")           # the Type of tosca.nodes.Compute
    types.definitions.properties(compute_type)     # name -> PropertyDef, inherited ones included

The normative types come from the packaged profile of the template's TOSCA
version (``primage_tosca/profiles``), read once per process. A type library
imported by many templates is checked once per process too: its findings are
kept and reported again for the next template that reads the same content.
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


def build_types(template: ServiceTemplate, collector: Any, cache: LibraryFindings = LIBRARY_FINDINGS) -> Types:
    """The types of a readable template (see :attr:`ServiceTemplate.readable`)."""
    names = profile_names(template)
    system = TypeSystem(base=profile_layer(names))
    router = _Router(collector)
    libraries = template.imported_documents()
    context = tuple(sorted((d.file, d.sha256) for d in libraries))
    keys: dict[int, tuple] = {}
    for document in libraries:
        key = (document.file, document.sha256, names, context)
        cached = cache.get(key)
        if cached is not None:
            router.quiet.add(id(document))
            collector.extend(cached)
        else:
            router.recording[id(document)] = []
            keys[id(document)] = key
    own_version = template.dialect.version if template.dialect else V1_0
    for document in libraries:
        dialect = template.dialects.get(id(document))
        system.add_document(document, dialect.version if dialect else own_version,
                            template.prefixes.get(id(document)), report=router)
    system.add_document(template.document, own_version, report=router)
    system.link(router, lambda found: not found.builtin)
    definitions = Definitions(system, router, lambda found: not found.builtin and id(found.document) not in router.quiet)
    values = ValueChecker(definitions, router, is_call_1)
    checker = TypeChecker(system, definitions, values, router)
    for document in libraries:
        dialect = template.dialects.get(id(document))
        if id(document) not in router.quiet:
            check_document(document, dialect.version if dialect else own_version, router)
    for kind in KINDS:
        for found in list(system.own(kind).values()):
            if id(found.document) not in router.quiet:
                checker.check(found)
    for document_id, key in keys.items():
        cache.put(key, router.recording[document_id])
    return Types(system, definitions, values, own_version, names, is_call_1)


__all__ = ["LIBRARY_FINDINGS", "Types", "build_types", "profile_files", "profile_layer", "profile_names"]
