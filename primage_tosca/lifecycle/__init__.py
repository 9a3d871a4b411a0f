"""Deployments through IM, each recorded in the local store.

    >>> record = deploy("blueprint.yaml", inputs={"cpus": 2}, im_url="https://im.egi.eu/im", auth="auth.dat")
    >>> inspect(record.id)["state"], outputs(record.id)
    >>> reconfigure(record.id, inputs={"count": 3}); undeploy(record.id)

Where IM is: ``im_url``, else ``$PRIMAGE_TOSCA_IM_URL``, else the local IM
(:mod:`primage_tosca.im.local`, started when needed). Credentials: ``auth``
(an IM auth file), else ``$PRIMAGE_TOSCA_IM_AUTH``, else the local IM's own
when it is the target; a token in ``$PRIMAGE_TOSCA_IM_TOKEN`` is added to
the IM credential. The store keeps only the auth file's path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from ..im.auth import Auth, load_auth
from ..im.client import IMClient, IMError, IMNotFound
from .plan import Plan, additions, diff, parse_radl, without_deploys
from .progress import Progress, WaitTimeout, wait_for
from .store import MASK, Record, Store, StoreError, mask_inputs

ENV_IM_URL = "PRIMAGE_TOSCA_IM_URL"
ENV_IM_AUTH = "PRIMAGE_TOSCA_IM_AUTH"
MARK_KEY = "primage_tosca_deployment"
KINDS = ("radl", "tosca")
_SECRET_FEATURE = re.compile(r"password|token|private_key|secret", re.IGNORECASE)


class LifecycleError(Exception):
    """A deployment operation cannot go on (bad blueprint, no IM, no credentials)."""

    def __init__(self, message: str, diagnostics: list | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass
class Target:
    """An IM and the credentials for it."""

    client: IMClient
    local: bool = False
    note: str = ""


@dataclass
class Compiled:
    kind: str
    payload: str  # what is sent, with the deployment mark
    radl: str  # the compiled RADL (for plans and outputs)
    outputs: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)  # masked
    blueprint_hash: str = ""


# -- where IM is ---------------------------------------------------------------------------

def connect(im_url: str | None = None, auth: str | os.PathLike | Auth | None = None, *, insecure: bool = False,
            start_local: bool = True, local_dir: str | os.PathLike | None = None) -> Target:
    url = im_url or os.environ.get(ENV_IM_URL)
    auth_path = auth if auth is not None else os.environ.get(ENV_IM_AUTH)
    if url:
        if auth_path is None and not os.environ.get("PRIMAGE_TOSCA_IM_TOKEN"):
            raise LifecycleError(f"IM at {url} needs credentials: --auth FILE (or ${ENV_IM_AUTH}, "
                                 "or a token in $PRIMAGE_TOSCA_IM_TOKEN)")
        credentials = auth_path if isinstance(auth_path, Auth) else load_auth(auth_path)
        return Target(IMClient(url, credentials, verify=not insecure))
    from ..im.local import LocalIM, LocalIMError

    server = LocalIM(local_dir)
    status = server.status()
    try:
        if not status.running:
            if not start_local:
                raise LifecycleError("no IM configured (--im-url or $PRIMAGE_TOSCA_IM_URL) and the local IM "
                                     "is not running: `primage-tosca local-im start`")
            status = server.start()
    except LocalIMError as exc:
        raise LifecycleError(f"no IM configured (--im-url or ${ENV_IM_URL}) and the local IM cannot start: {exc}")
    credentials = auth_path if isinstance(auth_path, Auth) else load_auth(auth_path or server.auth_file)
    return Target(IMClient(status.url or "", credentials), True,
                  f"no IM configured (--im-url or ${ENV_IM_URL}): using the local IM at {status.url} "
                  "(Dummy cloud, fake VMs)")


def client_for(record: Record, auth: str | os.PathLike | Auth | None = None, *, insecure: bool = False) -> IMClient:
    if record.kind == "k8s":  # an application on Kubernetes (lifecycle.apps), not an IM infrastructure
        raise LifecycleError(f"deployment {record.id} ({record.name}) runs on Kubernetes: use the *_app calls of "
                             "primage_tosca.lifecycle.apps (the command line chooses them itself)")
    source = auth if auth is not None else record.auth_path
    if source is None:
        credentials = load_auth(None)
    else:
        credentials = source if isinstance(source, Auth) else load_auth(source)
    return IMClient(record.im_url, credentials, verify=not insecure)


# -- compiling -------------------------------------------------------------------------------

def compile_blueprint(blueprint: str | os.PathLike, *, ident: str, kind: str = "radl", inputs: Any = None,
                      import_map: Any = None, contextualize: bool = True, options: Any = None,
                      **kwargs: Any) -> Compiled:
    if kind not in KINDS:
        raise LifecycleError(f"--as must be one of {', '.join(KINDS)}")
    path = Path(blueprint)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise LifecycleError(f"cannot read {blueprint}: {exc.strerror}") from None
    if path.suffix.lower() == ".radl":  # already RADL: sent as it is, with the mark
        if kind != "radl":
            raise LifecycleError(f"{blueprint} is RADL: it cannot be sent --as tosca")
        radl = content.decode("utf-8")
        return Compiled("radl", mark_radl(radl, ident), radl,
                        blueprint_hash=hashlib.sha256(content).hexdigest())
    from ..emit import compile_results

    results = compile_results(str(path), "radl", inputs=inputs, import_map=import_map, contextualize=contextualize,
                              options=options, **kwargs)
    result = results[0]
    if not result.ok:
        first = result.errors[0] if result.errors else None
        detail = f": {first.file}:{first.line}:{first.column}: {first.rule} {first.message}" if first else ""
        raise LifecycleError(f"{blueprint} cannot be compiled{detail}", result.diagnostics)
    topology = result.topology
    definitions = topology.template.inputs if topology is not None else {}
    values = dict(topology.inputs) if topology is not None else {}
    radl = result.text or ""
    if kind == "radl":
        payload = mark_radl(radl, ident)
    else:
        payload = tosca_payload(content.decode("utf-8"), values, ident)
    return Compiled(kind, payload, radl, dict(topology.outputs) if topology is not None else {},
                    mask_inputs(values, definitions), hashlib.sha256(content).hexdigest())


_DESCRIPTION = re.compile(r"^description\s+\S+\s*\(\s*\n", re.MULTILINE)


def mark_radl(radl: str, ident: str) -> str:
    """The RADL with our deployment's mark, so a record whose submit was cut
    short can be found on IM again. IM accepts one description block only: the
    mark joins an existing one, else it becomes the description."""
    feature = f"{MARK_KEY} = '{ident}'"
    found = _DESCRIPTION.search(radl)
    if found is None:
        return f"description {MARK_KEY} (\n{feature}\n)\n\n{radl}"
    empty = radl[found.end():].lstrip().startswith(")")
    return radl[:found.end()] + feature + ("\n" if empty else " and\n") + radl[found.end():]


def tosca_payload(text: str, values: dict, ident: str) -> str:
    """The template for IM's own converter: input values as defaults, and the deployment mark in metadata."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise LifecycleError("the blueprint is not a YAML mapping")
    metadata = data.setdefault("metadata", {}) or {}
    metadata[MARK_KEY] = ident
    data["metadata"] = metadata
    declared = (data.get("topology_template") or {}).get("inputs") or {}
    for name, value in values.items():
        if isinstance(declared.get(name), dict):
            declared[name]["default"] = value
    return yaml.safe_dump(data, sort_keys=False)


