"""A Topology as RADL, the way IM's own converter maps TOSCA (see
docs/radl-mapping.md): Network nodes become networks, Compute nodes systems
(with their disks, Galaxy roles and network interfaces), every node's
operations a configure run on its Compute at its depth, and the scaling and
placement policies the deploy lines.

The emitter reads no network, prints nothing and raises nothing for a
problem in the template: what it cannot map is a PT700 warning, what makes
the RADL impossible a PT702 error.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import Diagnostic
from ..records import field, record
from ..topology import COMPUTE, Topology
from .playbooks import PlaybookSource
from .radl_configure import build_configures
from .radl_container import build_container, volume_names
from .radl_container_env import CONTAINER
from .radl_context import BLOCK_STORAGE, NETWORK, PORT, UNMAPPED_NODES, Emission, referenced_properties
from .radl_deploy import build_deploys
from .radl_faas import FAAS, add_registrations, build_function, oscar_cluster
from .radl_network import (
    attach_networks, build_network, complete_networks, is_public, ports_by_compute, split_private_networks)
from .radl_system import build_system
from .radl_text import Block, RadlValueError, check_identifier
from .radl_unmapped import report_unmapped


@record
class Emitted:
    text: str | None  # None when errors made the RADL impossible
    diagnostics: list[Diagnostic] = field(default_factory=list)


def build_machines(em: Emission, kinds: dict) -> dict:
    """Networks, systems (with their interfaces) and configures, shared by the
    RADL and EC3 targets. Returns the properties operations read."""
    for name in kinds["network"]:
        block = em.doc.add_network(build_network(em, name))
        if em.first_private is None and not is_public(block):
            em.first_private = block
    referenced = em.referenced = referenced_properties(em.topology)
    ports = ports_by_compute(em)
    for name in kinds["compute"]:
        system = build_system(em, name, referenced)
        attach_networks(em, name, system, ports)
        em.systems[name] = system
        em.doc.systems.append(system)
    _build_pods(em, kinds.get("container", []), referenced)
    _build_functions(em, kinds.get("faas", []))
    build_configures(em, kinds["runs"])
    return referenced


def _build_pods(em: Emission, containers: list[str], referenced: dict[str, set[str]]) -> None:
    """The systems of container applications (``em.pods``: node -> system name)."""
    for name in containers:
        system = build_container(em, name, referenced)
        if system is not None and _add_system(em, name, system, "container application"):
            em.pods[name] = system.name


def _build_functions(em: Emission, functions: list[str]) -> None:
    """FaaS functions: registered on an OSCAR cluster this template deploys
    (``em.registered``), else systems of their own (``em.functions``)."""
    for name in functions:
        cluster = oscar_cluster(em, name)
        if cluster is not None:
            em.registered[name] = cluster
            continue
        system = build_function(em, name)
        if _add_system(em, name, system, "function"):
            em.functions[name] = system.name


def _add_system(em: Emission, name: str, system: Block, what: str) -> bool:
    problem = check_identifier(system.name)
    if problem or system.name in em.systems:
        em.error(f"{what} {name!r} cannot be a RADL system named {system.name!r}: "
                 f"{problem or 'another system has that name'}", em.topology.raw[name].path,
                 "rename the node template")
        return False
    em.systems[system.name] = system
    em.doc.systems.append(system)
    return True


def emit_radl(topology: Topology, playbooks: PlaybookSource | None = None, contextualize: bool = True,
              lock: Any = None) -> Emitted:
    """The RADL of a topology, with what could not be mapped."""
    playbooks = playbooks or PlaybookSource(topology.template.options.policy,
                                            topology.template.options.limits.max_bytes)
    em = Emission(topology, playbooks, contextualize, lock=lock)
    kinds = classify(em)
    _check_names(em, kinds["compute"] + kinds["network"])
    _description(em)
    referenced = build_machines(em, kinds)
    report_unmapped(em, kinds["runs"], referenced)
    deployed = build_deploys(em, kinds["compute"], list(em.single_systems), list(em.registered))
    add_registrations(em)
    deployed_set = set(deployed)
    split_private_networks(em, [n for n in kinds["compute"] if n in deployed_set])
    complete_networks(em)
    return Emitted(_render(em), em.diagnostics.sorted())


def classify(em: Emission) -> dict[str, list[str]]:
    """Node names by what they become, each list in template order."""
    kinds: dict[str, list[str]] = {"network": [], "compute": [], "runs": [], "container": [], "faas": []}
    storage: list[str] = []
    found: dict[frozenset, tuple[str, str]] = {}  # a node's kind follows from its ancestry: asked once per type
    for name in em.topology.nodes:
        ancestry = em.topology.types_of(name)
        kind, what = found.get(ancestry) or found.setdefault(ancestry, _kind(ancestry))
        if kind == "storage":
            storage.append(name)
        elif kind == "unmapped":
            em.unmapped(f"{name!r} is {what}; the RADL compiler maps only VMs and what runs on them",
                        em.topology.raw[name].path)
        elif kind == "compute":
            kinds["compute"].append(name)
            kinds["runs"].append(name)
        elif kind != "port":  # a Port is read with the Compute it binds
            kinds[kind].append(name)
    mounted = volume_names(em, kinds["container"])
    for name in storage:
        if name not in mounted:
            _attached_somewhere(em, name)
    return kinds


def _kind(ancestry: frozenset[str]) -> tuple[str, str]:
    """What a node of this ancestry becomes (a key of classify's lists, or storage, port or unmapped), and
    for an unmapped one, what it is."""
    for kind, bases in (("network", (NETWORK,)), ("container", (CONTAINER,)), ("faas", (FAAS,)), ("port", (PORT,)),
                        ("storage", BLOCK_STORAGE)):
        if any(base in ancestry for base in bases):
            return kind, ""
    for base, what in UNMAPPED_NODES.items():
        if base in ancestry:
            return "unmapped", what
    return ("compute" if COMPUTE in ancestry else "runs"), ""


def _attached_somewhere(em: Emission, name: str) -> None:
    edges = em.topology.edges_to(name)
    if not any(edge["kind"] == "AttachesTo" and em.is_a(source, COMPUTE) for source, edge in edges):
        em.unmapped(f"BlockStorage {name!r} is attached to no Compute (AttachesTo); no disk is created",
                    em.topology.raw[name].path)


def _check_names(em: Emission, names: list[str]) -> None:
    for name in names:
        problem = check_identifier(name)
        if problem:
            em.error(f"node template {problem}, so it cannot name a RADL system or network",
                     em.topology.raw[name].path, "rename the node template")


def _description(em: Emission) -> None:
    data = em.topology.template.data
    metadata = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(metadata, dict):
        return
    block = Block("description", "desc")
    for key, feature in (("infra_name", "name"), ("namespace", "namespace")):
        if isinstance(metadata.get(key), (str, int, float)) and metadata[key] != "":
            block.set(feature, str(metadata[key]))
    if block.features:
        em.doc.description = block


def _render(em: Emission) -> str | None:
    if em.diagnostics.has_errors():
        return None
    try:
        return em.doc.render()
    except RadlValueError as exc:
        raw = em.topology.raw.get(exc.block or "")
        where = f" (in {exc.block})" if exc.block else ""
        em.error(f"the RADL cannot be written{where}: {exc}", raw.path if raw else ())
        return None
