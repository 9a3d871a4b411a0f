"""Applications on Kubernetes (HTC and batch jobs, notebooks), each recorded
in the same store as the IM deployments (kind ``k8s``).

    >>> record = deploy_app("blueprints/htc-segmentation.yaml", inputs={...}, namespace="team-a")
    >>> inspect_app(record.id)["applications"][0]["failed"]   # index, input, reason
    >>> for line in app_logs(record.id, index=17): print(line)
    >>> app_outputs(record.id, token=..., download="results/")
    >>> reconfigure_app(record.id, retry_failed=True); undeploy_app(record.id)

Every call goes through :class:`primage_tosca.kube.client.KubeClient`
(server-side apply under the field manager ``primage-tosca``). Every object
carries the label ``primage.eu/deployment=<id>``: objects are found by that
selector, and an object of the same name without our label is never adopted,
changed or deleted. Secret inputs become Kubernetes Secrets in the cluster and
nowhere else: the store keeps the manifests with the Secrets' values masked,
and the inputs with secrets masked.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from ..kube.client import KubeClient
from ..kube.errors import KubeError, NamespaceMissing, NotOwned
from ..records import field, record, replace
from . import LifecycleError, _using
from .app_status import INDEX_LABEL, JOB_NAME_LABEL, htc_progress, index_map, notebook_status
from .store import MASK, Record, Store, mask_inputs

K8S = "k8s"
OWNER = "primage.eu/deployment"
NAME_ANNOTATION = "primage.eu/deployment-name"
MANAGED_BY = "app.kubernetes.io/managed-by"
ENV_ONEDATA_TOKEN = "PRIMAGE_TOSCA_ONEDATA_TOKEN"
ENV_KUBE_TOKEN = "PRIMAGE_TOSCA_KUBE_TOKEN"
ENV_KUBE_CA = "PRIMAGE_TOSCA_KUBE_CA"
DELETE_ORDER = ("Job", "StatefulSet", "Service", "Pod", "ConfigMap", "Secret", "PersistentVolumeClaim")


class TokenNeeded(LifecycleError):
    """A Onedata token is needed and none was given (the CLI may ask for it)."""


@record
class Where:
    """How to reach the cluster: a kubeconfig and context, or (``--on``) an
    IM-deployed cluster of the store."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    on: str | None = None
    insecure: bool = False


@record
class AppPlan:
    lines: list[str] = field(default_factory=list)  # what changes, for people
    changes: list[dict] = field(default_factory=list)  # the server's dry run: kind, name, path, before, after
    actions: list[Callable[[Store], str]] = field(default_factory=list, repr=False)  # each gets the open store
    record: dict = field(default_factory=dict)  # store fields once applied (the new inputs)

    @property
    def empty(self) -> bool:
        return not self.actions

    def as_dict(self) -> dict:
        return {"lines": self.lines, "changes": self.changes}


# -- connecting --------------------------------------------------------------------------------

def connect_cluster(where: Where, store: Store | None = None) -> tuple[KubeClient, str | None]:
    """A client for the cluster; with ``where.on``, the API endpoint comes
    from that IM deployment's outputs, and the credentials from a kubeconfig
    context for that endpoint, else from $PRIMAGE_TOSCA_KUBE_TOKEN."""
    if not where.on:
        return KubeClient.connect(where.kubeconfig, where.context, where.namespace, insecure=where.insecure), None
    endpoint, cluster = cluster_endpoint(where.on, store)
    context = context_for(endpoint, where.kubeconfig, where.context)
    if context is not None:
        return KubeClient.connect(context[0], context[1], where.namespace, server=endpoint,
                                  insecure=where.insecure), cluster
    token = os.environ.get(ENV_KUBE_TOKEN)
    if not token:
        raise LifecycleError(
            f"no credentials for the cluster {where.on} ({endpoint}): add it to your kubeconfig (docs/applications.md "
            f"says how to get its token and CA), or put the token in ${ENV_KUBE_TOKEN} (and the CA file's path in "
            f"${ENV_KUBE_CA})")
    return KubeClient.connect(server=endpoint, token=token, ca_file=os.environ.get(ENV_KUBE_CA),
                              namespace=where.namespace, insecure=where.insecure), cluster


def cluster_endpoint(reference: str, store: Store | None) -> tuple[str, str]:
    """The Kubernetes API URL an IM deployment of the cluster blueprint gives
    in its outputs (``kubernetes_api``, else any https URL on port 6443)."""
    from . import outputs as im_outputs

    with _using(store) as opened:
        record = opened.find(reference)
        if record.kind == K8S:
            raise LifecycleError(f"{reference} is an application, not a cluster deployed through IM")
        values = im_outputs(record.id, store=opened)
    candidates = [values.get("kubernetes_api")] + [v for k, v in values.items() if k != "kubernetes_api"]
    for value in candidates:
        if isinstance(value, str) and value.startswith("https://"):
            return value.rstrip("/"), record.id
    raise LifecycleError(f"the outputs of {reference} name no Kubernetes API endpoint (kubernetes_api): "
                         f"{sorted(values) or 'none'}; is the cluster configured yet (inspect {reference})?")


