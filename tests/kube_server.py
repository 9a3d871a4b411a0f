"""A local Kubernetes API server for the tests and benchmarks, on 127.0.0.1.

A real API server (with etcd and a kubelet) cannot run on these machines, and
`kmock` (PyPI) was tried first: its emulator merges patches as plain dicts and
lists every object whatever the selector, with no server-side apply, field
managers, dry runs, deletion propagation or pod logs. So this one is written
here, on ``http.server``, after the Kubernetes API conventions
(https://kubernetes.io/docs/reference/using-api/api-concepts/) for the parts
the `kubernetes` client uses:

* resources: namespaces (get), secrets, configmaps, services, pods (with the
  ``log`` subresource), persistentvolumeclaims, batch/v1 jobs, apps/v1
  statefulsets; create (POST), get, list, watch, patch, delete;
* **server-side apply** (PATCH ``application/apply-patch+yaml``): a required
  ``fieldManager``, ownership of every leaf field per manager (in
  ``metadata.managedFields``, FieldsV1), a 409 naming the fields another
  manager owns with another value unless ``force=true``, fields the manager
  dropped are removed; lists are atomic (the real server merges some lists by
  key; our manifests never rely on that). Merge patches
  (``application/merge-patch+json``, and strategic merge treated alike) too;
* ``dryRun=All`` on every write: the answer as if done, nothing stored;
* **label selectors** (``=``, ``==``, ``!=``, ``in``, ``notin``, exists,
  ``!`` not exists) and the field selectors ``metadata.name``,
  ``metadata.namespace``, ``status.phase`` (``=``, ``!=``);
* **watch** (``watch=true``, ``resourceVersion``, ``timeoutSeconds``): JSON
  lines of ADDED/MODIFIED/DELETED events, chunked;
* **deletion**: ``propagationPolicy`` Foreground (the object gets a
  ``deletionTimestamp`` and the ``foregroundDeletion`` finalizer; its
  dependents, by ``ownerReferences``, go first, then it, after
  ``deletion_delay`` seconds), Background, Orphan;
* errors as ``Status`` objects: 401 (bearer token), 403 (``forbid`` a verb
  on a resource, or an exceeded ``quota``), 404 (object, or the namespace of a
  write), 409 (exists, apply conflict), 422 (immutable Job and StatefulSet
  fields), 415 (an unknown patch type);
* optional TLS with a self-signed certificate made for the run.

The test drives what a cluster's controllers would do: :meth:`KubeServer.run_job`
makes the pods of an Indexed Job with the outcome asked for each completion
index (succeeded, failed with an exit code, OOMKilled, ImagePullBackOff,
evicted, running) and sets the Job's status the way the Job controller does
(``completedIndexes``, ``failedIndexes``, counts, conditions);
:meth:`KubeServer.run_statefulset` makes its pod ready (or not) with restarts.
Every request is counted in ``requests``.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from local_http import LocalHandler, local_server

# plural -> (group, version, kind); group "" is the core API
RESOURCES = {
    "secrets": ("", "v1", "Secret"),
    "configmaps": ("", "v1", "ConfigMap"),
    "services": ("", "v1", "Service"),
    "pods": ("", "v1", "Pod"),
    "persistentvolumeclaims": ("", "v1", "PersistentVolumeClaim"),
    "jobs": ("batch", "v1", "Job"),
    "statefulsets": ("apps", "v1", "StatefulSet"),
}
IMMUTABLE = {  # spec fields a change of which the real API server refuses (422)
    "jobs": ("template", "completions", "completionMode", "backoffLimitPerIndex", "selector"),
    "statefulsets": ("selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"),
}
_PATH = re.compile(r"^/(?:api/v1|apis/(?P<group>[a-z0-9.-]+)/(?P<version>v[0-9a-z]+))"
                   r"(?:/namespaces/(?P<ns>[^/]+))?(?:/(?P<plural>[a-z]+))?(?:/(?P<name>[^/]+))?(?:/(?P<sub>[a-z]+))?$")


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
                "reason": self.reason, "details": self.details, "code": self.code}


def qualified(plural: str) -> str:
    group = RESOURCES[plural][0]
    return f"{plural}.{group}" if group else plural


# -- fields and ownership (server-side apply) ------------------------------------------------

def leaves(value: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    """Every leaf of a manifest by path; lists and scalars are leaves."""
    if isinstance(value, dict) and value:
        found = {}
        for key, item in value.items():
            found.update(leaves(item, prefix + (key,)))
        return found
    return {prefix: value}


def lookup(obj: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


_MISSING = object()


def remove(obj: dict, path: tuple) -> None:
    parents = []
    node = obj
    for key in path[:-1]:
        if not isinstance(node, dict) or key not in node:
            return
        parents.append((node, key))
        node = node[key]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    for parent, key in reversed(parents):  # prune emptied maps
        if parent[key] == {}:
            del parent[key]


def merge(base: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7386): maps merge, null deletes, the rest replaces."""
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def fields_v1(paths: list[tuple]) -> dict:
    tree: dict = {}
    for path in paths:
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


