"""The TOSCA 2.0 grammar: file level, keynames of each version, $-functions,
values, and bad input that must give located findings, never a traceback."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from primage_tosca.validation import validate


def findings(tmp_path: Path, text: str, name: str = "t.yaml") -> list:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return validate(str(path)).diagnostics


def rules(found: list) -> list[tuple[str, int]]:
    return sorted((d.rule, d.line) for d in found if d.severity.value == "error")


def test_a_minimal_2_0_file_is_valid(tmp_path):
    assert rules(findings(tmp_path, "tosca_definitions_version: tosca_2_0\n")) == []


def test_a_1_3_keyname_in_a_2_0_file_names_its_2_0_spelling(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        topology_template:
          node_templates: {}
        """)
    [problem] = [d for d in found if d.rule == "PT304"]
    assert problem.line == 2
    assert "TOSCA 1.0 to 1.3" in problem.message and "'service_template'" in problem.message


def test_a_2_0_keyname_in_a_1_3_file_says_it_belongs_to_2_0(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_simple_yaml_1_3
        service_template: {}
        """)
    assert any(d.rule == "PT304" and "TOSCA 2.0" in d.message and d.line == 2 for d in found)


def test_no_implicit_normative_types_in_2_0(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        service_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
        """)
    assert ("PT310", 5) in rules(found)


def test_null_and_list_where_a_map_is_needed(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        functions:
        data_types:
          - Foo: {}
        """)
    assert rules(found) == [("PT306", 2), ("PT306", 4)]


def test_names_are_non_empty_strings(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        policy_types:
          99: {}
          "": {}
        """)
    assert rules(found) == [("PT306", 3), ("PT306", 4)]


@pytest.mark.parametrize("call, rule", [
    ("{ $concat: [] }", "PT420"),
    ("{ $token: [ a, b ] }", "PT420"),
    ("{ $node_index: [ 1 ] }", "PT420"),
    ("{ $not: [ true, false ] }", "PT420"),
    ("{ $no_such_function: 1 }", None),  # a custom function the orchestrator may provide: a warning
    ("{ $get_inputs: x }", "PT423"),  # a near miss of a built-in's name: a typo, an error
    ("{ $twise: [ 1 ] }", None),  # near a user function only: it may be the orchestrator's own
    ("{ $in_range: [ 1, [ 0, 2 ] ] }", "PT423"),
    ("{ $twice: [ 1, 2 ] }", "PT420"),
    ("{ $$escaped: 1 }", None),
    ("{ $twice: [ { $twice: [ 3 ] } ] }", None),
])
def test_function_calls_are_checked_where_written(tmp_path, call, rule):
    found = findings(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        functions:
          twice:
            signatures:
              - arguments: [ integer ]
                result: integer
        service_template:
          node_templates: {{}}
          outputs:
            out:
              value: {call}
        """)
    assert rules(found) == ([(rule, 11)] if rule else [])


@pytest.mark.parametrize("signatures", ["5", "text", "{ arguments: [ integer ] }", "[ 5, [] ]"])
def test_a_function_whose_signatures_are_malformed_is_one_finding(tmp_path, signatures):
    found = findings(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        functions:
          twice:
            signatures: {signatures}
        service_template:
          node_templates: {{}}
          outputs:
            out:
              value: {{ $twice: [ 2 ] }}
        """)
    assert rules(found) and all(rule == "PT306" for rule, _ in rules(found)), found


