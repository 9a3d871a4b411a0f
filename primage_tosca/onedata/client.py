"""A Oneprovider REST client (API v3, ``/api/v3/oneprovider``): resolve a
path, list a folder's files, read a file's attributes, download with resume.

    >>> provider = OneproviderClient("oneprovider.example.org", token)
    >>> [entry.path for entry in provider.list_files("primage-data/inputs")]
    >>> provider.download(entry, Path("out/p001.nii.gz"))

The calls follow the published Oneprovider API: ``POST
/lookup-file-id/{path}`` (a path starts with the space's name), ``GET
/data/{id}/files`` (every file under a folder, paged by ``nextPageToken``),
``GET /data/{id}`` (attributes), ``GET /data/{id}/content`` with a ``Range``
header. The token goes in ``X-Auth-Token`` and never into a message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from ..records import record

PAGE = 1000
TIMEOUT = (5.0, 60.0)
CHUNK = 1 << 16  # what a cut connection can lose before the resume


class OnedataError(Exception):
    """A Oneprovider call failed."""


class OnedataUnreachable(OnedataError):
    """No answer from the provider."""


class OnedataAuthError(OnedataError):
    """401/403: the token was refused, or it may not read this."""


class OnedataNotFound(OnedataError):
    """No such file or folder in the space."""


@record
class Entry:
    path: str  # relative to the listed folder
    size: int
    file_id: str


def base_url(host: str) -> str:
    """https://HOST/api/v3/oneprovider; a host given with a scheme keeps it
    (http:// only makes sense for a provider on this machine)."""
    root = host if "://" in host else f"https://{host}"
    return root.rstrip("/") + "/api/v3/oneprovider"


class OneproviderClient:
    def __init__(self, host: str, token: str, *, verify: bool | str = True, timeout: tuple = TIMEOUT):
        import requests

        self.host = host
        self.base = base_url(host)
        self.session = requests.Session()
        self.session.headers["X-Auth-Token"] = token
        self.session.verify = verify
        self.timeout = timeout
        self.calls = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "OneproviderClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        import requests

        self.calls += 1
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise OnedataUnreachable(f"TLS with the Oneprovider {self.host} failed: {_first_line(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise OnedataUnreachable(f"cannot reach the Oneprovider {self.host}: {_first_line(exc)}") from None
        if response.status_code >= 400:
            raise self._error(response, what)
        return response

    def _error(self, response: Any, what: str) -> OnedataError:
        try:
            error = (response.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        detail = error.get("description") or error.get("id") or response.reason or ""
        errno = (error.get("details") or {}).get("errno") if isinstance(error.get("details"), dict) else None
        status = response.status_code
        if status in (401, 403) or errno in ("eacces", "eperm"):
            return OnedataAuthError(f"the Oneprovider {self.host} refused the Onedata token for {what} "
                                    f"({status}: {detail}): give a valid token with read access to the space")
        if status == 404 or errno == "enoent":
            return OnedataNotFound(f"{what}: not found on the Oneprovider {self.host}")
        return OnedataError(f"the Oneprovider {self.host} failed {what} ({status}: {detail})")

    # -- operations --------------------------------------------------------------------------

    def lookup(self, path: str) -> str:
        """The file id of a path that starts with the space's name."""
        clean = "/".join(part for part in path.split("/") if part)
        answer = self._call("POST", f"/lookup-file-id/{quote(clean)}", f"looking up /{clean}").json()
        return str(answer["fileId"])

    def attributes(self, file_id: str, names: tuple[str, ...] = ("name", "size", "type")) -> dict:
        return self._call("GET", f"/data/{file_id}", "reading attributes",
                          params=[("attribute", n) for n in names]).json()

    def list_files(self, folder: str) -> list[Entry]:
        """Every file under ``folder`` (space name first), at any depth, with
        paths relative to it, in the provider's (lexicographic) order."""
        folder_id = self.lookup(folder)
        entries: list[Entry] = []
        token = None
        while True:
            params: list[tuple[str, Any]] = [("limit", PAGE), ("attribute", "path"), ("attribute", "size"),
                                             ("attribute", "file_id")]
            if token:
                params.append(("token", token))
            page = self._call("GET", f"/data/{folder_id}/files", f"listing /{folder.strip('/')}", params=params).json()
            for item in page.get("files") or []:
                entries.append(Entry(str(item.get("path", "")).lstrip("./").lstrip("/"), int(item.get("size") or 0),
                                     str(item.get("file_id") or item.get("fileId") or "")))
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                return entries

    def download(self, entry: Entry, destination: Path, progress: Callable[[int], None] | None = None) -> int:
        """Fetch a file into ``destination``, resuming a ``.part`` file left by
        an interrupted run (a ``Range`` request), and check its size. Returns
        the bytes fetched in this call."""
        import requests

        destination = Path(destination)
        if destination.is_file() and destination.stat().st_size == entry.size:
            return 0
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = destination.with_name(destination.name + ".part")
        have = partial.stat().st_size if partial.is_file() else 0
        if have > entry.size:
            partial.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        fetched = 0
        if have < entry.size or entry.size == 0:
            response = self._call("GET", f"/data/{entry.file_id}/content", f"downloading {entry.path}",
                                  headers=headers, stream=True)
            mode = "ab" if have and response.status_code == 206 else "wb"  # a 200 is the whole file again
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "ab" else os.O_TRUNC),
                                 0o600)
            try:
                with os.fdopen(descriptor, mode) as handle:
                    for chunk in response.iter_content(CHUNK):
                        handle.write(chunk)
                        fetched += len(chunk)
                        if progress:
                            progress(len(chunk))
            except requests.exceptions.RequestException as exc:
                raise OnedataUnreachable(f"the download of {entry.path} from {self.host} was cut after "
                                         f"{partial.stat().st_size} of {entry.size} bytes ({_first_line(exc)}); "
                                         "run it again to resume") from None
            finally:
                response.close()
        size = partial.stat().st_size
        if size != entry.size:
            raise OnedataError(f"{entry.path}: got {size} bytes, the provider says {entry.size}; "
                               f"run it again to resume (the partial file is {partial})")
        partial.replace(destination)
        return fetched


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:240]


__all__ = ["Entry", "OnedataAuthError", "OnedataError", "OnedataNotFound", "OnedataUnreachable",
           "OneproviderClient", "base_url"]
