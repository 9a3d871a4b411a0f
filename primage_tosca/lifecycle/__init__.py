"""Deployments through IM, each recorded in the local store.

    >>> record = deploy("blueprint.yaml", inputs={"cpus": 2}, im_url="https://im.egi.eu/im", auth="auth.dat")
    >>> inspect(record.id)["state"], outputs(record.id)
    >>> reconfigure(record.id, inputs={"count": 3}); undeploy(record.id)

Where IM is: ``im_url``, else ``$PRIMAGE_TOSCA_IM_URL``, else the local IM
(:mod:`primage_tosca.im.local`, started when needed). Credentials: ``auth``
(an IM auth file), else ``$PRIMAGE_TOSCA_IM_AUTH``, else the local IM's own
when it is the target; a token in ``$PRIMAGE_TOSCA_IM_TOKEN`` is added to
the IM credential. The store keeps only the auth file's path.

Every argument is checked before anything happens (no record, no local IM
started); the store is checked writable before IM is asked to change
anything; secret input values never reach the store (:mod:`.masking`).
A record is written before the submit and names the process submitting
it: other commands wait for a submit in flight instead of calling it failed.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import processes
from ..im.auth import Auth, load_auth
from ..im.client import RETRY_STATUS, IMBadRequest, IMClient, IMError, IMNotFound, IMUnreachable, check_url
from ..records import field, record, replace
from .masking import SecretMask
from .names import check_name, default_name, printable
from .payload import (MARK_KEY, PayloadError, is_loopback, mark_radl, radl_error_in_file, self_contained_tosca,
                      without_contextualization)
from .plan import Plan, additions, diff, keep_fixed, parse_radl, without_deploys
from .progress import Progress, WaitTimeout, wait_for
from .runtime import resolve_outputs
from .settings import Settings
from .store import GONE, MASK, NameInUse, Record, Store, StoreError, mask_inputs, new_id, secret_input_names

ENV_IM_URL = "PRIMAGE_TOSCA_IM_URL"
ENV_IM_AUTH = "PRIMAGE_TOSCA_IM_AUTH"
KINDS = ("radl", "tosca")
SUBMIT_GRACE = 300.0  # a submit started on another host this recently may still be running
SUBMIT_PATIENCE = 150.0  # how long undeploy and reconfigure wait for a submit in flight
_SECRET_FEATURE = re.compile(r"password|token|private_key|secret", re.IGNORECASE)


class LifecycleError(Exception):
    """A deployment operation cannot go on (bad blueprint, no IM, no credentials)."""

    def __init__(self, message: str, diagnostics: list | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


class BadArgument(LifecycleError):
    """An argument is wrong (a name, a timeout, a URL, a file): nothing was done."""


@record
class Target:
    """An IM and the credentials for it."""

    client: IMClient
    local: bool = False
    note: str = ""


@record
class Compiled:
    kind: str
    payload: str  # what is sent, with the deployment mark
    radl: str  # the compiled RADL (for plans and outputs)
    outputs: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)  # masked
    blueprint_hash: str = ""
    mask: SecretMask = field(default_factory=SecretMask)
    stored: str = ""  # the payload as the store keeps it: secrets masked, or "" when they cannot be
    note: str = ""  # what the store says about the stored payload
    digest: str | None = None  # of the secret values
    source_text: str = ""  # a .radl file as the user wrote it


# -- arguments -------------------------------------------------------------------------------

def check_timeout(timeout: float | None) -> float | None:
    """``timeout`` when it is a finite number of seconds above zero (None: no limit)."""
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise BadArgument(f"timeout {timeout!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise BadArgument(f"timeout {timeout!r} is not a number of seconds above zero")
    return value


def check_im_url(url: str, where: str = "--im-url") -> str:
    try:
        return check_url(url)
    except ValueError as exc:
        raise BadArgument(f"{where}: {exc}: give http(s)://HOST[:PORT][/PATH]") from None


def _target_url(im_url: str | None) -> str | None:
    """The IM URL to use, checked: the argument, else the environment's; None for the local IM."""
    if im_url is not None:
        return check_im_url(im_url)
    from_env = os.environ.get(ENV_IM_URL, "").strip()
    return check_im_url(from_env, f"${ENV_IM_URL}") if from_env else None


def _readable(blueprint: str | os.PathLike) -> Path:
    path = Path(blueprint)
    if not path.is_file():
        raise BadArgument(f"{blueprint}: {'is a directory, not a file' if path.is_dir() else 'no such file'}")
    if not os.access(path, os.R_OK):
        raise BadArgument(f"{blueprint}: cannot be read (permission denied)")
    return path


