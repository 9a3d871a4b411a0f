"""PT402: an input declared and never read. Reads of undeclared inputs
(PT400) and supplied values (PT401, PT403) are the render phase's: it reads
every call as written."""

from __future__ import annotations

from typing import Iterator

from ..diagnostics import Diagnostic
from ..topology.model import Topology
from .base import check, report

INPUTS_PATH = ("topology_template", "inputs")


def substitution_inputs(topology: Topology) -> set[str]:
    """Inputs a substitution mapping exposes as properties count as used."""
    mapping = topology.template.topology.get("substitution_mappings")
    properties = mapping.get("properties") if isinstance(mapping, dict) else None
    names: set[str] = set()
    if isinstance(properties, dict):
        for value in properties.values():
            if isinstance(value, str):
                names.add(value)
            elif isinstance(value, list) and value and isinstance(value[0], str):
                names.add(value[0])
    return names


@check("PT402")
def unused_inputs(topology: Topology) -> Iterator[Diagnostic]:
    used = {name for name, path in topology.rendered.input_reads  # an input's default reading itself is no use
            if isinstance(name, str) and path[:3] != INPUTS_PATH + (name,)}
    used |= substitution_inputs(topology)
    for name in topology.rendered.inputs:
        if name not in used:
            yield report(topology, "PT402", f"input {name!r} is declared but never read with get_input",
                         INPUTS_PATH + (name,), key=True,
                         hint="remove it, or use it with { get_input: " + str(name) + " }")
