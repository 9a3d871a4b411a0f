"""The topology phase: requirements resolved to a node and a capability,
compile-time functions evaluated, and the orders every emitter needs
(hosting chains, deploy order, contextualization levels).

    topology = build_topology(rendered, collector)
    topology.compute_of("apache"), topology.deploy_order()

:func:`primage_tosca.load` runs every phase up to this one on a file.
"""

from __future__ import annotations

from .build import build_topology, gc_paused
from .model import COMPUTE, Policy, Topology
from .requirements import NORMATIVE, Requirement

__all__ = ["COMPUTE", "NORMATIVE", "Policy", "Requirement", "Topology", "build_topology", "gc_paused"]
