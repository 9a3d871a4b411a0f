"""primage_tosca: TOSCA application templates to running deployments on research clouds.

The public API::

    import primage_tosca
    report = primage_tosca.validate("blueprints/", import_map="import-map.json")
    for diagnostic in report.diagnostics:
        print(diagnostic.file, diagnostic.line, diagnostic.rule, diagnostic.message)
"""

__version__ = "0.1.0"

from .api import load_options, validate  # noqa: E402
from .diagnostics import Diagnostic, Location, Severity  # noqa: E402
from .validate import Report  # noqa: E402

__all__ = ["Diagnostic", "Location", "Report", "Severity", "load_options", "validate", "__version__"]
