"""Resolving recipes online: from what was asked for to a lock.

For each recipe (role or collection, by name) the requests are merged: two
different pinned versions, or two different sources, is a
:class:`ConflictError` naming who asked for each. Then:

* a Galaxy role takes the pinned version, else the highest version the
  server lists (loose ordering), else its default branch (``master`` when
  the server names none): the ``ansible-galaxy`` rules;
* a collection takes the highest version meeting every pin and range;
* a git role takes the pinned ref (else the default branch) at its commit;
* a ``url|name`` role is its archive.

Every archive is downloaded once, into the cache, to record its sha256 and
read its dependencies (``meta/main.yml``, ``meta/requirements.yml``,
``MANIFEST.json``), which are resolved in turn, round after round, until
nothing new is asked for. Within a round all recipes are resolved at once on
a bounded thread pool. A recipe an existing lock already satisfies is kept
as locked and costs no request.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable
from urllib.parse import quote

from ..recipe_specs import COLLECTION, GALAXY, GIT, ROLE, URL, RecipeSpec, parse_collection_spec
from ..records import field, record, replace
from .archive import DEFAULT_LIMITS, ArchiveInfo, ArchiveLimits, inspect_archive
from .cache import RecipeCache
from .client import GalaxyClient, Http, HttpSettings, server_url
from .collect import Finding, Request, WARNING, requirements_from_metadata
from .errors import (ArchiveError, BadResponse, ChecksumMismatch, ConflictError, NetworkRefused, NotFound,
                     RecipeError, VersionNotFound, raise_all)
from .lock import Lock, LockEntry, dependency_text
from .versions import highest_loose, highest_matching, loose_key, satisfies

Key = tuple[str, str]
DEFAULT_JOBS = 16
MAX_JOBS = 64
_HEX = set("0123456789abcdefABCDEF")


@record
class Constraint:
    """All requests for one recipe, merged."""

    key: Key
    source: str
    src: str | None
    pin: str | None
    ranges: list[str]
    install_name: str | None
    requests: list[Request]

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def name(self) -> str:
        return self.key[1]

    @property
    def origin(self) -> str:
        return self.requests[0].origin if self.requests else ""

    def label(self) -> str:
        return f"{self.kind} {self.name}"


def _who(requests: list[Request], limit: int = 3) -> str:
    shown = [r.describe() for r in requests[:limit]]
    more = len(requests) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def merge(key: Key, requests: list[Request]) -> Constraint:
    """One recipe's constraint, or ConflictError naming who asked for what."""
    kind, name = key
    by_source: dict[tuple[str, str | None], list[Request]] = {}
    for request in requests:
        by_source.setdefault((request.spec.source, request.spec.src), []).append(request)
    if len(by_source) > 1:
        parts = [f"{src or source} (asked for by {_who(found)})" for (source, src), found in by_source.items()]
        raise ConflictError(f"{kind} {name} is asked for from different sources: " + "; ".join(parts),
                            hint="make every blueprint name the same source")
    (source, src), _ = next(iter(by_source.items()))
    pins: dict[str, list[Request]] = {}
    ranges: list[str] = []
    for request in requests:
        if request.spec.pinned:
            pins.setdefault(request.spec.version or "", []).append(request)
        elif request.spec.is_range and request.spec.version not in ranges:
            ranges.append(request.spec.version or "*")
    if len(pins) > 1:
        parts = [f"{version} (asked for by {_who(found)})" for version, found in pins.items()]
        raise ConflictError(f"{kind} {name} is pinned to different versions: " + " and ".join(parts),
                            hint="pin one version everywhere")
    install_names = {r.spec.install_name for r in requests if r.spec.install_name}
    return Constraint(key, source, src, next(iter(pins), None), ranges,
                      next(iter(install_names)) if len(install_names) == 1 else None, list(requests))


def entry_satisfies(entry: LockEntry, constraint: Constraint) -> bool:
    if entry.source != constraint.source:
        return False
    if constraint.source in (GIT, URL) and entry.url != constraint.src:
        return False
    if (entry.install_name or None) != constraint.install_name:
        return False
    if constraint.kind == COLLECTION and constraint.source != GIT:
        wanted = ([constraint.pin] if constraint.pin else []) + constraint.ranges
        return entry.version is not None and all(satisfies(entry.version, r) for r in wanted)
    return constraint.pin is None or constraint.pin in (entry.version, entry.commit)


