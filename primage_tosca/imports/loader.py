"""Loading a template and everything it imports, transitively.

The result, a :class:`SourceSet`, holds every document read (each once), the
import edges between them (where each import is written and what it led to)
and the problems found on the way: a missing or refused import, a cycle, a
file that is not YAML. Loading never stops at the first problem.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

from .. import catalog
from ..diagnostics import Diagnostic
from ..records import field, record, replace
from ..source.document import PARSE_CACHE, Document, ParseCache, load_document
from .policy import ImportPolicy, Resolution, is_url, resolve_profile, resolve_reference, resolve_url
from ..source.reader import DEFAULT_LIMITS, Limits

IMPORT_KEYS = {"file", "repository", "namespace_prefix", "namespace_uri", "profile"}
# TOSCA 2.0 import definitions: a url or a profile name, read into namespace.
IMPORT_KEYS_2 = {"url", "profile", "repository", "namespace", "description", "metadata"}


@record
class ImportEdge:
    importer: Document
    path: tuple  # where the import is written in the importer
    reference: str
    name: str | None = None
    namespace_prefix: str | None = None
    target: Document | None = None


@record
class SourceSet:
    root: Document
    documents: list[Document] = field(default_factory=list)
    edges: list[ImportEdge] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    complete: bool = True  # every import was found and parsed

    def imports_of(self, document: Document) -> list[ImportEdge]:
        return [e for e in self.edges if e.importer is document]

    def imported_documents(self) -> list[Document]:
        return [d for d in self.documents if d is not self.root]


@record(frozen=True)
class ImportEntry:
    """One entry of an ``imports`` list, in any of the forms TOSCA allows."""

    path: tuple
    file: str
    name: str | None = None
    repository: str | None = None
    namespace_prefix: str | None = None
    profile: bool = False  # TOSCA 2.0: ``file`` holds a profile name, not a path or URL


def display_name(real_path: str, url: str | None) -> str:
    if url:
        return url
    relative = os.path.relpath(real_path)
    return real_path if relative.startswith("..") else relative


def parse_import_entries(document: Document) -> tuple[list[ImportEntry], list[Diagnostic]]:
    data = document.data
    imports = data.get("imports") if isinstance(data, dict) else None
    if imports is None:
        return [], []
    if not isinstance(imports, list):
        return [], [catalog.make("PT205", "'imports' must be a list", document.locate(("imports",)), ("imports",))]
    entries, problems = [], []
    version_2 = data.get("tosca_definitions_version") == "tosca_2_0"
    for index, item in enumerate(imports):
        parse = _parse_entry_2 if version_2 else _parse_entry
        entry, problem = parse(item, ("imports", index))
        if entry:
            entries.append(entry)
        if problem:
            problems.append(catalog.make("PT205", problem, document.locate(("imports", index)), ("imports", index),
                                         "write an import as a path or URL, or as `name: {file: ..., repository: ...}`"))
    return entries, problems


def _parse_entry(item: Any, path: tuple) -> tuple[ImportEntry | None, str | None]:
    if isinstance(item, str):
        return ImportEntry(path, item), None
    if not isinstance(item, dict) or not item:
        return None, f"an import must be a string or a mapping, not {type(item).__name__}"
    if ("file" in item or "profile" in item) and set(item) <= IMPORT_KEYS:  # TOSCA 1.2+ form: the definition itself
        return _from_definition(item, path, None)
    if len(item) != 1:
        return None, "a named import is a mapping with exactly one name"
    name, definition = next(iter(item.items()))
    if isinstance(definition, str):
        return ImportEntry(path + (name,), definition, str(name)), None
    if isinstance(definition, dict):
        return _from_definition(definition, path + (name,), str(name))
    return None, f"import {name!r} must name a file, not {type(definition).__name__}"


def _parse_entry_2(item: Any, path: tuple) -> tuple[ImportEntry | None, str | None]:
    """A TOSCA 2.0 import: a url string, or {url | profile, repository, namespace, ...}.
    The 1.x spellings ``file`` and ``namespace_prefix`` are read too, so the
    file loads; the 2.0 grammar reports them with their 2.0 names."""
    if isinstance(item, str) and item:
        return ImportEntry(path, item), None
    if not isinstance(item, dict) or not item:
        return None, f"an import is a url or an import definition, not {type(item).__name__}"
    unknown = set(item) - IMPORT_KEYS_2 - {"file", "namespace_prefix"}
    if unknown:
        return None, f"unknown import keynames {sorted(map(str, unknown))}; allowed: {sorted(IMPORT_KEYS_2)}"
    url = item.get("url", item.get("file"))
    profile, namespace = item.get("profile"), item.get("namespace", item.get("namespace_prefix"))
    if url is not None and profile is not None:
        return None, "an import names a profile or a url, not both"
    if url is None and profile is None:
        return None, "an import definition needs 'url' or 'profile'"
    if profile is not None and (not isinstance(profile, str) or not profile.strip()):
        return None, "'profile' of an import must name a profile, such as org.oasis-open.simple:2.0"
    if url is not None and (not isinstance(url, str) or not url):
        return None, "'url' of an import must be a path or URL"
    if namespace is not None and (not isinstance(namespace, str) or not namespace):
        return None, "'namespace' of an import is a non-empty string"
    repository = item.get("repository")
    if repository is not None and (profile is not None or not isinstance(repository, str)):
        return None, "'repository' of an import is a repository name, only beside a relative 'url'"
    reference = url if url is not None else profile.strip()
    return ImportEntry(path, reference, None, repository, namespace, profile=profile is not None), None


def _from_definition(definition: dict, path: tuple, name: str | None) -> tuple[ImportEntry | None, str | None]:
    unknown = set(definition) - IMPORT_KEYS
    if unknown:
        return None, f"unknown import keys {sorted(map(str, unknown))}; allowed: {sorted(IMPORT_KEYS)}"
    for key in ("repository", "namespace_prefix"):
        if definition.get(key) is not None and not isinstance(definition.get(key), str):
            return None, f"'{key}' of an import must be a string"
    if "profile" in definition:
        return _profile_entry(definition, path, name)
    file = definition.get("file")
    if not isinstance(file, str) or not file:
        return None, "an import definition needs 'file' naming a path or URL"
    return ImportEntry(path, file, name, definition.get("repository"), definition.get("namespace_prefix")), None


def _profile_entry(definition: dict, path: tuple, name: str | None) -> tuple[ImportEntry | None, str | None]:
    profile = definition.get("profile")
    if not isinstance(profile, str) or not profile.strip():
        return None, "'profile' of an import must name a profile, such as org.oasis-open.simple:2.0"
    if "file" in definition or "repository" in definition:
        return None, "an import names either a profile or a file, not both"
    return ImportEntry(path, profile.strip(), name, None, definition.get("namespace_prefix"), profile=True), None


def _repository_url(document: Document, name: str) -> str | None:
    repositories = document.data.get("repositories") if isinstance(document.data, dict) else None
    if not isinstance(repositories, dict) or name not in repositories:
        return None
    definition = repositories[name]
    url = definition.get("url") if isinstance(definition, dict) else definition
    return url.strip() if isinstance(url, str) else None


def resolve_profile_near(name: str, importer: Document, policy: ImportPolicy) -> Resolution:
    """A TOSCA 2.0 profile, by name: the import map's or the package's, else a
    TOSCA file beside the importing file that declares that profile."""
    found = resolve_profile(name, policy)
    if found.ok or not importer.real_path:
        return found
    beside = _profile_beside(name, os.path.dirname(importer.real_path), importer.real_path)
    if beside is None:
        return replace(found, hint=(found.hint or "") + "; or write the profile in a TOSCA file beside this one")
    return Resolution(local_path=beside)


_PROFILE_LINE = re.compile(rb"^profile:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)
_MAX_PROFILE_FILES = 500  # files of a folder looked at for a profile declaration
_PROFILE_HEAD = 16 * 1024  # bytes of each file read to find it


def _profile_beside(name: str, folder: str, importer: str) -> str | None:
    """The YAML file of ``folder`` whose top-level ``profile:`` is ``name`` (the first, by file name)."""
    try:
        entries = sorted(os.listdir(folder))[:_MAX_PROFILE_FILES]
    except OSError:
        return None
    for entry in entries:
        path = os.path.join(folder, entry)
        if not entry.endswith((".yaml", ".yml")) or path == importer or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(_PROFILE_HEAD)
        except OSError:
            continue
        match = _PROFILE_LINE.search(head)
        if match and match.group(1).decode("utf-8", "replace") == name:
            return path
    return None


def repository_import_url(document: Document, entry: ImportEntry) -> str | None:
    """The URL of an import through a repository, or None when the document defines no such repository."""
    base = _repository_url(document, entry.repository or "")
    return None if base is None else base.rstrip("/") + "/" + entry.file.lstrip("/")


class _Loader:
    def __init__(self, policy: ImportPolicy, limits: Limits, cache: ParseCache,
                 overlay: Mapping[str, bytes] | None = None):
        self.policy, self.limits, self.cache, self.overlay = policy, limits, cache, overlay
        self.loaded: dict[str, Document] = {}
        self.active: list[str] = []  # the import chain being followed, for cycle reports

    def run(self, root_path: str, display: str | None) -> SourceSet:
        root = load_document(root_path, display or root_path, self.limits, self.cache, overlay=self.overlay)
        result = SourceSet(root, [root])
        result.diagnostics.extend(root.diagnostics())
        if not root.ok:
            result.complete = False
            return result
        key = root.real_path or root.file
        self.loaded[key] = root
        self.follow(root, key, result)
        return result

    def follow(self, document: Document, key: str, result: SourceSet) -> None:
        if not isinstance(document.data, dict):
            return
        self.active.append(key)
        entries, problems = parse_import_entries(document)
        result.diagnostics.extend(problems)
        result.complete &= not problems
        for entry in entries:
            self.follow_entry(document, entry, result)
        self.active.pop()

    def resolve(self, document: Document, entry: ImportEntry) -> Resolution:
        if entry.profile:
            return resolve_profile_near(entry.file, document, self.policy)
        if entry.repository:
            url = repository_import_url(document, entry)
            if url is None:
                return Resolution(rule="PT205", message=f"import names repository {entry.repository!r}, "
                                  "which 'repositories' does not define")
            return resolve_url(url, self.policy)
        return resolve_reference(entry.file, document.real_path, document.url, self.policy)

    def follow_entry(self, document: Document, entry: ImportEntry, result: SourceSet) -> None:
        edge = ImportEdge(document, entry.path, entry.file, entry.name, entry.namespace_prefix)
        result.edges.append(edge)
        where = document.locate(entry.path)
        try:
            found = self.resolve(document, entry)
        except ValueError as exc:  # urllib refuses a malformed URL (an unclosed '[' in the host)
            found = Resolution(rule="PT205", message=f"import {entry.file!r} is not a valid URL ({exc})",
                               hint="fix the URL")
        if not found.ok:
            result.diagnostics.append(catalog.make(found.rule, found.message, where, entry.path, found.hint))
            result.complete = False
            return
        key = found.local_path
        if key in self.active:
            chain = [self.loaded[k].file for k in self.active[self.active.index(key):]] + [self.loaded[key].file]
            result.diagnostics.append(catalog.make(
                "PT203", "import cycle: " + " -> ".join(chain), where, entry.path,
                "a file cannot import itself, directly or through others: remove one import of the cycle"))
            result.complete = False
            return
        if key in self.loaded:
            edge.target = self.loaded[key]
            return
        url = found.url or (None if not is_url(entry.file) else entry.file)
        target = load_document(key, display_name(key, url), self.limits, self.cache, url=url,
                               overlay=None if url else self.overlay)
        self.loaded[key] = target
        edge.target = target
        result.documents.append(target)
        result.diagnostics.extend(target.diagnostics())
        if not target.ok:
            result.complete = False
            return
        if not isinstance(target.data, dict):
            result.diagnostics.append(catalog.make("PT101", "an imported file must be a mapping of TOSCA "
                                                   "definitions", target.locate(()), ()))
            result.complete = False
            return
        self.follow(target, key, result)


def load_sources(
    path: str,
    policy: ImportPolicy | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cache: ParseCache = PARSE_CACHE,
    display: str | None = None,
    overlay: Mapping[str, bytes] | None = None,
) -> SourceSet:
    """Read ``path`` and all it imports. Local imports may read the
    template's own folder and the policy's roots; a file in ``overlay`` (real
    path -> contents) is read from there."""
    policy = policy or ImportPolicy()
    own = os.path.dirname(os.path.realpath(path))
    if own not in policy.roots:  # configuring a root must not lock a template out of its own folder
        policy = replace(policy, roots=[*policy.roots, own])
    return _Loader(policy, limits, cache, overlay).run(path, display)