def _marked(text: str, ident: str) -> bool:
    return bool(re.search(rf"deployment\s*=\s*'{re.escape(ident)}'|{MARK_KEY}:\s*['\"]?{re.escape(ident)}\b", text))


@contextmanager
def _using(store: Store | None) -> Iterator[Store]:
    """The caller's store, or one opened for this call and closed after it."""
    if store is not None:
        yield store
        return
    opened = Store()
    try:
        yield opened
    finally:
        opened.close()


# -- deploy ----------------------------------------------------------------------------------

def deploy(blueprint: str | os.PathLike, *, name: str | None = None, inputs: Any = None, im_url: str | None = None,
           auth: str | os.PathLike | Auth | None = None, kind: str = "radl", wait: bool = True,
           timeout: float | None = 1800.0, import_map: Any = None, contextualize: bool = True,
           insecure: bool = False, options: Any = None, store: Store | None = None,
           progress: Callable[[dict], None] | None = None, notify: Callable[[str], None] | None = None,
           **kwargs: Any) -> Record:
    """Compile, record ("submitting"), submit, complete the record; wait
    until configured when ``wait``. Returns the record."""
    target = connect(im_url, auth, insecure=insecure)
    if target.note and notify:
        notify(target.note)
    with _using(store) as store:
        from .store import new_id

        ident = new_id()
        compiled = compile_blueprint(blueprint, ident=ident, kind=kind, inputs=inputs, import_map=import_map,
                                     contextualize=contextualize, options=options, **kwargs)
        store.create(id=ident, name=name or Path(blueprint).stem, im_url=target.client.url, kind=kind,
                        payload=compiled.payload, blueprint=str(Path(blueprint).resolve()),
                        blueprint_hash=compiled.blueprint_hash, inputs=compiled.inputs,
                        auth_path=target.client.auth.path, outputs=compiled.outputs)
        try:
            infra = target.client.create(compiled.payload, kind, wait=wait)  # synchronous: IM answers once the VMs exist
        except IMError as exc:
            store.update(ident, state="failed", detail=str(exc))
            raise
        store.update(ident, state="submitted", detail=f"IM infrastructure {infra}", infra_id=infra)
        if wait:
            wait_deployment(ident, client=target.client, store=store, timeout=timeout, progress=progress)
        return store.get(ident)


