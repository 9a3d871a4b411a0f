"""PT101, PT300, PT301: the document is a mapping with a known TOSCA version."""

from __future__ import annotations

from ..imports.template import ServiceTemplate
from .base import check, report

KNOWN_VERSIONS = (
    "tosca_simple_yaml_1_0", "tosca_simple_yaml_1_2", "tosca_simple_yaml_1_3",
    "tosca_simple_profile_for_nfv_1_0_0", "tosca_simple_profile_for_mec_1_0_0",
)


@check("PT101", "PT300", "PT301")
def version(template: ServiceTemplate):
    data = template.data
    if not isinstance(data, dict):
        yield report(template, "PT101", f"a TOSCA template is a mapping, not a {type(data).__name__}", ())
        return
    if "tosca_definitions_version" not in data:
        yield report(template, "PT300", "tosca_definitions_version is missing", (),
                     hint="start the file with `tosca_definitions_version: tosca_simple_yaml_1_0`")
        return
    value = data["tosca_definitions_version"]
    if value not in KNOWN_VERSIONS:
        yield report(template, "PT301", f"unknown tosca_definitions_version {value!r}",
                     ("tosca_definitions_version",), hint="known versions: " + ", ".join(KNOWN_VERSIONS))