def context_for(endpoint: str, kubeconfig: str | None, context: str | None) -> tuple[str, str] | None:
    """(kubeconfig, context) whose cluster's server is ``endpoint``, if any."""
    from ..kube.client import default_kubeconfig

    path = Path(kubeconfig).expanduser() if kubeconfig else default_kubeconfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    servers = {c.get("name"): (c.get("cluster") or {}).get("server", "").rstrip("/")
               for c in data.get("clusters") or [] if isinstance(c, dict)}
    for entry in data.get("contexts") or []:
        if not isinstance(entry, dict) or (context and entry.get("name") != context):
            continue
        if servers.get((entry.get("context") or {}).get("cluster")) == endpoint:
            return str(path), str(entry.get("name"))
    return None


def client_of(record: Record, target: dict, where: Where | None = None) -> KubeClient:
    """A client for a recorded deployment: its kubeconfig and context, or its
    cluster's endpoint with the token of $PRIMAGE_TOSCA_KUBE_TOKEN."""
    where = where or Where()
    kubeconfig = where.kubeconfig or target.get("kubeconfig")
    context = where.context or target.get("context")
    if kubeconfig or not os.environ.get(ENV_KUBE_TOKEN):
        return KubeClient.connect(kubeconfig, context, target["namespace"], server=target["api_server"],
                                  insecure=where.insecure)
    return KubeClient.connect(server=target["api_server"], token=os.environ[ENV_KUBE_TOKEN],
                              ca_file=os.environ.get(ENV_KUBE_CA), namespace=target["namespace"],
                              insecure=where.insecure)


@contextmanager
def _app(reference: str, store: Store | None, where: Where | None = None,
         connect: bool = True) -> Iterator[tuple[Store, Record, dict, KubeClient | None]]:
    with _using(store) as opened:
        record = opened.find(reference)
        target = opened.kube_target(record.id)
        if record.kind != K8S or target is None:
            raise LifecycleError(f"deployment {record.id} ({record.name}) runs through IM, not on Kubernetes")
        kube = client_of(record, target, where) if connect else None
        try:
            yield opened, record, target, kube
        finally:
            if kube is not None:
                kube.close()


def find_deployment(reference: str, *, store: Store | None = None) -> Record:
    """A deployment of either kind by id, name or prefix."""
    with _using(store) as opened:
        return opened.find(reference)


# -- compiling -----------------------------------------------------------------------------------

@record
class Manifests:
    documents: list[dict]
    inputs: dict  # masked
    outputs: dict
    jobs: dict  # HTC job label -> inputs, runs, where its outputs go
    blueprint_hash: str
    secrets_included: bool = True


def compile_apps(blueprint: str | os.PathLike, options: Any, *, include_secrets: bool = True,
                 token: str | None = None, known: dict[str, list[str]] | None = None,
                 stand_ins: dict[str, str] | None = None) -> Manifests:
    """The blueprint's Kubernetes manifests as data, Secrets with their values
    (kept in memory only). An HTC job's inputs are chosen from the space itself
    when no listing was given: its folder is listed through the Oneprovider
    REST API and the job's pattern selects from it (without a token, the
    inputs ``known`` from the record, by node name, stand in). ``stand_ins``
    are values for secret inputs not given, added after the listing; the
    caller drops the Secrets that hold them."""
    path = Path(blueprint)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise LifecycleError(f"cannot read {blueprint}: {exc.strerror}") from None
    from ..emit import compile_results
    from ..options import resolve_options

    given = resolve_options(options, None, None, {})
    options = _with_inputs(given, stand_ins or {})
    [result] = compile_results(str(path), "k8s", options=options, include_secrets=include_secrets)
    # A job whose inputs come from the space is compiled again with the listing: only then.
    filled, listed = space_listings(result.topology, given, token, known or {})
    if filled:
        [result] = compile_results(str(path), "k8s", options=_with_inputs(options, filled),
                                   include_secrets=include_secrets)
    if not result.ok:
        first = result.errors[0] if result.errors else None
        detail = f": {first.file}:{first.line}:{first.column}: {first.rule} {first.message}" if first else ""
        raise LifecycleError(f"{blueprint} cannot be compiled for Kubernetes{detail}", result.diagnostics)
    topology = result.topology
    values = dict(topology.inputs) if topology is not None else {}
    for name in listed.values():  # a listing read from the space is read again next time, not stored
        values.pop(name, None)
    masked = mask_inputs(values, topology.template.inputs if topology is not None else {})
    return Manifests(result.documents, masked, dict(topology.outputs) if topology is not None else {},
                     job_facts(topology, listed), hashlib.sha256(content).hexdigest(), include_secrets)


def _with_inputs(options: Any, more: dict) -> Any:
    return replace(options, inputs={**dict(options.inputs or {}), **more}) if more else options