def _valid_name(name: str) -> str:
    try:
        return check_name(name)
    except ValueError as exc:
        raise BadArgument(f"--name: {exc}") from None


# -- where IM is ---------------------------------------------------------------------------

def connect(im_url: str | None = None, auth: str | os.PathLike | Auth | None = None, *, insecure: bool = False,
            start_local: bool = True, local_dir: str | os.PathLike | None = None) -> Target:
    url = _target_url(im_url)
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


def im_record(store: Store, reference: str) -> Record:
    """The deployment a reference names, refused when it is an application on Kubernetes."""
    record = store.find(reference)
    if record.kind == "k8s":  # an application on Kubernetes (lifecycle.apps), not an IM infrastructure
        raise LifecycleError(f"deployment {record.id} ({record.name}) runs on Kubernetes: use the *_app calls of "
                             "primage_tosca.lifecycle.apps (the command line chooses them itself)")
    return record


def client_for(record: Record, auth: str | os.PathLike | Auth | None = None, *, insecure: bool = False) -> IMClient:
    source = auth if auth is not None else record.auth_path
    if source is None:
        credentials = load_auth(None)
    else:
        credentials = source if isinstance(source, Auth) else load_auth(source)
    return IMClient(record.im_url, credentials, verify=not insecure)


# -- compiling -------------------------------------------------------------------------------

def compile_blueprint(blueprint: str | os.PathLike, *, ident: str, kind: str = "radl", inputs: Any = None,
                      import_map: Any = None, contextualize: bool = True, options: Any = None,
                      local_files: bool = True, digest_of: str | None = None, **kwargs: Any) -> Compiled:
    """The payload for IM and what the store keeps of it. ``local_files``:
    IM runs on this machine, so IM's TOSCA converter may read recipe files
    (``--as tosca``). ``digest_of``: a record's secrets digest, whose salt the
    new digest reuses so the two compare."""
    if kind not in KINDS:
        raise BadArgument(f"--as must be one of {', '.join(KINDS)}")
    path = Path(blueprint)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise BadArgument(f"cannot read {blueprint}: {exc.strerror}") from None
    if path.suffix.lower() == ".radl":  # already RADL: sent as it is, with the mark
        return _compiled_radl_file(path, content, ident, kind, contextualize)
    from ..checks.platform import secret_inputs
    from ..config import ConfigError
    from ..emit import compile_results
    from ..source.inputs import InputsError
    from ..imports.policy import ImportMapError

    try:
        result = compile_results(str(path), "radl", inputs=inputs, import_map=import_map,
                                 contextualize=contextualize, options=options, **kwargs)[0]
    except (ImportMapError, ConfigError, InputsError) as exc:
        raise BadArgument(str(exc)) from None
    if not result.ok:
        first = result.errors[0] if result.errors else None
        detail = f": {first.file}:{first.line}:{first.column}: {first.rule} {first.message}" if first else ""
        raise LifecycleError(f"{blueprint} cannot be compiled{detail}", result.diagnostics)
    topology = result.topology
    definitions = topology.template.inputs if topology is not None else {}
    values = dict(topology.inputs) if topology is not None else {}
    secret = secret_input_names(values, definitions, secret_inputs(topology) if topology is not None else ())
    mask = SecretMask.of(values, secret)
    radl = result.text or ""
    try:
        payload = mark_radl(radl, ident) if kind == "radl" else self_contained_tosca(
            topology.template, values, ident, local_files=local_files, contextualize=contextualize)
    except PayloadError as exc:
        raise LifecycleError(f"{blueprint}: {exc}") from None
    stored, note = mask.stored(payload)
    return Compiled(kind, payload, radl, dict(topology.outputs) if topology is not None else {},
                    mask_inputs(values, definitions, secret), _sha256(content), mask, stored, note,
                    mask.digest(digest_of))


def _compiled_radl_file(path: Path, content: bytes, ident: str, kind: str, contextualize: bool) -> Compiled:
    if kind != "radl":
        raise BadArgument(f"{path} is RADL: it cannot be sent --as tosca")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadArgument(f"{path}: byte {exc.start} is not UTF-8") from None
    radl = text
    if not contextualize:
        try:
            radl = without_contextualization(text)
        except ValueError:  # unbalanced parentheses: IM's parser will say where
            radl = text + "\ncontextualize ()\n"
    payload = mark_radl(radl, ident)
    return Compiled("radl", payload, radl, blueprint_hash=_sha256(content), stored=payload, source_text=text)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _marked(text: str, ident: str) -> bool:
    return bool(re.search(rf"deployment\s*=\s*'{re.escape(ident)}'|{MARK_KEY}:\s*['\"]?{re.escape(ident)}\b", text))


