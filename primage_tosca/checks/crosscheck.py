"""PT800, PT801, PT900: the opt-in cross-check by tosca-parser, the parser IM
runs (``--toscaparser``, or ``checks: [toscaparser]`` in the config file).

Registered here, apart from the bridge (``checks/toscaparser/``), so a run
that does not ask for it loads none of the bridge.
"""

from __future__ import annotations

from typing import Iterable

from ..diagnostics import Diagnostic
from ..topology.model import Topology
from .base import check


@check("PT800", "PT801", "PT900", optional=True, name="toscaparser")
def cross_check(topology: Topology) -> Iterable[Diagnostic]:
    from .toscaparser import toscaparser

    return toscaparser(topology)
