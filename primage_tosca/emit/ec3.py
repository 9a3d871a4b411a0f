"""A PRIMAGE elastic Kubernetes cluster as an EC3 template (``compile --to ec3``).

The template is the cluster's RADL, as :mod:`.radl` writes it, reshaped the
way EC3 wants it: a ``description`` block (kind ``main``), the Compute that
hosts the ``primage.nodes.KubernetesFrontEnd`` named ``system front``, the one
that hosts the ``primage.nodes.KubernetesWorkerNode`` named ``system wn``
(with ``ec3_max_instances`` from the ElasticityManager's ``max_nodes``), each
system's recipes merged, in contextualization order, into one ``configure``
of the system's name, and a single ``deploy front 1``: EC3's CLUES powers the
working nodes on. The CLUES recipe gets the IM credentials EC3 keeps
(``ec3_xpath: /system/front/auth``).

EC3 stores each cluster's RADL in plain text under ``~/.ec3/clusters``, so a
template holding a secret (a Onedata token, a registry password) is refused:
mount storage and submit applications after launch, with their own secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..checks.platform import secret_uses
from ..topology import Topology
from .playbooks import PlaybookSource
from .radl import Emitted, _check_names, build_machines, classify
from .radl_context import Emission
from .radl_network import complete_networks
from .radl_text import Block, Configure, Deploy, RadlValueError, check_identifier

FRONT_END = "primage.nodes.KubernetesFrontEnd"
WORKER = "primage.nodes.KubernetesWorkerNode"
ELASTICITY = "primage.nodes.ElasticityManager"
CLUES_ROLE = "grycap.clues"
AUTH_XPATH = {"ec3_xpath": "/system/front/auth"}


def emit_ec3(topology: Topology, playbooks: PlaybookSource | None = None, contextualize: bool = True) -> Emitted:
    playbooks = playbooks or PlaybookSource(topology.template.options.policy,
                                            topology.template.options.limits.max_bytes)
    em = Emission(topology, playbooks, contextualize)
    for use in secret_uses(topology):
        em.error(f"{use.prop} of {use.node!r} is a secret, and EC3 keeps its templates in plain text in its "
                 "cluster store", use.path, "launch the cluster without it; mount storage and submit "
                 "applications afterwards (compile --to k8s)")
    roles = _roles(em)
    if roles is None:
        return Emitted(None, em.diagnostics.sorted())
    kinds = classify(em)
    _check_names(em, kinds["compute"] + kinds["network"])
    for name in kinds.pop("container"):  # an EC3 cluster is VMs; its applications come later (--to k8s)
        em.unmapped(f"{name!r} is a container application; an EC3 cluster template holds only its VMs",
                    topology.raw[name].path, "compile it with --to k8s")
    for name in kinds.pop("faas"):
        em.unmapped(f"{name!r} is a serverless function; an EC3 cluster template holds only its VMs",
                    topology.raw[name].path, "compile it with --to radl")
    build_machines(em, kinds)
    complete_networks(em)
    if em.diagnostics.has_errors():
        return Emitted(None, em.diagnostics.sorted())
    _reshape(em, roles)
    if em.diagnostics.has_errors():
        return Emitted(None, em.diagnostics.sorted())
    try:
        return Emitted(em.doc.render(), em.diagnostics.sorted())
    except RadlValueError as exc:
        em.error(f"the EC3 template cannot be written: {exc}", ())
        return Emitted(None, em.diagnostics.sorted())


def _roles(em: Emission) -> dict[str, str] | None:
    """Compute name -> 'front' or 'wn'; None (with an error) when the cluster is incomplete."""
    topology = em.topology
    found: dict[str, str] = {}
    for kind, base in (("front", FRONT_END), ("wn", WORKER)):
        computes = sorted({c for n in topology.nodes if topology.is_a(n, base)
                           for c in [topology.compute_of(n)] if c is not None}, key=lambda c: topology.raw[c].index)
        if len(computes) != 1:
            em.error(f"an EC3 cluster needs exactly one Compute hosting a {base}; this template has "
                     f"{len(computes)}", (), "see blueprints/kubernetes-cluster.yaml")
            return None
        if computes[0] in found:
            em.error(f"the front end and the working nodes must be two Computes, not both {computes[0]!r}",
                     topology.raw[computes[0]].path)
            return None
        found[computes[0]] = kind
    return found


def _max_nodes(em: Emission) -> int | None:
    for name in em.topology.nodes:
        if em.topology.is_a(name, ELASTICITY):
            value = em.topology.node(name)["properties"].get("max_nodes")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _reshape(em: Emission, roles: dict[str, str]) -> None:
    topology, doc = em.topology, em.doc
    for name, system in em.systems.items():
        if name not in roles:
            em.unmapped(f"Compute {name!r} is neither the front end nor the working nodes; EC3 leaves it out",
                        topology.raw[name].path)
    doc.systems = [s for s in doc.systems if s.name in roles]
    for system in doc.systems:
        if not system.has("disk.0.image.url"):
            em.error(f"Compute {system.name!r} has no image (os capability `image`): EC3 needs one for "
                     f"system {roles[system.name]}", topology.raw[system.name].path, "supply the image input")
    by_system: dict[str, list[Any]] = {"front": [], "wn": []}
    recipes = {c.name: c.recipe for c in doc.configures}
    for item in doc.contextualize or []:
        if item.system in roles and item.configure in recipes:
            plays = yaml.safe_load(recipes[item.configure])
            by_system[roles[item.system]].extend(plays if isinstance(plays, list) else [plays])
    for system in doc.systems:
        for feature in system.features:  # EC3's own RADL parser knows no `B`: whole MiB, rounded up
            if feature.unit == "B" and isinstance(feature.value, int):
                feature.value, feature.unit = -(-feature.value // 2**20), "m"
        kind = roles[system.name]
        system.name = kind
        system.set("instance_name", kind)
        if kind == "front":
            system.set("net_interface.0.dns_name", "kubeserver")
            system.set("queue_system", "kubernetes")
        else:
            system.set("ec3_node_type", "wn")
            limit = _max_nodes(em)
            if limit is not None:
                system.set("ec3_max_instances", limit)
    for play in by_system["front"]:
        if isinstance(play, dict) and any(_role_name(r) == CLUES_ROLE for r in play.get("roles") or []):
            play.setdefault("vars", {})["clues_auth"] = dict(AUTH_XPATH)
    doc.configures = [Configure(kind, yaml.safe_dump(plays, sort_keys=False, default_flow_style=False, width=1000))
                      for kind, plays in by_system.items() if plays]
    doc.contextualize = None  # EC3 runs `configure X` on `system X`
    doc.deploys = [Deploy("front", 1)]
    doc.description = _description(topology)


def _role_name(role: Any) -> Any:
    return role.get("role") if isinstance(role, dict) else role


def template_name(topology: Topology) -> str:
    stem = Path(topology.file).stem or "cluster"
    name = "".join(c if c.isalnum() or c in "_-." else "_" for c in stem)
    return name if check_identifier(name) is None else f"t_{name}"


def _description(topology: Topology) -> Block:
    block = Block("description", template_name(topology))
    block.set("kind", "main")
    block.set("short", "PRIMAGE elastic Kubernetes cluster (grycap.kubernetes, grycap.clues)")
    data = topology.template.data if isinstance(topology.template.data, dict) else {}
    content = data.get("description")
    block.set("content", " ".join(str(content).split()) if content else f"Compiled from {Path(topology.file).name}")
    return block


def launch_command(result: Any, destination: Path | None) -> str:
    """The `ec3 launch` line for a compiled template (on stderr from the CLI)."""
    name = Path(destination).stem if destination else Path(result.file).stem
    where = f"{destination}" if destination else f"{name}.radl"
    return (f"# put {where} in ./templates or ~/.ec3/templates, then:\n"
            f"ec3 launch {name} {name} -a auth.dat   # add --dry-run -p to see the merged RADL first")


__all__ = ["emit_ec3", "launch_command", "template_name"]
