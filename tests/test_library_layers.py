"""A type library's types are linked once and shared by the templates that
import it; what each template is told stays what it would be told alone."""

from __future__ import annotations

import pytest

from primage_tosca.api import load_options
from primage_tosca.source.document import PARSE_CACHE
from primage_tosca.typesystem import LIBRARY_FINDINGS, LIBRARY_LAYERS
from primage_tosca.validation import validate

LIBRARY = """\
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  lib.Server:
    derived_from: tosca.nodes.Compute
    properties:
      flavour: { type: string, default: small }
  lib.WebServer:
    derived_from: lib.Server
    properties:
      port: { type: integer, default: 80 }
  lib.Broken:
    derived_from: lib.Missing
"""

PLAIN = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports: [ lib.yaml ]
topology_template:
  node_templates:
    web:
      type: lib.WebServer
      properties: { port: 8080, flavor: large }
"""

# the template redefines a library type: the later definition is used, for
# the library's own types derived from it too
REDEFINES = PLAIN.replace("topology_template:", """node_types:
  lib.Server:
    derived_from: tosca.nodes.Compute
    properties:
      flavor: { type: string, default: small }
topology_template:""")

# the template defines the parent a library type names but lacks
COMPLETES = PLAIN.replace("topology_template:", """node_types:
  lib.Missing:
    derived_from: tosca.nodes.Root
topology_template:""")


def findings(tmp_path, name: str, text: str) -> list[tuple]:
    (tmp_path / "lib.yaml").write_text(LIBRARY, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    report = validate(str(tmp_path / name), load_options(use_config=False))
    return sorted((d.rule, d.file.rsplit("/", 1)[-1], d.line, d.column, d.message) for d in report.diagnostics)


def alone(tmp_path, name: str, text: str) -> list[tuple]:
    LIBRARY_LAYERS.clear()
    LIBRARY_FINDINGS.clear()
    PARSE_CACHE.__init__()
    return findings(tmp_path, name, text)


@pytest.mark.parametrize("text", [PLAIN, REDEFINES, COMPLETES], ids=["plain", "redefines", "completes"])
def test_a_template_after_another_is_told_what_it_is_told_alone(tmp_path, text):
    expected = alone(tmp_path, "second.yaml", text)
    alone(tmp_path, "first.yaml", PLAIN)  # the library's layer is built and kept
    assert findings(tmp_path, "second.yaml", text) == expected


def test_the_layer_is_shared_and_its_findings_reported_each_time(tmp_path):
    first = alone(tmp_path, "a.yaml", PLAIN)
    assert any(rule == "PT310" and where == "lib.yaml" for rule, where, *_ in first)  # lib.Missing
    assert any(rule == "PT506" and "flavor" in message for rule, _w, _l, _c, message in first)
    layers = len(LIBRARY_LAYERS._layers)
    assert layers == 1
    assert findings(tmp_path, "b.yaml", PLAIN) == [(f[0], "b.yaml", *f[2:]) if f[1] == "a.yaml" else f for f in first]
    assert len(LIBRARY_LAYERS._layers) == layers  # reused, not built again


def test_what_each_definition_means_follows_the_template_that_redefines_it(tmp_path):
    alone(tmp_path, "a.yaml", PLAIN)
    found = findings(tmp_path, "b.yaml", REDEFINES)
    # flavor is the redefined Server's property: WebServer inherits it there
    assert not any(rule == "PT506" and "flavor" in message for rule, _w, _l, _c, message in found)
    assert any(rule == "PT331" for rule, *_ in found)
