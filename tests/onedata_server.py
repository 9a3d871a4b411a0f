"""A local Oneprovider for the tests and benchmarks, on 127.0.0.1.

It answers the part of the Oneprovider REST API (v3, OpenAPI description
21.02) that primage_tosca uses, with its shapes:

* ``POST /api/v3/oneprovider/lookup-file-id/{path}`` -> ``{"fileId": ...}``
  (the path starts with the space's name);
* ``GET /api/v3/oneprovider/data/{id}`` -> attributes (``?attribute=`` picks);
* ``GET /api/v3/oneprovider/data/{id}/files`` -> ``{"files": [...],
  "inaccessiblePaths": [], "isLast": ..., "nextPageToken": ...}``, every file
  under the folder with its path relative to it, lexicographic, paged by
  ``limit`` and ``token``;
* ``GET /api/v3/oneprovider/data/{id}/content`` -> the bytes; a ``Range:
  bytes=N-`` (or ``N-M``) header gets ``206 Partial Content``.

The token is checked in ``X-Auth-Token``; errors are Onedata's
``{"error": {"id": ..., "description": ..., "details": {...}}}`` (401
unauthorized, 400 posix/enoent for a missing path). ``cut_after`` makes the
next download of a file stop after that many bytes (the connection closes),
for the resume tests. ``requests`` counts every call.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from local_http import LocalHandler, local_server

PREFIX = "/api/v3/oneprovider"


def file_id(path: str) -> str:
    return "0000" + path.encode("utf-8").hex().upper()


def path_of(ident: str) -> str | None:
    try:
        return bytes.fromhex(ident[4:]).decode("utf-8") if ident.startswith("0000") else None
    except ValueError:
        return None


class OneproviderServer:
    def __init__(self, token: str = "onedata-token"):
        self.token = token
        self.files: dict[str, bytes] = {}  # "/space/dir/file" -> content
        self.requests: list[tuple[str, str]] = []
        self.cut_after: dict[str, int] = {}  # path -> bytes sent before the connection drops (once)
        self.httpd, self.thread = local_server(_handler(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "OneproviderServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, content: bytes) -> None:
        self.files["/" + path.strip("/")] = content

    def is_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(name.startswith(prefix) for name in self.files)


def _handler(provider: OneproviderServer):
    class Handler(LocalHandler):
        def do_GET(self) -> None:
            self.serve("GET")

        def do_POST(self) -> None:
            self.serve("POST")

        def serve(self, method: str) -> None:
            split = urlsplit(self.path)
            provider.requests.append((method, split.path))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.headers.get("X-Auth-Token") != provider.token:
                return self.error(401, "unauthorized", "You must authenticate yourself to perform this operation.")
            if not split.path.startswith(PREFIX):
                return self.error(404, "notFound", "The resource could not be found.")
            route = split.path[len(PREFIX):]
            query = parse_qs(split.query)
            if method == "POST" and route.startswith("/lookup-file-id/"):
                path = "/" + unquote(route[len("/lookup-file-id/"):]).strip("/")
                if path not in provider.files and not provider.is_dir(path):
                    return self.enoent()
                return self.send_json(200, {"fileId": file_id(path)})
            found = re.match(r"^/data/([^/]+)(/files|/content|/children)?$", route)
            if method != "GET" or not found:
                return self.error(404, "notFound", "The resource could not be found.")
            path = path_of(found.group(1))
            if path is None or (path not in provider.files and not provider.is_dir(path)):
                return self.enoent()
            action = found.group(2)
            if action == "/files":
                return self.listing(path, query)
            if action == "/content":
                return self.content(path)
            if action is None:
                return self.attributes(path, query.get("attribute"))
            return self.error(404, "notFound", "The resource could not be found.")

        def attributes(self, path: str, names: list[str] | None) -> None:
            is_file = path in provider.files
            every = {"file_id": file_id(path), "name": path.rsplit("/", 1)[-1], "type": "REG" if is_file else "DIR",
                     "size": len(provider.files[path]) if is_file else 0}
            self.send_json(200, {k: v for k, v in every.items() if not names or k in names})

        def listing(self, folder: str, query: dict) -> None:
            limit = int((query.get("limit") or ["1000"])[0])
            start = int((query.get("token") or ["0"])[0] or 0)
            names = query.get("attribute") or ["file_id", "path"]
            prefix = folder.rstrip("/") + "/"
            paths = sorted(p for p in provider.files if p.startswith(prefix))
            page = paths[start:start + limit]
            files = []
            for path in page:
                every = {"file_id": file_id(path), "path": path[len(prefix):], "size": len(provider.files[path]),
                         "name": path.rsplit("/", 1)[-1], "type": "REG"}
                files.append({k: v for k, v in every.items() if k in names})
            last = start + limit >= len(paths)
            self.send_json(200, {"files": files, "inaccessiblePaths": [], "isLast": last,
                            "nextPageToken": None if last else str(start + limit)})

        def content(self, path: str) -> None:
            if path not in provider.files:
                return self.error(400, "posix", "Operation failed with POSIX error: eisdir.", {"errno": "eisdir"})
            data = provider.files[path]
            first, last, code = 0, len(data) - 1, 200
            found = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range") or "")
            if found:
                first = int(found.group(1))
                last = int(found.group(2)) if found.group(2) else len(data) - 1
                code = 206
                if first >= len(data):
                    return self.error(416, "badValueRange", "Requested range not satisfiable.")
            body = data[first:last + 1]
            cut = provider.cut_after.pop(path, None)
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            if code == 206:
                self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
            if cut is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body if cut is None else body[:cut])
            self.wfile.flush()
            if cut is not None:
                self.close_connection = True

        def enoent(self) -> None:
            self.error(400, "posix", "Operation failed with POSIX error: enoent.", {"errno": "enoent"})

        def error(self, code: int, ident: str, description: str, details: dict | None = None) -> None:
            error = {"id": ident, "description": description}
            if details:
                error["details"] = details
            self.send_json(code, {"error": error})

    return Handler


__all__ = ["OneproviderServer", "file_id"]
