"""primage_tosca: TOSCA application templates to running deployments on research clouds.

The public API::

    import primage_tosca
    report = primage_tosca.validate("blueprints/", import_map="import-map.json")
    for diagnostic in report.diagnostics:
        print(diagnostic.file, diagnostic.line, diagnostic.rule, diagnostic.message)

    topology = primage_tosca.load("blueprints/hello-compute.yaml", inputs={"num_cpus": 2})
    radl = primage_tosca.compile(topology, target="radl")

Names are imported on first use, so ``import primage_tosca`` (and every
command-line start) stays cheap: the validator pulls in tosca-parser and
networkx, which a command such as ``list`` never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "Diagnostic": "diagnostics",
    "Location": "diagnostics",
    "Severity": "diagnostics",
    "Report": "validation",
    "load_options": "options",
    "validate": "api",
    "compile": "emit",
    "Topology": "topology",
    "load": "api",
    "RuleSettings": "rulesettings",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time __getattr__ does it
    from .api import validate  # noqa: F401
    from .options import load_options  # noqa: F401
    from .diagnostics import Diagnostic, Location, Severity  # noqa: F401
    from .emit import compile  # noqa: F401,A004
    from .api import load  # noqa: F401
    from .rulesettings import RuleSettings  # noqa: F401
    from .topology import Topology  # noqa: F401
    from .validation import Report  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'primage_tosca' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value
