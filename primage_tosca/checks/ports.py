"""PT502 for IM's own convention: a port range written as a string
(``8000-8080`` or ``8000:8080``) in a property whose name ends in
``port_range``, where no data type says more."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..diagnostics import Diagnostic
from ..functions import is_symbolic
from ..topology.model import Topology
from .base import check, report

RANGE = re.compile(r"^\s*(\d+)\s*[-:]\s*(\d+)\s*$")


def port_range_problem(value: Any) -> str | None:
    """Why a ``'a-b'``/``'a:b'`` port range is malformed; None when it is fine."""
    match = RANGE.match(value) if isinstance(value, str) else None
    if match is None:
        return "expected a port range such as '8000-8080' or '8000:8080'"
    low, high = int(match.group(1)), int(match.group(2))
    for port in (low, high):
        if not 1 <= port <= 65535:
            return f"port {port} is outside 1..65535"
    if low > high:
        return f"the range starts at {low}, after its end {high}"
    return None


@check("PT502")
def port_range_strings(topology: Topology) -> Iterator[Diagnostic]:
    for name, raw in topology.raw.items():
        evaluated = topology.node(name)["properties"]
        for prop, definition in raw.property_defs.items():
            if not prop.endswith("port_range") or definition.schema.type_name not in (None, "string"):
                continue
            value = evaluated.get(prop)
            if prop in raw.written and isinstance(value, str) and not is_symbolic(value):
                problem = port_range_problem(value)
                if problem:
                    yield report(topology, "PT502", f"{value!r} is not a valid port range: {problem}",
                                 raw.path + ("properties", prop))
