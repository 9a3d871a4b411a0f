"""A local Ansible Galaxy for tests and benchmarks, on 127.0.0.1.

It speaks the JSON shapes of the Galaxy API that ``ansible-galaxy`` and our
resolver use (``/api/``, the v1 role lookup and paged role versions, the v3
collection versions and version detail) and serves the archives the test
built. Faults can be set per path prefix: ``"404"``, ``"500"`` (every time),
``"500-once"`` (the first time only), ``"malformed"`` (a body that is not
JSON), ``("slow", seconds)``. A fixed ``delay`` before every answer stands in
for a distant server. A folder can be served as static files too (a bare git
repository after ``git update-server-info`` is then clonable over HTTP).

Also here: builders for role and collection archives, safe and unsafe.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass
class FakeRole:
    id: int
    namespace: str
    name: str
    versions: dict[str, bytes]  # version name -> archive
    github_branch: str | None = "master"
    with_download_url: bool = True
    branch_archive: bytes | None = None  # served as the github_branch when it is not a listed version


@dataclass
class FakeCollection:
    namespace: str
    name: str
    versions: dict[str, bytes]
    dependencies: dict[str, dict] = field(default_factory=dict)  # version -> {name: range}
    sha256_override: dict[str, str] = field(default_factory=dict)


class FakeGalaxy:
    def __init__(self, delay: float = 0.0, page_size: int = 2, v3_page_size: int = 2):
        self.delay = delay
        self.page_size = page_size
        self.v3_page_size = v3_page_size
        self.roles: dict[tuple[str, str], FakeRole] = {}
        self.collections: dict[tuple[str, str], FakeCollection] = {}
        self.files: dict[str, bytes] = {}
        self.folders: dict[str, Path] = {}
        self.faults: dict[str, Any] = {}
        self.log: list[str] = []
        self._lock = threading.Lock()
        self._fired: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content ----------------------------------------------------------------------------

    def add_role(self, namespace: str, name: str, versions: dict[str, bytes] | None = None, *,
                 github_branch: str | None = "master", with_download_url: bool = True,
                 branch_archive: bytes | None = None) -> FakeRole:
        role = FakeRole(len(self.roles) + 100, namespace, name, dict(versions or {}), github_branch,
                        with_download_url, branch_archive)
        self.roles[(namespace, name)] = role
        return role

    def add_collection(self, namespace: str, name: str, versions: dict[str, bytes],
                       dependencies: dict[str, dict] | None = None) -> FakeCollection:
        collection = FakeCollection(namespace, name, dict(versions), dict(dependencies or {}))
        self.collections[(namespace, name)] = collection
        return collection

    def role_archive_path(self, role: FakeRole, version: str) -> str:
        return f"/download/roles/{role.namespace}.{role.name}/{version}.tar.gz"

    # -- running -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeGalaxy":
        galaxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                galaxy._handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:  # a client that hung up: not news
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-galaxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeGalaxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for path in self.log if path.startswith(prefix))

    # -- answering -------------------------------------------------------------------------------

    def _fault_for(self, path: str) -> Any:
        for prefix, fault in self.faults.items():
            if path.startswith(prefix):
                if fault == "500-once":
                    with self._lock:
                        if prefix in self._fired:
                            continue
                        self._fired.add(prefix)
                    return "500"
                return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.log.append(handler.path)
        if self.delay:
            time.sleep(self.delay)
        fault = self._fault_for(handler.path)
        if isinstance(fault, tuple) and fault[0] == "slow":
            time.sleep(fault[1])
            fault = None
        if fault == "404":
            return self._send(handler, 404, b'{"detail": "Not found."}')
        if fault == "500":
            return self._send(handler, 500, b'{"detail": "boom"}')
        if fault == "malformed":
            return self._send(handler, 200, b'{"results": [ this is not json')
        try:
            status, body, kind = self._route(handler.path)
        except Exception as exc:  # a bug in the fake: answer 500 with the reason
            status, body, kind = 500, json.dumps({"detail": repr(exc)}).encode(), "application/json"
        self._send(handler, status, body, kind)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str = "application/json") -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, data: Any, status: int = 200) -> tuple[int, bytes, str]:
        return status, json.dumps(data).encode(), "application/json"

    def _not_found(self) -> tuple[int, bytes, str]:
        return self._json({"detail": "Not found."}, 404)

    def _route(self, raw_path: str) -> tuple[int, bytes, str]:
        parts = urlsplit(raw_path)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path.startswith("/api") and not path.endswith("/"):
            path += "/"  # Galaxy answers /api as /api/ (ansible-galaxy asks for /api)
        if path == "/api/":
            return self._json({"description": "FAKE GALAXY", "current_version": "v1",
                               "available_versions": {"v1": "v1/", "v3": "v3/"}})
        if path == "/api/v1/roles/":
            return self._lookup(query)
        segments = [s for s in path.split("/") if s]
        if segments[:3] == ["api", "v1", "roles"] and len(segments) == 5 and segments[4] == "versions":
            return self._role_versions(segments[3], query)
        if segments[:3] == ["api", "v3", "collections"] and len(segments) >= 6 and segments[5] == "versions":
            key = (segments[3], segments[4])
            if key not in self.collections:
                return self._not_found()
            if len(segments) == 6:
                return self._collection_versions(key, query)
            return self._collection_version(key, segments[6])
        if path in self.files:
            return 200, self.files[path], "application/octet-stream"
        if segments[:2] == ["download", "roles"] and len(segments) == 4:
            return self._role_download(segments[2], segments[3])
        if segments[:2] == ["download", "collections"] and len(segments) == 3:
            return self._collection_download(segments[2])
        for prefix, folder in self.folders.items():
            if path.startswith(prefix):
                target = (folder / path[len(prefix):].lstrip("/")).resolve()
                if target.is_file() and str(target).startswith(str(folder.resolve())):
                    return 200, target.read_bytes(), "application/octet-stream"
        return self._not_found()

    def _role_json(self, role: FakeRole) -> dict:
        return {
            "id": role.id, "name": role.name, "github_user": role.namespace,
            "github_repo": f"ansible-role-{role.name}", "github_branch": role.github_branch,
            "commit": hashlib.sha1(f"{role.namespace}.{role.name}".encode()).hexdigest(),
            "description": f"the {role.name} role", "role_type": "ANS",
            "summary_fields": {
                "dependencies": [], "namespace": {"id": role.id, "name": role.namespace},
                "versions": [{"id": i, "name": v, "release_date": "2024-01-01T00:00:00Z"}
                             for i, v in enumerate(role.versions)],
            },
        }

    def _lookup(self, query: dict) -> tuple[int, bytes, str]:
        role = self.roles.get((query.get("owner__username", ""), query.get("name", "")))
        results = [self._role_json(role)] if role else []
        return self._json({"count": len(results), "next": None, "next_link": None, "previous": None,
                           "previous_link": None, "results": results})

    def _role_versions(self, role_id: str, query: dict) -> tuple[int, bytes, str]:
        role = next((r for r in self.roles.values() if str(r.id) == role_id), None)
        if role is None:
            return self._not_found()
        size = min(int(query.get("page_size", "10") or 10), self.page_size)
        page = int(query.get("page", "1") or 1)
        names = list(role.versions)
        chunk = names[(page - 1) * size: page * size]
        results = []
        for index, name in enumerate(chunk):
            item = {"id": (page - 1) * size + index + 1, "name": name, "version": name,
                    "commit_sha": hashlib.sha1(role.versions[name]).hexdigest(),
                    "commit_date": "2024-01-01T00:00:00Z", "active": True}
            if role.with_download_url:
                item["download_url"] = self.url + self.role_archive_path(role, name)
            results.append(item)
        more = page * size < len(names)
        next_link = f"/api/v1/roles/{role.id}/versions/?page={page + 1}&page_size={size}" if more else None
        return self._json({"count": len(names), "next": self.url + next_link if next_link else None,
                           "next_link": next_link, "previous": None, "previous_link": None, "results": results})

    def _role_download(self, full_name: str, file_name: str) -> tuple[int, bytes, str]:
        namespace, _, name = full_name.rpartition(".")
        role = self.roles.get((namespace, name))
        version = file_name[: -len(".tar.gz")] if file_name.endswith(".tar.gz") else None
        if role is None or version is None:
            return self._not_found()
        if version in role.versions:
            return 200, role.versions[version], "application/gzip"
        if version == role.github_branch and role.branch_archive is not None:
            return 200, role.branch_archive, "application/gzip"
        return self._not_found()

    def _collection_versions(self, key: tuple[str, str], query: dict) -> tuple[int, bytes, str]:
        collection = self.collections[key]
        limit = min(int(query.get("limit", "10") or 10), self.v3_page_size)
        offset = int(query.get("offset", "0") or 0)
        names = list(collection.versions)
        base = f"/api/v3/collections/{key[0]}/{key[1]}/versions/"
        data = [{"version": v, "href": f"{base}{v}/", "created_at": "2024-01-01T00:00:00Z"}
                for v in names[offset: offset + limit]]
        more = offset + limit < len(names)
        return self._json({"meta": {"count": len(names)},
                           "links": {"first": f"{base}?limit={limit}&offset=0", "previous": None,
                                     "next": f"{base}?limit={limit}&offset={offset + limit}" if more else None,
                                     "last": None},
                           "data": data})

    def _collection_version(self, key: tuple[str, str], version: str) -> tuple[int, bytes, str]:
        collection = self.collections[key]
        if version not in collection.versions:
            return self._not_found()
        archive = collection.versions[version]
        file_name = f"{key[0]}-{key[1]}-{version}.tar.gz"
        sha256 = collection.sha256_override.get(version) or hashlib.sha256(archive).hexdigest()
        return self._json({
            "namespace": {"name": key[0]}, "name": key[1], "version": version,
            "href": f"/api/v3/collections/{key[0]}/{key[1]}/versions/{version}/",
            "download_url": f"{self.url}/download/collections/{file_name}",
            "artifact": {"filename": file_name, "sha256": sha256, "size": len(archive)},
            "metadata": {"dependencies": collection.dependencies.get(version, {})},
        })

    def _collection_download(self, file_name: str) -> tuple[int, bytes, str]:
        for (namespace, name), collection in self.collections.items():
            for version, archive in collection.versions.items():
                if file_name == f"{namespace}-{name}-{version}.tar.gz":
                    return 200, archive, "application/gzip"
        return self._not_found()


# -- archives -------------------------------------------------------------------------------------


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for info, data in members:
                if data is not None:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                else:
                    tar.addfile(info)
    return out.getvalue()


def file_member(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime = mode, 0
    return info, data


def dir_member(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
    return info, None


def link_member(name: str, target: str, hard: bool = False) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname, info.mode, info.mtime = target, 0o777, 0
    return info, None


def role_files(name: str, version: str, dependencies: list | None = None) -> dict[str, bytes]:
    meta = {"galaxy_info": {"author": "tests", "description": f"{name} {version}", "license": "MIT",
                            "min_ansible_version": "2.9", "platforms": [{"name": "Ubuntu", "versions": ["all"]}]},
            "dependencies": dependencies or []}
    return {
        "meta/main.yml": yaml.safe_dump(meta, sort_keys=False).encode(),
        "tasks/main.yml": f"- name: {name} {version}\n  ansible.builtin.debug:\n    msg: {version}\n".encode(),
        "README.md": f"# {name} {version}\n".encode(),
    }


def role_archive(name: str, version: str, dependencies: list | None = None, top: str | None = None,
                 extra: list[tuple[tarfile.TarInfo, bytes | None]] | None = None) -> bytes:
    """A GitHub-style role archive: everything under ``<repo>-<version>/``."""
    top = top if top is not None else f"ansible-role-{name.rpartition('.')[2]}-{version}"
    prefix = f"{top}/" if top else ""
    members: list = [dir_member(top)] if top else []
    for path, data in role_files(name, version, dependencies).items():
        members.append(file_member(prefix + path, data))
    return tar_gz(members + list(extra or []))


def collection_archive(namespace: str, name: str, version: str, dependencies: dict | None = None) -> bytes:
    """A collection archive as ``ansible-galaxy collection build`` lays it out."""
    readme = f"# {namespace}.{name} {version}\n".encode()
    plugin = b"def hello():\n    return 'hi'\n"
    files = {"README.md": readme, "plugins/module_utils/hello.py": plugin}
    entries = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    for directory in ("plugins", "plugins/module_utils"):
        entries.append({"name": directory, "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1})
    for path, data in files.items():
        entries.append({"name": path, "ftype": "file", "chksum_type": "sha256",
                        "chksum_sha256": hashlib.sha256(data).hexdigest(), "format": 1})
    files_json = json.dumps({"files": entries, "format": 1}, indent=2).encode()
    manifest = {
        "collection_info": {
            "namespace": namespace, "name": name, "version": version, "authors": ["tests"],
            "readme": "README.md", "tags": [], "description": "a test collection", "license": ["MIT"],
            "license_file": None, "dependencies": dependencies or {}, "repository": None,
            "documentation": None, "homepage": None, "issues": None,
        },
        "file_manifest_file": {"name": "FILES.json", "ftype": "file", "chksum_type": "sha256",
                               "chksum_sha256": hashlib.sha256(files_json).hexdigest(), "format": 1},
        "format": 1,
    }
    members = [file_member("MANIFEST.json", json.dumps(manifest, indent=2).encode()),
               file_member("FILES.json", files_json), dir_member("plugins"), dir_member("plugins/module_utils")]
    members += [file_member(path, data) for path, data in files.items()]
    return tar_gz(members)


# -- git ----------------------------------------------------------------------------------------------


def git(*arguments: str, cwd: Path) -> str:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(cwd), "PATH": "/usr/bin:/bin",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    done = subprocess.run(["git", "-c", "user.name=tests", "-c", "user.email=tests@example.org",
                           "-c", "init.defaultBranch=main", *arguments],
                          cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def git_role_repository(folder: Path, name: str, versions: dict[str, list | None]) -> Path:
    """A bare repository served over dumb HTTP: one commit and tag per version
    (``{tag: dependencies}``), the last also on ``main``. Returns the bare folder."""
    work = folder / f"{name}-work"
    work.mkdir(parents=True)
    git("init", "-q", cwd=work)
    for tag, dependencies in versions.items():
        for path, data in role_files(name, tag, dependencies).items():
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"version {tag}", cwd=work)
        git("tag", tag, cwd=work)
    return _publish(folder, name, work)


def _publish(folder: Path, name: str, work: Path) -> Path:
    bare = folder / f"{name}.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=folder)
    git("repack", "-a", "-d", "-q", cwd=bare)
    git("update-server-info", cwd=bare)
    return bare


def git_collection_repository(folder: Path, repository: str, namespace: str, name: str,
                              versions: dict[str, dict | None]) -> Path:
    """A collection's source tree (galaxy.yml) in git, one tag per version
    (``{version: dependencies}``), served over dumb HTTP like the roles."""
    work = folder / f"{repository}-work"
    work.mkdir(parents=True)
    git("init", "-q", cwd=work)
    for version, dependencies in versions.items():
        galaxy_yml = {"namespace": namespace, "name": name, "version": version, "readme": "README.md",
                      "authors": ["tests"], "dependencies": dependencies or {}, "build_ignore": []}
        (work / "galaxy.yml").write_text(yaml.safe_dump(galaxy_yml, sort_keys=False))
        (work / "README.md").write_text(f"# {namespace}.{name} {version}\n")
        (work / "plugins" / "module_utils").mkdir(parents=True, exist_ok=True)
        (work / "plugins" / "module_utils" / "data.py").write_text(f"VERSION = {version!r}\n")
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"version {version}", cwd=work)
        git("tag", version, cwd=work)
    return _publish(folder, repository, work)


# -- blueprints -----------------------------------------------------------------------------------------

ARTIFACT_TYPES = """\
artifact_types:
  tosca.artifacts.AnsibleGalaxy.role:
    derived_from: tosca.artifacts.Root
  tosca.artifacts.AnsibleGalaxy.collection:
    derived_from: tosca.artifacts.Root
"""


def write_blueprint(path: Path, roles: list[str] = (), collections: list[str] = ()) -> Path:
    """A TOSCA template with one node type per recipe, each used by a node template."""
    lines = ["tosca_definitions_version: tosca_simple_yaml_1_0", ARTIFACT_TYPES.rstrip(), "node_types:"]
    recipes = [("role", spec) for spec in roles] + [("collection", spec) for spec in collections]
    for index, (kind, spec) in enumerate(recipes):
        lines += [f"  test.App{index}:", "    derived_from: tosca.nodes.SoftwareComponent", "    artifacts:",
                  "      recipe:", f"        file: {json.dumps(spec)}",
                  f"        type: tosca.artifacts.AnsibleGalaxy.{kind}"]
    lines += ["topology_template:", "  node_templates:", "    vm:", "      type: tosca.nodes.Compute"]
    for index in range(len(recipes)):
        lines += [f"    app{index}:", f"      type: test.App{index}", "      requirements:", "        - host: vm"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
