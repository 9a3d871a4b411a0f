"""Where an import comes from: local files, the import map, the URL cache, and,
only when asked, the network.

This is the one place that decides whether the network may be used. The
default is offline: a URL is served from an import map (URL prefix -> local
file or folder), from the files the package carries (the built-in catalogue of
``primage_tosca.profiles``: the PRIMAGE types and the OASIS simple profile for
TOSCA 2.0 under their published URLs) or from the cache that ``types pull``
fills, else it is a diagnostic that names the URL and the fix. A TOSCA 2.0
import by profile name is served from the import map (an entry whose key is
the name) or the built-in catalogue, never from the network.

Validating an untrusted pull request must be safe, so ``file://`` URLs, plain
``http://`` fetches and local paths that climb out of the allowed roots are
refused unless the policy says otherwise.
"""

from __future__ import annotations

import os
import posixpath
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml

from ..config import SAFE_LOADER, data_dir, private_dir
from ..profiles import BUILTIN_PROFILES, PROFILE_ALIASES, builtin_urls
from ..records import field, record, replace

URL_SCHEMES = ("http", "https", "ftp", "file")
MAX_REDIRECTS = 5


class ImportMapError(Exception):
    """The import map file is unreadable or malformed."""


def is_url(reference: str) -> bool:
    scheme = urlsplit(reference).scheme.lower()
    return scheme in URL_SCHEMES


