"""What every part of the RADL emitter shares: the topology, the document
being built, the diagnostics, and small value conversions."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Iterator

from .. import catalog
from ..diagnostics import Diagnostics
from ..functions import RUNTIME_FUNCTIONS, function_name, is_symbolic
from ..records import field, record
from ..render.holders import SECTIONS, Holders
from ..topology import Topology
from .playbooks import PlaybookSource
from .radl_text import Block, RadlDocument

BLOCK_STORAGE = ("tosca.nodes.BlockStorage", "tosca.nodes.Storage.BlockStorage")
NETWORK = "tosca.nodes.network.Network"
PORT = "tosca.nodes.network.Port"
# Node kinds IM maps to something other than a VM; this compiler leaves them out.
UNMAPPED_NODES = {
    "tosca.nodes.im.AnsibleHost": "an Ansible host (IM's ansible block)",
    "tosca.nodes.ObjectStorage": "object storage",
    "tosca.nodes.Storage.ObjectStorage": "object storage",
}

# scalar-unit.size units, as tosca-parser reads them (any case)
SIZE_UNITS = {"b": 1, "kb": 10**3, "kib": 2**10, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30,
              "tb": 10**12, "tib": 2**40}
_SCALAR = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]+)\s*$")


def size_in_bytes(value: Any) -> int | None:
    """``1 GB`` -> 1000000000 (IM's reading: GB is 10**9, GiB 2**30). None
    when the value is not a scalar-unit size."""
    if not isinstance(value, str):
        return None
    match = _SCALAR.match(value)
    if not match or match.group(2).lower() not in SIZE_UNITS:
        return None
    return int(round(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()]))


def repository_url(em: "Emission", repository: Any) -> str | None:
    """The URL of a repository the template declares (``repositories``), by name."""
    data = em.topology.template.data
    repositories = data.get("repositories") if isinstance(data, dict) else None
    if not isinstance(repository, str) or not isinstance(repositories, dict) or repository not in repositories:
        return None
    definition = repositories[repository]
    url = definition.get("url") if isinstance(definition, dict) else definition
    return url.strip() if isinstance(url, str) else None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@record
class Emission:
    """One RADL document being built from one topology."""

    topology: Topology
    playbooks: PlaybookSource
    contextualize: bool = True
    doc: RadlDocument = field(default_factory=RadlDocument)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    systems: dict[str, Block] = field(default_factory=dict)
    first_private: Block | None = None  # the private network every VM joins (IM: the first one)
    parsed_playbooks: dict = field(default_factory=dict)
    referenced: dict[str, set[str]] = field(default_factory=dict)  # see referenced_properties
    lock: Any = None  # the project's recipes.lock (galaxy.lock.Lock), pinning Galaxy recipes
    pods: dict[str, str] = field(default_factory=dict)  # container application -> its system (a pod)
    functions: dict[str, str] = field(default_factory=dict)  # FaaS function IM deploys -> its system
    registered: dict[str, tuple[str, str]] = field(default_factory=dict)  # FaaS function -> (OSCAR, its Compute)
    counts: dict[str, int] = field(default_factory=dict)  # node -> instances asked for (see radl_deploy)
    features: dict[tuple, tuple] = field(default_factory=dict)  # (property, type, value) -> a system feature

    def report(self, rule: str, message: str, path: tuple, hint: str | None = None) -> None:
        location = self.topology.template.locate(path)
        self.diagnostics.add(catalog.make(rule, message, location, path, hint))

    def unmapped(self, message: str, path: tuple, hint: str | None = None) -> None:
        self.report("PT700", message, path, hint)

    def error(self, message: str, path: tuple, hint: str | None = None) -> None:
        self.report("PT702", message, path, hint)

    @property
    def single_systems(self) -> dict[str, str]:
        """Node -> system of what runs once, with an empty configure: pods and functions."""
        return {**self.pods, **self.functions}

    def is_a(self, name: str, *bases: str) -> bool:
        """Whether the node's type is, or derives from, any of ``bases``."""
        ancestry = self.topology.types_of(name)
        for base in bases:  # a loop, not any(): asked for every node, several times
            if base in ancestry:
                return True
        return False

    def requirement_at(self, source: str, index: int) -> Any:
        """The requirement of node ``source`` that the relationship edge numbered ``index`` stands for."""
        return self._requirements_by_index[(source, index)]

    @cached_property
    def _requirements_by_index(self) -> dict[tuple[str, int], Any]:
        return {(name, r.index): r for name, requirements in self.topology.requirements.items()
                for r in reversed(requirements)}  # the first of an index wins, as a scan would find it

    @cached_property
    def has_artifacts(self) -> bool:
        """Whether a node or a relationship has an artifact: when none has (most templates), no node's
        need be gathered."""
        return any(v["artifacts"] for v in self.topology.vertices.values()) or any(
            r.artifacts for requirements in self.topology.requirements.values() for r in requirements)

    @cached_property
    def requirement_targets(self) -> dict[tuple[str, str], str]:
        """(node, requirement name) -> the node its first such requirement targets."""
        found: dict[tuple[str, str], str] = {}
        for name, requirements in self.topology.requirements.items():
            for requirement in requirements:
                found.setdefault((name, requirement.name), requirement.target)
        return found

    def runtime(self, value: Any, what: str, path: tuple) -> bool:
        """True (and a warning) when ``value`` is not known at compile time."""
        if not is_symbolic(value):
            return False
        name = function_name(value)
        if name in RUNTIME_FUNCTIONS:
            self.unmapped(f"{what} is only known at run time ({name}); RADL needs a value, so it is left out", path)
        else:
            self.unmapped(f"{what} could not be evaluated (see PT701); left out", path)
        return True


def referenced_properties(topology: Topology) -> dict[str, set[str]]:
    """Node -> names of its properties and capabilities some get_property
    reads, anywhere in the template: such a value is used, even when RADL has
    no feature for it. Only the values that may hold a get_property are walked
    (see :mod:`primage_tosca.render.holders`)."""
    pairs: set[tuple[str, str]] = set()
    holders = Holders(topology.rendered, "get_property")
    for name, raw, values, requirements in holders.walks(topology.raw, topology.requirements, SECTIONS):
        add_reads(pairs, topology, name, node_values(raw) if values is None else values, requirements)
    return reads_by_node(pairs, topology)


def node_values(raw: Any) -> list:
    """Every value of a rendered node a get_property may be written in."""
    return [raw.properties, raw.artifacts, [c.properties for c in raw.capabilities.values()],
            [op.inputs for ops in raw.interfaces.values() for op in ops.values()]]


def add_reads(pairs: set[tuple[str, str]], topology: Topology, name: str, values: list, requirements: list) -> None:
    """(node, property) of the get_property calls in ``values`` of node
    ``name`` and in the values of its resolved ``requirements``, into ``pairs``."""
    for entity, prop in _property_reads(values) if values else ():
        if entity == "HOST":
            pairs.update((host, prop) for host in topology.hosting_chain(name))
        else:
            pairs.add((name if entity == "SELF" else entity, prop))
    for requirement in requirements:
        values = [requirement.properties, [op.inputs for ops in requirement.interfaces.values() for op in ops.values()]]
        ends = {"SOURCE": name, "TARGET": requirement.target}
        pairs.update((ends.get(entity, entity), prop) for entity, prop in _property_reads(values))


def reads_by_node(pairs: set[tuple[str, str]], topology: Topology) -> dict[str, set[str]]:
    """The node templates' reads with those of the outputs and policies, by node."""
    for values in (list(topology.template.outputs.values()), [p.properties for p in topology.policies]):
        pairs.update(_property_reads(values))
    by_node: dict[str, set[str]] = {}
    for node, prop in pairs:
        by_node.setdefault(node, set()).add(prop)
    return by_node


def _property_reads(values: Any) -> list[tuple[str, str]]:
    """(entity, name) of the get_property calls in ``values``, the entity as written."""
    found = []
    stack = [values]
    while stack:  # only maps and lists are visited: most values are plain
        value = stack.pop()
        if isinstance(value, dict):
            if len(value) == 1:
                arguments = value.get("get_property")
                if isinstance(arguments, list) and len(arguments) >= 2:
                    entity, prop = arguments[0], arguments[1]
                    if isinstance(prop, str) and isinstance(entity, str):
                        found.append((entity, prop))
                    continue
            value = value.values()
        for item in value:
            if isinstance(item, (dict, list)):
                stack.append(item)
    return found
