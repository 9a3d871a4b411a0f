"""A Kubernetes API client on the official `kubernetes` package.

    >>> kube = KubeClient.connect(kubeconfig="~/.kube/config", context="primage", namespace="team-a")
    >>> kube.apply(manifest)                       # server-side apply, field manager "primage-tosca"
    >>> kube.list("Pod", selector="primage.eu/deployment=ab12cd34", fields="status.phase!=Succeeded")

Every call goes through the package's ``ApiClient`` (its kubeconfig loading,
TLS, bearer tokens and connection pool); objects are read as plain JSON, not
the package's models, so listing thousands of pods costs one parse. Every
failure is a typed :mod:`.errors` exception naming the server, the verb and
the resource.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from ..records import record
from .errors import (Conflict, Forbidden, Invalid, KubeConfigError, KubeError, NamespaceMissing, NotFound,
                     QuotaExceeded, TLSFailure, Unauthorized, Unreachable)

FIELD_MANAGER = "primage-tosca"
TIMEOUT = (5.0, 60.0)  # seconds: connect, read
APPLY = "application/apply-patch+yaml"
FOLLOW_SECONDS = 7 * 24 * 3600.0  # a followed log may stay quiet that long


@record(frozen=True)
class Kind:
    group: str
    version: str
    plural: str

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def resource(self) -> str:
        """The name RBAC and error messages use: plural.group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS = {
    "Secret": Kind("", "v1", "secrets"),
    "ConfigMap": Kind("", "v1", "configmaps"),
    "Service": Kind("", "v1", "services"),
    "Pod": Kind("", "v1", "pods"),
    "PersistentVolumeClaim": Kind("", "v1", "persistentvolumeclaims"),
    "Job": Kind("batch", "v1", "jobs"),
    "StatefulSet": Kind("apps", "v1", "statefulsets"),
}


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KubeError(f"objects of kind {name} are not handled (known: {', '.join(KINDS)})") from None


def default_kubeconfig() -> Path:
    """$KUBECONFIG (its first file), else ~/.kube/config."""
    listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(listed[0]).expanduser() if listed else Path("~/.kube/config").expanduser()