SYSTEM_FIELDS = {("metadata", k) for k in ("uid", "resourceVersion", "creationTimestamp", "generation",
                                           "managedFields", "deletionTimestamp", "namespace", "selfLink")}


def user_leaves(config: dict) -> dict[tuple, Any]:
    return {p: v for p, v in leaves({k: v for k, v in config.items() if k != "status"}).items()
            if p[:2] not in SYSTEM_FIELDS and p not in (("apiVersion",), ("kind",))}


# -- selectors ---------------------------------------------------------------------------------

def parse_labels(selector: str) -> list[tuple[str, str, frozenset]]:
    """A label selector as (key, op, values) terms; op is in, notin, exists or absent."""
    terms = []
    for term in _split_terms(selector):
        term = term.strip()
        if not term:
            continue
        found = re.match(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$", term)
        if found:
            terms.append((found.group(1), found.group(2), frozenset(v.strip() for v in found.group(3).split(","))))
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, value = (part.strip() for part in term.split(op, 1))
                terms.append((key, "notin" if op == "!=" else "in", frozenset([value])))
                break
        else:
            terms.append((term[1:], "absent", frozenset()) if term.startswith("!") else (term, "exists", frozenset()))
    return terms


def label_matches(labels: dict, terms: list[tuple[str, str, frozenset]]) -> bool:
    for key, op, values in terms:
        if op == "in" and labels.get(key) not in values:
            return False
        if op == "notin" and labels.get(key) in values:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "absent" and key in labels:
            return False
    return True


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    return terms + [current]


FIELD_PATHS = {"metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace"),
               "status.phase": ("status", "phase")}


def parse_fields(selector: str) -> list[tuple[tuple, bool, str]]:
    terms = []
    for term in selector.split(","):
        if not term.strip():
            continue
        negate = "!=" in term
        key, value = (part.strip() for part in re.split(r"!=|==|=", term, maxsplit=1))
        if key not in FIELD_PATHS:
            raise ApiError(400, "BadRequest", f"field label not supported: {key}")
        terms.append((FIELD_PATHS[key], negate, value))
    return terms


def field_matches(obj: dict, terms: list[tuple[tuple, bool, str]]) -> bool:
    for (first, second), negate, value in terms:  # every supported field is two keys deep
        if ((obj.get(first) or {}).get(second) == value) == negate:
            return False
    return True


class Selector:
    """The label and field selectors of a request, parsed once."""

    def __init__(self, query: dict):
        self.labels = parse_labels(query.get("labelSelector", ""))
        self.fields = parse_fields(query.get("fieldSelector", ""))

    def __call__(self, obj: dict) -> bool:
        return field_matches(obj, self.fields) and label_matches(obj["metadata"].get("labels") or {}, self.labels)


# -- the state ---------------------------------------------------------------------------------

@dataclass
class Event:
    rv: int
    type: str
    plural: str
    namespace: str | None
    obj: dict


@dataclass
class KubeState:
    namespaces: set = field(default_factory=lambda: {"default"})
    objects: dict = field(default_factory=dict)  # (plural, ns, name) -> object
    by_kind: dict = field(default_factory=dict)  # (plural, ns) -> {name: object}, the index lists use
    owners: dict = field(default_factory=dict)  # (plural, ns, name) -> {manager: set of paths}
    events: list = field(default_factory=list)
    logs: dict = field(default_factory=dict)  # (ns, pod) -> text
    rv: int = 0