# -- reading -------------------------------------------------------------------------------

def reached(record: Record, client: IMClient, store: Store) -> Record:
    """The record reconciled with IM; an error when it never got there."""
    record = reconcile(record, client, store)
    if not record.infra_id:
        raise LifecycleError(f"deployment {record.id} never reached IM ({record.state})")
    return record


def list_deployments(*, limit: int = 50, offset: int = 0, state: str | None = None,
                     store: Store | None = None) -> list[Record]:
    """One page of the store, newest first (no IM call)."""
    with _using(store) as store:
        return store.list(limit=limit, offset=offset, state=state)


def reconcile(record: Record, client: IMClient, store: Store) -> Record:
    """A record left "submitting" (the client died between the submit and
    the record's completion): find the infrastructure IM made for it by
    the deployment mark, or mark the record failed."""
    if record.infra_id or record.state not in ("submitting",):
        return record
    known = store.infra_ids()
    for infra in client.list():
        if infra in known:
            continue
        try:
            text = client.tosca(infra) if record.kind == "tosca" else str(client.radl(infra))
        except IMError:
            continue
        if _marked(text, record.id):
            store.update(record.id, state="submitted", infra_id=infra,
                         detail=f"reconciled with IM: infrastructure {infra}")
            return store.get(record.id)
    store.update(record.id, state="failed", detail="never reached IM: no infrastructure carries its mark")
    return store.get(record.id)


def _addresses(system: dict) -> list[dict]:
    found = []
    index = 0
    while f"net_interface.{index}.connection" in system or f"net_interface.{index}.ip" in system:
        found.append({"interface": index, "network": system.get(f"net_interface.{index}.connection"),
                      "ip": system.get(f"net_interface.{index}.ip")})
        index += 1
    return found


def vm_details(client: IMClient, infra: str, vm_states: dict) -> list[dict]:
    vms = []
    for vm in sorted(vm_states, key=lambda v: (len(str(v)), str(v))):
        entry = {"id": str(vm), "state": vm_states[vm]}
        try:
            info = client.vm_info(infra, str(vm))
        except IMNotFound:
            continue
        networks = {i.get("id"): i for i in info if i.get("class") == "network"}
        system = next((i for i in info if i.get("class") == "system"), {})
        entry["node"] = system.get("id")
        entry["addresses"] = []
        for address in _addresses(system):
            network = networks.get(address["network"], {})
            address["public"] = str(network.get("outbound", "no")).lower() == "yes"
            entry["addresses"].append(address)
        vms.append(entry)
    return vms


def inspect(reference: str, *, auth: Any = None, insecure: bool = False, store: Store | None = None,
            contmsg_lines: int = 20) -> dict:
    """The record and IM's view: state, per-VM states and addresses, the
    last lines of the contextualization messages. A record left
    "submitting" is reconciled first; a gone infrastructure is marked deleted."""
    with _using(store) as store:
        record = store.find(reference)
        client = client_for(record, auth, insecure=insecure)
        if record.state == "deleted":
            return {"deployment": record.as_dict(), "state": "deleted", "vms": [], "contmsg": []}
        record = reconcile(record, client, store)
        if not record.infra_id:
            return {"deployment": record.as_dict(), "state": record.state, "vms": [], "contmsg": []}
        try:
            state = client.state(record.infra_id)
        except IMNotFound as exc:
            store.update(record.id, state="deleted", detail=f"gone from IM: {exc}")
            raise
        if state["state"] != record.state:
            store.update(record.id, state=state["state"], detail="seen by inspect")
            record = store.get(record.id)
        vms = vm_details(client, record.infra_id, state["vm_states"])
        messages = client.contmsg(record.infra_id).splitlines()
        return {"deployment": record.as_dict(), "state": state["state"], "vms": vms,
                "contmsg": messages[-contmsg_lines:] if contmsg_lines else messages}


