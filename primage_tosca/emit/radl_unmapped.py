"""Warnings for what the template writes and RADL cannot carry, so nothing
is dropped silently: a software node's property no operation reads, an
artifact nothing installs or downloads, a capability nobody reads, and
template sections (substitution mappings, workflows) RADL has no place for.

Compute, Network, Port and BlockStorage properties are checked where they
are mapped (radl_system, radl_network)."""

from __future__ import annotations

from typing import Any, Iterator

from ..functions import function_name
from ..render.holders import Holders
from .radl_context import Emission
from .radl_system import COLLECTION, NOTHING, ROLE

ENDPOINT = "tosca.capabilities.Endpoint"
INPUTS = ("interfaces",)  # what get_artifact is looked for in: operation inputs
# Sections of topology_template that RADL has no place for.
UNMAPPED_SECTIONS = {
    "substitution_mappings": "substitution mappings (a template standing for a node type)",
    "workflows": "workflows (IM orders steps by depth only)",
}


def report_unmapped(em: Emission, software: list[str], referenced: dict[str, set[str]]) -> None:
    nodes = em.topology.raw
    # what the operations name is asked for only about the artifacts templates write (most write none)
    used_artifacts = artifact_uses(em) if any(nodes[name].template.get("artifacts") for name in software) else set()
    for name in software:
        raw = nodes[name]
        if em.is_a(name, "tosca.nodes.Compute"):
            _artifacts(em, name, used_artifacts)
            continue
        used = referenced.get(name, NOTHING)
        for prop in sorted(raw.written - used) if raw.written else ():
            em.unmapped(f"property {prop!r} of {name!r} is read by no operation (get_property); RADL has no "
                        "place for it", raw.path + ("properties", prop))
        for capability, cap in raw.capabilities.items():
            if not cap.written or capability in used:
                continue
            if cap.type and em.topology.types.is_derived_from("capability_types", cap.type, ENDPOINT):
                continue  # opens ports on the Compute (radl_network)
            em.unmapped(f"capability {capability!r} of {name!r} has no RADL feature and no operation reads it",
                        cap.path)
        _artifacts(em, name, used_artifacts)
    for section, what in UNMAPPED_SECTIONS.items():
        if em.topology.template.topology.get(section):
            em.unmapped(f"{what} cannot be expressed in RADL; ignored", ("topology_template", section))


def _artifacts(em: Emission, name: str, used: set[tuple[str, str]]) -> None:
    raw = em.topology.raw[name]
    written = raw.template.get("artifacts")
    names = list(written) if isinstance(written, dict) else [
        k for item in written for k in item] if isinstance(written, list) else []
    types = em.topology.types
    for artifact_name in names:
        artifact = em.topology.node(name)["artifacts"].get(artifact_name, {})
        kind = artifact.get("type") if isinstance(artifact, dict) else None
        if any(types.is_derived_from("artifact_types", kind, base) for base in (ROLE, COLLECTION)):
            continue
        if (name, artifact_name) in used or ("*", artifact_name) in used:
            continue
        em.unmapped(f"artifact {artifact_name!r} of {name!r} is neither an Ansible Galaxy role or collection "
                    "nor named by an operation or get_artifact; it is not deployed",
                    raw.path + ("artifacts", artifact_name))


def artifact_uses(em: Emission) -> set[tuple[str, str]]:
    """(node, artifact) pairs an implementation or get_artifact names ("*"
    for a node that cannot be told: IM looks an implementation up among the
    artifacts of the node and the nodes it requires). Only the operation
    inputs that may hold a get_artifact are walked (see
    :mod:`primage_tosca.render.holders`)."""
    topology = em.topology
    tables = [raw.interfaces for raw in topology.raw.values()]
    tables.extend(r.interfaces for requirements in topology.requirements.values() for r in requirements)
    found = _implementations(tables)
    holders = Holders(topology.rendered, "get_artifact")
    for name, raw, inputs, requirements in holders.walks(topology.raw, topology.requirements, INPUTS):
        if inputs is None:
            inputs = [op.inputs for ops in raw.interfaces.values() for op in ops.values()]
        inputs.extend(op.inputs for r in requirements for ops in r.interfaces.values() for op in ops.values())
        for entity, artifact in _get_artifacts(inputs):
            owner = {"SELF": name, None: name, "SOURCE": "*", "TARGET": "*", "HOST": "*"}.get(entity, entity)
            found.add((owner, artifact))
    return found


def _implementations(tables: list[dict]) -> set[tuple[str, str]]:
    """("*", file) for what the operations of each table of interfaces name as their implementation."""
    found = set()
    for interfaces in tables:
        for operations in interfaces.values():
            for operation in operations.values():
                implementation = operation.implementation
                if isinstance(implementation, dict):
                    implementation = implementation.get("primary")
                if isinstance(implementation, str):
                    found.add(("*", implementation))
    return found


def _get_artifacts(value: Any) -> Iterator[tuple[str | None, str]]:
    if function_name(value) == "get_artifact":
        args = value["get_artifact"]
        if isinstance(args, list) and len(args) >= 2 and isinstance(args[1], str):
            yield (args[0] if isinstance(args[0], str) else None, args[1])
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _get_artifacts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _get_artifacts(item)

