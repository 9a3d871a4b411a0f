"""``deploy`` lines: how many VMs of each system (the ``scalable``
capability, or a tosca.policies.Scaling policy) and on which cloud (a
placement policy's ``cloud_id``); and the policies RADL cannot express."""

from __future__ import annotations

from typing import Any, Sequence

from ..records import field, record
from ..topology import Policy
from .radl_context import Emission, as_int
from .radl_network import is_public
from .radl_text import Deploy, check_identifier

SCALING = "tosca.policies.Scaling"
PLACEMENT = "tosca.policies.Placement"
PLACEMENT_PROPERTIES = frozenset({"cloud_id", "availability_zone"})
SCALING_PROPERTIES = frozenset({"min_instances", "max_instances", "default_instances", "count"})
# max_instances bounds a later scale-up (IM's elasticity reads it from the TOSCA), not this deploy
COUNT_PROPERTIES = frozenset({"min_instances", "max_instances", "default_instances", "count"})
COUNT_ORDER = ("count", "default_instances", "min_instances")  # which count wins


@record
class Placement:
    cloud_id: Any = None
    availability_zone: Any = None
    paths: dict = field(default_factory=dict)


def read_policies(em: Emission, computes: list[str]) -> tuple[dict[str, dict], dict[str, Placement]]:
    """Scaling values and placement per Compute, from the policies that
    target it (the first policy to set a value wins, as in IM); other
    policies are reported."""
    scaling: dict[str, dict] = {}
    placement: dict[str, Placement] = {}
    is_compute = set(computes)
    for policy in em.topology.policies:
        if SCALING in policy.types:
            _scaling(em, policy, is_compute, scaling)
        elif PLACEMENT in policy.types:
            _placement(em, policy, is_compute, placement)
        else:
            em.unmapped(f"policy {policy.name!r} of type {policy.type!r} has no RADL equivalent; ignored",
                        policy.path, "RADL maps Placement (cloud_id, availability_zone) and Scaling policies")
    return scaling, placement


def _targets(em: Emission, policy: Policy, is_compute: set) -> list[str]:
    found = []
    for target in policy.targets:
        if target in is_compute:
            found.append(target)
        else:
            em.unmapped(f"policy {policy.name!r} targets {target!r}, which is not a Compute; "
                        "RADL places and scales only systems", policy.path)
    return found


def _scaling(em: Emission, policy: Policy, is_compute: set, scaling: dict[str, dict]) -> None:
    for prop in sorted(policy.written - SCALING_PROPERTIES):
        em.unmapped(f"scaling property {prop!r} has no RADL equivalent", policy.path + ("properties", prop))
    for target in _targets(em, policy, is_compute):
        values = scaling.setdefault(target, {})
        for prop in SCALING_PROPERTIES:
            if policy.properties.get(prop) is not None:
                values.setdefault(prop, (policy.properties[prop], policy.path + ("properties", prop)))


def _placement(em: Emission, policy: Policy, is_compute: set, placement: dict[str, Placement]) -> None:
    for prop in sorted(policy.written - PLACEMENT_PROPERTIES):
        em.unmapped(f"placement property {prop!r} has no RADL equivalent (only cloud_id and availability_zone)",
                    policy.path + ("properties", prop))
    for target in _targets(em, policy, is_compute):
        found = placement.setdefault(target, Placement())
        for prop in PLACEMENT_PROPERTIES:
            value = policy.properties.get(prop)
            if value not in (None, "") and getattr(found, prop) is None:
                setattr(found, prop, value)
                found.paths[prop] = policy.path + ("properties", prop)


