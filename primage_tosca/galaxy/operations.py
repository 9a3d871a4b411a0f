"""What the ``recipes`` commands do, as functions: list, lock, fetch, verify,
requirements. The CLI only parses arguments and prints what these return.

The network is touched in two places only, and only when there is work:
``lock_recipes`` for requests the lock does not already satisfy, and
``fetch_recipes`` for archives the cache does not already hold. Everything
else (list, verify, requirements, and the compiler's ``pin_spec``) reads the
lock and the cache and nothing more.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

from ..config import project_root
from ..recipe_specs import GIT
from ..imports.template import LoadOptions
from ..records import field, record
from .archive import inspect_archive
from .cache import RecipeCache
from .client import Http
from .collect import Collected, Finding, collect
from .errors import (ArchiveError, ChecksumMismatch, LockError, RecipeError, RecipeInputError, StaleLock,
                     raise_all)
from .lock import LOCK_NAME, Lock, LockEntry, default_lock_path, entry_for, load_lock, write_lock
from .requirements import FETCH_HINT, requirements_text
from .resolve import MAX_JOBS, Resolution, Resolver, ResolveSettings

Key = tuple[str, str]


# -- where things are -----------------------------------------------------------------------


def default_recipes_dir() -> Path:
    return project_root() / "recipes"


# -- list --------------------------------------------------------------------------------------


def collect_recipes(paths: Iterable[str | os.PathLike], options: LoadOptions | None = None,
                    recipes_dir: str | os.PathLike | None = None) -> Collected:
    return collect(paths, options, recipes_dir)


def _require_clean(collected: Collected) -> None:
    if collected.errors:
        error = RecipeInputError(
            "cannot collect the recipes:\n" + "\n".join(f"  - {finding}" for finding in collected.errors),
            hint="fix the blueprints first; `primage-tosca recipes list` shows every request")
        error.findings = collected.errors  # type: ignore[attr-defined]
        raise error


# -- lock ----------------------------------------------------------------------------------------


@record
class LockResult:
    resolution: Resolution
    collected: Collected
    path: Path
    written: bool


def lock_recipes(paths: Iterable[str | os.PathLike], options: LoadOptions | None = None, *,
                 lock_path: str | os.PathLike | None = None, recipes_dir: str | os.PathLike | None = None,
                 settings: ResolveSettings | None = None, cache: RecipeCache | None = None,
                 update: bool | Iterable[str] = False) -> LockResult:
    """Collect, resolve what the lock does not already satisfy, write the lock."""
    path = Path(lock_path) if lock_path else default_lock_path()
    collected = collect(paths, options, recipes_dir if recipes_dir is not None else default_recipes_dir())
    _require_clean(collected)
    try:
        previous = load_lock(path, required=False)
    except LockError:
        if update is not True:
            raise
        previous = None  # --update resolves everything again: a broken lock is simply replaced
    resolver = Resolver(settings, cache)
    try:
        resolution = resolver.resolve(collected.requests, collected.local_roles, previous, update)
    finally:
        resolver.close()
    text = resolution.lock.dumps()
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    written = current != text
    if written:
        write_lock(resolution.lock, path)
    resolution.lock.path = path
    return LockResult(resolution, collected, path, written)


# -- fetch ---------------------------------------------------------------------------------------


@record
class FetchResult:
    present: list[LockEntry] = field(default_factory=list)
    fetched: list[LockEntry] = field(default_factory=list)
    requests_made: int = 0


def _chosen(lock: Lock, keys: Iterable[Key] | None) -> list[LockEntry]:
    return lock.ordered(lock.closure(keys) if keys is not None else None)


def fetch_recipes(lock: Lock, *, cache: RecipeCache | None = None, settings: ResolveSettings | None = None,
                  keys: Iterable[Key] | None = None) -> FetchResult:
    """Download into the cache every locked archive it lacks, checking each
    sha256 against the lock. No network when the cache is complete."""
    cache = cache or RecipeCache()
    settings = settings or ResolveSettings()
    result = FetchResult()
    missing: list[LockEntry] = []
    for entry in _chosen(lock, keys):
        why = cache.check(entry.sha256)
        if why is None:
            result.present.append(entry)
            continue
        if why != "missing":
            cache.remove(entry.sha256)  # corrupt: fetch it again
        missing.append(entry)
    if not missing:
        return result
    if settings.offline:
        raise_all([RecipeError(f"{e.kind} {e.label} is not in the cache, and --offline was given",
                               hint="run `primage-tosca recipes fetch` without --offline") for e in missing],
                  "recipes are not in the cache")
    jobs = max(1, min(settings.jobs, MAX_JOBS))
    http = Http(settings.http, pool_size=jobs)
    git_clones = [0]
    lock_ = threading.Lock()

    def fetch_one(entry: LockEntry) -> LockEntry:
        label = f"{entry.kind} {entry.label}"
        try:
            if entry.source == GIT:
                from .git import clone_and_archive

                with lock_:
                    git_clones[0] += 1
                with cache.scratch() as folder:
                    _, content = clone_and_archive(entry.url[len("git+"):], entry.commit or entry.version, entry.name,
                                                   folder, settings.http, settings.limits, label)
                import hashlib

                actual = hashlib.sha256(content).hexdigest()
                _check_sha(entry, actual)
                inspect_archive(content, entry.kind, label, settings.limits)
                cache.store_bytes(content, label)
                return entry
            with cache.scratch() as folder:
                temporary = folder / "download"
                with open(temporary, "wb") as out:
                    actual, _ = http.download(entry.url, out, settings.limits.max_bytes)
                _check_sha(entry, actual)
                inspect_archive(temporary, entry.kind, label, settings.limits)
                cache.store(temporary, entry.sha256, label)
            return entry
        except RecipeError as exc:
            if exc.origin is None:
                exc.origin = str(lock.path or LOCK_NAME)
            raise

    failures: list[RecipeError] = []
    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="fetch") as pool:
            for future in [pool.submit(fetch_one, entry) for entry in missing]:
                try:
                    result.fetched.append(future.result())
                except RecipeError as exc:
                    failures.append(exc)
    finally:
        http.close()
        result.requests_made = http.requests_made + git_clones[0]
    raise_all(failures, "recipes could not be fetched")
    return result


def _check_sha(entry: LockEntry, actual: str) -> None:
    if actual != entry.sha256:
        raise ChecksumMismatch(
            f"{entry.kind} {entry.label}: the archive from {entry.url} has sha256 {actual}, but the lock records "
            f"{entry.sha256}; it changed upstream or the lock was edited; nothing was stored",
            hint=f"if the change is expected, run `primage-tosca recipes lock --update-recipe {entry.name}`")


# -- verify ---------------------------------------------------------------------------------------


@record
class VerifyItem:
    entry: LockEntry
    status: str  # ok | missing | corrupt | unsafe
    detail: str = ""


@record
class VerifyResult:
    items: list[VerifyItem] = field(default_factory=list)
    stale: list[RecipeError] = field(default_factory=list)  # requests the lock does not cover
    unused: list[LockEntry] = field(default_factory=list)  # locked, asked for by none of the blueprints
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.status == "ok" for item in self.items) and not self.stale


def verify_recipes(lock: Lock, *, cache: RecipeCache | None = None, collected: Collected | None = None,
                   settings: ResolveSettings | None = None) -> VerifyResult:
    """Check the cache against the lock (every archive present, its sha256
    right, its members safe) and, given blueprints, the lock against them."""
    cache = cache or RecipeCache()
    settings = settings or ResolveSettings()
    result = VerifyResult()
    for entry in lock.ordered():
        why = cache.check(entry.sha256)
        if why == "missing":
            result.items.append(VerifyItem(entry, "missing", FETCH_HINT))
        elif why is not None:
            result.items.append(VerifyItem(entry, "corrupt", f"{why}; {FETCH_HINT}"))
        else:
            try:
                inspect_archive(cache.path_for(entry.sha256), entry.kind, f"{entry.kind} {entry.label}",
                                settings.limits)
            except ArchiveError as exc:
                result.items.append(VerifyItem(entry, "unsafe", exc.message))
            else:
                result.items.append(VerifyItem(entry, "ok"))
    if collected is not None:
        result.findings = list(collected.findings)
        needed, stale = _locked_keys(lock, collected)
        result.stale.extend(stale)
        covered = lock.closure(needed)
        result.unused = [entry for entry in lock.ordered() if entry.key not in covered]
    return result


# -- requirements ---------------------------------------------------------------------------------


def keys_for(lock: Lock, collected: Collected) -> set[Key]:
    """The lock entries the collected requests need (StaleLock when one is not covered)."""
    keys, stale = _locked_keys(lock, collected)
    raise_all(stale, "requests are not covered by the lock")
    return keys


def _locked_keys(lock: Lock, collected: Collected) -> tuple[set[Key], list[StaleLock]]:
    """The lock entries the collected requests need, and a StaleLock (saying
    where it was asked for) for each request the lock does not cover."""
    _require_clean(collected)
    keys: set[Key] = set()
    stale: list[StaleLock] = []
    for request in collected.requests:
        try:
            keys.add(entry_for(request.spec, lock).key)
        except StaleLock as exc:
            exc.origin = request.origin
            stale.append(exc)
    return keys, stale


def write_requirements(lock: Lock, *, keys: Iterable[Key] | None = None, from_cache: bool = False,
                       cache: RecipeCache | None = None) -> str:
    return requirements_text(lock, keys, (cache or RecipeCache()) if from_cache else None)


def read_lock(path: str | os.PathLike | None = None) -> Lock:
    lock = load_lock(Path(path) if path else default_lock_path())
    if lock is None:  # pragma: no cover - load_lock(required=True) raises instead
        raise LockError("no lock file")
    return lock