def test_a_self_recursive_user_function_does_not_hang(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        functions:
          loop:
            signatures:
              - arguments:
                  - type: integer
                    validation: { $loop: [ { $loop: [ $value ] } ] }
                result: integer
        service_template:
          node_templates: {}
          outputs:
            out:
              value: { $loop: [ { $loop: [ 1 ] } ] }
        """)
    assert rules(found) == []


@pytest.mark.parametrize("text", [
    "tosca_definitions_version: tosca_2_0\nservice_template: [1, 2]\n",
    "tosca_definitions_version: tosca_2_0\nservice_template:\n  node_templates: [a]\n",
    "tosca_definitions_version: tosca_2_0\nservice_template:\n  node_templates:\n    a: 3\n",
    "tosca_definitions_version: tosca_2_0\nnode_types:\n  A:\n    requirements: {a: b}\n    properties: [x]\n",
    "tosca_definitions_version: tosca_2_0\nnode_types:\n  A:\n    derived_from: A\n",
    "tosca_definitions_version: tosca_2_0\ndata_types:\n  A: {derived_from: B}\n  B: {derived_from: A}\n"
    "node_types:\n  N:\n    properties:\n      p: {type: A, default: 1}\n",
    "tosca_definitions_version: tosca_2_0\nfunctions:\n  f: {signatures: 3}\n  g: [1]\n",
    "tosca_definitions_version: tosca_2_0\nimports:\n  - {url: a.yaml, profile: b}\n  - 42\n",
    "tosca_definitions_version: tosca_2_0\nservice_template:\n  outputs:\n    o: {value: {$concat: }}\n"
    "  policies: {a: b}\n  groups: [1]\n",
    # names written as maps or lists, where a name is hashed
    "tosca_definitions_version: tosca_2_0\nnode_types:\n  N:\n    properties:\n      p: {type: {a: 1}, default: 1}\n"
    "      q: {type: [x], entry_schema: {type: {}}}\n",
    "tosca_definitions_version: tosca_2_0\nfunctions:\n  f:\n    signatures:\n      - arguments: 1.5\n",
    # shapes met only further on: a called function's signatures, a canonical unit, a parent that is not a map
    "tosca_definitions_version: tosca_2_0\nfunctions:\n  f: {signatures: 5}\nservice_template:\n"
    "  outputs:\n    o: {value: {$f: [1]}}\n",
    "tosca_definitions_version: tosca_2_0\ndata_types:\n  S: {derived_from: scalar, units: {B: 1, b: 1}, "
    "canonical_unit: [B]}\n  T: {derived_from: S, canonical_unit: {}}\n",
    "tosca_definitions_version: tosca_2_0\ndata_types:\n  M:\n  L: {derived_from: M}\nnode_types:\n  N:\n"
    "    properties:\n      p: {type: L}\nservice_template:\n  node_templates:\n    n: {type: N, properties: {p: {a: 1}}}\n",
    "tosca_definitions_version: tosca_2_0\ngroup_types:\n  G: {}\nnode_types:\n  N: {}\nservice_template:\n"
    "  node_templates:\n    n: {type: N}\n  groups:\n    g: {type: G, members: [n, [1], {a: b}]}\n",
    # odd allocations, node filter paths and overloaded arguments
    "tosca_definitions_version: tosca_2_0\ncapability_types:\n  H: {properties: {n: {type: integer}}}\n"
    "relationship_types:\n  R: {}\nnode_types:\n  S: {capabilities: {host: H}}\n"
    "  A: {requirements: [{host: {capability: H, relationship: R, node_filter: [1]}}]}\n"
    "functions:\n  f: {signatures: [{arguments: [[integer]], result: integer}, {arguments: 3}]}\n"
    "service_template:\n  node_templates:\n    s: {type: S, capabilities: {host: {properties: {n: [1]}}}}\n"
    "    a:\n      type: A\n      requirements:\n        - host:\n            node: [s, {x: 1}]\n"
    "            allocation: {n: [1], '': 2, m: {$f: [{a: 1}]}}\n"
    "            node_filter: {$and: [{$equal: [{$get_property: [SELF, TARGET, CAPABILITY, [host], n]}, 1]},"
    " {$equal: [{$get_property: [SELF, CAPABILITY, n, 5]}, {$f: [true]}]}, {$not: {$get_property: SELF}}]}\n",
])
def test_malformed_2_0_input_is_located_never_a_traceback(tmp_path, text):
    found = findings(tmp_path, text, "bad.yaml")
    errors = [d for d in found if d.severity.value == "error"]
    assert errors, text
    assert not [d for d in found if d.rule == "PT900"], [d.message for d in found]
    assert all(d.line >= 1 for d in errors)


def test_values_of_built_in_types(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          N:
            properties:
              count: { type: integer, default: 1.0 }
              ratio: { type: float, default: 1 }
              blob: { type: bytes, default: "not base64!" }
              when: { type: timestamp, default: "2001-12-14 21:59:43.10" }
              v: { type: version, default: "1.0.0.alpha-10" }
              nothing: { type: nil, default: 1 }
        """)
    assert rules(found) == [("PT503", 5), ("PT503", 7), ("PT503", 8), ("PT503", 10)]