def logs(reference: str, *, auth: Any = None, insecure: bool = False, store: Store | None = None) -> str:
    with _using(store) as store:
        record = store.find(reference)
        client = client_for(record, auth, insecure=insecure)
        record = reached(record, client, store)
        return client.contmsg(record.infra_id)


def resolve_outputs(definitions: dict, vms: list[dict], infra: str | None) -> dict:
    """The compiler's outputs with run-time attributes filled from VM info:
    public_address, private_address, ip_address, tosca_id, tosca_name."""
    def attribute(node: str, name: str, index: Any = None) -> Any:
        mine = [vm for vm in vms if vm.get("node") == node]
        values = []
        for vm in mine:
            addresses = vm.get("addresses", [])
            if name == "public_address":
                values.append(next((a["ip"] for a in addresses if a.get("public")), None))
            elif name == "private_address":
                values.append(next((a["ip"] for a in addresses if not a.get("public")), None))
            elif name == "ip_address":
                values.append(next((a["ip"] for a in addresses), None))
            elif name == "tosca_id":
                values.append(f"{infra}/{vm['id']}")
            elif name == "tosca_name":
                values.append(node)
            else:
                values.append(None)
        if index is not None:
            return values[int(index)] if isinstance(index, int) and 0 <= index < len(values) else None
        return values[0] if len(values) == 1 else (values or None)

    def evaluate(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (function, args), = value.items()
            if function == "get_attribute" and isinstance(args, list) and len(args) >= 2:
                return attribute(str(args[0]), str(args[1]), args[2] if len(args) > 2 else None)
            if function == "concat" and isinstance(args, list):
                parts = [evaluate(a) for a in args]
                return None if any(p is None for p in parts) else "".join(str(p) for p in parts)
            if function in ("get_attribute", "get_property", "get_input", "join", "token"):
                return None
        if isinstance(value, list):
            return [evaluate(v) for v in value]
        return value

    return {name: evaluate(entry.get("value")) for name, entry in definitions.items()}


def outputs(reference: str, *, auth: Any = None, insecure: bool = False, store: Store | None = None) -> dict:
    """TOSCA outputs: IM's for a TOSCA deployment; for a RADL one, the
    outputs the compiler kept, resolved from the VMs' info."""
    with _using(store) as store:
        record = store.find(reference)
        client = client_for(record, auth, insecure=insecure)
        record = reached(record, client, store)
        if record.kind == "tosca":
            return client.outputs(record.infra_id)
        state = client.state(record.infra_id)
        return resolve_outputs(record.outputs, vm_details(client, record.infra_id, state["vm_states"]),
                               record.infra_id)


def wait_deployment(reference: str, *, auth: Any = None, insecure: bool = False, client: IMClient | None = None,
                    store: Store | None = None, timeout: float | None = 1800.0,
                    progress: Callable[[dict], None] | None = None) -> dict:
    """Poll IM (with backoff) until configured or failed; each state change
    goes to the record's history. Raises WaitTimeout."""
    with _using(store) as store:
        record = store.find(reference)
        client = client or client_for(record, auth, insecure=insecure)
        record = reached(record, client, store)
        last = {"state": record.state}

        def seen(state: dict) -> None:
            if state["state"] != last["state"]:
                store.update(record.id, state=state["state"])
                last["state"] = state["state"]
            if progress:
                progress(state)

        try:
            return wait_for(lambda: client.state(record.infra_id), timeout=timeout, on_state=seen)
        except IMNotFound:
            store.update(record.id, state="deleted", detail="gone from IM while waiting")
            raise


# -- changing ------------------------------------------------------------------------------

@dataclass
class Reconfiguration:
    record: Record
    plan: Plan
    applied: bool
    actions: list[str] = field(default_factory=list)


def reconfigure(reference: str, blueprint: str | os.PathLike | None = None, *, inputs: Any = None,
                dry_run: bool = False, auth: Any = None, insecure: bool = False, import_map: Any = None,
                contextualize: bool = True, options: Any = None, wait: bool = True, timeout: float | None = 1800.0,
                store: Store | None = None, progress: Callable[[dict], None] | None = None,
                **kwargs: Any) -> Reconfiguration:
    """Recompile (the new blueprint, or the deployed one with new inputs),
    diff against what was deployed and apply the plan: scale by adding
    resources or removing VMs, everything else by IM's reconfigure with the
    new RADL. ``dry_run`` only plans."""
    with _using(store) as store:
        record = store.find(reference)
        source = blueprint or record.blueprint
        if not source:
            raise LifecycleError(f"deployment {record.id} has no blueprint on record: name one")
        kept = {k: v for k, v in record.inputs.items() if v != MASK}  # secret inputs must be given again
        if options is not None:
            options = dataclasses.replace(options, inputs=kept | dict(options.inputs or {}) | dict(inputs or {}))
            merged = None
        else:
            merged = kept | (_read_inputs(inputs) or {})
        compiled = compile_blueprint(source, ident=record.id, kind="radl", inputs=merged, import_map=import_map,
                                     contextualize=contextualize, options=options, **kwargs)
        old_radl = record.payload if record.kind == "radl" else ""
        client = client_for(record, auth, insecure=insecure)
        record = reached(record, client, store)
        if record.kind == "tosca":
            old_radl = str(client.radl(record.infra_id))
        plan = diff(old_radl, compiled.payload)
        if dry_run or plan.empty:
            return Reconfiguration(record, plan, False)
        actions = apply_plan(client, record.infra_id, plan, compiled.payload)
        store.update(record.id, state="reconfiguring", detail="; ".join(actions), payload=compiled.payload,
                     kind="radl", blueprint=str(Path(source).resolve()), blueprint_hash=compiled.blueprint_hash,
                     inputs=compiled.inputs, outputs=compiled.outputs)
        if wait:
            wait_deployment(record.id, client=client, store=store, timeout=timeout, progress=progress)
        return Reconfiguration(store.get(record.id), plan, True, actions)


def _read_inputs(inputs: Any) -> dict | None:
    if isinstance(inputs, (str, os.PathLike)):
        from ..model.inputs import load_inputs_file

        return load_inputs_file(Path(inputs))
    return inputs


def apply_plan(client: IMClient, infra: str, plan: Plan, new_radl: str) -> list[str]:
    actions = []
    shrink = dict(plan.removed)
    shrink.update({n: a - b for n, (a, b) in plan.scaled.items() if b < a})
    if shrink:
        by_node: dict[str, list[str]] = {}
        for vm in client.vms(infra):
            info = client.vm_info(infra, vm)
            system = next((i for i in info if i.get("class") == "system"), {})
            by_node.setdefault(str(system.get("id")), []).append(vm)
        for node, count in shrink.items():
            victims = sorted(by_node.get(node, []), key=lambda v: (len(v), v))[-count:] if count else []
            for vm in reversed(victims):
                client.remove_vm(infra, vm)
            actions.append(f"removed {len(victims)} VM(s) of {node}")
    grow = dict(plan.added)
    grow.update({n: b - a for n, (a, b) in plan.scaled.items() if b > a})
    if grow:
        client.add_resources(infra, additions(new_radl, grow))
        actions.append("added " + ", ".join(f"{c} VM(s) of {n}" for n, c in grow.items()))
    if plan.needs_reconfigure:
        client.reconfigure(infra, without_deploys(new_radl))
        actions.append("reconfigured with the new RADL")
    return actions


def undeploy(reference: str, *, auth: Any = None, insecure: bool = False, store: Store | None = None) -> Record:
    """Destroy the infrastructure; undeploying what is already gone is not an error."""
    with _using(store) as store:
        record = store.find(reference)
        if record.state == "deleted":
            return record
        client = client_for(record, auth, insecure=insecure)
        record = reconcile(record, client, store)
        if record.infra_id:
            try:
                client.destroy(record.infra_id)
                detail = f"IM infrastructure {record.infra_id} destroyed"
            except IMNotFound:
                detail = f"IM infrastructure {record.infra_id} was already gone"
        else:
            detail = "never reached IM"
        store.update(record.id, state="deleted", detail=detail)
        return store.get(record.id)


def mask_vm_info(info: list[dict]) -> list[dict]:
    return [{k: ("***" if _SECRET_FEATURE.search(k) else v) for k, v in item.items()} for item in info]


__all__ = ["KINDS", "LifecycleError", "Progress", "Reconfiguration", "Record", "Store", "StoreError", "Target",
           "WaitTimeout", "compile_blueprint", "connect", "deploy", "inspect", "list_deployments", "logs",
           "outputs", "reconcile", "reconfigure", "resolve_outputs", "undeploy", "wait_deployment", "parse_radl"]
