"""The imports phase's product: a template with its fragments composed,
every document it reads, the TOSCA dialect each declares, and the namespace
prefix each was imported under."""

from __future__ import annotations

import os
from typing import Any

from .. import catalog
from ..diagnostics import Diagnostic, Location, Severity
from ..records import field, record
from ..source.document import PARSE_CACHE, Document, ParseCache
from ..source.reader import DEFAULT_LIMITS, Limits
from ..versions import Dialect, dialect_of, known_names
from .compose import ComposedDocument, compose
from .loader import SourceSet, load_sources
from .policy import ImportPolicy

VERSION_KEY = ("tosca_definitions_version",)


@record
class LoadOptions:
    """Everything loading needs besides the path."""

    policy: ImportPolicy = field(default_factory=ImportPolicy)
    limits: Limits = DEFAULT_LIMITS
    cache: ParseCache = PARSE_CACHE
    inputs: dict | None = None  # supplied input values; None when none were supplied
    overlay: dict[str, bytes] = field(default_factory=dict)  # real path -> contents read instead of the file's


@record
class ServiceTemplate:
    document: Document | ComposedDocument
    sources: SourceSet
    parent_sources: list[SourceSet]
    options: LoadOptions
    diagnostics: list[Diagnostic] = field(default_factory=list)
    dialects: dict[int, Dialect] = field(default_factory=dict)  # id(document) -> the dialect it declares
    prefixes: dict[int, str] = field(default_factory=dict)  # id(document) -> its import's namespace_prefix

    @property
    def data(self) -> Any:
        return self.document.data

    @property
    def file(self) -> str:
        return self.sources.root.file

    @property
    def dialect(self) -> Dialect | None:
        """The dialect the template itself declares."""
        return self.dialects.get(id(self.sources.root))

    @property
    def readable(self) -> bool:
        """The template is a mapping in a dialect we know: later phases can read it."""
        return self.sources.root.ok and isinstance(self.data, dict) and self.dialect is not None

    @property
    def complete(self) -> bool:
        """True when every import and parent was found and read, so a missing
        type really is missing and not just in a file we could not load."""
        return self.sources.complete and all(s.complete for s in self.parent_sources)

    def locate(self, path: tuple = (), key: bool = False) -> Location:
        return self.document.locate(tuple(path), key)

    def document_of(self, path: tuple) -> Any:
        """The document ``path`` is written in: a fragment's own file (relative
        file names start there), else the template's."""
        return self.document.owner(path) if hasattr(self.document, "owner") else self.document

    def section(self, *path: str) -> dict:
        node: Any = self.data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    @property
    def topology(self) -> dict:
        return self.section("topology_template")

    @property
    def node_templates(self) -> dict:
        return self.section("topology_template", "node_templates")

    @property
    def inputs(self) -> dict:
        return self.section("topology_template", "inputs")

    @property
    def outputs(self) -> dict:
        return self.section("topology_template", "outputs")

    def all_documents(self) -> list[Document]:
        """Every file read for this template: the root, its imports, parents."""
        found = list(self.sources.documents)
        for parent in self.parent_sources:
            found.extend(d for d in parent.documents if d not in found)
        return found

    def imported_documents(self) -> list[Document]:
        """Every file read but the template itself (and its parents, which are part of it)."""
        parents = {id(p.root) for p in self.parent_sources}
        return [d for d in self.all_documents() if d is not self.sources.root and id(d) not in parents and d.ok]


def parent_roots(path: str, policy: ImportPolicy) -> list[str] | None:
    """Where parents may be read from: the import roots plus the template's
    own folder; None when the policy lets imports go anywhere."""
    if policy.allow_outside_roots:
        return None
    return [*policy.roots, os.path.dirname(os.path.realpath(path))]


def load_template(path: str, options: LoadOptions | None = None, display: str | None = None) -> ServiceTemplate:
    """Read a template, its imports and its parents, and compose them."""
    options = options or LoadOptions()

    def load(p: str) -> SourceSet:
        return load_sources(p, options.policy, options.limits, options.cache, overlay=options.overlay)

    sources = load_sources(path, options.policy, options.limits, options.cache, display=display,
                           overlay=options.overlay)
    diagnostics = list(sources.diagnostics)
    document: Document | ComposedDocument = sources.root
    parent_sets: list[SourceSet] = []
    if sources.root.ok and isinstance(sources.root.data, dict):
        document, parent_sets, problems = compose(sources, load, parent_roots(path, options.policy))
        diagnostics.extend(problems)
    template = ServiceTemplate(document, sources, parent_sets, options, diagnostics)
    read_dialects(template)
    read_prefixes(template)
    return template


def read_dialects(template: ServiceTemplate) -> None:
    """The dialect every document declares, each problem reported once at its file."""
    root = template.sources.root
    for document in template.all_documents():
        if not document.ok:
            continue
        dialect = _dialect(document, template.diagnostics, imported=document is not root)
        if dialect is not None:
            template.dialects[id(document)] = dialect
    _mixed_versions(template)


def _mixed_versions(template: ServiceTemplate) -> None:
    """A TOSCA 2.0 file and a 1.x file cannot import each other: their grammars,
    functions and types differ. Reported at the import, naming both versions."""
    for source in [template.sources, *template.parent_sources]:
        for edge in source.edges:
            importer = template.dialects.get(id(edge.importer))
            target = template.dialects.get(id(edge.target)) if edge.target is not None else None
            if importer is None or target is None or (importer.version.major >= 2) == (target.version.major >= 2):
                continue
            template.diagnostics.append(catalog.make(
                "PT304", f"this TOSCA {importer.version} file imports {edge.reference!r}, a TOSCA "
                f"{target.version} file: TOSCA 2.0 and 1.x files do not import each other",
                edge.importer.locate(edge.path), edge.path,
                "import a file written for the same TOSCA version (a 2.0 profile, or the 1.x types)"))


def _dialect(document: Document, found: list[Diagnostic], imported: bool) -> Dialect | None:
    data = document.data
    what = "an imported file" if imported else "a TOSCA template"
    if not isinstance(data, dict):
        if not imported:  # an import that is not a map is reported by the loader
            found.append(catalog.make("PT101", f"{what} is a mapping of TOSCA keynames, not a "
                                      f"{type(data).__name__}", document.locate(()), ()))
        return None
    if "tosca_definitions_version" not in data:
        # tosca-parser (and so IM) reads an imported file without one as its importer's version
        found.append(catalog.make("PT300", "tosca_definitions_version is missing"
                                  + (": the file is read as its importer's version" if imported else ""),
                                  document.locate(()), (),
                                  "start the file with `tosca_definitions_version: tosca_simple_yaml_1_3`",
                                  severity=Severity.WARNING if imported else None))
        return None
    value = data["tosca_definitions_version"]
    dialect = dialect_of(value)
    if dialect is None:
        found.append(catalog.make("PT301", f"unknown tosca_definitions_version {value!r}",
                                  document.locate(VERSION_KEY), VERSION_KEY,
                                  "known versions: " + ", ".join(known_names())))
    return dialect


def read_prefixes(template: ServiceTemplate) -> None:
    for source in [template.sources, *template.parent_sources]:
        for edge in source.edges:
            if edge.target is not None and edge.namespace_prefix:
                template.prefixes.setdefault(id(edge.target), edge.namespace_prefix)