def instance_count(em: Emission, name: str, policy_values: dict) -> int | None:
    """count, else default_instances, else min_instances, else 1. The
    template's own ``scalable`` values win over a Scaling policy, which wins
    over the capability type's defaults."""
    raw = em.topology.raw[name]
    capability = raw.capabilities.get("scalable")
    for prop in sorted(capability.written - COUNT_PROPERTIES) if capability and capability.written else ():
        em.unmapped(f"scalable property {prop!r} of {name!r} has no RADL equivalent (a deploy line has one count)",
                    capability.path + ("properties", prop))
    evaluated = em.topology.node(name)["capabilities"].get("scalable", {}).get("properties", {})
    # the first count the template writes, else the policy's, else the capability type's default
    written = next((p for p in COUNT_ORDER if capability and p in capability.written
                    and evaluated.get(p) is not None), None)
    chosen = next((policy_values[p] for p in COUNT_ORDER if p in policy_values), None) if written is None else None
    if chosen is None:
        prop = written or next((p for p in COUNT_ORDER if evaluated.get(p) is not None), None)
        if prop is None:
            return 1
        chosen = evaluated[prop], capability.path + ("properties", prop) if capability else raw.path
    value, path = chosen
    count = as_int(value)
    if count is None or count < 0:
        if not em.runtime(value, "the instance count", path):
            em.error(f"the instance count of {name!r} must be a whole number, not {value!r}", path)
        return None
    return count


def build_deploys(em: Emission, computes: list[str], singles: Sequence[str] = (),
                  registered: Sequence[str] = ()) -> list[str]:
    """The deploy lines, public systems first (front ends before nodes whose
    name says ``wn``, as IM orders them). ``singles`` run once (pods and
    functions: a count of 0 or 1); ``registered`` functions get no deploy
    line, only their count (``em.counts``). Returns the deployed systems."""
    nodes = [*computes, *singles, *registered]
    scaling, placement = read_policies(em, nodes)
    is_compute, is_registered = set(computes), set(registered)  # sets: a list test per node is quadratic
    deploys: list[Deploy] = []
    for name in nodes:
        where = placement.get(name, Placement())
        count = instance_count(em, name, scaling.get(name, {}))
        if name not in is_compute and count is not None and count > 1:
            em.error(f"{name!r} runs once (a Kubernetes pod, an OSCAR or Lambda function): its instance count "
                     f"must be 0 or 1, not {count}", em.topology.raw[name].path)
            continue
        if count is not None:
            em.counts[name] = count
        if name in is_registered:
            if where.cloud_id is not None or where.availability_zone is not None:
                em.unmapped(f"function {name!r} is registered on the OSCAR cluster this template deploys, so it "
                            "runs where that cluster runs; its placement is ignored", where.paths.get(
                                "cloud_id", where.paths.get("availability_zone", em.topology.raw[name].path)))
            continue
        system = em.single_systems.get(name, name)
        if where.availability_zone is not None:
            em.systems[system].set("availability_zone", str(where.availability_zone))
        if not count:
            continue
        deploys.append(Deploy(system, count, _cloud(em, where)))
    em.doc.deploys = _ordered(em, deploys)
    return [d.system for d in em.doc.deploys]


def _cloud(em: Emission, where: Placement) -> str | None:
    if where.cloud_id is None:
        return None
    cloud = str(where.cloud_id)
    problem = check_identifier(cloud)
    if problem:
        em.error(f"cloud_id {problem}: a deploy line cannot name it", where.paths.get("cloud_id", ()))
        return None
    return cloud


def _ordered(em: Emission, deploys: list[Deploy]) -> list[Deploy]:
    public, private = [], []
    for deploy in deploys:
        (public if _has_public_net(em, deploy.system) else private).append(deploy)
    front = [d for d in public if "wn" not in d.system]
    workers = [d for d in public if "wn" in d.system]
    return front + workers + private


def _has_public_net(em: Emission, system_name: str) -> bool:
    system = em.systems[system_name]
    number = 0
    while system.has(f"net_interface.{number}.connection"):
        network = em.doc.network(system.get(f"net_interface.{number}.connection"))
        if network is not None and is_public(network):
            return True
        number += 1
    return False