class KubeClient:
    """One API server, one namespace."""

    def __init__(self, api_client: Any, namespace: str, server: str, *, context: str | None = None,
                 kubeconfig: str | None = None, timeout: tuple[float, float] = TIMEOUT):
        self.api = api_client
        self.namespace = namespace
        self.server = server
        self.context = context
        self.kubeconfig = kubeconfig
        self.timeout = timeout
        self.calls = 0  # requests sent, for the tests and benchmarks

    # -- connecting --------------------------------------------------------------------------

    @classmethod
    def connect(cls, kubeconfig: str | os.PathLike | None = None, context: str | None = None,
                namespace: str | None = None, *, server: str | None = None, token: str | None = None,
                ca_file: str | None = None, insecure: bool = False,
                timeout: tuple[float, float] = TIMEOUT) -> "KubeClient":
        """From a kubeconfig (``kubeconfig``, else $KUBECONFIG, else
        ~/.kube/config) and a context (default: its current one); or, with
        ``server`` and ``token``, from those alone. The namespace defaults to
        the context's, else "default"."""
        from kubernetes import client

        configuration = client.Configuration()
        path = None
        if server and token:
            configuration.host = server.rstrip("/")
            configuration.api_key = {"BearerToken": token}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
            if ca_file:
                configuration.ssl_ca_cert = str(ca_file)
        else:
            path = Path(kubeconfig).expanduser() if kubeconfig else default_kubeconfig()
            context, from_context = cls._load(path, context, configuration)
            namespace = namespace or from_context
            if server and server.rstrip("/") != configuration.host.rstrip("/"):
                raise KubeConfigError(f"context {context!r} of {path} points at {configuration.host}, not {server}")
        if insecure:
            configuration.verify_ssl = False
        import urllib3

        configuration.retries = urllib3.util.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0)
        api = client.ApiClient(configuration)
        return cls(api, namespace or "default", configuration.host, context=context,
                   kubeconfig=str(path) if path else None, timeout=timeout)

    @staticmethod
    def _load(path: Path, context: str | None, configuration: Any) -> tuple[str, str | None]:
        import yaml
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException

        if not path.is_file():
            raise KubeConfigError(f"no kubeconfig at {path}: give --kubeconfig FILE or set $KUBECONFIG")
        try:
            contexts, current = config.list_kube_config_contexts(str(path))
            chosen = next((c for c in contexts if c.get("name") == context), None) if context else current
            if chosen is None:
                names = ", ".join(c.get("name", "?") for c in contexts) or "none"
                raise KubeConfigError(f"{path} has no context {context!r} (it has: {names})")
            config.load_kube_config(str(path), context=chosen["name"], client_configuration=configuration,
                                    persist_config=False)
        except ConfigException as exc:
            raise KubeConfigError(f"cannot use the kubeconfig {path}: {exc}") from None
        except (OSError, ValueError, TypeError, AttributeError, KeyError, yaml.YAMLError) as exc:
            raise KubeConfigError(f"cannot read the kubeconfig {path}: {_short(str(exc))}") from None
        return chosen["name"], (chosen.get("context") or {}).get("namespace")

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> "KubeClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------

    def path(self, kind: Kind, name: str | None = None, sub: str | None = None, namespace: str | None = None) -> str:
        text = f"{kind.prefix}/namespaces/{namespace or self.namespace}/{kind.plural}"
        return text + (f"/{name}" if name else "") + (f"/{sub}" if sub else "")

    def request(self, method: str, path: str, *, verb: str, resource: str, name: str | None = None,
                query: dict | None = None, body: Any = None, content_type: str = "application/json",
                stream: bool = False, timeout: Any = None) -> Any:
        """One API call; the decoded JSON answer (or the open response when ``stream``)."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json" if not stream else "*/*", "Content-Type": content_type}
        params = self.api.param_serialize(method=method, resource_path=path, header_params=headers,
                                          query_params=[(k, v) for k, v in (query or {}).items() if v is not None],
                                          body=body, auth_settings=["BearerToken"])
        self.calls += 1
        try:
            response = self.api.call_api(*params, _request_timeout=timeout or self.timeout)
        except ApiException as exc:  # the package turns TLS failures into status 0
            raise self._transport(exc.reason or str(exc)) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._transport(exc) from None
        if not 200 <= response.status < 300:
            response.read()
            raise self.error(response.status, response.data, verb, resource, name)
        if stream:
            return response.response
        try:
            response.read()
            return json.loads(response.data or b"{}")
        except urllib3.exceptions.HTTPError as exc:
            raise self._transport(exc) from None
        except ValueError:
            raise KubeError(f"{self.server} answered {verb} {resource} with something that is not JSON") from None

    def _transport(self, exc: Any) -> KubeError:
        text = str(getattr(exc, "reason", None) or exc)
        if "SSL" in text or "CERTIFICATE" in text.upper() or "TLS" in text:
            return TLSFailure(f"TLS with the Kubernetes API at {self.server} failed: {_short(text)}; check the "
                              "certificate-authority of the kubeconfig's cluster (or the server's address)")
        if "timed out" in text.lower() or "timeout" in text.lower():
            return Unreachable(f"the Kubernetes API at {self.server} did not answer in time ({_short(text)})")
        return Unreachable(f"cannot reach the Kubernetes API at {self.server}: {_short(text)}")

    def error(self, status: int, data: bytes | None, verb: str, resource: str, name: str | None) -> KubeError:
        try:
            payload = json.loads(data or b"{}")
        except ValueError:
            payload = {}
        message = payload.get("message") if isinstance(payload, dict) else None
        message = message or (data or b"").decode("utf-8", "replace")[:300] or f"HTTP {status}"
        details = payload.get("details") or {} if isinstance(payload, dict) else {}
        what = f"{resource} {name!r}" if name else resource
        where = f"in namespace {self.namespace!r} on {self.server}"
        if status == 401:
            return Unauthorized(f"the Kubernetes API at {self.server} refused the credentials of "
                                f"{self._credentials()} (401 Unauthorized): the token or certificate is wrong "
                                "or expired", status)
        if status == 403:
            if "exceeded quota" in message:
                return QuotaExceeded(f"cannot {verb} {what} {where}: a ResourceQuota is full: {message}",
                                     verb, resource, status)
            return Forbidden(f"{self._credentials()} may not {verb} {resource} {where} (403 Forbidden): {message}",
                             verb, resource, status)
        if status == 404 and details.get("kind") == "namespaces":
            return NamespaceMissing(f"namespace {details.get('name') or self.namespace!r} does not exist on "
                                    f"{self.server}: create it (kubectl create namespace NAME) or choose another "
                                    "with --namespace", status)
        if status == 404:
            return NotFound(f"{what} not found {where}", status)
        if status == 409:
            return Conflict(f"cannot {verb} {what} {where}: {message}", status)
        if status == 422:
            return Invalid(f"the API server refused {what} {where}: {message}", status)
        return KubeError(f"{verb} {what} {where} failed ({status}): {message}", status)

    def _credentials(self) -> str:
        return f"the context {self.context!r} of {self.kubeconfig}" if self.kubeconfig else "the given token"

    # -- operations --------------------------------------------------------------------------

    def namespace_exists(self) -> bool:
        try:
            self.request("GET", f"/api/v1/namespaces/{self.namespace}", verb="get", resource="namespaces",
                         name=self.namespace)
        except (NotFound, NamespaceMissing):
            return False
        except Forbidden:
            return True  # may not read namespaces: the writes will tell
        return True

    def get(self, kind: str, name: str) -> dict | None:
        """The object, or None when there is none."""
        spec = kind_of(kind)
        try:
            return self.request("GET", self.path(spec, name), verb="get", resource=spec.resource, name=name)
        except NotFound:
            return None

    def list(self, kind: str, selector: str | None = None, fields: str | None = None) -> list[dict]:
        """One request: the objects matching a label (and field) selector."""
        spec = kind_of(kind)
        answer = self.request("GET", self.path(spec), verb="list", resource=spec.resource,
                              query={"labelSelector": selector, "fieldSelector": fields})
        return list(answer.get("items") or [])

    def apply(self, manifest: dict, *, dry_run: bool = False, force: bool = False) -> dict:
        """Server-side apply under our field manager; ``force`` takes fields another manager owns."""
        spec = kind_of(manifest.get("kind", ""))
        name = manifest["metadata"]["name"]
        query = {"fieldManager": FIELD_MANAGER, "force": "true" if force else None,
                 "dryRun": "All" if dry_run else None}
        return self.request("PATCH", self.path(spec, name), verb="patch", resource=spec.resource, name=name,
                            query=query, body=manifest, content_type=APPLY)

    def delete(self, kind: str, name: str, *, propagation: str = "Foreground") -> bool:
        """Delete with the given propagation; False when it was already gone."""
        spec = kind_of(kind)
        try:
            self.request("DELETE", self.path(spec, name), verb="delete", resource=spec.resource, name=name,
                         body={"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation})
        except NotFound:
            return False
        return True

    def watch(self, kind: str, selector: str, resource_version: str, seconds: float) -> Iterator[dict]:
        """Events (type, object) after ``resource_version``, for at most ``seconds``,
        through the package's ``Watch`` on the list call of the kind."""
        from kubernetes import watch

        spec = kind_of(kind)
        lister = self._lister(spec)
        stream = watch.Watch().stream(lister, self.namespace, label_selector=selector,
                                      resource_version=resource_version, timeout_seconds=max(1, int(seconds)),
                                      deserialize=False, _request_timeout=(self.timeout[0], seconds + 10))
        self.calls += 1
        try:
            yield from ({"type": e["type"], "object": e["object"]} for e in stream)
        except Exception as exc:  # the stream's errors are the transport's or the server's
            raise self._stream_error(exc, "watch", spec.resource) from None

    def _lister(self, spec: Kind) -> Any:
        from kubernetes import client

        api = {"": client.CoreV1Api, "batch": client.BatchV1Api, "apps": client.AppsV1Api}[spec.group](self.api)
        return getattr(api, f"list_namespaced_{_snake(spec)}")

    def resource_version(self, kind: str, selector: str) -> tuple[str, list[dict]]:
        """The list's resourceVersion (to watch from) and its items."""
        spec = kind_of(kind)
        answer = self.request("GET", self.path(spec), verb="list", resource=spec.resource,
                              query={"labelSelector": selector})
        return str((answer.get("metadata") or {}).get("resourceVersion") or "0"), list(answer.get("items") or [])

    def logs(self, pod: str, container: str | None = None, follow: bool = False) -> Iterator[str]:
        """A pod's container log, line by line; with ``follow``, until the
        container ends (the package's ``Watch`` on ``read_namespaced_pod_log``)."""
        from kubernetes import client, watch

        core = client.CoreV1Api(self.api)
        self.calls += 1
        try:
            if follow:
                yield from watch.Watch().stream(core.read_namespaced_pod_log, pod, self.namespace,
                                                container=container, _request_timeout=(self.timeout[0], FOLLOW_SECONDS))
                return
            text = core.read_namespaced_pod_log(pod, self.namespace, container=container,
                                                _request_timeout=self.timeout)
            yield from str(text).splitlines()
        except Exception as exc:
            raise self._stream_error(exc, "get", "pods/log", pod) from None

    def _stream_error(self, exc: Exception, verb: str, resource: str, name: str | None = None) -> KubeError:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        if isinstance(exc, ApiException):
            if not exc.status:
                return self._transport(exc.reason or str(exc))
            body = exc.body.encode() if isinstance(exc.body, str) else exc.body
            return self.error(exc.status, body or json.dumps({"message": exc.reason}).encode(), verb, resource, name)
        if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
            return self._transport(exc)
        if isinstance(exc, KubeError):
            return exc
        raise exc


def _snake(spec: Kind) -> str:
    names = {"secrets": "secret", "configmaps": "config_map", "services": "service", "pods": "pod",
             "persistentvolumeclaims": "persistent_volume_claim", "jobs": "job", "statefulsets": "stateful_set"}
    return names[spec.plural]


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 240 else text[:237] + "..."


__all__ = ["FIELD_MANAGER", "KINDS", "Kind", "KubeClient", "default_kubeconfig", "kind_of"]