def test_user_scalar_type_values(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        data_types:
          Size:
            derived_from: scalar
            data_type: integer
            units: { B: 1, kB: 1000, MB: 1000000 }
        node_types:
          N:
            properties:
              good: { type: Size, default: 256 MB }
              unit: { type: Size, default: 256 GiB }
              bare: { type: Size, default: 256 }
        """)
    assert rules(found) == [("PT500", 11), ("PT500", 12)]


def test_a_profile_is_imported_by_name(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
          - profile: org.oasis-open.simple:2.0
            namespace: simple
          - profile: org.example.unknown:1.0
        service_template:
          node_templates:
            server:
              type: simple:Compute
        """)
    assert rules(found) == [("PT200", 5)]


def test_validation_clauses_are_evaluated_on_values_written_in_the_file(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        data_types:
          Port:
            derived_from: integer
            validation: { $and: [ { $greater_or_equal: [ $value, 1 ] }, { $less_or_equal: [ $value, 65535 ] } ] }
        node_types:
          N:
            properties:
              port: { type: Port, default: 80 }
              bad_port: { type: Port, default: 70000 }
              mode: { type: string, default: fast, validation: { $valid_values: [ $value, [ fast, slow ] ] } }
              name: { type: string, default: "x y", validation: { $matches: [ $value, "^[a-z]+$" ] } }
              later: { type: integer, default: 1, validation: { $less_than: [ $value, { $get_input: top } ] } }
        service_template:
          node_templates:
            n:
              type: N
              properties:
                mode: medium
        """)
    assert rules(found) == [("PT504", 10), ("PT504", 12), ("PT504", 19)]


def test_service_template_references(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Feature: {}
        node_types:
          N:
            properties:
              size: { type: integer, required: false }
            capabilities:
              feature: Feature
        service_template:
          inputs:
            size: { type: integer }
          node_templates:
            n:
              type: N
              properties:
                size: { $get_input: sise }
            m:
              type: N
              properties:
                size: { $get_property: [ nowhere, size ] }
          substitution_mappings:
            node_type: N
            properties:
              size: [ size ]
            capabilities:
              feature: [ n, feature ]
              missing: [ n, feature ]
              other: [ ghost, feature ]
        """)
    assert rules(found) == [("PT334", 28), ("PT334", 29), ("PT334", 29), ("PT400", 17), ("PT421", 21)]


def test_a_required_property_without_value_is_reported(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          N:
            properties:
              needed: { type: string }
              optional: { type: string, required: false }
              defaulted: { type: string, default: x }
        service_template:
          node_templates:
            n:
              type: N
            chosen:
              type: N
              directives: [ select ]
        """)
    assert rules(found) == [("PT505", 10)]


def test_a_2_0_file_and_a_1_x_file_do_not_import_each_other(tmp_path):
    (tmp_path / "two.yaml").write_text("tosca_definitions_version: tosca_2_0\nnode_types:\n  N2: {}\n")
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - two.yaml
        """, "one.yaml")
    [problem] = [d for d in found if d.rule == "PT304"]
    assert problem.line == 3 and "TOSCA 1.3" in problem.message and "TOSCA 2.0" in problem.message


