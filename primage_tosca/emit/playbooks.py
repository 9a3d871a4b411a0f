"""Reading the files interface operations name (Ansible playbooks, scripts).

Never the network: a URL is served by the import map, the files the package
carries (the PRIMAGE recipes under their published URL) or the local URL
cache (``types pull``), a relative name is read beside the file that wrote it (or,
for a file imported by URL, at the URL it stands for). Each file is read once
per compile, however many nodes or templates name it.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urljoin, urlsplit

from ..imports.policy import ImportPolicy, is_url, local_copy, resolve_local_path
from ..records import field, record
from .urls import url_problem

# IM reads a relative implementation from its own copy of this repository.
IM_ARTIFACTS_URL = "https://raw.githubusercontent.com/grycap/tosca/main/artifacts/"


@record(frozen=True)
class Fetched:
    """A file's text, or why it could not be read."""

    text: str | None
    where: str  # the URL or path it was looked for at
    problem: str | None = None
    hint: str | None = None


@record
class PlaybookSource:
    policy: ImportPolicy
    max_bytes: int = 10 * 1024 * 1024
    _cache: dict = field(default_factory=dict)

    def read(self, reference: str, origin_file: str | None, origin_url: str | None) -> Fetched:
        """The text ``reference`` names, written in a file read from
        ``origin_file`` (standing for ``origin_url`` when fetched by URL)."""
        problem = url_problem(reference)
        if problem:  # urllib would raise on it (an unclosed '[' in the host)
            return Fetched(None, reference, f"{reference!r} is not a valid URL ({problem})", "fix the URL")
        key = (reference, origin_file if not is_url(reference) else None, origin_url)
        if key not in self._cache:
            try:
                self._cache[key] = self._read(reference, origin_file, origin_url)
            except ValueError as exc:  # joined with the origin's URL, it may still be malformed
                self._cache[key] = Fetched(None, reference, f"{reference!r} is not a valid URL ({exc})",
                                           "fix the URL")
        return self._cache[key]

    def _read(self, reference: str, origin_file: str | None, origin_url: str | None) -> Fetched:
        if is_url(reference):
            return self._url(reference)
        if origin_url and not os.path.isabs(reference):
            return self._url(urljoin(origin_url, reference))
        base = os.path.dirname(origin_file) if origin_file else os.getcwd()
        resolution = resolve_local_path(reference, base, self.policy)
        if resolution.ok:
            return self._file(resolution.local_path, reference)
        fallback = self._url(IM_ARTIFACTS_URL + reference.lstrip("/")) if not os.path.isabs(reference) else None
        if fallback is not None and fallback.text is not None:
            return fallback
        return Fetched(None, reference, resolution.message, resolution.hint)

    def _url(self, url: str) -> Fetched:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not self.policy.allow_file_urls:
                return Fetched(None, url, f"file:// implementation {url} refused",
                               "pass --allow-file-urls to read file URLs")
            return self._file(unquote(urlsplit(url).path), url)
        local = local_copy(url, self.policy)
        if local is not None:
            return self._file(local, url)
        return Fetched(None, url, f"{url} is not available offline",
                       "map it to a local file with --import-map (the compiler never fetches)")

    def _file(self, path: str, where: str) -> Fetched:
        try:
            if os.path.getsize(path) > self.max_bytes:
                return Fetched(None, where, f"{where} is larger than {self.max_bytes:,} bytes")
            with open(path, "rb") as handle:
                raw = handle.read()
            return Fetched(raw.decode("utf-8"), where)
        except UnicodeDecodeError:
            return Fetched(None, where, f"{where} is not UTF-8 text")
        except OSError as exc:
            return Fetched(None, where, f"cannot read {where}: {exc.strerror or exc}")
