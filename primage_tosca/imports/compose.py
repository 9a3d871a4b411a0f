"""Fragments: templates that name parents in ``metadata.parents``.

The IM Dashboard convention: a fragment adds to one or more parent templates.
Its inputs, node templates and outputs (and policies, groups and type
definitions) are merged by name onto the parent, the fragment's entry winning;
its imports are added to the parent's. Every piece keeps the position of the
file it came from, so a problem in a merged node template points into the
fragment, and one in an inherited input into the parent.
"""

from __future__ import annotations

import os
from typing import Any

from .. import catalog
from ..diagnostics import Diagnostic, Location
from ..records import field, record
from ..source.document import Document
from ..imports.policy import is_within
from ..imports.loader import SourceSet, display_name, load_sources

MERGED_TOPOLOGY_SECTIONS = ("inputs", "node_templates", "outputs", "relationship_templates", "groups")
MERGED_TOP_SECTIONS = (
    "node_types", "capability_types", "relationship_types", "data_types", "artifact_types",
    "interface_types", "policy_types", "group_types", "repositories",
)
MAX_PARENT_DEPTH = 16
MAX_PARENT_LOADS = 64  # parent templates read for one template, all levels together


@record
class ComposedDocument:
    """A template made of pieces of several documents. ``owners`` maps a path
    prefix to the document that wrote it; the longest prefix wins."""

    file: str
    data: Any
    base: Document
    owners: dict[tuple, Document] = field(default_factory=dict)
    real_path: str | None = None
    url: str | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None

    def owner(self, path: tuple) -> Document:
        path = tuple(path)
        for cut in range(len(path), -1, -1):
            found = self.owners.get(path[:cut])
            if found is not None:
                return found
        return self.base

    def has(self, path: tuple) -> bool:
        return self.owner(path).has(path)

    def locate(self, path: tuple = (), key: bool = False) -> Location:
        return self.owner(path).locate(path, key)


def parent_names(document: Document) -> list[str] | None:
    data = document.data
    metadata = data.get("metadata") if isinstance(data, dict) else None
    parents = metadata.get("parents") if isinstance(metadata, dict) else None
    if parents is None:
        return None
    return [parents] if isinstance(parents, str) else parents


def compose(sources: SourceSet, load=load_sources, roots: list[str] | None = None
            ) -> tuple[Any, list[SourceSet], list[Diagnostic]]:
    """Compose ``sources.root`` onto its parents, recursively. Returns the
    document to check (the root itself when it has no parents), the parents'
    source sets (their imports count too) and the problems found. Parents must
    lie under ``roots`` (as imports must) unless ``roots`` is None."""
    return _Composer(load, roots).compose(sources, ())


class _Composer:
    """One composition. It keeps the chain of parents being followed, to stop
    at a cycle, and counts the parents read: files naming each other as
    parents would otherwise be composed once per path through them, which
    grows exponentially."""

    def __init__(self, load, roots: list[str] | None):
        self.load = load
        self.roots = roots
        self.loads = 0

    def compose(self, sources: SourceSet, chain: tuple) -> tuple[Any, list[SourceSet], list[Diagnostic]]:
        root = sources.root
        names = parent_names(root)
        if not names:
            return root, [], []
        where = root.locate(("metadata", "parents"))
        path = ("metadata", "parents")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return root, [], [catalog.make("PT330", "metadata.parents must be a file name or a list of them",
                                           where, path)]
        chain = chain + ((root.real_path, root.file),)
        if len(chain) > MAX_PARENT_DEPTH:
            return root, [], [catalog.make("PT330", f"parents nest deeper than {MAX_PARENT_DEPTH} levels",
                                           where, path)]
        composed: ComposedDocument | None = None
        parent_sets: list[SourceSet] = []
        problems: list[Diagnostic] = []
        folder = os.path.dirname(root.real_path or ".")
        for name in names:
            candidate = os.path.join(folder, name)
            refused = self.refusal(candidate, name, root, chain)
            if refused:
                problems.append(catalog.make("PT330", refused[0], where, path, refused[1]))
                continue
            self.loads += 1
            parent_sources = self.load(display_name(candidate, None))  # named as imports are
            parent_sets.append(parent_sources)
            problems.extend(parent_sources.diagnostics)
            if not parent_sources.root.ok or not isinstance(parent_sources.root.data, dict):
                problems.append(catalog.make("PT330", f"parent template {name!r} cannot be read", where, path))
                continue
            parent_doc, grand_sets, grand_problems = self.compose(parent_sources, chain)
            parent_sets.extend(grand_sets)
            problems.extend(grand_problems)
            composed = merge(composed, parent_doc) if composed else as_composed(parent_doc)
        if composed is None:
            return root, parent_sets, problems
        return merge(composed, root), parent_sets, problems

    def refusal(self, candidate: str, name: str, root: Document, chain: tuple) -> tuple[str, str | None] | None:
        """Why the parent ``candidate`` is not composed (message, hint), or None."""
        real = os.path.realpath(candidate)
        if real == root.real_path:
            return f"template names itself as parent {name!r}", None
        followed = [path for path, _ in chain]
        if real in followed:
            loop = chain[followed.index(real):]
            cycle = [file for _, file in loop] + [loop[0][1]]
            return "parent cycle: " + " -> ".join(cycle), "a template cannot be its own ancestor"
        if not os.path.isfile(candidate):
            return (f"parent template {name!r} not found next to {root.file}",
                    "parents are named relative to the fragment's folder")
        if self.roots is not None and not any(is_within(real, r) for r in self.roots):
            return (f"parent template {name!r} resolves to {real}, outside the allowed roots",
                    "add its folder with --root DIR, or pass --allow-outside-roots")
        if self.loads >= MAX_PARENT_LOADS:
            return f"more than {MAX_PARENT_LOADS} parent templates in all; {name!r} is not read", None
        return None