def test_a_profile_is_found_beside_the_importing_file(tmp_path):
    (tmp_path / "web.yaml").write_text(
        "tosca_definitions_version: tosca_2_0\nprofile: com.example.web:1.0\nnode_types:\n  WebServer: {}\n")
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
          - profile: com.example.web:1.0
            namespace: web
        service_template:
          node_templates:
            server:
              type: web:WebServer
            other:
              type: web:Database
        """)
    assert rules(found) == [("PT310", 10)]


def test_a_value_is_reported_where_it_is_written_not_where_its_type_is(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
          - profile: org.oasis-open.simple:2.0
        service_template:
          node_templates:
            vm:
              type: Compute
              capabilities:
                host:
                  properties:
                    mem_size: 2 GiBB
                    num_cpus: two
        """)
    errors = [d for d in found if d.severity.value == "error"]
    assert [(d.rule, d.line) for d in errors] == [("PT500", 11), ("PT503", 12)]
    assert all(d.file.endswith("t.yaml") for d in errors)


def test_scalar_validation_clauses_compare_in_the_canonical_unit(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        data_types:
          Size:
            derived_from: scalar
            units: { B: 1, kB: 1000, MB: 1000000, GB: 1000000000 }
          Memory:
            derived_from: Size
            validation: { $greater_or_equal: [ $value, 256 MB ] }
        node_types:
          N:
            properties:
              enough: { type: Memory, default: 1 GB }
              little: { type: Memory, default: 128000 kB }
              bounded: { type: Size, default: 2 GB, validation: { $less_than: [ $value, 1500 MB ] } }
              abstract: { type: scalar, default: 1 B }
        """)
    assert rules(found) == [("PT503", 15), ("PT504", 13), ("PT504", 14)]


@pytest.mark.parametrize("form", ["zip", "tar.gz", "folder"])
def test_a_2_0_csar_is_validated_with_the_2_0_grammar(tmp_path, form):
    import shutil

    content = tmp_path / "content"
    (content / "TOSCA-Metadata").mkdir(parents=True)
    (content / "TOSCA-Metadata" / "TOSCA.meta").write_text(
        "CSAR-Version: 2.0\nCreated-By: tests\nEntry-Definitions: service.yaml\n")
    (content / "types.yaml").write_text("tosca_definitions_version: tosca_2_0\nnode_types:\n  App: {}\n")
    (content / "service.yaml").write_text(
        "tosca_definitions_version: tosca_2_0\nimports:\n  - url: types.yaml\n    namespace: t\n"
        "service_template:\n  node_templates:\n    app:\n      type: t:App\n    other:\n      type: t:Ghost\n")
    if form == "folder":
        target = content
    else:
        target = shutil.make_archive(str(tmp_path / "app"), "zip" if form == "zip" else "gztar", content)
    found = validate(str(target)).diagnostics
    assert [(d.rule, d.line) for d in found if d.severity.value == "error"] == [("PT310", 10)]
    assert found[0].file == os.path.join(str(target), "service.yaml")


def test_a_broken_csar_is_one_located_finding(tmp_path):
    archive = tmp_path / "broken.csar"
    archive.write_bytes(b"PK\x03\x04 this is not a zip")
    found = validate(str(archive)).diagnostics
    assert [(d.rule, d.file) for d in found] == [("PT110", str(archive))]


def test_interfaces_relationships_and_group_members_of_templates(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        interface_types:
          Lifecycle:
            operations:
              create: {}
        relationship_types:
          HostedOn: {}
        capability_types:
          Host: {}
        group_types:
          Servers:
            members: [ Server ]
        node_types:
          Server:
            capabilities:
              host: Host
            interfaces:
              Standard: { type: Lifecycle }
          App:
            requirements:
              - host: { capability: Host, relationship: HostedOn }
        service_template:
          node_templates:
            server:
              type: Server
              interfaces:
                Standard:
                  operations:
                    create: setup.sh
                    destroy: teardown.sh
                Other: {}
            app:
              type: App
              requirements:
                - host: { node: server, relationship: HostedOnn }
          groups:
            servers:
              type: Servers
              members: [ server, app ]
        """)
    assert rules(found) == [("PT312", 35), ("PT333", 39), ("PT336", 30), ("PT336", 31)]