def is_within(path: str, root: str) -> bool:
    path, root = os.path.normcase(path), os.path.normcase(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@record
class ImportMap:
    """URL prefix -> local file or folder. The longest matching prefix wins."""

    entries: dict[str, Path] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "ImportMap":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader; JSON is YAML too
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ImportMapError(f"cannot read import map {path}: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise ImportMapError(f"import map {path} must be a mapping from URL prefix to a local path")
        base = path.resolve().parent
        return cls({prefix: (base / target) for prefix, target in data.items()}, [str(path)])

    def merged(self, other: "ImportMap") -> "ImportMap":
        entries = dict(other.entries)
        entries.update(self.entries)  # earlier maps win on equal prefixes
        return ImportMap(entries, self.sources + other.sources)

    def lookup(self, url: str) -> Path | None:
        """The local file for ``url``, or None when no prefix matches. A folder
        target never serves a path that climbs out of it."""
        for prefix in sorted(self.entries, key=len, reverse=True):
            if not url.startswith(prefix):
                continue
            target = self.entries[prefix]
            rest = unquote(url[len(prefix):].split("?", 1)[0].split("#", 1)[0])
            if not rest:
                return target
            clean = posixpath.normpath(rest.lstrip("/"))
            if clean == ".." or clean.startswith("../") or posixpath.isabs(clean):
                return None
            return target / clean
        return None

    def lookup_profile(self, name: str) -> Path | None:
        """The file an entry maps the profile name ``name`` to (its key is the whole name)."""
        return self.entries.get(name)


_BUILTIN: ImportMap | None = None


def builtin_map() -> ImportMap:
    """The built-in catalogue as an import map: published URL prefix -> packaged folder."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = ImportMap(builtin_urls(), ["the files built into primage_tosca"])
    return _BUILTIN


class UrlCache:
    """Files fetched by ``types pull`` (or ``--online``), named by the URL's hash."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else data_dir() / "imports"

    def _stem(self, url: str) -> Path:
        import hashlib  # the cache of URL imports: a template without any does not pay for loading it

        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / digest

    def lookup(self, url: str) -> Path | None:
        path = self._stem(url).with_suffix(".yaml")
        return path if path.is_file() else None

    def entries(self) -> list[dict]:
        """The metadata of every cached URL."""
        import json  # the cache's own files: reading a template does not pay for loading it

        found = []
        for meta in sorted(self.root.glob("*/*.json")) if self.root.is_dir() else []:
            try:
                found.append(json.loads(meta.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue  # a damaged entry is skipped; `types pull` rewrites it
        return found

    def store(self, url: str, content: bytes) -> Path:
        import hashlib
        import json

        stem = self._stem(url)
        private_dir(stem.parent)  # the data directory is the owner's only
        meta = {"url": url, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
                "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = stem.with_suffix(".tmp")
        tmp.write_bytes(content)
        os.replace(tmp, stem.with_suffix(".yaml"))  # never a half-written cache entry
        stem.with_suffix(".json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return stem.with_suffix(".yaml")


class FetchError(Exception):
    pass


@record
class Fetcher:
    """HTTPS downloads with a timeout and a size cap. ``timeout`` bounds each
    connect and read; ``deadline`` the whole download, since a server sending
    a byte at a time never trips the read timeout."""

    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    allow_http: bool = False
    deadline: float = 120.0

    def fetch(self, url: str) -> bytes:
        import requests  # imported here: offline runs never need it
        import urllib3

        target = url
        try:
            # Redirects are followed by hand so that every hop passes the scheme
            # check: an https URL must not bounce the fetch to plain http.
            for _hop in range(MAX_REDIRECTS + 1):
                self._check_scheme(target, url)
                with requests.get(target, timeout=self.timeout, stream=True, allow_redirects=False) as response:
                    if response.is_redirect:
                        target = urljoin(target, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"{url} answered HTTP {response.status_code}")
                    return self._read_body(response, url)
            raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise FetchError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from None

    def _check_scheme(self, target: str, url: str) -> None:
        scheme = urlsplit(target).scheme.lower()
        if scheme != "https" and not (scheme == "http" and self.allow_http):
            via = "" if target == url else f" (redirected from {url})"
            raise FetchError(f"refusing to fetch {target}{via}: only https URLs are fetched")

    def _read_body(self, response, url: str) -> bytes:
        started = time.monotonic()
        read1 = getattr(response.raw, "read1", None)  # urllib3 2: returns what has arrived
        if read1 is not None:
            pieces = iter(lambda: read1(65536, decode_content=True) or b"", b"")
        else:  # older urllib3: each chunk waits for 64 KiB, so the deadline is looser
            pieces = response.iter_content(65536)
        chunks, size = [], 0
        for chunk in pieces:
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"{url} is larger than {self.max_bytes:,} bytes")
            if time.monotonic() - started > self.deadline:
                raise FetchError(f"{url} took longer than {self.deadline:g} s to download")
            chunks.append(chunk)
        return b"".join(chunks)


@record
class ImportPolicy:
    """What imports may reach. The defaults suit validating untrusted input."""

    import_map: ImportMap = field(default_factory=ImportMap)
    cache: UrlCache | None = None
    online: bool = False
    roots: list[str] = field(default_factory=list)
    allow_outside_roots: bool = False
    allow_file_urls: bool = False
    allow_http: bool = False
    fetcher: Fetcher = field(default_factory=Fetcher)
    # the root of the repository that holds the template (a CSAR's root): an import written
    # with a leading slash starts there (TOSCA 2.0, 6.8.2.2)
    repository_root: str | None = None

    def __post_init__(self) -> None:
        # Imports are compared by real path (symlinks resolved), so roots must be too.
        self.roots = [os.path.realpath(root) for root in self.roots]

    def url_cache(self) -> UrlCache:
        if self.cache is None:
            self.cache = UrlCache()
        return self.cache


@record(frozen=True)
class Resolution:
    """Where an import reference leads: a local file, or why not."""

    local_path: str | None = None
    url: str | None = None  # set when the file stands for a URL (mapped, cached or fetched)
    rule: str | None = None
    message: str = ""
    hint: str | None = None

    @property
    def ok(self) -> bool:
        return self.local_path is not None


def resolve_url(url: str, policy: ImportPolicy) -> Resolution:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        if not policy.allow_file_urls:
            return Resolution(rule="PT202", message=f"file:// import {url} refused",
                              hint="file URLs can read any file of the machine; pass --allow-file-urls to permit them")
        path = unquote(urlsplit(url).path)
        return resolve_local_path(path, None, policy, check_roots=False)
    mapped = policy.import_map.lookup(url)
    if mapped is not None and not mapped.is_file():
        return _not_a_file(url, mapped, policy.import_map)
    local = local_copy(url, policy)
    if local is not None:
        return Resolution(local, url)
    if scheme == "http" and not policy.allow_http:
        return Resolution(rule="PT202", message=f"plain http import {url} refused",
                          hint="use https, map the URL to a local file with --import-map, or pass --allow-http")
    if not policy.online:
        return Resolution(
            rule="PT201", message=f"import {url} is not available offline",
            hint=f"map it to a local file with --import-map, or fetch it once with "
                 f"`python -m primage_tosca types pull {url}`, or pass --online")
    return fetch_into_cache(url, policy)


def local_copy(url: str, policy: ImportPolicy) -> str | None:
    """The local file that serves ``url`` offline: the import map's, else the package's own
    copy (the built-in catalogue), else the cache's; None when there is none."""
    mapped = policy.import_map.lookup(url)
    if mapped is not None and mapped.is_file():
        return str(mapped)
    builtin = builtin_map().lookup(url)
    if builtin is not None and builtin.is_file():
        return os.path.realpath(builtin)
    cached = policy.url_cache().lookup(url)
    return str(cached) if cached is not None else None


def _not_a_file(reference: str, mapped: Path, import_map: ImportMap) -> Resolution:
    return Resolution(rule="PT200", message=f"{reference} is mapped to {mapped}, which is not a file",
                      hint=f"check the import map{'s' if len(import_map.sources) > 1 else ''} "
                           f"{', '.join(import_map.sources)}")


def resolve_profile(name: str, policy: ImportPolicy) -> Resolution:
    """A TOSCA 2.0 import by profile name: the import map first (a user's own copy or
    profile), then the profiles the package carries. Never the network: a name is no address."""
    mapped = policy.import_map.lookup_profile(name)
    if mapped is not None:
        return Resolution(str(mapped)) if mapped.is_file() else _not_a_file(name, mapped, policy.import_map)
    builtin_name = PROFILE_ALIASES.get(name, name)
    if builtin_name in BUILTIN_PROFILES:
        url = BUILTIN_PROFILES[builtin_name]
        builtin = builtin_map().lookup(url)
        if builtin is not None and builtin.is_file():
            return Resolution(os.path.realpath(builtin), url)
        return Resolution(rule="PT200", message=f"profile {name!r} is missing from this installation of "
                          "primage_tosca", hint="reinstall primage_tosca")
    return Resolution(
        rule="PT200", message=f"profile {name!r} is not known",
        hint=f"built-in profiles: {', '.join(sorted(BUILTIN_PROFILES))}; map the name to a file in an import map "
             f"(`{{\"{name}\": \"path/to/profile.yaml\"}}`, --import-map)")


def fetch_into_cache(url: str, policy: ImportPolicy) -> Resolution:
    fetcher = policy.fetcher
    if policy.allow_http and not fetcher.allow_http:
        fetcher = replace(fetcher, allow_http=True)
    try:
        content = fetcher.fetch(url)
    except FetchError as exc:
        return Resolution(rule="PT204", message=str(exc), hint="check the URL, or map it with --import-map")
    return Resolution(str(policy.url_cache().store(url, content)), url)


def resolve_local_path(path: str, base_dir: str | None, policy: ImportPolicy, check_roots: bool = True) -> Resolution:
    joined = path if os.path.isabs(path) or base_dir is None else os.path.join(base_dir, path)
    real = os.path.realpath(joined)  # symlinks resolved before the root check
    if check_roots and not policy.allow_outside_roots and policy.roots:
        if not any(is_within(real, root) for root in policy.roots):
            return Resolution(
                rule="PT202", message=f"import {path} resolves to {real}, outside the allowed roots",
                hint=f"allowed roots: {', '.join(policy.roots)}; add one with --root DIR, or pass --allow-outside-roots")
    if os.path.isdir(real):
        return Resolution(rule="PT200", message=f"import {path} is a directory, not a file")
    if not os.path.isfile(real):
        return Resolution(rule="PT200", message=f"import {path} not found (looked for {joined})")
    return Resolution(real)


def resolve_reference(reference: str, importer_path: str | None, importer_url: str | None,
                      policy: ImportPolicy) -> Resolution:
    """Resolve an import written in a file that was read from ``importer_path``
    (and stands for ``importer_url`` when it came from a URL)."""
    if is_url(reference):
        return resolve_url(reference, policy)
    if importer_url and not os.path.isabs(reference):
        return resolve_url(urljoin(importer_url, reference), policy)
    base = os.path.dirname(importer_path) if importer_path else os.getcwd()
    in_repository = _in_repository(reference, policy) if importer_url is None else None
    return resolve_local_path(in_repository or reference, base, policy)


def _in_repository(reference: str, policy: ImportPolicy) -> str | None:
    """A path from the repository's root (``/base.yaml``) as the file it names there, when the
    repository has one; None otherwise (the path is then read as written)."""
    if policy.repository_root is None or not reference.startswith("/"):
        return None
    candidate = os.path.join(policy.repository_root, reference.lstrip("/"))
    return candidate if os.path.isfile(candidate) else None
