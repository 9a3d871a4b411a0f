"""A pinned ``requirements.yml`` from the lock, for ``ansible-galaxy install -r``.

Entries come dependencies first, so ``ansible-galaxy`` finds each role's
dependencies already installed and skips them instead of going online.
With ``from_cache`` every source is the cached archive's path: the file then
installs with no network at all (``ansible-galaxy role install -r FILE`` and
``ansible-galaxy collection install --offline -r FILE``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import yaml

from ..recipe_specs import COLLECTION, GALAXY, GIT, ROLE, URL
from .archive import extract_archive
from .cache import RecipeCache
from .client import DEFAULT_SERVER
from .errors import MissingFromCache
from .lock import Lock, LockEntry

FETCH_HINT = "run `primage-tosca recipes fetch` to download it (it checks the sha256 the lock records)"


def _role(entry: LockEntry, lock: Lock, cache: RecipeCache | None) -> dict:
    version = entry.commit if entry.source == GIT and entry.commit else entry.version
    if cache is not None:
        item = {"src": str(cache.path_for(entry.sha256)), "name": entry.install_name or entry.name}
        if version:
            item["version"] = version
        return item
    if entry.source == GALAXY:
        item = {"src": entry.name, "version": entry.version}
        if entry.install_name:
            item["name"] = entry.install_name
        return item
    if entry.source == GIT:
        return {"src": entry.url, "version": version, "name": entry.name}
    return {"src": entry.url, "name": entry.name}


def _collection(entry: LockEntry, lock: Lock, cache: RecipeCache | None) -> dict:
    if cache is not None and entry.source == GIT:
        return {"name": str(source_tree(entry, cache)), "type": "dir"}
    if cache is not None:
        return {"name": str(cache.path_for(entry.sha256)), "type": "file"}
    if entry.source == URL:
        return {"name": entry.url, "type": "url"}
    if entry.source == GIT:
        return {"name": entry.url, "type": "git", "version": entry.commit or entry.version}
    item = {"name": entry.name, "version": entry.version}
    if lock.server.rstrip("/") != DEFAULT_SERVER:
        item["source"] = lock.server
    return item


def source_tree(entry: LockEntry, cache: RecipeCache) -> Path:
    """A collection from git is a source tree, not a built artifact:
    ``ansible-galaxy`` installs it offline as ``type: dir``. It is extracted
    (safely) from the cached archive into ``<cache>/trees/<sha256>/`` once."""
    tree = cache.root / "trees" / entry.sha256
    if not tree.is_dir():
        extract_archive(cache.path_for(entry.sha256), tree, f"{entry.kind} {entry.label}", strip_root=entry.name)
    return tree


def missing_from_cache(entries: Iterable[LockEntry], cache: RecipeCache) -> list[MissingFromCache]:
    problems = []
    for entry in entries:
        why = cache.check(entry.sha256)
        if why is not None:
            problems.append(MissingFromCache(f"{entry.kind} {entry.label} is {why} in the cache "
                                             f"({cache.path_for(entry.sha256)})", hint=FETCH_HINT))
    return problems


def requirements_data(lock: Lock, keys: Iterable[tuple[str, str]] | None = None,
                      cache: RecipeCache | None = None) -> dict:
    """``{roles: [...], collections: [...]}``; ``cache`` makes every source a
    cached archive (MissingFromCache when one is not there)."""
    chosen = lock.closure(keys) if keys is not None else None
    entries = lock.ordered(chosen)
    if cache is not None:
        from .errors import raise_all

        raise_all(missing_from_cache(entries, cache), "recipes are not in the cache")
    data: dict[str, list] = {"roles": [], "collections": []}
    for entry in entries:
        if entry.kind == ROLE:
            data["roles"].append(_role(entry, lock, cache))
        elif entry.kind == COLLECTION:
            data["collections"].append(_collection(entry, lock, cache))
    return {key: value for key, value in data.items() if value}


def requirements_text(lock: Lock, keys: Iterable[tuple[str, str]] | None = None,
                      cache: RecipeCache | None = None) -> str:
    data = requirements_data(lock, keys, cache)
    where = "the recipe cache (installs with no network)" if cache is not None else f"Galaxy ({lock.server})"
    header = (f"# Pinned from {lock.path or 'recipes.lock'} by `primage-tosca recipes requirements`;\n"
              f"# sources: {where}. Dependencies come first. Regenerate, do not edit.\n")
    if not data:
        return header + "roles: []\n"
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=200)
