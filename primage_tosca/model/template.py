"""The template as data: the composed document, its types and its inputs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostic, Location
from ..source.document import PARSE_CACHE, Document, ParseCache
from ..source.imports import ImportPolicy
from ..source.loader import SourceSet, load_sources
from ..source.reader import DEFAULT_LIMITS, Limits
from .compose import ComposedDocument, compose
from .types import TypeRegistry, normative_types


@dataclass
class LoadOptions:
    """Everything loading needs besides the path."""

    policy: ImportPolicy = field(default_factory=ImportPolicy)
    limits: Limits = DEFAULT_LIMITS
    cache: ParseCache = PARSE_CACHE
    inputs: dict | None = None  # supplied input values; None when none were supplied


@dataclass
class ServiceTemplate:
    document: Document | ComposedDocument
    sources: SourceSet
    parent_sources: list[SourceSet]
    types: TypeRegistry
    options: LoadOptions
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def data(self) -> Any:
        return self.document.data

    @property
    def file(self) -> str:
        return self.sources.root.file

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


def build_types(document, sources: list[SourceSet]) -> TypeRegistry:
    registry = TypeRegistry(base=normative_types())
    prefixes: dict[int, str | None] = {}
    for source in sources:
        for edge in source.edges:
            if edge.target is not None:
                prefixes.setdefault(id(edge.target), edge.namespace_prefix)
    for source in sources:
        for imported in source.imported_documents():
            if imported.ok:
                registry.add_document(imported, prefixes.get(id(imported)))
    registry.add_document(document)
    return registry


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
        return load_sources(p, options.policy, options.limits, options.cache)

    sources = load_sources(path, options.policy, options.limits, options.cache, display=display)
    diagnostics = list(sources.diagnostics)
    document: Document | ComposedDocument = sources.root
    parent_sets: list[SourceSet] = []
    if sources.root.ok and isinstance(sources.root.data, dict):
        document, parent_sets, problems = compose(sources, load, parent_roots(path, options.policy))
        diagnostics.extend(problems)
    types = build_types(document, [*parent_sets, sources])
    return ServiceTemplate(document, sources, parent_sets, types, options, diagnostics)