def _explained(exc: IMError, path: Path, compiled: Compiled) -> IMError:
    """IM's error with no secret in it and, for a .radl file, the user's file and line."""
    message = compiled.mask.text(str(exc))
    if isinstance(exc, IMBadRequest) and compiled.source_text:
        message = radl_error_in_file(message, path, compiled.source_text)
    return type(exc)(message, exc.status)


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
           replace: bool = False, **kwargs: Any) -> Record:
    """Check the arguments, compile, record ("submitting"), submit, complete
    the record; wait until configured when ``wait``. A name held by another
    deployment is refused, unless ``replace``: that one is undeployed first.
    Returns the record."""
    timeout = check_timeout(timeout)
    if kind not in KINDS:
        raise BadArgument(f"--as must be one of {', '.join(KINDS)}")
    path = _readable(blueprint)
    name = _valid_name(name) if name is not None else default_name(path)
    url = _target_url(im_url)
    settings = Settings().over(contextualize, import_map, options, **kwargs)
    with _using(store) as store:
        store.check_writable()
        holders = store.holders(name)
        if holders and not replace:
            raise _name_taken(NameInUse(name, holders))
        ident = new_id()
        compiled = compile_blueprint(path, ident=ident, kind=kind, inputs=inputs, import_map=import_map,
                                     contextualize=contextualize, options=options, local_files=is_loopback(url),
                                     **kwargs)
        target = connect(url, auth, insecure=insecure)
        if target.note and notify:
            notify(target.note)
        for old in holders:  # only with replace
            undeploy(old.id, insecure=insecure, store=store)
        try:
            store.create(id=ident, name=name, im_url=target.client.url, kind=kind, payload=compiled.stored,
                         blueprint=str(path.resolve()), blueprint_hash=compiled.blueprint_hash,
                         inputs=compiled.inputs, auth_path=target.client.auth.path, outputs=compiled.outputs,
                         options=settings.as_dict(), owner=processes.identity(),
                         secrets_digest=compiled.digest, detail=compiled.note)
        except NameInUse as exc:  # another process took the name meanwhile
            raise _name_taken(exc) from None
        try:
            # synchronous when waiting: IM answers once the VMs exist
            infra = target.client.create(compiled.payload, kind, wait=wait)
        except IMError as exc:
            error = _explained(exc, path, compiled)
            store.update(ident, state="failed", detail=str(error), owner=None)
            raise error from None
        store.update(ident, state="submitted", detail=f"IM infrastructure {infra}", infra_id=infra, owner=None)
        if wait:
            wait_deployment(ident, client=target.client, store=store, timeout=timeout, progress=progress)
        return store.get(ident)


def _name_taken(exc: NameInUse) -> BadArgument:
    return BadArgument(f"{exc}: choose another --name, or --replace to undeploy it first")


# -- a submit in flight ------------------------------------------------------------------------

def submit_in_flight(record: Record) -> str | None:
    """Why ``record``'s submit may still be running (its process lives, or it
    started on another host less than SUBMIT_GRACE seconds ago); None when not."""
    if record.state != "submitting" or record.infra_id or not record.owner:
        return None
    age = max(0.0, time.time() - record.updated)
    running = processes.same_process(record.owner)
    host, pid = ":".join(record.owner.split(":")[:-2]), record.owner.split(":")[-2]
    if running:
        return f"process {pid} on this machine started submitting it {age:.0f} s ago"
    if running is None and age < SUBMIT_GRACE:
        return f"process {pid} on {printable(host)} started submitting it {age:.0f} s ago"
    return None


def _settled(record: Record, store: Store, patience: float) -> Record:
    """The record once a submit in flight is done, waiting up to ``patience`` seconds for it."""
    deadline = time.monotonic() + patience
    while (why := submit_in_flight(record)) is not None:
        if time.monotonic() >= deadline:
            raise LifecycleError(f"deployment {record.id} is still being submitted ({why}): try again once it is "
                                 "done")
        time.sleep(0.2)
        record = store.get(record.id)
    return record