def space_listings(topology: Any, given: Any, token: str | None,
                   known: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The listing input of each HTC job whose selection is not known yet,
    read from the space (``given``: the options as the user gave them, for the
    token). Returns input -> listing, and job -> input."""
    from ..checks.platform import HTC_JOB, SPACE, requirement_target, secret_input, select_inputs

    filled: dict[str, Any] = {}
    listed: dict[str, str] = {}
    for name in topology.nodes if topology is not None else ():
        if not topology.is_a(name, HTC_JOB):
            continue
        properties = topology.node(name)["properties"]
        pattern = properties.get("input_pattern")
        if select_inputs(properties).files is not None or not isinstance(pattern, str):
            continue
        written = topology.raw[name].properties.get("input_listing")
        source = written.get("get_input") if isinstance(written, dict) else None
        space, _ = requirement_target(topology, name, "space")
        if not isinstance(source, str) or space is None or not topology.is_a(space, SPACE):
            continue
        space_props = topology.node(space)["properties"]
        secret = secret_input(topology.raw[space].properties.get("token"))
        key = token or (given.inputs or {}).get(secret or "") or os.environ.get(ENV_ONEDATA_TOKEN)
        if not key and name in known:  # not listed again: the inputs on record
            filled[source] = known[name]
            listed[name] = source
            continue
        if not key:
            raise LifecycleError(f"the inputs of {name!r} are chosen from the space: give the Onedata token "
                                 f"(-i {secret or 'TOKEN'}=... or ${ENV_ONEDATA_TOKEN}), or a listing (-i {source}=[...])")
        filled[source] = space_listing(str(space_props.get("provider_host")), str(space_props.get("space_name")),
                                       pattern, str(key))
        listed[name] = source
    return filled, listed


def space_listing(provider: str, space: str, pattern: str, token: str) -> list[str]:
    """The space's files under the pattern's fixed folder, relative to the space."""
    from ..onedata import OnedataError, OneproviderClient

    folder = fixed_folder(pattern)
    try:
        with OneproviderClient(provider, token) as client:
            entries = client.list_files(f"{space}/{folder}" if folder else space)
    except OnedataError as exc:
        raise LifecycleError(f"cannot list the inputs in the space {space!r}: {exc}") from None
    return [f"{folder}/{e.path}" if folder else e.path for e in entries]


def fixed_folder(pattern: str) -> str:
    """The folder part of a glob before its first wildcard: "inputs/*.nii.gz" -> "inputs"."""
    head = pattern
    for char in "*?[":
        head = head.split(char, 1)[0]
    return head.rsplit("/", 1)[0].strip("/") if "/" in head else ""


def job_facts(topology: Any, listed: dict[str, str]) -> dict:
    """Per HTC job (by its Kubernetes name): its inputs by completion index and
    where its results go in the space (no secret)."""
    from ..checks.platform import HTC_JOB, SPACE, requirement_target, secret_input, select_inputs
    from ..emit.k8s import k8s_name

    facts = {}
    for name in topology.nodes if topology is not None else []:
        if not topology.is_a(name, HTC_JOB):
            continue
        properties = topology.node(name)["properties"]
        space, _ = requirement_target(topology, name, "space")
        entry = {"node": name, "inputs": select_inputs(properties).files or [], "runs": [k8s_name(name)],
                 "output_folder": str(properties.get("output_folder") or "").strip("/"),
                 "listed_from_space": name in listed}
        if space is not None and topology.is_a(space, SPACE):
            space_props = topology.node(space)["properties"]
            entry |= {"provider": space_props.get("provider_host"), "space": space_props.get("space_name"),
                      "token_input": secret_input(topology.raw[space].properties.get("token"))}
        facts[k8s_name(name)] = entry
    return facts


def own(document: dict, ident: str, name: str, namespace: str) -> dict:
    """The manifest with our ownership label and annotation, on the object and
    on the pods and claims it makes."""
    document = copy.deepcopy(document)
    meta = document.setdefault("metadata", {})
    meta["namespace"] = namespace
    meta.setdefault("labels", {}).update({OWNER: ident, MANAGED_BY: "primage-tosca"})
    meta.setdefault("annotations", {})[NAME_ANNOTATION] = name
    spec = document.get("spec") or {}
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {}).setdefault("labels", {})[OWNER] = ident
    for claim in spec.get("volumeClaimTemplates") or []:
        claim.setdefault("metadata", {}).setdefault("labels", {})[OWNER] = ident
    return document


def masked_text(documents: list[dict]) -> str:
    """The manifests as stored: Secrets' values replaced by ***."""
    from ..emit.k8s import dump_documents

    shown = []
    for document in documents:
        if document.get("kind") == "Secret":
            document = copy.deepcopy(document)
            for key in ("stringData", "data"):
                if isinstance(document.get(key), dict):
                    document[key] = {k: MASK for k in document[key]}
        shown.append(document)
    return dump_documents(shown)


def stored_documents(record: Record) -> list[dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [d for d in yaml.load_all(record.payload or "", Loader=loader) if isinstance(d, dict)]


# -- deploy --------------------------------------------------------------------------------------

def refuse_foreign(kube: KubeClient, documents: list[dict], ident: str) -> None:
    """Stop before any write when an object of one of our names exists without our label."""
    for document in documents:
        live = kube.get(document["kind"], document["metadata"]["name"])
        if live is None:
            continue
        owner = ((live.get("metadata") or {}).get("labels") or {}).get(OWNER)
        if owner != ident:
            whose = f"deployment {owner}" if owner else "someone else (no primage.eu/deployment label)"
            raise NotOwned(f"{document['kind']} {document['metadata']['name']!r} already exists in namespace "
                           f"{kube.namespace!r} and belongs to {whose}: it is not adopted; undeploy that, delete "
                           "it, or deploy into another namespace (--namespace)")


def apply_all(kube: KubeClient, documents: list[dict], force: bool = False) -> None:
    for document in documents:
        kube.apply(document, force=force)


def deploy_app(blueprint: str | os.PathLike, *, name: str | None = None, options: Any = None, inputs: Any = None,
               kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None,
               on: str | None = None, insecure: bool = False, force: bool = False, store: Store | None = None,
               **kwargs: Any) -> Record:
    """Compile the blueprint's applications, record the deployment, create
    its Secrets and apply its manifests (server-side apply)."""
    from ..options import load_options
    from .store import new_id

    if options is None:
        options = load_options(inputs=inputs, **kwargs)
    with _using(store) as opened:
        kube, cluster = connect_cluster(Where(kubeconfig, context, namespace, on, insecure), opened)
        with kube:
            if not kube.namespace_exists():
                raise NamespaceMissing(f"namespace {kube.namespace!r} does not exist on {kube.server}: create it "
                                       "(kubectl create namespace NAME) or choose another with --namespace")
            manifests = compile_apps(blueprint, options)
            ident = new_id()
            title = name or Path(blueprint).stem
            documents = [own(d, ident, title, kube.namespace) for d in manifests.documents]
            refuse_foreign(kube, documents, ident)
            opened.create(id=ident, name=title, im_url=kube.server, kind=K8S, payload=masked_text(documents),
                          blueprint=str(Path(blueprint).resolve()), blueprint_hash=manifests.blueprint_hash,
                          inputs=manifests.inputs, outputs=manifests.outputs)
            opened.set_kube_target(ident, api_server=kube.server, namespace=kube.namespace, context=kube.context,
                                   kubeconfig=kube.kubeconfig, cluster=cluster)
            opened.set_kube_objects(ident, objects_of(documents), manifests.jobs)
            try:
                apply_all(kube, documents, force)
            except KubeError as exc:
                opened.update(ident, state="failed", detail=str(exc))
                raise
            opened.update(ident, state="running", detail=f"{len(documents)} objects applied in namespace "
                                                          f"{kube.namespace} on {kube.server}")
            return opened.get(ident)


def objects_of(documents: list[dict]) -> list[dict]:
    return [{"kind": d["kind"], "name": d["metadata"]["name"]} for d in documents]


# -- reading -------------------------------------------------------------------------------------

def inspect_app(reference: str, *, where: Where | None = None, store: Store | None = None) -> dict:
    """Per application: an HTC job's inputs done, running, waiting and failed
    (index, input, reason); a notebook's readiness, URL and restarts. A fixed
    number of API requests (lists by label selector) whatever the job's size."""
    with _app(reference, store, where) as (opened, record, target, kube):
        if record.state == "deleted":
            return {"deployment": describe(record, target), "state": "deleted", "applications": [], "requests": 0}
        selector = f"{OWNER}={record.id}"
        kinds = {o["kind"] for o in target["objects"]}
        jobs = kube.list("Job", selector) if "Job" in kinds else []
        pods = kube.list("Pod", selector, fields="status.phase!=Succeeded")
        sets = kube.list("StatefulSet", selector) if "StatefulSet" in kinds else []
        services = kube.list("Service", selector) if "Service" in kinds else []
        applications = [htc_progress(label, facts["inputs"], facts["runs"], jobs, pods).as_dict()
                        for label, facts in target["jobs"].items()]
        by_name = {s["metadata"]["name"]: s for s in sets}
        services_by_name = {s["metadata"]["name"]: s for s in services}
        for item in target["objects"]:
            if item["kind"] == "StatefulSet":
                url = next((v for v in record.outputs.values() if isinstance(v, str) and v.startswith("http")), None)
                applications.append(notebook_status(item["name"], by_name.get(item["name"]),
                                                    services_by_name.get(item["name"]), pods, url))
        state = overall(applications)
        if note_state(opened, record, state, applications):
            record = opened.get(record.id)
        return {"deployment": describe(record, target), "state": state,
                "applications": applications, "requests": kube.calls}


def overall(applications: list[dict]) -> str:
    states = {a["state"] for a in applications}
    for state in ("missing", "running", "waiting", "starting", "failed"):
        if state in states:
            return state
    return "succeeded" if states == {"succeeded"} else ("ready" if states else "empty")


def note_state(store: Store, record: Record, state: str, applications: list[dict]) -> bool:
    """Record a new state seen by inspect; True when it changed."""
    if state == record.state:
        return False
    detail = "seen by inspect"
    if state == "missing":
        gone = [a["name"] for a in applications if a["state"] == "missing" or a.get("missing")]
        detail = f"deleted outside primage-tosca: {', '.join(gone)} no longer on the cluster"
    store.update(record.id, state=state, detail=detail)
    return True


def describe(record: Record, target: dict) -> dict:
    return record.as_dict() | {"target": K8S, "namespace": target["namespace"], "api_server": target["api_server"],
                               "context": target.get("context"), "kubeconfig": target.get("kubeconfig"),
                               "cluster": target.get("cluster"), "objects": target["objects"]}


def app_logs(reference: str, *, index: int | None = None, follow: bool = False, where: Where | None = None,
             store: Store | None = None) -> Iterator[str]:
    """The log lines of a job's input ``index`` (its newest pod) or of the notebook."""
    with _app(reference, store, where) as (_, record, target, kube):
        pod, container = log_source(kube, record, target, index)
        yield from kube.logs(pod, container, follow=follow)


def log_source(kube: KubeClient, record: Record, target: dict, index: int | None) -> tuple[str, str]:
    if target["jobs"]:
        label, facts = next(iter(target["jobs"].items()))
        if index is None:
            if len(facts["inputs"]) != 1:
                raise LifecycleError(f"{label} has {len(facts['inputs'])} inputs: choose one with --index I "
                                     f"(0 to {len(facts['inputs']) - 1}; inspect shows the failed ones)")
            index = 0
        if not 0 <= index < len(facts["inputs"]):
            raise LifecycleError(f"{label} has no input {index} (0 to {len(facts['inputs']) - 1})")
        jobs = {j["metadata"]["name"]: j for j in kube.list("Job", f"{OWNER}={record.id}")}
        local = {}
        for run in facts["runs"]:
            mapping = index_map(jobs[run]) if run in jobs else None
            if mapping is None:
                local[run] = index
            elif index in mapping:
                local[run] = mapping.index(index)
        indexes = ",".join(sorted({str(v) for v in local.values()}))
        pods = kube.list("Pod", f"{OWNER}={record.id},{INDEX_LABEL} in ({indexes})")
        pods = [p for p in pods if local.get(p["metadata"]["labels"].get(JOB_NAME_LABEL)) ==
                int(p["metadata"]["labels"][INDEX_LABEL])]
        if not pods:
            raise LifecycleError(f"input {index} of {label} ({facts['inputs'][index]}) has no pod yet (or its pods "
                                 "are gone)")
        newest = max(pods, key=lambda p: str(p["metadata"].get("creationTimestamp")))
        return newest["metadata"]["name"], label
    sets = [o["name"] for o in target["objects"] if o["kind"] == "StatefulSet"]
    if not sets:
        raise LifecycleError(f"deployment {record.id} has no job or notebook to read logs from")
    return f"{sets[0]}-0", sets[0]


def app_outputs(reference: str, *, token: str | None = None, inputs: dict | None = None,
                download: str | os.PathLike | None = None, store: Store | None = None,
                progress: Callable[[int], None] | None = None) -> dict:
    """What each HTC job wrote in its output folder of the space (Oneprovider
    REST API, with the token given now (``token``, the token input among
    ``inputs``, or $PRIMAGE_TOSCA_ONEDATA_TOKEN): it is never stored); with ``download``,
    fetched into that folder, resuming partial files and checking sizes. The
    blueprint's own outputs (a notebook's URL) too."""
    from ..onedata import OnedataError, OneproviderClient

    with _app(reference, store, connect=False) as (_, record, target, _kube):
        result: dict[str, Any] = {"outputs": dict(record.outputs), "files": {}}
        for label, facts in target["jobs"].items():
            if not facts.get("space"):
                continue
            key = token or (inputs or {}).get(facts.get("token_input") or "") or os.environ.get(ENV_ONEDATA_TOKEN)
            if not key:
                raise TokenNeeded(f"the results of {label} are in the space {facts['space']!r}: give the "
                                     f"Onedata token again (-i {facts.get('token_input') or 'TOKEN'}=... or "
                                     f"${ENV_ONEDATA_TOKEN}); it is not kept")
            folder = f"{facts['space']}/{facts['output_folder']}".rstrip("/")
            try:
                with OneproviderClient(str(facts["provider"]), key) as client:
                    entries = client.list_files(folder)
                    fetched = 0
                    if download is not None:
                        base = Path(download) / label
                        for entry in entries:
                            fetched += client.download(entry, base / entry.path, progress)
            except OnedataError as exc:
                raise LifecycleError(f"cannot read the results of {label}: {exc}") from None
            result["files"][label] = {"folder": "/" + folder, "files": [{"path": e.path, "size": e.size}
                                                                       for e in entries]}
            if download is not None:
                result["files"][label] |= {"downloaded_to": str(Path(download) / label), "bytes_fetched": fetched}
        return result


# -- changing ------------------------------------------------------------------------------------

def reconfigure_app(reference: str, blueprint: str | os.PathLike | None = None, *, options: Any = None,
                    inputs: Any = None, dry_run: bool = False, retry_failed: bool = False, force: bool = False,
                    where: Where | None = None, store: Store | None = None, **kwargs: Any) -> tuple[Record, AppPlan]:
    """Plan the change (a server-side dry run of every object that changes),
    then apply it unless ``dry_run``. ``retry_failed`` runs the failed inputs
    of each HTC job again, as a new run of that job and nothing else."""
    with _app(reference, store, where) as (opened, record, target, kube):
        if record.state == "deleted":
            raise LifecycleError(f"deployment {record.id} was undeployed")
        if retry_failed:
            plan = retry_plan(kube, record, target)
        else:
            plan = change_plan(kube, record, target, blueprint, options, inputs, kwargs)
        if dry_run or plan.empty:
            return record, plan
        done = [action(opened) for action in plan.actions]
        opened.update(record.id, state="running", detail="; ".join(done), **plan.record)
        return opened.get(record.id), plan


def retry_plan(kube: KubeClient, record: Record, target: dict) -> AppPlan:
    from ..emit.k8s import job_run

    selector = f"{OWNER}={record.id}"
    jobs = kube.list("Job", selector)
    pods = kube.list("Pod", selector, fields="status.phase!=Succeeded")
    plan = AppPlan()
    documents = stored_documents(record)
    for label, facts in target["jobs"].items():
        failed = [f["index"] for f in htc_progress(label, facts["inputs"], facts["runs"], jobs, pods).failed]
        if not failed:
            plan.lines.append(f"{label}: no failed input")
            continue
        name = f"{label}-r{len(facts['runs'])}"
        base_job = next(d for d in documents if d["kind"] == "Job" and d["metadata"]["name"] == label)
        base_map = next(d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == f"{label}-inputs")
        run, run_map = job_run(base_job, base_map, failed, name)
        plan.lines.append(f"{label}: run the {len(failed)} failed input(s) again as Job {name}: "
                          + ", ".join(str(i) for i in failed[:20]) + (" ..." if len(failed) > 20 else ""))
        plan.actions.append(_add_run(kube, record, label, [run_map, run]))
    return plan


def _add_run(kube: KubeClient, record: Record, label: str, documents: list[dict],
             inputs: list[str] | None = None) -> Callable[[Store], str]:
    """Apply a further run of a job and record it (and the job's longer input list)."""
    def action(store: Store) -> str:
        refuse_foreign(kube, documents, record.id)
        apply_all(kube, documents)
        target = store.kube_target(record.id)
        facts = target["jobs"][label]
        facts["runs"].append(documents[-1]["metadata"]["name"])
        if inputs is not None:
            facts["inputs"] = inputs
        objects = target["objects"] + [o for o in objects_of(documents) if o not in target["objects"]]
        store.set_kube_objects(record.id, objects, target["jobs"])
        payload = store.get(record.id, history=False).payload
        store.update(record.id, payload=payload + "---\n" + masked_text(documents))
        return f"{label}: applied {documents[-1]['metadata']['name']}"
    return action


def change_plan(kube: KubeClient, record: Record, target: dict, blueprint: Any, options: Any, inputs: Any,
                kwargs: dict) -> AppPlan:
    """Recompile with the inputs on record (secrets must be given again to
    change the Secrets) and compare, object by object, with a dry run."""
    from ..options import load_options

    source = blueprint or record.blueprint
    if not source:
        raise LifecycleError(f"deployment {record.id} has no blueprint on record: name one")
    kept = {k: v for k, v in record.inputs.items() if v != MASK}
    given = dict(getattr(options, "inputs", None) or {}) | dict(inputs or {})
    secret_missing = [k for k, v in record.inputs.items() if v == MASK and k not in given]
    if options is None:
        options = load_options(inputs=kept | given, **kwargs)
    else:
        options = replace(options, inputs=kept | given)
    known = {facts["node"]: facts["inputs"] for facts in target["jobs"].values() if facts.get("listed_from_space")}
    stand_ins = {name: f"primage-tosca-unchanged-{name}" for name in secret_missing}
    manifests = compile_apps(source, options, known=known, stand_ins=stand_ins)
    documents = [own(d, record.id, record.name, kube.namespace) for d in manifests.documents
                 if not (d["kind"] == "Secret" and any(v in json.dumps(d) for v in stand_ins.values()))]
    old = stored_documents(record)
    still_secret = {k: MASK for k in secret_missing}  # not given again: still secret, still on record
    plan = AppPlan(record={"inputs": still_secret | manifests.inputs, "blueprint": str(Path(source).resolve()),
                           "blueprint_hash": manifests.blueprint_hash, "outputs": manifests.outputs})
    if secret_missing:
        plan.lines.append(f"Secrets of {', '.join(secret_missing)} unchanged (give them again to change them)")
    for label, facts in target["jobs"].items():
        fresh = manifests.jobs.get(label)
        if fresh is not None:
            htc_changes(plan, kube, record, label, facts, fresh, old, documents)
    job_names = {n for f in target["jobs"].values() for n in f["runs"]} | {f"{n}-inputs" for f in
                                                                          target["jobs"].values() for n in f["runs"]}
    others = [d for d in documents if d["metadata"]["name"] not in job_names]
    object_changes(plan, kube, target | {"deployment": record.id}, others)
    return plan


def htc_changes(plan: AppPlan, kube: KubeClient, record: Record, label: str, facts: dict, fresh: dict,
                old: list[dict], new: list[dict]) -> None:
    """An HTC job's changes: a new image, command or resources replace the job
    (every input runs again); inputs added run as a new run of the job;
    a new parallelism is applied in place."""
    from ..emit.k8s import job_run

    old_job = next((d for d in old if d["kind"] == "Job" and d["metadata"]["name"] == label), None)
    new_job = next((d for d in new if d["kind"] == "Job" and d["metadata"]["name"] == label), None)
    new_map = next((d for d in new if d["kind"] == "ConfigMap" and d["metadata"]["name"] == f"{label}-inputs"), None)
    if old_job is None or new_job is None or new_map is None:
        return
    before, after = pod_facts(old_job), pod_facts(new_job)
    changed = [f"{key} {before.get(key)} -> {after.get(key)}" for key in after if before.get(key) != after.get(key)]
    known = set(facts["inputs"])
    added = [p for p in fresh["inputs"] if p not in known]
    removed = [p for p in facts["inputs"] if p not in set(fresh["inputs"])]
    if removed:
        plan.lines.append(f"{label}: {len(removed)} input(s) no longer selected; their results stay: "
                          + ", ".join(removed[:5]) + (" ..." if len(removed) > 5 else ""))
    if changed:
        plan.lines.append(f"{label}: {'; '.join(changed)}: the Job is replaced (its pod template is immutable) "
                          f"and all {len(fresh['inputs'])} inputs run again")
        plan.actions.append(_replace_job(kube, record, label, facts, fresh, new))
        return
    parallelism = (new_job["spec"].get("parallelism"), old_job["spec"].get("parallelism"))
    if parallelism[0] != parallelism[1] and not added:
        patched = copy.deepcopy(old_job)
        patched["spec"]["parallelism"] = min(int(parallelism[0] or 1), int(old_job["spec"]["completions"]))
        dry_run_changes(plan, kube, [patched])
        plan.lines.append(f"{label}: parallelism {parallelism[1]} -> {patched['spec']['parallelism']}")
        plan.actions.append(lambda _store: (kube.apply(patched), f"{label}: parallelism set")[1])
    if added:
        positions = {p: i for i, p in enumerate(fresh["inputs"])}
        inputs = facts["inputs"] + added
        data = {str(len(facts["inputs"]) + n): new_map["data"][str(positions[p])] for n, p in enumerate(added)}
        name = f"{label}-r{len(facts['runs'])}"
        base = copy.deepcopy(old_job)
        base["spec"]["parallelism"] = new_job["spec"].get("parallelism")
        wide_map = copy.deepcopy(new_map) | {"data": data}
        run, run_map = job_run(base, wide_map, list(range(len(facts["inputs"]), len(inputs))), name)
        dry_run_changes(plan, kube, [run_map, run])
        plan.lines.append(f"{label}: {len(added)} input(s) added, run as Job {name}: "
                          + ", ".join(added[:5]) + (" ..." if len(added) > 5 else ""))
        plan.actions.append(_add_run(kube, record, label, [run_map, run], inputs))


def pod_facts(job: dict) -> dict:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {"image": container.get("image"), "command": container.get("args"),
            "resources": container.get("resources"), "backoff_limit": job["spec"].get("backoffLimitPerIndex")}


def _replace_job(kube: KubeClient, record: Record, label: str, facts: dict, fresh: dict,
                 new: list[dict]) -> Callable[[Store], str]:
    def action(store: Store) -> str:
        runs = [(kind, name) for run in facts["runs"] for kind, name in (("Job", run), ("ConfigMap", f"{run}-inputs"))]
        delete_owned(kube, record.id, runs)
        documents = [d for d in new if d["metadata"]["name"] in (label, f"{label}-inputs")]
        documents.sort(key=lambda d: d["kind"] != "ConfigMap")
        apply_all(kube, documents)
        target = store.kube_target(record.id)
        target["jobs"][label] = fresh
        kept = [o for o in target["objects"] if (o["kind"], o["name"]) not in set(runs)]
        store.set_kube_objects(record.id, kept + objects_of(documents), target["jobs"])
        rest = [d for d in stored_documents(store.get(record.id, history=False))
                if d["metadata"]["name"] not in {n for _, n in runs}]
        store.update(record.id, payload=masked_text(rest + documents))
        return f"{label}: replaced"
    return action


IGNORED = {("metadata", "managedFields"), ("metadata", "resourceVersion"), ("metadata", "generation"),
           ("metadata", "uid"), ("metadata", "creationTimestamp"), ("status",)}


def dry_run_changes(plan: AppPlan, kube: KubeClient, documents: list[dict]) -> None:
    """Each object as the server would make it (dryRun=All) against what is there now."""
    for document in documents:
        live = kube.get(document["kind"], document["metadata"]["name"])
        after = kube.apply(document, dry_run=True)
        if live is None:
            plan.changes.append({"kind": document["kind"], "name": document["metadata"]["name"], "path": "(new)",
                                 "before": None, "after": "created"})
            continue
        for path, (old, new) in differences(live, after).items():
            plan.changes.append({"kind": document["kind"], "name": document["metadata"]["name"],
                                 "path": ".".join(path), "before": old, "after": new})


def differences(before: Any, after: Any, path: tuple = ()) -> dict:
    if any(path[:len(p)] == p for p in IGNORED):
        return {}
    if isinstance(before, dict) and isinstance(after, dict):
        found = {}
        for key in sorted(set(before) | set(after), key=str):
            found.update(differences(before.get(key), after.get(key), path + (key,)))
        return found
    return {} if before == after else {path: (before, after)}


def object_changes(plan: AppPlan, kube: KubeClient, target: dict, documents: list[dict]) -> None:
    """Secrets, notebooks, services: the dry run's differences, then an apply."""
    start = len(plan.changes)
    dry_run_changes(plan, kube, documents)
    touched = {(c["kind"], c["name"]) for c in plan.changes[start:]}
    for document in documents:
        key = (document["kind"], document["metadata"]["name"])
        if key not in touched:
            continue
        shown = [c for c in plan.changes[start:] if (c["kind"], c["name"]) == key]
        if document["kind"] == "Secret":
            for change in shown:
                change["before"] = change["after"] = MASK
        plan.lines.append(f"{key[0]} {key[1]}: " + "; ".join(c["path"] for c in shown[:6])
                          + (" ..." if len(shown) > 6 else ""))
        plan.actions.append(lambda _store, d=document: (kube.apply(d), f"{d['kind']} {d['metadata']['name']} "
                                                                        "applied")[1])
    new_objects = [o for o in objects_of(documents) if o not in target["objects"]]
    if new_objects:
        plan.actions.append(lambda store: _add_objects(store, target["deployment"], new_objects))


def _add_objects(store: Store, ident: str, objects: list[dict]) -> str:
    target = store.kube_target(ident)
    store.set_kube_objects(ident, target["objects"] + objects)
    return f"{len(objects)} new object(s) recorded"


# -- undeploy ------------------------------------------------------------------------------------

def delete_owned(kube: KubeClient, ident: str, only: list[tuple[str, str]] | None = None,
                 timeout: float = 120.0) -> list[str]:
    """Delete (foreground) every object carrying our label, or only those
    named, and wait until they are gone (a watch per kind). Never an object
    without our label."""
    selector = f"{OWNER}={ident}"
    deleted = []
    waiting: dict[str, tuple[str, set[str]]] = {}
    for kind in DELETE_ORDER:
        if only is not None and kind not in {k for k, _ in only}:
            continue
        version, items = kube.resource_version(kind, selector)
        # what a controller made (a Job's pods) goes with its owner: the foreground deletion takes it
        names = {i["metadata"]["name"] for i in items if not i["metadata"].get("ownerReferences")}
        if only is not None:
            names &= {n for k, n in only if k == kind}
        for name in sorted(names):
            if kube.delete(kind, name, propagation="Foreground"):
                deleted.append(f"{kind}/{name}")
        if names:
            waiting[kind] = (version, names)
    deadline = time.monotonic() + timeout
    for kind, (version, names) in waiting.items():
        left = set(names)
        while left and time.monotonic() < deadline:
            for event in kube.watch(kind, selector, version, min(30.0, deadline - time.monotonic())):
                obj = event["object"]
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if event["type"] == "DELETED":
                    left.discard(obj["metadata"]["name"])
                if not left:
                    break
            else:  # the watch ended: look again, something may have gone between
                left &= {i["metadata"]["name"] for i in kube.resource_version(kind, selector)[1]}
        if left:
            raise LifecycleError(f"still deleting after {timeout:.0f} s: {', '.join(f'{kind}/{n}' for n in left)} "
                                 "(undeploy again to keep waiting)")
    return deleted


def undeploy_app(reference: str, *, where: Where | None = None, store: Store | None = None,
                 timeout: float = 120.0) -> Record:
    """Delete every object the deployment owns (foreground propagation) and
    wait until they are gone; undeploying twice is not an error."""
    with _app(reference, store, where, connect=False) as (opened, record, target, _):
        if record.state == "deleted":
            return record
        with client_of(record, target, where) as kube:
            try:
                deleted = delete_owned(kube, record.id, timeout=timeout)
            except (KubeError, LifecycleError) as exc:
                opened.update(record.id, state="deleting", detail=str(exc))
                raise
        opened.update(record.id, state="deleted",
                      detail=f"deleted {len(deleted)} object(s)" if deleted else "nothing left on the cluster")
        return opened.get(record.id)


__all__ = ["AppPlan", "K8S", "OWNER", "TokenNeeded", "Where", "app_logs", "app_outputs", "compile_apps", "deploy_app",
           "find_deployment", "inspect_app", "reconfigure_app", "undeploy_app"]
