"""``types pull``: URL imports fetched into the cache with everything they import.

A type library is often more than one file: a TOSCA 2.0 profile is a
``profile.yaml`` that imports its type files by relative path, and a 1.x
library may import others by URL. Pulling only the named file would leave the
rest unavailable offline, so each fetched file's imports are pulled too: by
relative path (joined to the file's URL), by URL, or through a repository the
file defines. A URL the package itself carries (the built-in catalogue) is
not fetched: it is always served from the package. Imports by profile name
need no pull: they are served from the import map or the package.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ..records import record
from ..source.document import ParseCache, load_document
from .loader import parse_import_entries, repository_import_url
from .policy import Fetcher, FetchError, UrlCache, builtin_map, is_url

MAX_FILES = 500  # a bound on what one pull may fetch, should a server invent ever new imports


@record(frozen=True)
class Pulled:
    """One URL of a pull: where it was stored, or that the package serves it, or why it failed."""

    url: str
    path: str | None = None
    builtin: bool = False
    error: str | None = None
    imported_by: str | None = None  # the file that imports it (None for a URL asked for)


def pull(urls: list[str], cache: UrlCache, fetcher: Fetcher, max_files: int = MAX_FILES) -> list[Pulled]:
    """Fetch ``urls`` into ``cache``, then what they import, breadth first, each URL once."""
    queue: list[tuple[str, str | None]] = [(url, None) for url in urls]
    seen: set[str] = set()
    results: list[Pulled] = []
    while queue:
        url, importer = queue.pop(0)
        if url in seen:
            continue
        if len(seen) >= max_files:
            results.append(Pulled(url, error=f"not fetched: this pull stopped after {max_files} files",
                                  imported_by=importer))
            break
        seen.add(url)
        result = _pull_one(url, importer, cache, fetcher)
        results.append(result)
        if result.path is not None:
            queue.extend((child, url) for child in imported_urls(result.path, url) if child not in seen)
    return results


def _pull_one(url: str, importer: str | None, cache: UrlCache, fetcher: Fetcher) -> Pulled:
    if builtin_map().lookup(url) is not None:
        return Pulled(url, builtin=True, imported_by=importer)
    try:
        return Pulled(url, str(cache.store(url, fetcher.fetch(url))), imported_by=importer)
    except FetchError as exc:
        return Pulled(url, error=str(exc), imported_by=importer)


def imported_urls(path: str, url: str) -> list[str]:
    """The http(s) URLs the file at ``path`` (fetched from ``url``) imports. A file that is
    not YAML imports nothing here; validating a template that uses it reports the fault."""
    document = load_document(path, display=url, cache=ParseCache(), url=url)
    if not document.ok or not isinstance(document.data, dict):
        return []
    entries, _problems = parse_import_entries(document)
    found = []
    for entry in entries:
        try:
            child = None if entry.profile else _entry_url(document, entry, url)
            if child is not None and urlsplit(child).scheme.lower() in ("http", "https"):
                found.append(child)
        except ValueError:
            continue  # a malformed URL (an unclosed '[' in the host): validating reports it
    return found


def _entry_url(document, entry, url: str) -> str | None:
    if entry.repository:
        return repository_import_url(document, entry)
    return entry.file if is_url(entry.file) else urljoin(url, entry.file)
