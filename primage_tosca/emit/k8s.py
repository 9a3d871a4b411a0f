"""PRIMAGE applications as Kubernetes manifests (``compile --to k8s``).

* An HTC job (``primage.nodes.HTCJob``) becomes a ConfigMap of its inputs and
  a batch/v1 Job in Indexed completion mode: one completion per input file,
  at most ``parallelism`` pods at a time. Pod *i* reads its input's absolute
  path from the ConfigMap key *i* and gets it as ``INPUT_FILE``, with
  ``OUTPUT_DIR`` and ``JOB_COMPLETION_INDEX``.
* A notebook (``primage.nodes.NotebookApplication``) becomes an apps/v1
  StatefulSet (one replica, a volume claim for its home) and a v1 Service of
  type NodePort; its ``url`` attribute is ``http://public_host:node_port/``,
  given in the stream's header and on the Service's annotation.
* The Onedata space is mounted by oneclient in a *native sidecar* (an init
  container with ``restartPolicy: Always``, Kubernetes 1.29 or later): it is
  privileged (FUSE) and mounts the space into a shared ``emptyDir`` with
  ``Bidirectional`` propagation; the application container sees it with
  ``HostToContainer`` propagation: the space's files are under
  ``mount_path/onedata/space_name`` (oneclient mounts a folder *under* the
  shared volume, so the mount propagates).
* Secrets: the Onedata token, the notebook token and the registry password
  reach pods only through ``secretKeyRef`` and ``imagePullSecrets``. The
  Secret manifests hold placeholders (``REPLACE-ME: input NAME``) unless
  ``include_secrets`` asks for the supplied values.

The stream is deterministic: documents in template order, keys in a fixed
order, no timestamps.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import yaml

from .. import catalog
from ..checks.platform import (
    APPLICATION, HTC_JOB, NOTEBOOK, REGISTRY, SPACE, missing_secrets, requirement_target,
    secret_input, select_inputs)
from ..diagnostics import Diagnostic, Diagnostics
from ..functions import is_symbolic
from ..k8s_labels import INDEXES_ANNOTATION, LABEL, URL_ANNOTATION, index_ranges, parse_ranges  # noqa: F401
from ..records import field, record
from ..topology import Topology

ONECLIENT_IMAGE = "onedata/oneclient:21.02.5"
ONEDATA_VOLUME = "onedata"
VOLUME_ROOT = "/mnt/onedata"  # where the sidecar mounts the shared volume
FUSE_DIR = "onedata"  # oneclient mounts VOLUME_ROOT/FUSE_DIR: a mount under the volume propagates
PLACEHOLDER = "REPLACE-ME: input {name}"


@record
class Emitted:
    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    documents: list[dict] = field(default_factory=list)  # the manifests the text holds, for the lifecycle


def k8s_name(name: str) -> str:
    """A DNS-1123 label from a node template name."""
    text = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (text or "app")[:63].rstrip("-")


class _Emission:
    def __init__(self, topology: Topology, include_secrets: bool):
        self.topology = topology
        self.include_secrets = include_secrets
        self.diagnostics = Diagnostics()
        self.documents: list[dict] = []
        self.secret_docs: dict[str, dict] = {}  # name -> manifest, emitted once each
        self.outputs: dict[str, Any] = {}
        self.empty_jobs: list[str] = []

    # -- diagnostics ------------------------------------------------------------------------

    def report(self, rule: str, message: str, path: tuple, hint: str | None = None) -> None:
        location = self.topology.template.locate(path)
        self.diagnostics.add(catalog.make(rule, message, location, path, hint))

    def value(self, node: str, prop: str, required: bool = True) -> Any:
        """A property's compile-time value; a PT702 error when it is needed and unknown."""
        raw = self.topology.raw[node]
        value = self.topology.node(node)["properties"].get(prop)
        if value is None or is_symbolic(value):
            if required:
                self.report("PT702", f"{prop} of {node!r} must be known at compile time for Kubernetes",
                            raw.path + ("properties", prop) if prop in raw.written else raw.path,
                            "supply the input it reads (-i NAME=VALUE)")
            return None
        return value

    # -- secrets ----------------------------------------------------------------------------

    def secret_value(self, node: str, prop: str) -> str:
        raw = self.topology.raw[node]
        name = secret_input(raw.properties.get(prop)) or f"{node}.{prop}"
        if not self.include_secrets:
            return PLACEHOLDER.format(name=name)
        value = self.topology.node(node)["properties"].get(prop)
        return "" if value is None or is_symbolic(value) else str(value)

    def add_secret(self, name: str, manifest: dict) -> None:
        self.secret_docs.setdefault(name, manifest)

    def space_secret(self, space: str) -> str:
        name = f"{k8s_name(space)}-onedata"
        self.add_secret(name, {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "labels": {LABEL: k8s_name(space)}},
            "type": "Opaque",
            "stringData": {"token": self.secret_value(space, "token")},
        })
        return name

    def pull_secret(self, registry: str) -> str | None:
        server = self.value(registry, "server")
        username = self.value(registry, "username")
        if server is None or username is None:
            return None
        name = f"{k8s_name(registry)}-pull"
        password = self.secret_value(registry, "password")
        auth = base64.b64encode(f"{username}:{password}".encode()).decode()
        config = {"auths": {str(server): {"username": str(username), "password": password, "auth": auth}}}
        self.add_secret(name, {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "labels": {LABEL: k8s_name(registry)}},
            "type": "kubernetes.io/dockerconfigjson",
            "stringData": {".dockerconfigjson": json.dumps(config, sort_keys=True)},
        })
        return name

    # -- pieces of a pod --------------------------------------------------------------------

    def storage(self, app: str) -> tuple[str | None, str | None]:
        """(the space node, its Secret name) of an application, or Nones."""
        space, _ = requirement_target(self.topology, app, "space")
        if space is None or not self.topology.is_a(space, SPACE):
            return None, None
        return space, self.space_secret(space)

    def oneclient_sidecar(self, space: str, secret: str) -> dict:
        provider = self.value(space, "provider_host")
        return {
            "name": "oneclient",
            "image": ONECLIENT_IMAGE,
            "restartPolicy": "Always",
            "command": ["sh", "-c", f"mkdir -p {VOLUME_ROOT}/{FUSE_DIR} && exec oneclient -f {VOLUME_ROOT}/{FUSE_DIR}"],
            "env": [
                {"name": "ONECLIENT_PROVIDER_HOST", "value": str(provider)},
                {"name": "ONECLIENT_ACCESS_TOKEN",
                 "valueFrom": {"secretKeyRef": {"name": secret, "key": "token"}}},
            ],
            "securityContext": {"privileged": True},
            "startupProbe": {
                "exec": {"command": ["sh", "-c", f"grep -q ' {VOLUME_ROOT}/{FUSE_DIR} fuse' /proc/mounts"]},
                "periodSeconds": 2, "failureThreshold": 60,
            },
            "volumeMounts": [{"name": ONEDATA_VOLUME, "mountPath": VOLUME_ROOT,
                              "mountPropagation": "Bidirectional"}],
        }

    def data_dir(self, app: str, space: str | None) -> str:
        mount = str(self.value(app, "mount_path", required=False) or VOLUME_ROOT).rstrip("/")
        name = self.value(space, "space_name") if space else None
        return f"{mount}/{FUSE_DIR}/{name}" if name else mount

    def resources(self, app: str) -> dict | None:
        requests = {}
        for prop, key in (("cpu", "cpu"), ("memory", "memory")):
            value = self.value(app, prop, required=False)
            if value is not None:
                requests[key] = str(value)
        return {"requests": requests, "limits": dict(requests)} if requests else None

    def pull_secrets(self, app: str) -> list[dict]:
        registry, _ = requirement_target(self.topology, app, "registry")
        if registry is None or not self.topology.is_a(registry, REGISTRY):
            return []
        if self.value(registry, "private", required=False) is False:
            return []
        name = self.pull_secret(registry)
        return [{"name": name}] if name else []

    def pod_spec(self, app: str, container: dict, space: str | None, secret: str | None,
                 extra_volumes: list[dict], restart: str | None) -> dict:
        spec: dict = {}
        if restart:
            spec["restartPolicy"] = restart
        pull = self.pull_secrets(app)
        if pull:
            spec["imagePullSecrets"] = pull
        volumes = list(extra_volumes)
        if space is not None and secret is not None:
            spec["initContainers"] = [self.oneclient_sidecar(space, secret)]
            mount = self.value(app, "mount_path", required=False) or VOLUME_ROOT
            container.setdefault("volumeMounts", []).insert(
                0, {"name": ONEDATA_VOLUME, "mountPath": str(mount), "mountPropagation": "HostToContainer"})
            volumes.insert(0, {"name": ONEDATA_VOLUME, "emptyDir": {}})
        spec["containers"] = [container]
        if volumes:
            spec["volumes"] = volumes
        return spec

    # -- applications -----------------------------------------------------------------------

    def htc_job(self, name: str) -> None:
        raw = self.topology.raw[name]
        properties = self.topology.node(name)["properties"]
        selection = select_inputs(properties)
        if selection.files is None:
            self.report("PT702", f"the inputs of HTC job {name!r} are not known at compile time: a Kubernetes "
                        "Indexed Job needs one completion per input", raw.path,
                        "list input_files, or give input_pattern with input_listing (the space folder's files)")
            return
        if not selection.files:
            self.empty_jobs.append(name)  # PT721, reported by the checks
            return
        image, command = self.value(name, "image"), self.value(name, "command")
        output = self.value(name, "output_folder")
        space, secret = self.storage(name)
        if image is None or command is None or output is None:
            return
        if not isinstance(command, list) or not command:
            self.report("PT702", f"command of {name!r} must be a non-empty list", raw.path + ("properties", "command"))
            return
        label = k8s_name(name)
        data_dir = self.data_dir(name, space)
        inputs_map = f"{label}-inputs"
        self.documents.append({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": inputs_map, "labels": {LABEL: label}},
            "data": {str(i): f"{data_dir}/{path.lstrip('/')}" for i, path in enumerate(selection.files)},
        })
        wrapper = ('INPUT_FILE="$(cat "/etc/primage/inputs/$JOB_COMPLETION_INDEX")"; export INPUT_FILE; '
                   'mkdir -p "$OUTPUT_DIR"; exec "$@"')
        container = {
            "name": label,
            "image": str(image),
            "command": ["/bin/sh", "-c", wrapper, label],
            "args": [str(a) for a in command],
            "env": [{"name": "OUTPUT_DIR", "value": f"{data_dir}/{str(output).strip('/')}"}],
            "volumeMounts": [{"name": "inputs", "mountPath": "/etc/primage/inputs", "readOnly": True}],
        }
        resources = self.resources(name)
        if resources:
            container["resources"] = resources
        count = len(selection.files)
        parallelism = self.value(name, "parallelism", required=False) or 1
        backoff = self.value(name, "backoff_limit", required=False)
        spec = self.pod_spec(name, container, space, secret,
                             [{"name": "inputs", "configMap": {"name": inputs_map}}], "Never")
        job_spec: dict = {
            "completionMode": "Indexed",
            "completions": count,
            "parallelism": max(1, min(int(parallelism), count)),
        }
        if backoff is not None:
            job_spec["backoffLimitPerIndex"] = int(backoff)
            job_spec["maxFailedIndexes"] = count
        job_spec["template"] = {"metadata": {"labels": {LABEL: label}}, "spec": spec}
        self.documents.append({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": label, "labels": {LABEL: label}},
            "spec": job_spec,
        })

    def notebook(self, name: str) -> None:
        image = self.value(name, "image")
        port = self.value(name, "port", required=False) or 8888
        node_port = self.value(name, "node_port", required=False)
        host = self.value(name, "public_host")
        space, secret = self.storage(name)
        if image is None or host is None:
            return
        label = k8s_name(name)
        token_secret = f"{label}-token"
        self.add_secret(token_secret, {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": token_secret, "labels": {LABEL: label}},
            "type": "Opaque",
            "stringData": {"token": self.secret_value(name, "access_token")},
        })
        container = {
            "name": label,
            "image": str(image),
            "ports": [{"name": "http", "containerPort": int(port)}],
            "env": [{"name": "JUPYTER_TOKEN", "valueFrom": {"secretKeyRef": {"name": token_secret, "key": "token"}}}],
            "volumeMounts": [{"name": "home", "mountPath": "/home/jovyan/work"}],
        }
        resources = self.resources(name)
        if resources:
            container["resources"] = resources
        url = f"http://{host}:{node_port}/" if node_port else f"http://{host}/"
        self.outputs[f"{name}.url"] = url
        service_port: dict = {"name": "http", "port": int(port), "targetPort": "http", "protocol": "TCP"}
        if node_port:
            service_port["nodePort"] = int(node_port)
        self.documents.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": label, "labels": {LABEL: label}, "annotations": {URL_ANNOTATION: url}},
            "spec": {"type": "NodePort", "selector": {LABEL: label}, "ports": [service_port]},
        })
        size = self.value(name, "storage_size", required=False) or "1Gi"
        self.documents.append({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": label, "labels": {LABEL: label}},
            "spec": {
                "serviceName": label,
                "replicas": 1,
                "selector": {"matchLabels": {LABEL: label}},
                "template": {"metadata": {"labels": {LABEL: label}},
                             "spec": self.pod_spec(name, container, space, secret, [], None)},
                "volumeClaimTemplates": [{
                    "metadata": {"name": "home"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": str(size)}}},
                }],
            },
        })

    # -- outputs ----------------------------------------------------------------------------

    def template_outputs(self) -> dict[str, Any]:
        found = {}
        for name, output in self.topology.template.topology.get("outputs", {}).items() \
                if isinstance(self.topology.template.topology.get("outputs"), dict) else []:
            value = output.get("value") if isinstance(output, dict) else None
            args = value.get("get_attribute") if isinstance(value, dict) and len(value) == 1 else None
            if isinstance(args, list) and len(args) == 2 and f"{args[0]}.{args[1]}" in self.outputs:
                found[name] = self.outputs[f"{args[0]}.{args[1]}"]
            else:
                self.report("PT700", f"output {name!r} has no Kubernetes value; left out",
                            ("topology_template", "outputs", name))
        return found


def job_run(job: dict, inputs_map: dict, indexes: list[int], name: str) -> tuple[dict, dict]:
    """A further run of an HTC job over some of its inputs (by input index):
    a Job and ConfigMap named ``name`` whose completion index *i* reads input
    ``indexes[i]``, noted in the Job's ``primage.eu/input-indexes``
    annotation (so a retry of the failed indexes, or the inputs added later,
    run without the rest)."""
    import copy

    run_map = copy.deepcopy(inputs_map)
    run_map["metadata"]["name"] = f"{name}-inputs"
    run_map["data"] = {str(i): inputs_map["data"][str(index)] for i, index in enumerate(indexes)}
    run = copy.deepcopy(job)
    run["metadata"]["name"] = name
    run["metadata"].setdefault("annotations", {})[INDEXES_ANNOTATION] = ",".join(str(i) for i in indexes)
    spec = run["spec"]
    spec["completions"] = len(indexes)
    spec["parallelism"] = max(1, min(int(spec.get("parallelism") or 1), len(indexes)))
    if "maxFailedIndexes" in spec:
        spec["maxFailedIndexes"] = len(indexes)
    for volume in spec["template"]["spec"].get("volumes", []):
        if (volume.get("configMap") or {}).get("name") == inputs_map["metadata"]["name"]:
            volume["configMap"]["name"] = run_map["metadata"]["name"]
    return run, run_map


def drop_unneeded_secrets(topology: Topology, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Without --include-secrets no secret value is needed: the findings that a
    secret input has no value (PT401, PT411, PT701 at a secret input or a secret
    property) do not apply."""
    from ..checks.platform import INPUTS_PATH, secret_inputs, secret_uses

    paths = {INPUTS_PATH + (name,) for name in secret_inputs(topology)}
    paths |= {use.path for use in secret_uses(topology)}
    return [d for d in diagnostics
            if not (d.rule in ("PT401", "PT411", "PT701") and any(tuple(d.path[:len(p)]) == p for p in paths))]


def emit_k8s(topology: Topology, include_secrets: bool = False) -> Emitted:
    """The manifests of a topology's applications, as one YAML stream."""
    em = _Emission(topology, include_secrets)
    for name in topology.nodes:
        if topology.is_a(name, HTC_JOB):
            em.htc_job(name)
        elif topology.is_a(name, NOTEBOOK):
            em.notebook(name)
        elif topology.is_a(name, APPLICATION):
            em.report("PT700", f"{name!r} is an application of no kind the Kubernetes target knows (HTC job, "
                      "notebook); left out", topology.raw[name].path)
        elif not (topology.is_a(name, SPACE) or topology.is_a(name, REGISTRY)):
            em.report("PT700", f"{name!r} ({topology.raw[name].type}) is not an application; the Kubernetes "
                      "target maps only applications, storage and registries", topology.raw[name].path)
    if include_secrets:
        for diagnostic in missing_secrets(topology, topology.template.options.inputs):
            em.diagnostics.add(diagnostic)
    outputs = em.template_outputs()
    if em.diagnostics.has_errors() or em.empty_jobs:
        return Emitted(None, em.diagnostics.sorted(), outputs)
    if not em.documents and not em.empty_jobs:
        em.report("PT702", "the template has no application to run on Kubernetes", ())
        return Emitted(None, em.diagnostics.sorted(), outputs)
    documents = [*em.secret_docs.values(), *em.documents]
    return Emitted(render(topology, documents, outputs, include_secrets), em.diagnostics.sorted(), outputs, documents)


def render(topology: Topology, documents: list[dict], outputs: dict, include_secrets: bool) -> str:
    header = [f"# Kubernetes manifests compiled by primage_tosca from {topology.file.rsplit('/', 1)[-1]}"]
    if not include_secrets:
        header.append("# Secrets hold placeholders: fill them in (kubectl create secret ...) before applying,")
        header.append("# or compile with --include-secrets and keep the output out of version control.")
    if outputs:
        header.append("# outputs:")
        header.extend(f"#   {name}: {value}" for name, value in outputs.items())
    return "\n".join(header) + "\n---\n" + dump_documents(documents)


def dump_documents(documents: list[dict]) -> str:
    """Documents as one YAML stream, keys in their order; libyaml's emitter
    when PyYAML has it (the same text, several times faster)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return "---\n".join(yaml.dump(doc, Dumper=dumper, sort_keys=False, default_flow_style=False, width=1000)
                         for doc in documents)


__all__ = ["INDEXES_ANNOTATION", "LABEL", "URL_ANNOTATION", "Emitted", "drop_unneeded_secrets", "dump_documents",
           "emit_k8s",
           "index_ranges", "job_run", "k8s_name", "parse_ranges"]
