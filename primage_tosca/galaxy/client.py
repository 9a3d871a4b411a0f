"""A small Galaxy client: the v1 role API, the v3 collection API, downloads.

* every request has explicit (connect, read) timeouts;
* only idempotent GETs are made, and only they are retried, with backoff,
  on timeouts, dropped connections and 5xx / 429 answers;
* failures are typed (:class:`NotFound`, :class:`ServerError`,
  :class:`BadResponse`, :class:`Timeout`, all :class:`GalaxyError`);
* JSON answers are memoised per URL, so one run fetches each answer once
  even when many threads ask for it at the same moment;
* plain ``http://`` is refused except to a loopback host (a local test
  server) unless ``allow_http`` is set.

A :class:`requests.Session` with a connection pool as large as the number of
worker threads is shared by all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from concurrent.futures import Future
from typing import Any, BinaryIO, Callable
from urllib.parse import quote, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..recipe_specs import is_loopback_host
from ..records import record
from .errors import ArchiveError, BadResponse, GalaxyError, NetworkRefused, NotFound, ServerError, Timeout

DEFAULT_SERVER = "https://galaxy.ansible.com"
ENV_SERVER = "PRIMAGE_TOSCA_GALAXY_SERVER"
USER_AGENT = "primage-tosca-recipes"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_PAGES = 200


def server_url(explicit: str | None = None) -> str:
    """The Galaxy server: the argument, else $PRIMAGE_TOSCA_GALAXY_SERVER, else galaxy.ansible.com."""
    return (explicit or os.environ.get(ENV_SERVER) or DEFAULT_SERVER).rstrip("/")


@record(frozen=True)
class HttpSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 2  # extra attempts of a GET that failed in a way worth retrying
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_json_bytes: int = 10 * 1024 * 1024
    download_seconds: float = 600.0  # a whole download, however slowly it trickles
    allow_http: bool = False  # plain http:// to hosts other than loopback


def check_url(url: str, settings: HttpSettings) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and (settings.allow_http or is_loopback_host(parts.hostname)):
        return
    if parts.scheme == "http":
        raise NetworkRefused(f"refusing plain http:// to {parts.hostname} ({url})",
                             hint="use https, or pass --allow-http if the server cannot do better")
    raise NetworkRefused(f"refusing the URL {url!r}: only https:// (and http:// to a local server) is used")


class Http:
    """GETs with timeouts, retries, typed errors and per-URL memoisation."""

    def __init__(self, settings: HttpSettings | None = None, pool_size: int = 16,
                 session: requests.Session | None = None):
        self.settings = settings or HttpSettings()
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=max(pool_size, 1), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        self._memo: dict[str, Future] = {}
        self._memo_lock = threading.Lock()
        self.requests_made = 0
        self._count_lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "Http":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the one place requests are made ------------------------------------------

    def _get(self, url: str, stream: bool = False) -> requests.Response:
        check_url(url, self.settings)
        settings = self.settings
        attempt = 0
        while True:
            failure: GalaxyError
            try:
                with self._count_lock:
                    self.requests_made += 1
                response = self.session.get(url, stream=stream, allow_redirects=True,
                                            timeout=(settings.connect_timeout, settings.read_timeout))
            except requests.Timeout:
                failure = Timeout(f"{url}: no answer within {settings.connect_timeout:g} s (connect) / "
                                  f"{settings.read_timeout:g} s (read)", url=url)
            except requests.ConnectionError as exc:
                failure = GalaxyError(f"{url}: cannot connect ({_reason(exc)})", url=url)
            except requests.RequestException as exc:
                raise GalaxyError(f"{url}: request failed ({exc})", url=url) from None
            else:
                if response.url != url:
                    check_url(response.url, settings)  # a redirect must obey the same policy
                status = response.status_code
                if status < 400:
                    return response
                response.close()
                if status == 404:
                    raise NotFound(f"{url}: not found (HTTP 404)", url=url)
                if status not in RETRY_STATUSES:
                    raise ServerError(f"{url}: HTTP {status} {response.reason or ''}".rstrip(), url=url)
                failure = ServerError(f"{url}: the server failed (HTTP {status}) "
                                      f"{attempt + 1} time{'s' if attempt else ''}", url=url)
            if attempt >= settings.retries:
                raise failure
            time.sleep(settings.backoff * (2 ** attempt))
            attempt += 1

    def _fetch_json(self, url: str) -> Any:
        response = self._get(url, stream=True)
        try:
            body = _read_capped(response, self.settings.max_json_bytes, url, self.settings.download_seconds)
        finally:
            response.close()
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadResponse(f"{url}: the answer is not JSON ({exc})", url=url) from None

    def get_json(self, url: str) -> Any:
        """The JSON at ``url``; fetched once per URL however many callers ask."""
        with self._memo_lock:
            future = self._memo.get(url)
            owner = future is None
            if owner:
                future = self._memo[url] = Future()
        if owner:
            try:
                future.set_result(self._fetch_json(url))
            except BaseException as exc:  # every waiter sees the same failure
                future.set_exception(exc)
        return future.result()

    def download(self, url: str, out: BinaryIO, max_bytes: int) -> tuple[str, int]:
        """Stream ``url`` into ``out``; returns (sha256, size). Stops past ``max_bytes``."""
        response = self._get(url, stream=True)
        digest = hashlib.sha256()
        size = 0
        started = time.monotonic()
        try:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(url, max_bytes, int(declared))
            for chunk in response.iter_content(chunk_size=1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(url, max_bytes)
                if time.monotonic() - started > self.settings.download_seconds:
                    raise Timeout(f"{url}: the download took longer than {self.settings.download_seconds:g} s",
                                  url=url)
                digest.update(chunk)
                out.write(chunk)
        except requests.Timeout:
            raise Timeout(f"{url}: the download stalled for {self.settings.read_timeout:g} s", url=url) from None
        except requests.RequestException as exc:
            raise GalaxyError(f"{url}: the download failed ({_reason(exc)})", url=url) from None
        finally:
            response.close()
        return digest.hexdigest(), size


def _too_large(url: str, cap: int, declared: int | None = None) -> ArchiveError:
    size = f"{declared:,} bytes" if declared else "more"
    return ArchiveError(f"{url}: the archive is {size}, over the {cap:,}-byte cap",
                        hint="raise --max-archive-size if it is genuine")


def _read_capped(response: requests.Response, cap: int, url: str, seconds: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    started = time.monotonic()
    try:
        for chunk in response.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > cap:
                raise BadResponse(f"{url}: the answer is larger than {cap:,} bytes", url=url)
            if time.monotonic() - started > seconds:
                raise Timeout(f"{url}: the answer took longer than {seconds:g} s", url=url)
            chunks.append(chunk)
    except requests.Timeout:
        raise Timeout(f"{url}: the answer stalled", url=url) from None
    except requests.RequestException as exc:
        raise GalaxyError(f"{url}: reading the answer failed ({_reason(exc)})", url=url) from None
    return b"".join(chunks)


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."


def _dict(value: Any, url: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise BadResponse(f"{url}: expected {what} as a JSON object, got {type(value).__name__}", url=url)
    return value


def _list(value: Any, url: str, what: str) -> list:
    if not isinstance(value, list):
        raise BadResponse(f"{url}: expected {what} as a JSON list, got {type(value).__name__}", url=url)
    return value


class GalaxyClient:
    """The parts of the Galaxy API that resolving needs."""

    def __init__(self, server: str | None = None, http: Http | None = None):
        self.server = server_url(server)
        self.http = http or Http()
        self._root_lock = threading.Lock()
        self._root: tuple[str, dict] | None = None

    # -- discovery ---------------------------------------------------------------------

    def api_root(self) -> tuple[str, dict]:
        """(API root URL, available_versions). ``<server>/api/`` first (Galaxy's
        layout), then the server URL itself (a server that is its own API root)."""
        with self._root_lock:
            if self._root is not None:
                return self._root
            base = self.server + "/"
            candidates = [base] if base.endswith("/api/") else [urljoin(base, "api/"), base]
            last: GalaxyError | None = None
            for url in candidates:
                try:
                    data = self.http.get_json(url)
                except (NotFound, BadResponse) as exc:
                    last = exc
                    continue
                if isinstance(data, dict) and isinstance(data.get("available_versions"), dict):
                    self._root = (url, data["available_versions"])
                    return self._root
                last = BadResponse(f"{url}: not a Galaxy API root (no 'available_versions')", url=url)
            assert last is not None
            raise BadResponse(f"{self.server} does not look like a Galaxy server: {last.message}", url=self.server)

    def api(self, version: str) -> str:
        root, versions = self.api_root()
        path = versions.get(version)
        if not isinstance(path, str):
            raise BadResponse(f"{self.server} offers no {version} API (it offers {', '.join(map(str, versions))})",
                              url=root)
        return urljoin(root, path if path.endswith("/") else path + "/")

    def _same_server(self, link: str, current: str) -> str:
        url = urljoin(current, link)
        if urlsplit(url).netloc != urlsplit(current).netloc:
            raise BadResponse(f"{current}: the next page {link!r} is on another host", url=current)
        return url

    def _pages(self, first: str, items_key: str, next_of: Callable[[dict], Any]) -> list:
        results: list = []
        url: str | None = first
        seen: set[str] = set()
        while url:
            if url in seen or len(seen) >= MAX_PAGES:
                raise BadResponse(f"{first}: the pages loop or run past {MAX_PAGES}", url=first)
            seen.add(url)
            page = _dict(self.http.get_json(url), url, "a page")
            results.extend(_list(page.get(items_key), url, f"'{items_key}'"))
            link = next_of(page)
            if link is not None and not isinstance(link, str):
                raise BadResponse(f"{url}: the next-page link is not a string", url=url)
            url = self._same_server(link, url) if link else None
        return results

    # -- roles (v1) --------------------------------------------------------------------

    def lookup_role(self, namespace: str, name: str) -> dict | None:
        url = self.api("v1") + f"roles/?owner__username={quote(namespace)}&name={quote(name)}"
        page = _dict(self.http.get_json(url), url, "a role lookup")
        results = _list(page.get("results"), url, "'results'")
        if not results:
            return None
        role = _dict(results[0], url, "a role")
        if "id" not in role or not isinstance(role["id"], (int, str)):
            raise BadResponse(f"{url}: the role has no 'id'", url=url)
        return role

    def role_versions(self, role_id: int | str) -> list[dict]:
        first = self.api("v1") + f"roles/{quote(str(role_id))}/versions/?page_size=50"
        versions = self._pages(first, "results", lambda page: page.get("next") or page.get("next_link"))
        for version in versions:
            if not isinstance(version, dict) or not isinstance(version.get("name"), str):
                raise BadResponse(f"{first}: a version without a 'name'", url=first)
        return versions

    # -- collections (v3) --------------------------------------------------------------

    def collection_versions(self, namespace: str, name: str) -> list[str]:
        first = self.api("v3") + f"collections/{quote(namespace)}/{quote(name)}/versions/?limit=100"

        def next_link(page: dict) -> Any:
            links = page.get("links")
            return links.get("next") if isinstance(links, dict) else None

        found = self._pages(first, "data", next_link)
        versions = []
        for item in found:
            if not isinstance(item, dict) or not isinstance(item.get("version"), str):
                raise BadResponse(f"{first}: an entry without a 'version'", url=first)
            versions.append(item["version"])
        return versions

    def collection_version(self, namespace: str, name: str, version: str) -> dict:
        url = self.api("v3") + f"collections/{quote(namespace)}/{quote(name)}/versions/{quote(version)}/"
        data = _dict(self.http.get_json(url), url, "a collection version")
        if not isinstance(data.get("download_url"), str):
            raise BadResponse(f"{url}: no 'download_url'", url=url)
        data = dict(data)
        data["download_url"] = urljoin(url, data["download_url"])
        return data
