"""The lock file, ``recipes.lock``: every recipe pinned, in plain YAML.

::

    lock_version: 1
    server: https://galaxy.ansible.com
    recipes:
    - name: indigo-dc.nfs
      kind: role                # role | collection
      source: galaxy            # galaxy | git | url
      requested: [indigo-dc.nfs,master]
      version: master           # what was chosen (a git ref for git roles)
      url: https://.../master.tar.gz
      commit: 3f2a...           # when the server or git tells it
      sha256: 9c1e...           # of the archive as downloaded
      size: 20480
      dependencies: [indigo-dc.common]

:func:`load_lock` reads it back strictly: a file edited into nonsense is a
:class:`LockError` naming the file, line and column and what is wrong.
:func:`pin_spec` is what the RADL compiler calls to carry the locked version
into ``ansible.roles.<name>,<version>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..config import project_root
from ..recipe_specs import COLLECTION, GALAXY, GIT, KINDS, ROLE, URL, RecipeSpec, derived_name, parse_spec
from ..records import field, record
from ..source.document import load_document
from .errors import LockError, SpecError, StaleLock

LOCK_NAME = "recipes.lock"
LOCK_VERSION = 1
SOURCES = (GALAXY, GIT, URL)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ENTRY_KEYS = {"name", "kind", "source", "requested", "version", "url", "commit", "sha256", "size",
               "dependencies", "install_name"}
REQUIRED_KEYS = ("name", "kind", "source", "requested", "url", "sha256")
REWRITE_HINT = ("restore it from version control, or run `primage-tosca recipes lock --update BLUEPRINT...` "
                "to resolve everything again and rewrite it")

HEADER = """\
# recipes.lock: the Ansible roles and collections the blueprints need, pinned.
# Written by `primage-tosca recipes lock`; commit it. Each archive's sha256 is
# checked by `recipes fetch` and `recipes verify`. Hand edits are read strictly.
"""


def default_lock_path() -> Path:
    """The project's lock: next to ``.primage-tosca.yaml``, else in the current folder."""
    return project_root() / LOCK_NAME


@record
class LockEntry:
    name: str
    kind: str
    source: str
    requested: list[str]
    version: str | None
    url: str
    sha256: str
    size: int | None = None
    commit: str | None = None
    dependencies: list[str] = field(default_factory=list)
    install_name: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    def dependency_keys(self) -> list[tuple[str, str]]:
        return [dependency_key(self.kind, text) for text in self.dependencies]

    def as_dict(self) -> dict:
        data: dict[str, Any] = {
            "name": self.name, "kind": self.kind, "source": self.source, "requested": list(self.requested),
            "version": self.version, "url": self.url,
        }
        if self.commit:
            data["commit"] = self.commit
        data["sha256"] = self.sha256
        if self.size is not None:
            data["size"] = self.size
        if self.install_name:
            data["install_name"] = self.install_name
        data["dependencies"] = list(self.dependencies)
        return data


def dependency_key(kind: str, text: str) -> tuple[str, str]:
    """``ns.x`` is a dependency of the same kind; ``collection:ns.x`` / ``role:ns.x`` says otherwise."""
    other, colon, name = text.partition(":")
    if colon and other in KINDS:
        return (other, name)
    return (kind, text)


def dependency_text(kind: str, key: tuple[str, str]) -> str:
    return key[1] if key[0] == kind else f"{key[0]}:{key[1]}"


