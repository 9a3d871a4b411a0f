"""primage_tosca: TOSCA application templates to running deployments on research clouds.

The public API::

    import primage_tosca
    report = primage_tosca.validate("blueprints/", import_map="import-map.json")
    for diagnostic in report.diagnostics:
        print(diagnostic.file, diagnostic.line, diagnostic.rule, diagnostic.message)

    topology = primage_tosca.load("blueprints/hello-compute.yaml", inputs={"num_cpus": 2})
    radl = primage_tosca.compile(topology, target="radl")
"""

__version__ = "0.1.0"

from .api import load_options, validate  # noqa: E402
from .emit import compile  # noqa: E402,A004 - the TOSCA sense of the word
from .topology import Topology, load  # noqa: E402
from .diagnostics import Diagnostic, Location, Severity  # noqa: E402
from .validate import Report  # noqa: E402

__all__ = ["Diagnostic", "Location", "Report", "Severity", "Topology", "compile", "load", "load_options",
           "validate", "__version__"]