# -- reading -------------------------------------------------------------------------------

def reached(record: Record, client: IMClient, store: Store, patience: float = 0.0) -> Record:
    """The record reconciled with IM; an error when it never got there."""
    record = reconcile(_settled(record, store, patience), client, store)
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
    the deployment mark, or mark the record failed. A submit still in flight
    is left alone."""
    if record.infra_id or record.state != "submitting" or submit_in_flight(record):
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
            store.update(record.id, state="submitted", infra_id=infra, owner=None,
                         detail=f"reconciled with IM: infrastructure {infra}")
            return store.get(record.id)
    store.update(record.id, state="failed", owner=None,
                 detail="never reached IM: no infrastructure carries its mark")
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
    "submitting" is reconciled first (one whose submit is still in flight is
    shown as it is, with a note); a gone infrastructure is marked deleted."""
    with _using(store) as store:
        record = im_record(store, reference)
        if record.state == GONE:
            return {"deployment": record.as_dict(), "state": GONE, "vms": [], "contmsg": []}
        why = submit_in_flight(record)
        if why:
            return {"deployment": record.as_dict(), "state": record.state, "vms": [], "contmsg": [],
                    "note": f"a submit is in flight: {why}"}
        if record.infra_id or record.state == "submitting":  # else IM never had it: nothing to ask
            client = client_for(record, auth, insecure=insecure)
            record = reconcile(record, client, store)
        if not record.infra_id:
            return {"deployment": record.as_dict(), "state": record.state, "vms": [], "contmsg": []}
        try:
            state = client.state(record.infra_id)
        except IMNotFound as exc:
            store.update(record.id, state=GONE, detail=f"gone from IM: {exc}")
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
        record = im_record(store, reference)
        client = client_for(record, auth, insecure=insecure)
        record = reached(record, client, store)
        return client.contmsg(record.infra_id)


def outputs(reference: str, *, auth: Any = None, insecure: bool = False, store: Store | None = None) -> dict:
    """TOSCA outputs: IM's for a TOSCA deployment; for a RADL one, the
    outputs the compiler kept, resolved from the VMs' info."""
    with _using(store) as store:
        record = im_record(store, reference)
        client = client_for(record, auth, insecure=insecure)
        record = reached(record, client, store)
        if record.kind == "tosca":
            return client.outputs(record.infra_id)
        state = client.state(record.infra_id)
        return resolve_outputs(record.outputs, vm_details(client, record.infra_id, state["vm_states"]),
                               record.infra_id)


def _passing(exc: Exception) -> bool:
    """An IM error a wait rides out: IM unreachable for a while, or a gateway's 502/503/504."""
    return isinstance(exc, IMUnreachable) or (isinstance(exc, IMError) and exc.status in RETRY_STATUS)


def wait_deployment(reference: str, *, auth: Any = None, insecure: bool = False, client: IMClient | None = None,
                    store: Store | None = None, timeout: float | None = 1800.0,
                    progress: Callable[[dict], None] | None = None) -> dict:
    """Poll IM (with backoff) until configured or failed; each state change
    goes to the record's history. An IM that stops answering for a while is
    polled again, with backoff, until the timeout. Raises WaitTimeout."""
    timeout = check_timeout(timeout)
    with _using(store) as store:
        record = im_record(store, reference)
        client = client or client_for(record, auth, insecure=insecure)
        record = reached(record, client, store, SUBMIT_PATIENCE if timeout is None else min(timeout, SUBMIT_PATIENCE))
        last = {"state": record.state}

        def seen(state: dict) -> None:
            if state["state"] != last["state"]:
                store.update(record.id, state=state["state"])
                last["state"] = state["state"]
            if progress:
                progress(state)

        def unreachable(exc: Exception) -> None:
            if progress:
                progress({"state": "IM unreachable", "vm_states": {}})

        try:
            return wait_for(lambda: client.state(record.infra_id), timeout=timeout, on_state=seen,
                            retry=_passing, on_error=unreachable)
        except IMNotFound:
            store.update(record.id, state=GONE, detail="gone from IM while waiting")
            raise


# -- changing ------------------------------------------------------------------------------

@record
class Reconfiguration:
    record: Record
    plan: Plan
    applied: bool
    actions: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)