@record
class Lock:
    server: str
    entries: dict[tuple[str, str], LockEntry] = field(default_factory=dict)
    path: Path | None = None

    def find(self, kind: str, name: str) -> LockEntry | None:
        return self.entries.get((kind, name))

    def __iter__(self):
        return iter(self.ordered())

    def __len__(self) -> int:
        return len(self.entries)

    def ordered(self, keys: Iterable[tuple[str, str]] | None = None) -> list[LockEntry]:
        """Dependencies before the recipes that need them, then by name: the
        order ``ansible-galaxy`` must install them in to need no network."""
        chosen = set(self.entries if keys is None else keys)
        done: list[LockEntry] = []
        placed: set[tuple[str, str]] = set()
        visiting: set[tuple[str, str]] = set()

        def visit(key: tuple[str, str]) -> None:
            if key in placed or key in visiting or key not in self.entries:
                return
            visiting.add(key)
            entry = self.entries[key]
            for dependency in sorted(entry.dependency_keys()):
                visit(dependency)
            visiting.discard(key)
            placed.add(key)
            if key in chosen:
                done.append(entry)

        for key in sorted(chosen):
            visit(key)
        return done

    def closure(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The keys and everything they depend on, transitively."""
        found: set[tuple[str, str]] = set()
        pending = list(keys)
        while pending:
            key = pending.pop()
            if key in found or key not in self.entries:
                continue
            found.add(key)
            pending.extend(self.entries[key].dependency_keys())
        return found

    def as_dict(self) -> dict:
        return {"lock_version": LOCK_VERSION, "server": self.server,
                "recipes": [entry.as_dict() for entry in sorted(self.entries.values(), key=_sort_key)]}

    def dumps(self) -> str:
        body = yaml.safe_dump(self.as_dict(), sort_keys=False, default_flow_style=False, width=100,
                              allow_unicode=True)
        return HEADER + body


def _sort_key(entry: LockEntry) -> tuple:
    return (KINDS.index(entry.kind), entry.name.lower(), entry.name)


def write_lock(lock: Lock, path: str | os.PathLike) -> Path:
    """Write atomically: a temporary file beside the lock, then a rename."""
    import tempfile  # only a run that writes the lock pays for loading it (and shutil with it)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(lock.dumps())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    lock.path = path
    return path


# -- reading ------------------------------------------------------------------------------


class _Reader:
    def __init__(self, document):
        self.document = document

    def fail(self, path: tuple, message: str, key: bool = False) -> LockError:
        where = self.document.locate(path, key)
        return LockError(message, origin=f"{where.file}:{where.line}:{where.column}", hint=REWRITE_HINT)


def load_lock(path: str | os.PathLike, required: bool = True) -> Lock | None:
    """Read and check a lock file. A missing file is a LockError when
    ``required`` (else None); anything malformed is always a LockError."""
    path = Path(path)
    if not path.exists():
        if not required:
            return None
        raise LockError(f"there is no lock file {path}",
                        hint="run `primage-tosca recipes lock BLUEPRINT...` to resolve and write one")
    document = load_document(str(path))
    if not document.ok:
        problem = document.parsed.problems[0] if document.parsed.problems else None
        detail = problem.message if problem else "unreadable"
        origin = f"{path}:{problem.line}:{problem.column}" if problem else str(path)
        raise LockError(f"the lock file is not readable YAML: {detail}", origin=origin, hint=REWRITE_HINT)
    return parse_lock(document.data, _Reader(document), path)


def loads_lock(text: str, name: str = "<lock>") -> Lock:
    from ..source.document import document_from_text

    document = document_from_text(text, name=name)
    if not document.ok:
        raise LockError(f"{name}: the lock file is not readable YAML")
    return parse_lock(document.data, _Reader(document), None)


def parse_lock(data: Any, reader: _Reader, path: Path | None) -> Lock:
    if not isinstance(data, dict):
        raise reader.fail((), "the lock file must be a mapping with lock_version, server and recipes")
    unknown = set(data) - {"lock_version", "server", "recipes"}
    if unknown:
        first = sorted(map(str, unknown))[0]
        raise reader.fail((first,), f"unknown key {first!r} (expected lock_version, server, recipes)", key=True)
    if data.get("lock_version") != LOCK_VERSION:
        raise reader.fail(("lock_version",), f"lock_version must be {LOCK_VERSION}, not {data.get('lock_version')!r}")
    server = data.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise reader.fail(("server",), f"'server' must be the Galaxy server URL, not {server!r}")
    recipes = data.get("recipes")
    if recipes is None:
        recipes = []
    if not isinstance(recipes, list):
        raise reader.fail(("recipes",), "'recipes' must be a list")
    lock = Lock(server, {}, path)
    where: dict[tuple[str, str], int] = {}
    for index, item in enumerate(recipes):
        entry = _parse_entry(item, index, reader)
        if entry.key in lock.entries:
            raise reader.fail(("recipes", index, "name"),
                              f"{entry.kind} {entry.name} is listed twice (also recipes[{where[entry.key]}])")
        lock.entries[entry.key] = entry
        where[entry.key] = index
    for key, entry in lock.entries.items():
        for position, dependency in enumerate(entry.dependency_keys()):
            if dependency not in lock.entries:
                raise reader.fail(("recipes", where[key], "dependencies", position),
                                  f"{entry.name} depends on {dependency[0]} {dependency[1]}, which is not in the lock")
    return lock


def _parse_entry(item: Any, index: int, reader: _Reader) -> LockEntry:
    at = ("recipes", index)
    if not isinstance(item, dict):
        raise reader.fail(at, f"recipes[{index}] must be a mapping")
    unknown = set(map(str, item)) - _ENTRY_KEYS
    if unknown:
        first = sorted(unknown)[0]
        raise reader.fail((*at, first), f"recipes[{index}]: unknown key {first!r}", key=True)
    for key in REQUIRED_KEYS:
        if key not in item:
            raise reader.fail(at, f"recipes[{index}] has no {key!r}")

    def text(key: str, optional: bool = False) -> str | None:
        value = item.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise reader.fail((*at, key), f"recipes[{index}].{key} must be a non-empty string, not {value!r}")
        return value

    name, kind, source = text("name"), text("kind"), text("source")
    label = f"recipes[{index}] ({name})"
    if kind not in KINDS:
        raise reader.fail((*at, "kind"), f"{label}: kind must be role or collection, not {kind!r}")
    if source not in SOURCES:
        raise reader.fail((*at, "source"), f"{label}: source must be galaxy, git or url, not {source!r}")
    if isinstance(item.get("version"), (int, float)):
        raise reader.fail((*at, "version"), f"{label}: version must be a quoted string, not the number "
                                            f"{item.get('version')!r}")
    version = text("version", optional=not (source != URL or kind == COLLECTION))
    url = text("url")
    if not re.match(r"^(git\+)?https?://[^\s]+$", url or ""):
        raise reader.fail((*at, "url"), f"{label}: url must be an http(s) URL (git+https for git), not {url!r}")
    if (source == GIT) != url.startswith("git+"):
        raise reader.fail((*at, "url"), f"{label}: a {source} recipe cannot have the url {url!r}")
    sha256 = text("sha256")
    if not _SHA256.match(sha256 or ""):
        raise reader.fail((*at, "sha256"), f"{label}: sha256 must be 64 lower-case hexadecimal digits, not {sha256!r}")
    size = item.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise reader.fail((*at, "size"), f"{label}: size must be a whole number of bytes, not {size!r}")
    commit = text("commit", optional=True)
    if commit is not None and not re.match(r"^[0-9a-fA-F]{7,64}$", commit):
        raise reader.fail((*at, "commit"), f"{label}: commit must be a hexadecimal commit id, not {commit!r}")
    install_name = text("install_name", optional=True)
    requested = item.get("requested")
    if not isinstance(requested, list) or not requested or not all(isinstance(r, str) for r in requested):
        raise reader.fail((*at, "requested"), f"{label}: requested must be a non-empty list of specs")
    for position, spec_text in enumerate(requested):
        try:
            spec = parse_spec(spec_text, kind, im_grammar=False)
        except SpecError as exc:
            raise reader.fail((*at, "requested", position), f"{label}: {exc.message}") from None
        if spec.name != name:
            raise reader.fail((*at, "requested", position),
                              f"{label}: the requested spec {spec_text!r} names {spec.name}, not {name}")
        if spec.source != source:
            raise reader.fail((*at, "requested", position),
                              f"{label}: the requested spec {spec_text!r} is a {spec.source} source, not {source}")
    dependencies = item.get("dependencies", [])
    if dependencies is None:
        dependencies = []
    if not isinstance(dependencies, list) or not all(isinstance(d, str) and d for d in dependencies):
        raise reader.fail((*at, "dependencies"), f"{label}: dependencies must be a list of recipe names")
    return LockEntry(name, kind, source, list(requested), version, url, sha256, size, commit, list(dependencies),
                     install_name)


# -- using it -------------------------------------------------------------------------------


def entry_for(spec: RecipeSpec, lock: Lock) -> LockEntry:
    """The lock's entry for a spec; StaleLock when the lock does not cover it
    (absent, another source, or a different pinned version)."""
    entry = lock.find(spec.kind, spec.name)
    fix = "run `primage-tosca recipes lock` to update the lock"
    if entry is None:
        raise StaleLock(f"{spec.kind} {spec.name} ({spec.raw}) is not in the lock file", hint=fix)
    if entry.source != spec.source:
        raise StaleLock(f"{spec.raw} is a {spec.source} source but the lock has {spec.name} from {entry.source}",
                        hint=fix)
    if spec.source != GALAXY and spec.src and entry.url != spec.src and spec.raw not in entry.requested:
        raise StaleLock(f"{spec.raw}: the lock has {spec.name} from {entry.url}", hint=fix)
    if spec.kind == COLLECTION and spec.source != GIT and spec.version is not None:
        from .versions import satisfies

        if entry.version is None or not satisfies(entry.version, spec.version):
            raise StaleLock(f"{spec.raw}: the lock has {spec.name} {entry.version}, which does not match "
                            f"{spec.version}", hint=fix)
    elif spec.pinned and spec.version not in (entry.version, entry.commit):
        raise StaleLock(f"{spec.raw} pins {spec.version} but the lock has {spec.name} {entry.version}", hint=fix)
    return entry


def pin_spec(spec: str, lock: Lock, kind: str = ROLE) -> str:
    """The spec as the RADL compiler should write it: with the locked version.

    ``ns.role`` -> ``ns.role,1.2.0``; ``ns.role,1.2.0`` stays as it is;
    ``git+https://h/o/repo`` -> ``git+https://h/o/repo,<commit>``; a
    collection ``ns.name`` -> ``ns.name,3.1.0``. A ``url|name`` role is
    returned unchanged (the URL is the pin), and so is a git role installed
    under a name other than its repository's, because IM's grammar drops the
    name when a version follows. Raises SpecError for a malformed spec and
    StaleLock when the lock does not cover it."""
    parsed = parse_spec(spec, kind)
    entry = entry_for(parsed, lock)
    if parsed.source == URL:
        return spec.strip()
    if parsed.source == GIT:
        if parsed.name != derived_name(parsed.src or ""):
            return spec.strip()
        return f"{parsed.src},{entry.commit or entry.version}"
    if entry.version is None:
        raise StaleLock(f"{parsed.raw}: the lock records no version for {parsed.name}",
                        hint=f"run `primage-tosca recipes lock --update-recipe {parsed.name}`")
    text = f"{parsed.name},{entry.version}"
    return f"{text},{parsed.install_name}" if parsed.install_name else text


def covers(lock: Lock, spec: RecipeSpec) -> bool:
    try:
        entry_for(spec, lock)
    except StaleLock:
        return False
    return True
