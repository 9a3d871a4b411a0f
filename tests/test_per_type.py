"""What the render, topology and RADL phases work out once per node type (or
per definition, or per plain value) must still be right for each template:
types that differ only in an ancestor, unknown types, requirements of one
definition with targets of different types, a value that is mapped on one
Compute and refused on another."""

from __future__ import annotations

import textwrap

from primage_tosca.api import validate
from primage_tosca.emit import compile_results
from primage_tosca import load

HEAD = "tosca_definitions_version: tosca_simple_yaml_1_3\n"


def write(tmp_path, text: str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + textwrap.dedent(text))
    return str(path)


def compiled(tmp_path, text: str):
    return compile_results(write(tmp_path, text), use_config=False)[0]


def found(result, rule: str) -> list[str]:
    return [d.message for d in result.diagnostics if d.rule == rule]


def test_types_that_differ_only_in_an_ancestor_are_told_apart(tmp_path):
    result = compiled(tmp_path, """
        node_types:
          my.Base: {derived_from: tosca.nodes.Root}
          my.Vm: {derived_from: tosca.nodes.Compute}
          my.Store: {derived_from: tosca.nodes.ObjectStorage}
          my.A: {derived_from: my.Vm}
          my.B: {derived_from: my.Store}
        topology_template:
          node_templates:
            a1: {type: my.A}
            b1: {type: my.B, properties: {name: x}}
            a2: {type: my.A}
            b2: {type: my.B, properties: {name: y}}
    """)
    assert result.ok, result.diagnostics
    assert "system a1 (" in result.text and "system a2 (" in result.text
    assert "system b1" not in result.text and "system b2" not in result.text
    # a warning for each node of the unmapped type, naming it
    assert [m for m in found(result, "PT700") if "object storage" in m] == [
        "'b1' is object storage; the RADL compiler maps only VMs and what runs on them",
        "'b2' is object storage; the RADL compiler maps only VMs and what runs on them"]


def test_each_template_of_an_unknown_type_is_reported(tmp_path):
    path = write(tmp_path, """
        topology_template:
          node_templates:
            one: {type: my.Unknown}
            vm: {type: tosca.nodes.Compute}
            two: {type: my.Unknown}
    """)
    report = validate(path)
    unknown = [(d.rule, d.line) for d in report.diagnostics if d.rule == "PT310"]
    assert unknown == [("PT310", 5), ("PT310", 7)]


def test_valid_source_types_are_checked_for_each_source_type(tmp_path):
    path = write(tmp_path, """
        capability_types:
          my.Port:
            derived_from: tosca.capabilities.Root
            valid_source_types: [my.Client]
        node_types:
          my.Server:
            derived_from: tosca.nodes.Root
            capabilities: {port: my.Port}
          my.User:
            derived_from: tosca.nodes.Root
            requirements:
              - uses: {capability: my.Port, relationship: tosca.relationships.ConnectsTo}
          my.Client: {derived_from: my.User}
        topology_template:
          node_templates:
            server: {type: my.Server}
            client: {type: my.Client, requirements: [{uses: server}]}
            other: {type: my.User, requirements: [{uses: server}]}
            client2: {type: my.Client, requirements: [{uses: server}]}
    """)
    report = validate(path)
    refused = [d.message for d in report.diagnostics if d.rule == "PT325"]
    assert len(refused) == 1 and "'other' is a my.User" in refused[0]


def test_a_capability_asked_by_type_is_found_on_each_target_type(tmp_path):
    topology = load(write(tmp_path, """
        capability_types:
          my.Db: {derived_from: tosca.capabilities.Endpoint.Database}
        node_types:
          my.App:
            derived_from: tosca.nodes.Root
            requirements:
              - db: {capability: tosca.capabilities.Endpoint.Database, relationship: tosca.relationships.ConnectsTo}
          my.Postgres:
            derived_from: tosca.nodes.Root
            capabilities: {pg: tosca.capabilities.Endpoint.Database}
          my.Other:
            derived_from: tosca.nodes.Root
            capabilities: {first: my.Db, second: tosca.capabilities.Endpoint.Database}
        topology_template:
          node_templates:
            pg: {type: my.Postgres}
            other: {type: my.Other}
            app1: {type: my.App, requirements: [{db: pg}]}
            app2: {type: my.App, requirements: [{db: other}]}
            app3: {type: my.App, requirements: [{db: pg}]}
    """))
    chosen = {source: edge["capability"] for source in ("app1", "app2", "app3")
              for _target, edge in topology.edges_from(source)}
    assert chosen == {"app1": "pg", "app2": "first", "app3": "pg"}


def test_requirements_of_one_definition_do_not_share_their_properties(tmp_path):
    topology = load(write(tmp_path, """
        relationship_types:
          my.Uses:
            derived_from: tosca.relationships.DependsOn
            properties:
              weight: {type: integer, default: 1}
        node_types:
          my.App:
            derived_from: tosca.nodes.Root
            requirements:
              - uses: {capability: tosca.capabilities.Node, relationship: my.Uses}
        topology_template:
          node_templates:
            base: {type: tosca.nodes.Root}
            a: {type: my.App, requirements: [{uses: base}]}
            b: {type: my.App, requirements: [{uses: base}]}
    """))
    first, second = topology.requirements["a"][0], topology.requirements["b"][0]
    assert first.relationship == second.relationship == "my.Uses" and first.kind == "DependsOn"
    assert first.properties == {"weight": 1} and first.properties is not second.properties
    first.properties["weight"] = 5
    assert second.properties == {"weight": 1}


COMPUTES = """
    topology_template:
      node_templates:
        a:
          type: tosca.nodes.Compute
          capabilities:
            host: {properties: {mem_size: 2 GB, num_cpus: 2}}
        b:
          type: tosca.nodes.Compute
          capabilities:
            host: {properties: {mem_size: 2 GB, num_cpus: 2.5}}
        c:
          type: tosca.nodes.Compute
          capabilities:
            host: {properties: {mem_size: 2 GB, num_cpus: 2}}
            os: {properties: {version: 'v2'}}
        d:
          type: tosca.nodes.Compute
          capabilities:
            os: {properties: {version: 'v2'}}
"""


def test_a_plain_value_becomes_the_same_feature_on_every_compute(tmp_path):
    result = compile_results(write(tmp_path, COMPUTES), use_config=False, validate=False)[0]
    assert result.ok, result.diagnostics
    assert result.text.count("memory.size >= 2000000000B") == 3
    assert result.text.count("cpu.count >= 2 and") == 2 and "cpu.count >= 2.5" in result.text
    # a value RADL cannot take is reported wherever it is written, not only the first time
    refused = [(d.line, d.message) for d in result.diagnostics if "numbers and dots" in d.message]
    assert [line for line, _ in refused] == [17, 21]


def test_an_artifact_no_operation_names_is_reported(tmp_path):
    (tmp_path / "install.yml").write_text("- hosts: all\n  tasks: []\n")
    result = compiled(tmp_path, """
        topology_template:
          node_templates:
            vm: {type: tosca.nodes.Compute}
            app:
              type: tosca.nodes.SoftwareComponent
              artifacts:
                playbook: {file: install.yml, type: tosca.artifacts.Implementation}
                notes: {file: notes.txt, type: tosca.artifacts.File}
              interfaces:
                Standard:
                  create: playbook
              requirements: [{host: vm}]
    """)
    assert result.ok, result.diagnostics
    unused = [m for m in found(result, "PT700") if "it is not deployed" in m]
    assert len(unused) == 1 and "'notes' of 'app'" in unused[0]
