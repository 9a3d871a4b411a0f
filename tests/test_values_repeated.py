"""A scalar found clean against a schema is remembered: repeated values
are checked once, and every faulty one is still reported where it stands."""

from __future__ import annotations

import textwrap

from primage_tosca.api import validate

TEMPLATE = """\
    tosca_definitions_version: tosca_simple_yaml_1_3
    node_types:
      my.Node:
        derived_from: tosca.nodes.Root
        properties:
          port: {{ type: integer, constraints: [ {{ in_range: [ 1, 100 ] }} ] }}
          wide: {{ type: integer, required: false, constraints: [ {{ in_range: [ 1, 1000 ] }} ] }}
          flag: {{ type: boolean, required: false }}
    topology_template:
      node_templates:
{nodes}
    """


def found(tmp_path, nodes: list[str]) -> list[tuple]:
    body = "".join(f"        n{i}:\n          type: my.Node\n          properties: {{ {props} }}\n"
                   for i, props in enumerate(nodes))
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(TEMPLATE).format(nodes=body))
    return [(d.rule, d.line) for d in validate(str(path)).diagnostics]


def test_each_repeated_faulty_value_is_reported_where_it_stands(tmp_path):
    # 500 is clean for `wide` (checked first) and not for `port`
    nodes = ["port: 50, wide: 500", "port: 500", "port: 50", "port: 500", "port: 5, wide: 500"]
    assert found(tmp_path, nodes) == [("PT504", 16), ("PT504", 22)]


def test_a_lenient_value_is_reported_each_time(tmp_path):
    nodes = ["port: 7, flag: 'true'", "port: 7, flag: 'true'", "port: '7'", "port: '7'", "port: 7"]
    assert found(tmp_path, nodes) == [("PT508", 13), ("PT508", 16), ("PT508", 19), ("PT508", 22)]


def test_types_of_equal_values_are_told_apart(tmp_path):
    nodes = ["port: 1", "port: true", "port: 1.0", "port: 1"]  # 1 == True == 1.0 in Python
    assert [rule for rule, _ in found(tmp_path, nodes)] == ["PT508", "PT503"]