def as_composed(document) -> ComposedDocument:
    if isinstance(document, ComposedDocument):
        return document
    return ComposedDocument(document.file, _copy_top(document.data), document, {}, document.real_path, document.url)


def _copy_top(data: dict) -> dict:
    """Copy the two levels merging writes to, sharing everything below."""
    copied = dict(data)
    if isinstance(copied.get("topology_template"), dict):
        copied["topology_template"] = dict(copied["topology_template"])
    return copied


def merge(target: ComposedDocument, piece) -> ComposedDocument:
    """Merge ``piece`` (a Document or ComposedDocument) onto ``target`` in place."""
    data = piece.data
    if not isinstance(data, dict):
        return target
    owner_of = piece.owner if isinstance(piece, ComposedDocument) else (lambda _path: piece)
    for key, value in data.items():
        if key == "topology_template" and isinstance(value, dict):
            _merge_topology(target, value, owner_of)
        elif key == "imports" and isinstance(value, list):
            existing = target.data.get("imports") if isinstance(target.data.get("imports"), list) else []
            target.data["imports"] = existing + [i for i in value if i not in existing]
        elif key in MERGED_TOP_SECTIONS and isinstance(value, dict) and isinstance(target.data.get(key), dict):
            target.data[key] = {**target.data[key], **value}
            for name in value:
                target.owners[(key, name)] = owner_of((key, name))
        elif key == "metadata":
            continue  # the fragment's metadata describes the fragment; the parent's stays
        else:
            target.data[key] = value
            target.owners[(key,)] = owner_of((key,))
    target.file, target.real_path, target.url = piece.file, piece.real_path, piece.url
    return target


def _merge_topology(target: ComposedDocument, topology: dict, owner_of) -> None:
    base = target.data.setdefault("topology_template", {})
    if not isinstance(base, dict):
        base = target.data["topology_template"] = {}
    for section, entries in topology.items():
        path = ("topology_template", section)
        if section in MERGED_TOPOLOGY_SECTIONS and isinstance(entries, dict) and isinstance(base.get(section), dict):
            base[section] = {**base[section], **entries}
            for name in entries:
                target.owners[path + (name,)] = owner_of(path + (name,))
        elif section == "policies" and isinstance(entries, list) and isinstance(base.get(section), list):
            base[section] = _merge_named_list(base[section], entries)
            target.owners[path] = owner_of(path)  # list indexes shift: point into the fragment
        else:
            base[section] = entries
            target.owners[path] = owner_of(path)


def _merge_named_list(old: list, new: list) -> list:
    names = {next(iter(item)) for item in new if isinstance(item, dict) and len(item) == 1}
    kept = [item for item in old if not (isinstance(item, dict) and len(item) == 1 and next(iter(item)) in names)]
    return kept + new