class KubeServer:
    """The server and the controls a test has over it."""

    def __init__(self, token: str | None = "test-token", tls: bool = False, deletion_delay: float = 0.05,
                 latency: float = 0.0):
        self.token = token
        self.state = KubeState()
        self.lock = threading.Condition()
        self.requests: list[tuple[str, str]] = []
        self.forbidden: set[tuple[str, str]] = set()  # (verb, plural)
        self.quota: dict[str, int] = {}  # plural -> most objects per namespace
        self.deletion_delay = deletion_delay
        self.latency = latency  # seconds added to every answer, for a distant server
        self.tls = tls
        self.ca_file: Path | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="kube-server-")
        self.httpd, self.thread = local_server(_handler(self))
        if tls:
            self.ca_file = self._tls()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "KubeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "KubeServer":
        return self.__enter__()

    def stop(self) -> None:
        with self.lock:
            self.lock.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._folder.cleanup()

    def _tls(self) -> Path:
        """A self-signed certificate for 127.0.0.1 (cryptography, a test dependency)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import ipaddress

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-test")])
        start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(start)
                .not_valid_after(start + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        folder = Path(self._folder.name)
        cert_file, key_file = folder / "server.crt", folder / "server.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        return cert_file

    # -- the kubeconfig a client uses -------------------------------------------------------

    def kubeconfig(self, path: Path, namespace: str = "default", token: str | None = None,
                   trust: bool = True, context: str = "test") -> Path:
        cluster: dict = {"server": self.url}
        if self.ca_file and trust:
            cluster["certificate-authority"] = str(self.ca_file)
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "fake", "cluster": cluster}],
            "users": [{"name": "tester", "user": {"token": token or self.token or "none"}}],
            "contexts": [{"name": context, "context": {"cluster": "fake", "user": "tester",
                                                       "namespace": namespace}}],
        }
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        path.chmod(0o600)
        return path

    # -- reading the state (tests) ------------------------------------------------------------

    def get(self, plural: str, name: str, namespace: str = "default") -> dict | None:
        with self.lock:
            found = self.state.objects.get((plural, namespace, name))
            return copy.deepcopy(found) if found else None

    def names(self, plural: str, namespace: str = "default") -> list[str]:
        with self.lock:
            return sorted(n for (p, ns, n) in self.state.objects if p == plural and ns == namespace)

    def count(self, verb: str | None = None) -> int:
        return len([r for r in self.requests if verb is None or r[0] == verb])

    # -- writing the state (tests, and what controllers would do) -------------------------------

    def add_namespace(self, name: str) -> None:
        with self.lock:
            self.state.namespaces.add(name)

    def put(self, obj: dict, namespace: str = "default", manager: str = "kubectl") -> dict:
        """An object someone else made (for the "not ours" tests)."""
        plural = next(p for p, (_, _, kind) in RESOURCES.items() if kind == obj["kind"])
        with self.lock:
            return copy.deepcopy(self._store(plural, namespace, copy.deepcopy(obj), manager, "Update"))

    def remove(self, plural: str, name: str, namespace: str = "default") -> None:
        """Delete at once, behind the client's back."""
        with self.lock:
            self._drop((plural, namespace, name))

    def set_log(self, pod: str, text: str, namespace: str = "default") -> None:
        with self.lock:
            self.state.logs[(namespace, pod)] = self.state.logs.get((namespace, pod), "") + text
            self.lock.notify_all()

    def finish_pod(self, pod: str, namespace: str = "default", phase: str = "Succeeded") -> None:
        with self.lock:
            obj = self.state.objects[("pods", namespace, pod)]
            obj["status"]["phase"] = phase
            self._event("MODIFIED", "pods", namespace, obj)
            self.lock.notify_all()

    def run_job(self, name: str, outcomes: dict[int, Any], namespace: str = "default",
                attempts: int = 1, logs: dict[int, str] | None = None) -> list[str]:
        """Pods for the completion indexes given, and the Job's status as the
        Job controller would set it. An outcome is "succeeded", "running",
        "oomkilled", "imagepull", "evicted" or ("failed", exit_code); a failed
        index gets ``attempts`` failed pods. Returns the pod names."""
        logs = logs or {}
        made = []
        with self.lock:
            job = self.state.objects[("jobs", namespace, name)]
            template = job["spec"]["template"]
            for index, outcome in outcomes.items():
                tries = attempts if outcome not in ("succeeded", "running", "imagepull") else 1
                for attempt in range(tries):
                    pod = self._pod(job, template, index, outcome, attempt, namespace)
                    made.append(pod["metadata"]["name"])
                    if index in logs:
                        self.state.logs[(namespace, pod["metadata"]["name"])] = logs[index]
            self._job_status(job, namespace)
            self._event("MODIFIED", "jobs", namespace, job)
            self.lock.notify_all()
        return made

    def run_statefulset(self, name: str, ready: bool = True, restarts: int = 0, namespace: str = "default") -> str:
        with self.lock:
            sts = self.state.objects[("statefulsets", namespace, name)]
            pod_name = f"{name}-0"
            labels = dict(sts["spec"]["template"]["metadata"].get("labels", {}))
            containers = sts["spec"]["template"]["spec"]["containers"]
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": pod_name, "namespace": namespace, "labels": labels,
                                "ownerReferences": [self._owner_ref(sts)]},
                   "spec": copy.deepcopy(sts["spec"]["template"]["spec"]),
                   "status": {"phase": "Running",
                              "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                              "containerStatuses": [{"name": c["name"], "ready": ready, "restartCount": restarts,
                                                     "image": c["image"], "state": {"running": {"startedAt": now()}}}
                                                    for c in containers]}}
            self._store("pods", namespace, pod, "kubelet", "Update")
            sts["status"] = {"replicas": 1, "readyReplicas": 1 if ready else 0, "currentReplicas": 1}
            self._event("MODIFIED", "statefulsets", namespace, sts)
            self.lock.notify_all()
        return pod_name

    def _owner_ref(self, owner: dict) -> dict:
        return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def _pod(self, job: dict, template: dict, index: int, outcome: Any, attempt: int, namespace: str) -> dict:
        name = job["metadata"]["name"]
        labels = dict(template.get("metadata", {}).get("labels", {}))
        labels.update({"batch.kubernetes.io/job-completion-index": str(index), "job-name": name,
                       "batch.kubernetes.io/job-name": name})
        container = template["spec"]["containers"][0]
        status: dict
        if outcome == "succeeded":
            status = {"phase": "Succeeded", "containerStatuses": [
                {"name": container["name"], "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}
        elif outcome == "running":
            status = {"phase": "Running", "containerStatuses": [
                {"name": container["name"], "state": {"running": {"startedAt": now()}}}]}
        elif outcome == "oomkilled":
            status = {"phase": "Failed", "containerStatuses": [
                {"name": container["name"], "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
        elif outcome == "imagepull":
            status = {"phase": "Pending", "containerStatuses": [
                {"name": container["name"], "state": {"waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{container["image"]}"'}}}]}
        elif outcome == "evicted":
            status = {"phase": "Failed", "reason": "Evicted",
                      "message": "The node was low on resource: memory. Threshold quantity: 100Mi."}
        else:
            _, code = outcome
            status = {"phase": "Failed", "containerStatuses": [
                {"name": container["name"], "state": {"terminated": {"exitCode": int(code), "reason": "Error"}}}]}
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"{name}-{index}-{uuid.uuid4().hex[:5]}", "namespace": namespace,
                            "labels": labels,
                            "annotations": {"batch.kubernetes.io/job-completion-index": str(index)},
                            "ownerReferences": [self._owner_ref(job)]},
               "spec": copy.deepcopy(template["spec"]), "status": status}
        self._store("pods", namespace, pod, "kubelet", "Update")
        return pod

    def _job_status(self, job: dict, namespace: str) -> None:
        """completedIndexes, failedIndexes, counts and conditions from the Job's pods."""
        uid = job["metadata"]["uid"]
        done, failed_pods, active, by_index = set(), 0, 0, {}
        for (plural, ns, _), pod in self.state.objects.items():
            if plural != "pods" or ns != namespace:
                continue
            if not any(ref.get("uid") == uid for ref in pod["metadata"].get("ownerReferences", [])):
                continue
            index = int(pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"])
            phase = pod["status"]["phase"]
            by_index.setdefault(index, []).append(phase)
            if phase == "Succeeded":
                done.add(index)
            elif phase == "Failed":
                failed_pods += 1
            else:
                active += 1
        failed_indexes = {i for i, phases in by_index.items() if i not in done and "Failed" in phases
                          and not any(p in ("Running", "Pending") for p in phases)}
        per_index = job["spec"].get("backoffLimitPerIndex") is not None
        status = {"active": active, "succeeded": len(done), "failed": failed_pods,
                  "completedIndexes": ranges(done), "startTime": job.get("status", {}).get("startTime") or now()}
        if per_index:
            status["failedIndexes"] = ranges(failed_indexes)
        completions = job["spec"].get("completions", 1)
        if len(done) == completions:
            status["conditions"] = [{"type": "Complete", "status": "True", "lastTransitionTime": now()}]
            status["completionTime"] = now()
        elif per_index and len(done) + len(failed_indexes) == completions:
            status["conditions"] = [{"type": "Failed", "status": "True", "reason": "FailedIndexes",
                                     "message": "Job has failed indexes", "lastTransitionTime": now()}]
        status = {k: v for k, v in status.items() if v not in ("", 0) or k in ("succeeded",)}
        job["status"] = status

    # -- the machinery ----------------------------------------------------------------------------

    def _event(self, kind: str, plural: str, namespace: str | None, obj: dict) -> None:
        self.state.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.state.rv)
        self.state.events.append(Event(self.state.rv, kind, plural, namespace, copy.deepcopy(obj)))
        if len(self.state.events) > 20000:
            del self.state.events[:10000]

    def _store(self, plural: str, namespace: str, obj: dict, manager: str, operation: str,
               paths: set | None = None) -> dict:
        key = (plural, namespace, obj["metadata"]["name"])
        existing = self.state.objects.get(key)
        meta = obj["metadata"]
        meta["namespace"] = namespace
        if existing is None:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now()
            meta["generation"] = 1
        owners = self.state.owners.setdefault(key, {})
        owners[manager] = paths if paths is not None else set(user_leaves(obj))
        meta["managedFields"] = [{"manager": m, "operation": operation if m == manager else "Update",
                                  "apiVersion": obj.get("apiVersion"), "fieldsType": "FieldsV1",
                                  "fieldsV1": fields_v1(sorted(p, key=str))} for m, p in owners.items() if p]
        self.state.objects[key] = obj
        self.state.by_kind.setdefault((plural, namespace), {})[key[2]] = obj
        self._event("ADDED" if existing is None else "MODIFIED", plural, namespace, obj)
        return obj

    def _drop(self, key: tuple) -> None:
        obj = self.state.objects.pop(key, None)
        self.state.by_kind.get(key[:2], {}).pop(key[2], None)
        self.state.owners.pop(key, None)
        if obj is not None:
            self.state.logs.pop((key[1], key[2]), None)
            self._event("DELETED", key[0], key[1], obj)
            self.lock.notify_all()

    def dependents(self, uid: str) -> list[tuple]:
        return [key for key, obj in self.state.objects.items()
                if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences", []))]

    def _finish_deletion(self, key: tuple, uid: str) -> None:
        time.sleep(self.deletion_delay)
        with self.lock:
            for dependent in self.dependents(uid):
                self._drop(dependent)
            current = self.state.objects.get(key)
            if current is not None and current["metadata"]["uid"] == uid:
                self._drop(key)


# -- HTTP ------------------------------------------------------------------------------------------

def ranges(indexes) -> str:
    """1,2,3,5 -> "1-3,5" (the Job status form)."""
    ordered = sorted(indexes)
    parts, start = [], None
    for i, value in enumerate(ordered):
        if start is None:
            start = value
        if i + 1 == len(ordered) or ordered[i + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}-{value}")
            start = None
    return ",".join(parts)


@dataclass
class Call:
    verb: str
    plural: str | None
    namespace: str | None
    name: str | None
    sub: str | None
    query: dict
    group: str


def _handler(server: KubeServer):
    class Handler(LocalHandler):
        def do_GET(self) -> None:
            self.serve("GET")

        def do_POST(self) -> None:
            self.serve("POST")

        def do_PATCH(self) -> None:
            self.serve("PATCH")

        def do_DELETE(self) -> None:
            self.serve("DELETE")

        def do_PUT(self) -> None:
            self.serve("PUT")

        # -- dispatch -------------------------------------------------------------------------

        def serve(self, method: str) -> None:
            split = urlsplit(self.path)
            server.requests.append((method, split.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if server.latency:
                time.sleep(server.latency)
            try:
                if server.token is not None and self.headers.get("Authorization") != f"Bearer {server.token}":
                    raise ApiError(401, "Unauthorized", "Unauthorized")
                call = self.parse(method, split)
                self.check_rbac(call)
                if call.verb == "watch":
                    return self.watch(call)
                if call.sub == "log":
                    return self.log(call)
                with server.lock:
                    code, answer = self.act(call, body)
                self.send_json(code, answer)
            except ApiError as exc:
                self.send_json(exc.code, exc.status())

        def parse(self, method: str, split) -> Call:
            found = _PATH.match(split.path)
            if not found:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({split.path})")
            query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            plural, name, ns = found.group("plural"), found.group("name"), found.group("ns")
            group = found.group("group") or ""
            if plural is None and ns is not None:  # /api/v1/namespaces/NAME
                plural, name, ns = "namespaces", ns, None
            if plural != "namespaces" and (plural not in RESOURCES or RESOURCES[plural][0] != group):
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({split.path})")
            watching = query.get("watch") in ("true", "1")
            verb = {"GET": "watch" if watching else ("get" if name else "list"), "POST": "create",
                    "PATCH": "patch", "DELETE": "delete", "PUT": "update"}[method]
            return Call(verb, plural, ns and unquote(ns), name and unquote(name), found.group("sub"), query, group)

        def check_rbac(self, call: Call) -> None:
            if (call.verb, call.plural) in server.forbidden:
                resource = call.plural if not call.sub else f"{call.plural}/{call.sub}"
                group = RESOURCES.get(call.plural, ("",))[0]
                what = f'{qualified(call.plural) if call.plural in RESOURCES else call.plural}'
                named = f' "{call.name}"' if call.name else ""
                raise ApiError(403, "Forbidden",
                               f'{what}{named} is forbidden: User "tester" cannot {call.verb} resource "{resource}" '
                               f'in API group "{group}" in the namespace "{call.namespace}"',
                               {"name": call.name, "group": group, "kind": call.plural})

        def act(self, call: Call, body: bytes) -> tuple[int, dict]:
            if call.plural == "namespaces":
                if call.name not in server.state.namespaces:
                    raise ApiError(404, "NotFound", f'namespaces "{call.name}" not found',
                                   {"name": call.name, "kind": "namespaces"})
                return 200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": call.name},
                             "status": {"phase": "Active"}}
            if call.verb == "list":
                return 200, self.listing(call)
            if call.verb == "get":
                return 200, self.existing(call)
            if call.namespace not in server.state.namespaces:
                raise ApiError(404, "NotFound", f'namespaces "{call.namespace}" not found',
                               {"name": call.namespace, "kind": "namespaces"})
            dry = call.query.get("dryRun") == "All"
            if call.verb == "create":
                return 201, self.create(call, self.decode(body, "application/json"), dry)
            if call.verb == "patch":
                return self.patch(call, body, dry)
            if call.verb == "delete":
                return 200, self.delete(call, body, dry)
            raise ApiError(405, "MethodNotAllowed", f"{call.verb} is not supported here")

        # -- verbs ----------------------------------------------------------------------------

        def key(self, call: Call, name: str | None = None) -> tuple:
            return (call.plural, call.namespace, name or call.name)

        def existing(self, call: Call) -> dict:
            found = server.state.objects.get(self.key(call))
            if found is None:
                raise ApiError(404, "NotFound", f'{qualified(call.plural)} "{call.name}" not found',
                               {"name": call.name, "group": RESOURCES[call.plural][0], "kind": call.plural})
            return found

        def matching(self, call: Call) -> list[dict]:
            wanted = Selector(call.query)
            groups = [group for (plural, ns), group in server.state.by_kind.items()
                      if plural == call.plural and (not call.namespace or ns == call.namespace)]
            return [obj for group in groups for obj in group.values() if wanted(obj)]

        def listing(self, call: Call) -> dict:
            group, version, kind = RESOURCES[call.plural]
            return {"apiVersion": f"{group}/{version}" if group else version, "kind": f"{kind}List",
                    "metadata": {"resourceVersion": str(server.state.rv)}, "items": self.matching(call)}

        def decode(self, body: bytes, content_type: str) -> dict:
            try:
                text = body.decode("utf-8")
                if "yaml" in content_type and not text.lstrip().startswith("{"):  # JSON is YAML: read it as JSON
                    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                else:
                    data = json.loads(text or "{}")
            except (ValueError, yaml.YAMLError) as exc:
                raise ApiError(400, "BadRequest", f"the body of the request cannot be decoded: {exc}")
            if not isinstance(data, dict):
                raise ApiError(400, "BadRequest", "the body of the request must be an object")
            return data

        def quota_check(self, call: Call) -> None:
            limit = server.quota.get(call.plural)
            if limit is None:
                return
            used = len([k for k in server.state.objects if k[0] == call.plural and k[1] == call.namespace])
            if used + 1 > limit:
                raise ApiError(403, "Forbidden",
                               f'{qualified(call.plural)} "{call.name}" is forbidden: exceeded quota: '
                               f'test-quota, requested: count/{qualified(call.plural)}=1, '
                               f'used: count/{qualified(call.plural)}={used}, '
                               f'limited: count/{qualified(call.plural)}={limit}',
                               {"name": call.name, "kind": call.plural})

        def create(self, call: Call, obj: dict, dry: bool) -> dict:
            name = (obj.get("metadata") or {}).get("name")
            if not name:
                raise ApiError(422, "Invalid", "metadata.name: Required value: name is required")
            call.name = name
            if self.key(call) in server.state.objects:
                raise ApiError(409, "AlreadyExists", f'{qualified(call.plural)} "{name}" already exists',
                               {"name": name, "kind": call.plural})
            self.quota_check(call)
            obj = copy.deepcopy(obj)
            obj.pop("status", None)
            self.defaults(call.plural, obj)
            if dry:
                return obj
            manager = call.query.get("fieldManager", "unknown")
            return server._store(call.plural, call.namespace, obj, manager, "Update")

        def defaults(self, plural: str, obj: dict) -> None:
            if plural == "secrets" and "stringData" in obj:  # stringData is write-only
                data = obj.setdefault("data", {})
                import base64

                for k, v in obj.pop("stringData").items():
                    data[k] = base64.b64encode(str(v).encode()).decode()
            if plural in ("jobs", "statefulsets"):
                obj.setdefault("status", {})

        def patch(self, call: Call, body: bytes, dry: bool) -> tuple[int, dict]:
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type == "application/apply-patch+yaml":
                return self.apply(call, self.decode(body, content_type), dry)
            if content_type in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                current = self.existing(call)
                updated = merge(current, self.decode(body, content_type))
                self.immutable(call, current, updated)
                if dry:
                    return 200, updated
                manager = call.query.get("fieldManager", "unknown")
                owners = server.state.owners.get(self.key(call), {})
                paths = owners.get(manager, set()) | set(user_leaves(self.decode(body, content_type)))
                return 200, server._store(call.plural, call.namespace, updated, manager, "Update", paths)
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           "accepted media types include: application/json-patch+json, application/merge-patch+json, "
                           "application/apply-patch+yaml")

        def apply(self, call: Call, config: dict, dry: bool) -> tuple[int, dict]:
            manager = call.query.get("fieldManager")
            if not manager:
                raise ApiError(400, "BadRequest", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                               "Required value: is required for apply patch")
            meta = config.get("metadata") or {}
            if meta.get("name") != call.name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
            force = call.query.get("force") in ("true", "1")
            key = self.key(call)
            current = server.state.objects.get(key)
            applied = user_leaves(config)
            if current is None:
                self.quota_check(call)
                obj = copy.deepcopy({k: v for k, v in config.items() if k != "status"})
                self.defaults(call.plural, obj)
                if dry:
                    return 201, obj
                return 201, server._store(call.plural, call.namespace, obj, manager, "Apply", set(applied))
            owners = {m: set(p) for m, p in server.state.owners.get(key, {}).items()}
            conflicts = []
            for path, value in applied.items():
                for other, paths in owners.items():
                    if other != manager and path in paths and lookup(current, path) != value:
                        conflicts.append((other, path))
            if conflicts and not force:
                causes = [{"type": "FieldManagerConflict", "message": f'conflict with "{m}"',
                           "field": "." + ".".join(p)} for m, p in conflicts]
                lines = "\n".join(f'- conflict with "{m}": .{".".join(p)}' for m, p in conflicts)
                raise ApiError(409, "Conflict", f"Apply failed with {len(conflicts)} conflict(s): {lines}",
                               {"name": call.name, "kind": call.plural, "causes": causes})
            updated = copy.deepcopy(current)
            mine = owners.get(manager, set())
            others = set().union(*(p for m, p in owners.items() if m != manager)) if len(owners) > 1 else set()
            for path in mine - set(applied) - others:  # the manager dropped it: the field goes
                remove(updated, path)
            if call.plural == "secrets":
                config = copy.deepcopy(config)
                self.defaults("secrets", config)
                applied = user_leaves(config)
            for path, value in applied.items():
                node = updated
                for part in path[:-1]:
                    if not isinstance(node.get(part), dict):
                        node[part] = {}
                    node = node[part]
                node[path[-1]] = copy.deepcopy(value)
            self.immutable(call, current, updated)
            if dry:
                return 200, updated
            for other in owners:
                if other != manager and force:
                    owners[other] -= {p for m, p in conflicts if m == other}
            server.state.owners[key] = owners
            if updated.get("spec") != current.get("spec"):
                updated["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            return 200, server._store(call.plural, call.namespace, updated, manager, "Apply", set(applied))

        def immutable(self, call: Call, current: dict, updated: dict) -> None:
            for name in IMMUTABLE.get(call.plural, ()):
                before, after = lookup(current, ("spec", name)), lookup(updated, ("spec", name))
                if before != after and before is not _MISSING:
                    kind = RESOURCES[call.plural][2]
                    raise ApiError(422, "Invalid", f'{kind}.{RESOURCES[call.plural][0]} "{call.name}" is invalid: '
                                   f"spec.{name}: Invalid value: field is immutable",
                                   {"name": call.name, "kind": call.plural,
                                    "causes": [{"type": "FieldValueInvalid", "field": f"spec.{name}",
                                                "message": "field is immutable"}]})

        def delete(self, call: Call, body: bytes, dry: bool) -> dict:
            obj = self.existing(call)
            options = self.decode(body, "application/json") if body else {}
            policy = options.get("propagationPolicy") or call.query.get("propagationPolicy") or "Background"
            if dry:
                return obj
            key = self.key(call)
            if policy == "Foreground":
                meta = obj["metadata"]
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = now()
                    meta["finalizers"] = sorted(set(meta.get("finalizers", [])) | {"foregroundDeletion"})
                    server._event("MODIFIED", call.plural, call.namespace, obj)
                    threading.Thread(target=server._finish_deletion, args=(key, meta["uid"]), daemon=True).start()
                return copy.deepcopy(obj)
            server._drop(key)
            if policy == "Background":
                uid = obj["metadata"]["uid"]
                for dependent in server.dependents(uid):
                    server._drop(dependent)
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": call.name, "kind": call.plural, "uid": obj["metadata"]["uid"]}}

        # -- streams --------------------------------------------------------------------------

        def watch(self, call: Call) -> None:
            timeout = float(call.query.get("timeoutSeconds") or 30)
            since = call.query.get("resourceVersion")
            deadline = time.monotonic() + timeout
            self.start_stream("application/json")
            with server.lock:
                if since in (None, "", "0"):
                    position = server.state.rv
                    for obj in self.matching(call):
                        self.chunk(json.dumps({"type": "ADDED", "object": obj}) + "\n")
                else:
                    position = int(since)
            wanted = Selector(call.query)
            try:
                while time.monotonic() < deadline:
                    with server.lock:
                        fresh = [e for e in server.state.events if e.rv > position]
                        if not fresh:
                            server.lock.wait(min(0.2, max(0.0, deadline - time.monotonic())))
                            continue
                    for event in fresh:
                        position = event.rv
                        if event.plural != call.plural or (call.namespace and event.namespace != call.namespace):
                            continue
                        if not wanted(event.obj):
                            continue
                        self.chunk(json.dumps({"type": event.type, "object": event.obj}) + "\n")
                self.chunk("")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log(self, call: Call) -> None:
            with server.lock:
                pod = self.existing(call)
            container = call.query.get("container")
            names = [c["name"] for c in pod["spec"].get("containers", [])]
            if container and container not in names:
                raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {call.name}")
            key = (call.namespace, call.name)
            follow = call.query.get("follow") in ("true", "1")
            self.start_stream("text/plain")
            sent = 0
            try:
                deadline = time.monotonic() + 30
                while True:
                    with server.lock:
                        text = server.state.logs.get(key, "")
                        current = server.state.objects.get(("pods", call.namespace, call.name))
                        finished = current is None or current["status"].get("phase") in ("Succeeded", "Failed")
                        if len(text) == sent and follow and not finished and time.monotonic() < deadline:
                            server.lock.wait(0.2)
                            continue
                    if len(text) > sent:
                        self.chunk(text[sent:])
                        sent = len(text)
                    if not follow or finished or time.monotonic() >= deadline:
                        break
                self.chunk("")
            except (BrokenPipeError, ConnectionResetError):
                pass

        # -- writing ------------------------------------------------------------------------------

        def start_stream(self, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

        def chunk(self, text: str) -> None:
            data = text.encode("utf-8")
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


__all__ = ["KubeServer", "ranges"]