def reconfigure(reference: str, blueprint: str | os.PathLike | None = None, *, inputs: Any = None,
                dry_run: bool = False, auth: Any = None, insecure: bool = False, import_map: Any = None,
                contextualize: bool | None = None, options: Any = None, wait: bool = True,
                timeout: float | None = 1800.0, store: Store | None = None,
                progress: Callable[[dict], None] | None = None, replace_vms: bool = False,
                **kwargs: Any) -> Reconfiguration:
    """Recompile (the new blueprint, or the deployed one with new inputs) the
    way the deployment was made (its remembered options; arguments given
    here win), diff against what was deployed and apply the plan: scale by
    adding resources or removing VMs, everything else by IM's reconfigure
    with the new RADL. A VM's size or image IM does not change on a running
    VM: such changes are left out (``not_applied``), unless ``replace_vms``
    replaces the VMs of those nodes. ``dry_run`` only plans."""
    timeout = check_timeout(timeout)
    with _using(store) as store:
        record = im_record(store, reference)
        if record.state == GONE:
            raise LifecycleError(f"deployment {record.id} is deleted: deploy it again")
        if not dry_run:
            store.check_writable()
        settings = Settings.from_dict(record.options).over(contextualize, import_map, options, **kwargs)
        source, compiled = _recompiled(record, blueprint, inputs, options, settings, kwargs)
        client = client_for(record, auth, insecure=insecure)
        record = reached(record, client, store, 0.0 if dry_run else SUBMIT_PATIENCE)
        # both sides masked alike; without a stored payload, IM's own RADL stands for the old one
        old = record.payload if record.kind == "radl" and record.payload else compiled.mask.text(
            _radl_text(client.radl(record.infra_id)))
        plan = diff(old, compiled.mask.text(compiled.payload))
        plan.secrets_changed = compiled.digest != record.secrets_digest
        if dry_run or plan.empty:
            return Reconfiguration(record, plan, False)
        sent, stored = compiled.payload, compiled.stored
        not_applied = []
        if plan.fixed and not replace_vms:  # the record says what the VMs really are
            sent, stored = keep_fixed(sent, old, plan.fixed), keep_fixed(stored, old, plan.fixed) if stored else ""
            not_applied = [f"node {n}: {', '.join(f)}: IM does not resize or re-image a running VM; "
                           f"--replace-vms replaces the node's VMs" for n, f in plan.fixed.items()]
        actions = apply_plan(client, record.infra_id, plan, sent, known=set(parse_radl(old).systems),
                             replace_vms=replace_vms)
        if not actions:
            return Reconfiguration(record, plan, False, [], not_applied)
        store.update(record.id, state="reconfiguring", detail="; ".join(filter(None, [*actions, compiled.note])),
                     payload=stored, kind="radl", blueprint=str(source.resolve()),
                     blueprint_hash=compiled.blueprint_hash, inputs=compiled.inputs, outputs=compiled.outputs,
                     options=settings.as_dict(), secrets_digest=compiled.digest)
        if wait:
            wait_deployment(record.id, client=client, store=store, timeout=timeout, progress=progress)
        return Reconfiguration(store.get(record.id), plan, True, actions, not_applied)


def _recompiled(record: Record, blueprint: Any, inputs: Any, options: Any, settings: Settings,
                kwargs: dict) -> tuple[Path, Compiled]:
    """The blueprint (the one given, else the deployed one) compiled with the
    deployment's inputs (secret ones must be given again: the store has
    them masked) under ``inputs``, and with ``settings``."""
    source = blueprint or record.blueprint
    if not source:
        raise LifecycleError(f"deployment {record.id} has no blueprint on record: name one")
    source = _readable(source)
    kept = {k: v for k, v in record.inputs.items() if v != MASK}
    given = _read_inputs(inputs) or {}
    if options is not None:
        options = replace(options, inputs=kept | dict(options.inputs or {}) | dict(given))
    loading = settings.load_kwargs() if options is None else {}
    extra = {k: v for k, v in kwargs.items() if k not in Settings.__record_fields__}
    values = None if options is not None else kept | given
    return source, compile_blueprint(source, ident=record.id, kind="radl", inputs=values,
                                     contextualize=settings.contextualize, options=options,
                                     digest_of=record.secrets_digest, **loading, **extra)


def _radl_text(radl: Any) -> str:
    """IM's RADL of an infrastructure as text (IM may answer with RADL JSON)."""
    if isinstance(radl, str):
        return radl
    try:
        from radl import radl_json  # IM's own RADL library, when installed

        return str(radl_json.parse_radl(radl))
    except Exception:  # noqa: BLE001 - without it (or on odd JSON) the plan just sees every block as new
        return str(radl)