@record
class Outcome:
    entry: LockEntry
    dependencies: list[Request]
    fresh: bool  # resolved in this run (False: kept from the lock)


@record
class Resolution:
    lock: Lock
    added: list[Key] = field(default_factory=list)
    changed: list[Key] = field(default_factory=list)
    removed: list[Key] = field(default_factory=list)
    kept: list[Key] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    requests_made: int = 0
    seconds: float = 0.0

    @property
    def network_used(self) -> bool:
        return self.requests_made > 0


@record
class ResolveSettings:
    server: str | None = None
    jobs: int = DEFAULT_JOBS
    http: HttpSettings = field(default_factory=HttpSettings)
    limits: ArchiveLimits = DEFAULT_LIMITS
    offline: bool = False  # never contact the network; what the lock lacks is an error


class Resolver:
    def __init__(self, settings: ResolveSettings | None = None, cache: RecipeCache | None = None,
                 client: GalaxyClient | None = None):
        self.settings = settings or ResolveSettings()
        self.server = server_url(self.settings.server) if client is None else client.server
        self.cache = cache or RecipeCache()
        self._client = client
        self._client_lock = threading.Lock()
        self._memo: dict[str, Future] = {}
        self._memo_lock = threading.Lock()
        self._findings: list[Finding] = []
        self._findings_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.git_clones = 0

    # -- network, created only when needed ---------------------------------------------------

    @property
    def client(self) -> GalaxyClient:
        with self._client_lock:
            if self._client is None:
                if self.settings.offline:
                    raise NetworkRefused("resolving needs the network, and --offline was given",
                                         hint="run `primage-tosca recipes lock` without --offline")
                jobs = max(1, min(self.settings.jobs, MAX_JOBS))
                self._client = GalaxyClient(self.server, Http(self.settings.http, pool_size=jobs))
            return self._client

    @property
    def network_operations(self) -> int:
        """HTTP requests made plus git repositories cloned."""
        return (self._client.http.requests_made if self._client else 0) + self.git_clones

    def close(self) -> None:
        if self._client is not None:
            self._client.http.close()

    def _once(self, key: str, compute: Callable[[], object]) -> object:
        with self._memo_lock:
            future = self._memo.get(key)
            owner = future is None
            if owner:
                future = self._memo[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    # -- the rounds ----------------------------------------------------------------------------

    def resolve(self, requests: Iterable[Request], local_roles: Iterable[str] = (), previous: Lock | None = None,
                update: bool | Iterable[str] = False) -> Resolution:
        """Resolve every request (and their dependencies) into a lock.

        ``previous`` entries that still satisfy their requests are kept
        unless ``update`` is True or names them."""
        started = time.perf_counter()
        local = set(local_roles)
        refresh_all = update is True
        refresh = set() if isinstance(update, bool) else set(update)
        wanted: dict[Key, list[Request]] = {}
        for request in requests:
            wanted.setdefault(request.spec.key, [])
            if request not in wanted[request.spec.key]:
                wanted[request.spec.key].append(request)
        results: dict[Key, Outcome] = {}
        jobs = max(1, min(self.settings.jobs, MAX_JOBS))
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="recipes") as pool:
            while True:
                self._prune(wanted, results)
                constraints: dict[Key, Constraint] = {}
                conflicts: list[RecipeError] = []
                for key, found in sorted(wanted.items()):
                    try:
                        constraints[key] = merge(key, found)
                    except ConflictError as exc:
                        conflicts.append(exc)
                raise_all(conflicts, "conflicts")
                todo: list[Key] = []
                adopted = False
                for key, constraint in sorted(constraints.items()):
                    current = results.get(key)
                    if current is not None and entry_satisfies(current.entry, constraint):
                        continue
                    kept = previous.find(*key) if previous is not None else None
                    if (current is None and kept is not None and not refresh_all and key[1] not in refresh
                            and entry_satisfies(kept, constraint)):
                        self._adopt(key, kept, previous, wanted, results)
                        adopted = True
                        continue
                    todo.append(key)
                if not todo:
                    if adopted:  # kept entries bring their locked dependencies: look at those too
                        continue
                    break
                futures = {key: pool.submit(self._resolve_one, constraints[key], local) for key in todo}
                failures: list[RecipeError] = []
                for key, future in futures.items():
                    try:
                        outcome = future.result()
                    except RecipeError as exc:
                        failures.append(exc)
                        continue
                    self._replace(key, outcome, wanted, results)
                raise_all(failures)
        self._prune(wanted, results)
        lock = self._build_lock(wanted, results, previous)
        resolution = Resolution(lock, findings=list(self._findings),
                                requests_made=self.network_operations)
        old = previous.entries if previous is not None else {}
        for key, entry in lock.entries.items():
            if key not in old:
                resolution.added.append(key)
            elif old[key].sha256 != entry.sha256 or old[key].version != entry.version:
                resolution.changed.append(key)
            else:
                resolution.kept.append(key)
        resolution.removed = sorted(set(old) - set(lock.entries))
        resolution.seconds = time.perf_counter() - started
        return resolution

    def _adopt(self, key: Key, entry: LockEntry, previous: Lock, wanted: dict, results: dict) -> None:
        """Keep a locked entry; its locked dependencies become (unpinned) requests."""
        origin = f"{previous.path or 'recipes.lock'}"
        dependencies = []
        for dependency in entry.dependency_keys():
            kind, name = dependency
            spec = RecipeSpec(name, kind, GALAXY, name)
            locked = previous.find(kind, name)
            if locked is not None and locked.source != GALAXY:
                spec = RecipeSpec(locked.requested[0], kind, locked.source, name, None,
                                  locked.url if locked.source in (GIT, URL) else None)
            dependencies.append(Request(spec, origin, f"dependency of {entry.name} in the lock", key))
        self._replace(key, Outcome(entry, dependencies, fresh=False), wanted, results)

    @staticmethod
    def _replace(key: Key, outcome: Outcome, wanted: dict[Key, list[Request]], results: dict[Key, Outcome]) -> None:
        for found in wanted.values():
            found[:] = [r for r in found if r.parent != key]
        results[key] = outcome
        for request in outcome.dependencies:
            wanted.setdefault(request.spec.key, [])
            if request not in wanted[request.spec.key]:
                wanted[request.spec.key].append(request)

    @staticmethod
    def _prune(wanted: dict[Key, list[Request]], results: dict[Key, Outcome]) -> None:
        """Drop requests made by recipes nothing needs any more (a dependency
        of a version that was replaced), and recipes nobody asks for."""
        while True:
            reachable: set[Key] = set()
            pending = [key for key, found in wanted.items() if any(r.parent is None for r in found)]
            while pending:
                key = pending.pop()
                if key in reachable:
                    continue
                reachable.add(key)
                if key in results:
                    pending.extend(r.spec.key for r in results[key].dependencies)
            changed = False
            for key in list(wanted):
                kept = [r for r in wanted[key] if r.parent is None or r.parent in reachable]
                if len(kept) != len(wanted[key]):
                    wanted[key] = kept
                    changed = True
                if not kept:
                    del wanted[key]
                    results.pop(key, None)
                    changed = True
            for key in list(results):
                if key not in wanted:
                    del results[key]
            if not changed:
                return

    def _build_lock(self, wanted: dict[Key, list[Request]], results: dict[Key, Outcome],
                    previous: Lock | None) -> Lock:
        lock = Lock(self.server if previous is None or self._client is not None else previous.server)
        for key, outcome in results.items():
            requested = sorted({r.spec.raw.strip() for r in wanted.get(key, [])})
            dependencies = sorted({dependency_text(key[0], r.spec.key) for r in outcome.dependencies})
            lock.entries[key] = replace(outcome.entry, requested=requested or list(outcome.entry.requested),
                                        dependencies=dependencies)
        return lock

    # -- one recipe --------------------------------------------------------------------------------

    def _resolve_one(self, constraint: Constraint, local: set[str]) -> Outcome:
        try:
            if constraint.source == GIT:
                return self._resolve_git(constraint, local)
            if constraint.source == URL:
                return self._resolve_url(constraint, local)
            if constraint.kind == COLLECTION:
                return self._resolve_collection(constraint)
            return self._resolve_galaxy_role(constraint, local)
        except RecipeError as exc:
            if exc.origin is None:
                exc.origin = constraint.origin
            raise

    def _note(self, finding: Finding) -> None:
        with self._findings_lock:
            self._findings.append(finding)

    def _download(self, url: str, kind: str, label: str, expected_sha256: str | None = None
                  ) -> tuple[str, int, ArchiveInfo]:
        def work():
            with self.cache.scratch() as folder:
                temporary = folder / "download"
                with open(temporary, "wb") as out:
                    sha256, size = self.client.http.download(url, out, self.settings.limits.max_bytes)
                if expected_sha256 and sha256 != expected_sha256:
                    raise ChecksumMismatch(f"{label}: the archive from {url} has sha256 {sha256}, "
                                           f"but the server says {expected_sha256}")
                info = inspect_archive(temporary, kind, label, self.settings.limits)
                self.cache.store(temporary, sha256, label)
                return sha256, size, info

        return self._once(f"download {kind} {url}", work)

    def _role_dependencies(self, info: ArchiveInfo, key: Key, label: str, local: set[str]) -> list[Request]:
        from .collect import Collected

        found = Collected()
        requirements_from_metadata(info.meta, info.requirements, label, local, key, found)
        for finding in found.findings:
            if finding.severity == WARNING:
                self._note(finding)
        errors = [f for f in found.findings if f.severity != WARNING]
        if errors:
            first = errors[0]
            raise ArchiveError(f"{first.message}", origin=first.origin, hint=first.hint)
        return found.requests

    def _resolve_galaxy_role(self, c: Constraint, local: set[str]) -> Outcome:
        namespace, _, short = c.name.rpartition(".")
        role = self._once(f"lookup {c.name}", lambda: self.client.lookup_role(namespace, short))
        if role is None:
            raise NotFound(f"role {c.name} was not found on {self.server}",
                           hint="check the spelling, or the --server / $PRIMAGE_TOSCA_GALAXY_SERVER")
        versions = self.client.role_versions(role["id"])
        names = [v["name"] for v in versions]
        branch = role.get("github_branch") if isinstance(role.get("github_branch"), str) else None
        if c.pin is not None:
            if c.pin not in names and names and c.pin not in (branch, "master"):
                newest = sorted(names, key=loose_key)[-8:]
                raise VersionNotFound(f"version {c.pin} of role {c.name} was not found on {self.server}; "
                                      f"it has {', '.join(reversed(newest))}" + (" ..." if len(names) > 8 else ""),
                                      hint="pin one of the listed versions")
            version = c.pin
        else:
            version = highest_loose(names) or branch or "master"
        match = next((v for v in versions if v["name"] == version), None) or {}
        url = match.get("download_url") if isinstance(match.get("download_url"), str) else None
        if not url:
            user, repository = role.get("github_user"), role.get("github_repo")
            if not isinstance(user, str) or not isinstance(repository, str) or not user or not repository:
                raise BadResponse(f"role {c.name} {version}: the server gives neither a download_url nor "
                                  "github_user/github_repo", url=self.server)
            url = f"https://github.com/{quote(user)}/{quote(repository)}/archive/{quote(version)}.tar.gz"
        commit = match.get("commit_sha") or (role.get("commit") if version == branch else None)
        commit = commit if isinstance(commit, str) and 7 <= len(commit) <= 64 and set(commit) <= _HEX else None
        label = f"role {c.name} {version}"
        sha256, size, info = self._download(url, ROLE, label)
        dependencies = self._role_dependencies(info, c.key, f"{c.name} {version}", local)
        entry = LockEntry(c.name, ROLE, GALAXY, [], version, url, sha256, size, commit, [], c.install_name)
        return Outcome(entry, dependencies, True)

    def _resolve_collection(self, c: Constraint) -> Outcome:
        namespace, short = c.name.split(".", 1)
        try:
            versions = self.client.collection_versions(namespace, short)
        except NotFound:
            versions = []
        if not versions:
            raise NotFound(f"collection {c.name} was not found on {self.server}",
                           hint="check the spelling, or the --server / $PRIMAGE_TOSCA_GALAXY_SERVER")
        wanted = ([c.pin] if c.pin else []) + c.ranges
        version = highest_matching(versions, wanted)
        if version is None:
            raise VersionNotFound(f"no version of collection {c.name} on {self.server} matches "
                                  f"{' and '.join(wanted)}; it has {', '.join(versions[:8])}"
                                  + (" ..." if len(versions) > 8 else ""))
        detail = self.client.collection_version(namespace, short, version)
        artifact = detail.get("artifact") if isinstance(detail.get("artifact"), dict) else {}
        expected = artifact.get("sha256") if isinstance(artifact.get("sha256"), str) else None
        label = f"collection {c.name} {version}"
        sha256, size, info = self._download(detail["download_url"], COLLECTION, label, expected)
        self._check_manifest(info, c.name, version, label)
        metadata = detail.get("metadata") if isinstance(detail.get("metadata"), dict) else {}
        dependencies = metadata.get("dependencies")
        if not isinstance(dependencies, dict):
            dependencies = info.manifest["collection_info"].get("dependencies") or {}
        requests = self._collection_requests(dependencies, c.key, label)
        entry = LockEntry(c.name, COLLECTION, GALAXY, [], version, detail["download_url"], sha256, size)
        return Outcome(entry, requests, True)

    @staticmethod
    def _check_manifest(info: ArchiveInfo, name: str, version: str | None, label: str) -> str:
        meta = info.manifest["collection_info"]
        found = f"{meta.get('namespace')}.{meta.get('name')}"
        if found != name:
            raise ArchiveError(f"{label}: the archive holds collection {found}, not {name}")
        if version is not None and meta.get("version") != version:
            raise ArchiveError(f"{label}: the archive holds version {meta.get('version')}, not {version}")
        if not isinstance(meta.get("version"), str):
            raise ArchiveError(f"{label}: MANIFEST.json has no version")
        return meta["version"]

    def _collection_requests(self, dependencies: dict, key: Key, label: str) -> list[Request]:
        requests = []
        for name, requirement in dependencies.items():
            text = name if requirement in (None, "", "*") else f"{name},{requirement}"
            try:
                spec = parse_collection_spec(text, im_grammar=False)
            except RecipeError as exc:
                raise ArchiveError(f"{label}: dependency {name!r}: {exc.message}") from None
            requests.append(Request(spec, f"{label}: MANIFEST.json", f"dependency of {key[1]}", key))
        return requests

    def _resolve_url(self, c: Constraint, local: set[str]) -> Outcome:
        assert c.src is not None
        label = f"{c.kind} {c.name} from {c.src}"
        sha256, size, info = self._download(c.src, c.kind, label)
        if c.kind == COLLECTION:
            version = self._check_manifest(info, c.name, None, label)
            dependencies = info.manifest["collection_info"].get("dependencies") or {}
            requests = self._collection_requests(dependencies if isinstance(dependencies, dict) else {}, c.key,
                                                 label)
            return Outcome(LockEntry(c.name, COLLECTION, URL, [], version, c.src, sha256, size), requests, True)
        requests = self._role_dependencies(info, c.key, c.name, local)
        return Outcome(LockEntry(c.name, ROLE, URL, [], c.pin, c.src, sha256, size), requests, True)

    def _resolve_git(self, c: Constraint, local: set[str]) -> Outcome:
        from .git import clone_and_archive

        assert c.src is not None
        label = f"{c.kind} {c.name} from {c.src}"
        if self.settings.offline:
            self.client  # raises NetworkRefused  # noqa: B018

        def work():
            with self._count_lock:
                self.git_clones += 1
            with self.cache.scratch() as folder:
                commit, content = clone_and_archive(c.src[len("git+"):], c.pin, c.name, folder,
                                                    self.settings.http, self.settings.limits, label)
            info = inspect_archive(content, c.kind, label, self.settings.limits)
            _, sha256 = self.cache.store_bytes(content, label)
            return commit, sha256, len(content), info

        commit, sha256, size, info = self._once(f"git {c.kind} {c.src} {c.pin}", work)
        if c.kind == COLLECTION:
            dependencies = info.manifest["collection_info"].get("dependencies") or {}
            requests = self._collection_requests(dependencies, c.key, label)
        else:
            requests = self._role_dependencies(info, c.key, c.name, local)
        entry = LockEntry(c.name, c.kind, GIT, [], c.pin or "HEAD", c.src, sha256, size, commit)
        return Outcome(entry, requests, True)
