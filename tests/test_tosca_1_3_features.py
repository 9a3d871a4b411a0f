"""TOSCA 1.3 constructs, each read as the Simple Profile 1.3 defines it:
a template that uses it right validates clean, one that gets it wrong gets
the finding at the place of the mistake, once."""

from __future__ import annotations

import textwrap

import pytest

from primage_tosca.api import load_options
from primage_tosca.validation import validate

LIBRARY = """\
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  Server:
    derived_from: tosca.nodes.Compute
    properties:
      tags:
        type: map
        key_schema:
          type: string
          constraints: [ { pattern: "^[a-z]+$" } ]
        entry_schema: { type: integer }
        required: false
    attributes:
      health: { type: string, default: ok }
    interfaces:
      Monitor: { type: Probe }
interface_types:
  Probe:
    derived_from: tosca.interfaces.Root
    operations:
      check: { description: probe once }
    notifications:
      failed: { description: the probe failed }
"""

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - file: lib.yaml
    namespace_prefix: lib
topology_template:
  inputs:
    doc:
      type: tosca.datatypes.json
      default: '{"a": 1}'
  node_templates:
    first:
      type: lib:Server
      properties:
        tags: { abc: 1, xyz: 2 }
        note: { get_input: doc }
      interfaces:
        Monitor:
          operations:
            check: probe.sh
          notifications:
            failed: alert.sh
    second:
      copy: first
      properties:
        tags: { def: 3 }
  outputs:
    health:
      value: { get_attribute: [ first, health ] }
"""


def run(tmp_path, template: str, library: str = LIBRARY):
    (tmp_path / "lib.yaml").write_text(library, encoding="utf-8")
    (tmp_path / "t.yaml").write_text(template, encoding="utf-8")
    report = validate(str(tmp_path / "t.yaml"), load_options(use_config=False))
    return [(d.rule, d.line, d.column) for d in report.diagnostics if d.severity.value == "error"], report


def test_the_constructs_used_right_validate_clean(tmp_path):
    template = TEMPLATE.replace("        note: { get_input: doc }\n", "")
    errors, report = run(tmp_path, template)
    assert errors == [], [(d.rule, d.line, d.message) for d in report.diagnostics]


def test_a_prefixed_library_names_its_own_types_without_the_prefix(tmp_path):
    # lib.yaml says `type: Probe`; the importer calls it lib:Probe. Both must find it.
    template = TEMPLATE.replace("        note: { get_input: doc }\n", "")
    _, report = run(tmp_path, template)
    assert not [d for d in report.diagnostics if d.rule in ("PT315", "PT336")]


def test_an_unprefixed_name_never_shadows_a_type_of_that_name(tmp_path):
    library = LIBRARY.replace("  Server:\n", "  Compute:\n")
    template = textwrap.dedent("""\
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - file: lib.yaml
            namespace_prefix: lib
        topology_template:
          node_templates:
            plain:
              type: Compute
              properties:
                tags: { abc: 1 }
        """)
    errors, report = run(tmp_path, template, library)
    # `Compute` is still the normative one, which has no property `tags`
    assert ("PT506", 10, 9) in errors


@pytest.mark.parametrize("edit, finding", [
    # key_schema's constraint and entry_schema's type, at the key and the value
    (("abc: 1, xyz: 2", "ABC: 1, xyz: 2"), ("PT504", 14, 17)),
    (("abc: 1, xyz: 2", "abc: 1, xyz: two"), ("PT503", 14, 30)),
    # a json value that is not JSON
    (("default: '{\"a\": 1}'", "default: '{not json'"), ("PT503", 9, 16)),
    # a notification the interface type does not declare
    (("failed: alert.sh", "gone: alert.sh"), ("PT336", 20, 13)),
    # copy of a template that does not exist: one finding, not a missing type too
    (("copy: first", "copy: firts"), ("PT332", 22, 13)),
])
def test_each_mistake_is_found_once_where_it_is_written(tmp_path, edit, finding):
    template = TEMPLATE.replace("        note: { get_input: doc }\n", "").replace(*edit)
    errors, report = run(tmp_path, template)
    assert errors == [finding], [(d.rule, d.line, d.column, d.message) for d in report.diagnostics]


def test_a_copy_does_not_repeat_its_sources_mistakes(tmp_path):
    template = TEMPLATE.replace("        note: { get_input: doc }\n", "").replace("xyz: 2", "xyz: two")
    errors, _ = run(tmp_path, template)
    assert errors == [("PT503", 14, 30)]  # in `first` only; `second` copies it but writes its own tags


def test_a_copy_chain_is_followed_with_a_warning_and_a_loop_is_an_error(tmp_path):
    template = TEMPLATE.replace("        note: { get_input: doc }\n", "").replace(
        "  outputs:", "    third:\n      copy: second\n  outputs:")
    errors, report = run(tmp_path, template)
    assert errors == []
    [warning] = [d for d in report.diagnostics if d.rule == "PT332"]
    assert "'second'" in warning.message and "'first'" in warning.hint
    looped = TEMPLATE.replace("        note: { get_input: doc }\n", "").replace("copy: first", "copy: second")
    errors, _ = run(tmp_path, looped)
    assert errors == [("PT332", 22, 13)]


def test_a_map_key_written_as_a_function_call(tmp_path):
    template = textwrap.dedent("""\
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          inputs:
            zone: { type: string, default: eu }
          node_templates:
            app:
              type: tosca.nodes.Root
              metadata:
                ? { get_input: zone }
                : primary
        """)
    (tmp_path / "t.yaml").write_text(template, encoding="utf-8")
    report = validate(str(tmp_path / "t.yaml"), load_options(use_config=False))
    assert not [d for d in report.diagnostics if d.severity.value == "error"], report.diagnostics