def _read_inputs(inputs: Any) -> dict | None:
    if isinstance(inputs, (str, os.PathLike)):
        from ..source.inputs import InputsError, load_inputs_file

        try:
            return load_inputs_file(Path(inputs))
        except InputsError as exc:
            raise BadArgument(str(exc)) from None
    return inputs


def _vms_by_node(client: IMClient, infra: str) -> dict[str, list[str]]:
    by_node: dict[str, list[str]] = {}
    for vm in client.vms(infra):
        info = client.vm_info(infra, vm)
        system = next((i for i in info if i.get("class") == "system"), {})
        by_node.setdefault(str(system.get("id")), []).append(vm)
    for vms in by_node.values():
        vms.sort(key=lambda v: (len(v), v))
    return by_node


def apply_plan(client: IMClient, infra: str, plan: Plan, new_radl: str, *, known: set[str] | None = None,
               replace_vms: bool = False) -> list[str]:
    """Carry a plan out on IM; what was done, one line each. ``known``: the
    systems IM already has (the others are sent in full when VMs are added)."""
    actions = []
    replace = set(plan.fixed) if replace_vms else set()
    wanted = parse_radl(new_radl).deploys
    shrink = dict(plan.removed)
    shrink.update({n: a - b for n, (a, b) in plan.scaled.items() if b < a and n not in replace})
    grow = dict(plan.added)
    grow.update({n: b - a for n, (a, b) in plan.scaled.items() if b > a and n not in replace})
    by_node = _vms_by_node(client, infra) if shrink or replace else {}
    for node, count in shrink.items():
        victims = by_node.get(node, [])[-count:] if count else []
        for vm in reversed(victims):
            client.remove_vm(infra, vm)
        actions.append(f"removed {len(victims)} VM(s) of {node}")
    adding = {n: c for n, c in (grow | {n: wanted.get(n, 0) for n in replace}).items() if c > 0}
    if adding:
        client.add_resources(infra, additions(new_radl, adding, known))
    if grow:
        actions.append("added " + ", ".join(f"{c} VM(s) of {n}" for n, c in grow.items()))
    for node in sorted(replace):
        for vm in reversed(by_node.get(node, [])):
            client.remove_vm(infra, vm)
        actions.append(f"replaced {len(by_node.get(node, []))} VM(s) of {node} (new size or image)")
    if plan.needs_reconfigure:
        client.reconfigure(infra, without_deploys(new_radl))
        actions.append("reconfigured with the new RADL")
    return actions


def _destroy(client: IMClient, infra: str, patience: float = 120.0) -> None:
    """Destroy ``infra``; IM refuses (409) while it is still creating VMs, so that is waited out."""
    deadline = time.monotonic() + patience
    pause = 0.2
    while True:
        try:
            return client.destroy(infra)
        except IMError as exc:
            if exc.status != 409 or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 1.5, 3.0)


def undeploy(reference: str, *, auth: Any = None, insecure: bool = False, store: Store | None = None) -> Record:
    """Destroy the infrastructure; undeploying what is already gone is not an
    error. The store must be writable first; a submit in flight is waited for."""
    with _using(store) as store:
        record = im_record(store, reference)
        if record.state == GONE:
            return record
        store.check_writable()
        client = client_for(record, auth, insecure=insecure)
        record = reconcile(_settled(record, store, SUBMIT_PATIENCE), client, store)
        if record.infra_id:
            try:
                _destroy(client, record.infra_id)
                detail = f"IM infrastructure {record.infra_id} destroyed"
            except IMNotFound:
                detail = f"IM infrastructure {record.infra_id} was already gone"
        else:
            detail = "never reached IM"
        store.update(record.id, state=GONE, detail=detail, owner=None)
        return store.get(record.id)


def mask_vm_info(info: list[dict]) -> list[dict]:
    return [{k: ("***" if _SECRET_FEATURE.search(k) else v) for k, v in item.items()} for item in info]


__all__ = ["KINDS", "BadArgument", "LifecycleError", "Progress", "Reconfiguration", "Record", "Store", "StoreError",
           "Target", "WaitTimeout", "check_im_url", "check_name", "check_timeout", "compile_blueprint", "connect",
           "deploy", "inspect", "list_deployments", "logs", "mark_radl", "outputs", "parse_radl", "printable",
           "reconcile", "reconfigure", "resolve_outputs", "submit_in_flight", "undeploy", "wait_deployment"]