def test_get_property_names_a_property_of_the_node(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          App:
            properties:
              port: { type: integer, default: 80 }
            attributes:
              url: { type: string }
        service_template:
          node_templates:
            app:
              type: App
            other:
              type: App
              properties:
                port: { $get_property: [ app, port ] }
          outputs:
            url: { value: { $get_attribute: [ app, url ] } }
            wrong: { value: { $get_property: [ app, url ] } }
            missing: { value: { $get_attribute: [ app, uri ] } }
        """)
    assert rules(found) == [("PT422", 18), ("PT422", 19)]


def test_a_requirement_assigned_more_often_than_its_count_range(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Feature: {}
        relationship_types:
          Uses: {}
        node_types:
          Service:
            capabilities:
              feature: Feature
          Client:
            requirements:
              - service: { capability: Feature, relationship: Uses, count_range: [ 1, 2 ] }
        service_template:
          node_templates:
            s:
              type: Service
            c:
              type: Client
              requirements:
                - service: s
                - service: s
                - service: s
        """)
    assert rules(found) == [("PT327", 22)]


def test_a_requirement_target_of_another_node_type(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Feature: {}
        relationship_types:
          Uses: {}
        node_types:
          Service:
            capabilities:
              feature: Feature
          Database:
            derived_from: Service
          Client:
            requirements:
              - db: { capability: Feature, node: Database, relationship: Uses }
        service_template:
          node_templates:
            plain:
              type: Service
            db:
              type: Database
            c:
              type: Client
              requirements:
                - db: db
                - db: { node: plain }
        """)
    assert rules(found) == [("PT323", 25)]


def test_imperative_workflows(tmp_path):
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          VM: {}
        service_template:
          node_templates:
            vm:
              type: VM
          workflows:
            deploy:
              steps:
                create:
                  target: vm
                  activities:
                    - call_operation: Standard.create
                    - inline: undeploy
                  on_success: start
                start:
                  target: vn
                  activities:
                    - set_state: started
                    - run: now
                  on_failure: [ create, retry ]
            undeploy:
              steps:
                stop:
                  target: vm
                  activities:
                    - inline: { workflow: redeploy }
        """)
    assert rules(found) == [("PT335", 18), ("PT335", 21), ("PT335", 22), ("PT335", 28)]


def test_1_x_import_keynames_in_a_2_0_file_are_named_with_their_2_0_spelling(tmp_path):
    (tmp_path / "lib.yaml").write_text("tosca_definitions_version: tosca_2_0\nnode_types:\n  N: {}\n")
    found = findings(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
          - file: lib.yaml
            namespace_prefix: lib
        service_template:
          node_templates:
            n:
              type: lib:N
        """)
    assert rules(found) == [("PT304", 3), ("PT304", 4)]
    assert "'url'" in found[0].message and "'namespace'" in found[1].message


SYMBOLIC_CAPABILITY = """\
tosca_definitions_version: tosca_2_0
capability_types:
  Hosting: {}
  Storing: {}
node_types:
  Server:
    capabilities:
      host: Hosting
      disk:
        type: Storing
  App:
    requirements:
      - host:
          capability: host
          node: Server
      - data:
          capability: disk
          node: Server
          count_range: [0, 1]
service_template:
  node_templates:
    server:
      type: Server
    app:
      type: App
      requirements:
        - host: server
"""


def test_a_requirement_definition_may_name_a_capability_of_its_node_type(tmp_path):
    # 8.4: the capability is a capability type, or the symbolic name of one the target node type defines
    assert [(d.rule, d.line) for d in findings(tmp_path, SYMBOLIC_CAPABILITY)] == []
    misspelt = SYMBOLIC_CAPABILITY.replace("capability: host\n", "capability: hots\n")
    assert [(d.rule, d.line) for d in findings(tmp_path, misspelt)] == [("PT311", 14)]
