"""A parsed file with its name: data, positions and the problems of reading it."""

from __future__ import annotations

import os
import threading
from typing import Any, Mapping

from .. import catalog
from ..diagnostics import Diagnostic, Location, Severity
from ..records import record, replace
from .reader import DEFAULT_LIMITS, Limits, ParsedYaml, Problem, parse_bytes

try:  # CPython's own SHA-256, which loads nothing (hashlib loads OpenSSL: milliseconds of a start)
    from _sha2 import sha256 as _small_sha256  # Python 3.12 and later
except ImportError:
    try:
        from _sha256 import sha256 as _small_sha256  # Python 3.10 and 3.11
    except ImportError:  # pragma: no cover - an interpreter without them
        from hashlib import sha256 as _small_sha256

_LARGE = 1024 * 1024  # bytes from which OpenSSL's SHA-256 (five times faster) pays for loading it


def content_digest(raw: bytes) -> str:
    """The SHA-256 of a file's bytes, in hex: the key of its parse."""
    if len(raw) < _LARGE:
        return _small_sha256(raw).hexdigest()
    import hashlib

    return hashlib.sha256(raw).hexdigest()


LIBRARY_WARNINGS = {"PT102"}


@record
class Document:
    """One YAML file as read: ``file`` is the name shown to people (a path as
    given, or the URL it was imported by); ``real_path`` the local file read."""

    file: str
    parsed: ParsedYaml
    real_path: str | None = None
    url: str | None = None
    sha256: str = ""

    @property
    def data(self) -> Any:
        return self.parsed.data

    @property
    def ok(self) -> bool:
        return self.parsed.ok

    def has(self, path: tuple) -> bool:
        return tuple(path) in self.parsed.values

    def locate(self, path: tuple = (), key: bool = False) -> Location:
        """Where ``path`` is written; the key's position when ``key`` is set.
        A path that is not in the file (a default, an alias) falls back to its
        nearest written ancestor."""
        path = tuple(path)
        if key and path in self.parsed.keys:
            line, column = self.parsed.keys[path]
            return Location(self.file, line, column)
        while True:
            found = self.parsed.values.get(path)
            if found is not None:
                return Location(self.file, found[0], found[1])
            if not path:
                return Location(self.file, 1, 1)
            path = path[:-1]

    def diagnostics(self) -> list[Diagnostic]:
        found = [problem_to_diagnostic(self.file, p) for p in self.parsed.problems]
        if self.url:
            # A library fetched by URL is not the author's to fix: its lint-level
            # problems (a duplicate key keeps the last value, as IM reads it) warn.
            found = [replace(d, severity=Severity.WARNING, message=d.message + " (in an imported library)")
                     if d.rule in LIBRARY_WARNINGS else d for d in found]
        return found


def problem_to_diagnostic(file: str, problem: Problem) -> Diagnostic:
    return catalog.make(problem.rule, problem.message, Location(file, problem.line, problem.column),
                        problem.path, problem.hint)


class ParseCache:
    """Parses keyed by content hash: a type library imported by many templates
    is parsed once per process, whatever name it is reached by."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, Limits], ParsedYaml] = {}
        # contents -> their digest: a library read again by each template of a run is
        # hashed once (a dict finds equal bytes far faster than SHA-256 can hash them)
        self._digests: dict[bytes, str] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def digest(self, raw: bytes) -> str:
        """The SHA-256 of ``raw`` (see :func:`content_digest`), remembered."""
        with self._lock:
            found = self._digests.get(raw)
        if found is None:
            found = content_digest(raw)
            with self._lock:
                self._digests[raw] = found
        return found

    def parse(self, raw: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[str, ParsedYaml]:
        digest = self.digest(raw)
        key = (digest, limits)
        with self._lock:
            found = self._parsed.get(key)
            if found is not None:
                self.hits += 1
                return digest, found
        parsed = parse_bytes(raw, limits)
        with self._lock:
            self.misses += 1
            self._parsed.setdefault(key, parsed)
        return digest, parsed

    def get(self, digest: str, limits: Limits = DEFAULT_LIMITS) -> ParsedYaml | None:
        """The parse of the content with this hash, if it was read."""
        with self._lock:
            return self._parsed.get((digest, limits))

    def put(self, digest: str, parsed: ParsedYaml, limits: Limits = DEFAULT_LIMITS) -> None:
        """Keep a parse made another way (an editor's text, read again only where it changed)."""
        with self._lock:
            self._parsed.setdefault((digest, limits), parsed)

    def discard(self, digest: str) -> None:
        """Forget the parses of one content (an editor's superseded text)."""
        with self._lock:
            for key in [k for k in self._parsed if k[0] == digest]:
                del self._parsed[key]
            for raw in [r for r, d in self._digests.items() if d == digest]:
                del self._digests[raw]

    def clear(self) -> None:
        with self._lock:
            self._parsed.clear()
            self._digests.clear()
            self.hits = self.misses = 0


PARSE_CACHE = ParseCache()


def read_local(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes | None, Problem | None]:
    """Read a local file's bytes, checking size before reading a byte of it."""
    try:
        if os.path.isdir(path):
            return None, Problem("PT109", f"{path} is a directory, not a file")
        size = os.path.getsize(path)
        if size > limits.max_bytes:
            return None, Problem("PT104", f"the file is {size:,} bytes, over the {limits.max_bytes:,}-byte limit",
                                 hint="raise the limit with --max-file-size if the file is genuine")
        with open(path, "rb") as handle:
            return handle.read(limits.max_bytes + 1), None
    except FileNotFoundError:
        return None, Problem("PT109", f"{path} does not exist")
    except OSError as exc:
        return None, Problem("PT109", f"cannot read {path}: {exc.strerror or exc}")


def read_overlay(path: str, limits: Limits, overlay: Mapping[str, bytes]) -> tuple[bytes | None, Problem | None]:
    """The overlay's contents for ``path``, (None, None) when it has none."""
    raw = overlay.get(os.path.realpath(path))
    if raw is None:
        return None, None
    if len(raw) > limits.max_bytes:
        return None, Problem("PT104", f"the file is {len(raw):,} bytes, over the {limits.max_bytes:,}-byte limit",
                             hint="raise the limit with --max-file-size if the file is genuine")
    return raw, None


def load_document(
    path: str,
    display: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cache: ParseCache = PARSE_CACHE,
    url: str | None = None,
    overlay: Mapping[str, bytes] | None = None,
) -> Document:
    """Read and parse a local file; problems are kept in the document.
    ``overlay`` maps real paths to contents read instead of the file's (an
    editor's unsaved text)."""
    raw, problem = read_overlay(path, limits, overlay) if overlay else (None, None)
    if raw is None and problem is None:
        raw, problem = read_local(path, limits)
    name = display or path
    if raw is None:
        return Document(name, ParsedYaml(problems=[problem]), real_path=path, url=url)
    digest, parsed = cache.parse(raw, limits)
    return Document(name, parsed, real_path=os.path.realpath(path), url=url, sha256=digest)


def document_from_text(text: str | bytes, name: str = "<string>", limits: Limits = DEFAULT_LIMITS,
                       cache: ParseCache = PARSE_CACHE) -> Document:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    digest, parsed = cache.parse(raw, limits)
    return Document(name, parsed, sha256=digest)
