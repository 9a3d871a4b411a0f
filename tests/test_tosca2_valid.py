"""Valid TOSCA 2.0 the standard allows in less common ways: each template here
was once rejected, and must stay accepted (with the invalid twin, where there
is one, still rejected)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from primage_tosca.validation import validate


def errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return sorted(f"{d.rule} {d.message}" for d in validate(str(path)).diagnostics
                  if d.severity.value == "error")


CONCAT = """\
    tosca_definitions_version: tosca_2_0
    node_types:
      Node:
        properties:
          names: { type: list, entry_schema: string }
    service_template:
      inputs:
        more: { type: list, entry_schema: string, default: [ c ] }
      node_templates:
        n:
          type: Node
          properties:
            names: {value}
      outputs:
        all:
          value: {value}
"""


@pytest.mark.parametrize("value, expected", [
    ("{ $concat: [ [ a, b ], { $get_input: more } ] }", []),  # 10.2.3.2: lists join too
    ("{ $concat: [ [ a ], [ b, c ] ] }", []),
    ("{ $concat: [ a, [ b ] ] }", ["PT420"]),  # strings or lists, not both
])
def test_concat_joins_lists(tmp_path, value, expected):
    found = errors(tmp_path, CONCAT.replace("{value}", value))
    assert [e.split()[0] for e in found] == expected * 2, found


SELECTABLE = """\
    tosca_definitions_version: tosca_2_0
    capability_types:
      Host: {}
    relationship_types:
      HostedOn: {}
    node_types:
      Client:
        requirements:
        - host: { capability: Host, relationship: HostedOn, count_range: [ 1, 2 ] }
      Software:
        requirements:
          - host: { capability: Host, relationship: HostedOn }
      Compute:
        capabilities:
          host: Host
    service_template:
      substitution_mappings:
        node_type: Client
        requirements:
          - host: {targets}
      node_templates:
        s1:
          type: Software
          requirements:
            - host: c1
        s2:
          type: Software
          requirements:
            - host: c2
        c1:
          type: Compute
          directives: [ select ]
        c2:
          type: Compute
          directives: [ select ]
        plain:
          type: Compute
"""


@pytest.mark.parametrize("targets, expected", [
    ("[ c1, c2 ]", []),  # 15.5: a list of selectable node templates
    ("[ c1 ]", []),
    ("[ c1, [ s1, host ] ]", []),  # the two forms mixed
    ("[ s1, host ]", []),  # a pair
    ("[ c1, plain ]", ["PT334"]),  # plain is not selectable: a pair, and c1 has no requirement 'plain'
    ("[ c1, nowhere ]", ["PT334"]),
])
def test_a_requirement_mapped_to_a_list_of_selectable_nodes(tmp_path, targets, expected):
    found = errors(tmp_path, SELECTABLE.replace("{targets}", targets))
    assert [e.split()[0] for e in found] == expected, found


OCCURRENCES = """\
    tosca_definitions_version: tosca_2_0
    capability_types:
      Feature: {}
    node_types:
      Server:
        capabilities:
          feature:
            type: Feature
            {definition}
    service_template:
      node_templates:
        server:
          type: Server
          capabilities:
            feature:
              {assignment}
"""


@pytest.mark.parametrize("definition, assignment", [
    ("occurrences: [ 0, UNBOUNDED ]", "directives: [ internal ]"),
    ("description: d", "occurrences: [ 1, 2 ]"),
])
def test_occurrences_of_a_capability_is_deprecated_not_an_error(tmp_path, definition, assignment):
    """8.2 and 8.3: occurrences "is deprecated in TOSCA 2.0": a warning, where the keyname
    2.0 dropped from requirements (renamed count_range and count) stays an error."""
    text = OCCURRENCES.replace("{definition}", definition).replace("{assignment}", assignment)
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    found = validate(str(path)).diagnostics
    assert [(d.rule, d.severity.value) for d in found] == [("PT304", "warning")], found
    assert "deprecated" in found[0].message


def test_the_simple_profile_by_the_name_the_standard_gives_it(tmp_path):
    """6.8.3 (s24) imports the simple profile as org.oasis-open.tosca.simple:2.0."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
        - profile: org.oasis-open.tosca.simple:2.0
        service_template:
          node_templates:
            server:
              type: Compute
        """) == []


def _csar_files(root: Path) -> None:
    (root / "TOSCA-Metadata").mkdir(parents=True)
    (root / "TOSCA-Metadata" / "TOSCA.meta").write_text(
        "CSAR-Version: 2.0\nCreated-By: me\nEntry-Definitions: defs/main.yaml\n", encoding="utf-8")
    (root / "defs").mkdir()
    (root / "base.yaml").write_text("tosca_definitions_version: tosca_2_0\nnode_types:\n  Base: {}\n",
                                    encoding="utf-8")
    (root / "defs" / "main.yaml").write_text(textwrap.dedent("""\
        tosca_definitions_version: tosca_2_0
        imports:
        - url: /base.yaml
        - url: ../base.yaml
          namespace: up
        service_template:
          node_templates:
            one: { type: Base }
            two: { type: up:Base }
        """), encoding="utf-8")


@pytest.mark.parametrize("packed", [False, True])
def test_a_csar_is_the_repository_of_its_imports(tmp_path, packed):
    """6.8.2.2: in a CSAR, /base.yaml starts at the archive's root, and ../ may climb
    anywhere inside the archive."""
    _csar_files(tmp_path / "app")
    target = tmp_path / "app"
    if packed:
        import zipfile

        target = tmp_path / "app.zip"
        with zipfile.ZipFile(target, "w") as archive:
            for file in (tmp_path / "app").rglob("*"):
                if file.is_file():
                    archive.write(file, file.relative_to(tmp_path / "app"))
    report = validate(str(target))
    assert [d.message for d in report.errors] == []


def test_an_import_still_cannot_leave_the_csar(tmp_path):
    _csar_files(tmp_path / "app")
    (tmp_path / "outside.yaml").write_text("tosca_definitions_version: tosca_2_0\n", encoding="utf-8")
    main = tmp_path / "app" / "defs" / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("../base.yaml", "../../outside.yaml"),
                    encoding="utf-8")
    assert [d.rule for d in validate(str(tmp_path / "app")).errors] == ["PT202"]


KEYNAMES = """\
    tosca_definitions_version: tosca_2_0
    interface_types:
      Monitor:
        notifications:
          alarm:
            inputs:                      # 11.6: a notification has inputs
              threshold: { type: integer, default: 3 }
    relationship_types:
      Uses:
        properties:
          weight: { type: integer, default: 1 }
    capability_types:
      Feature: {}
    group_types:
      Placement:
        attributes:
          health: { type: string, default: ok }
    node_types:
      Node:
        properties:
          tags:
            type: list
            entry_schema:
              type: string
              metadata: { origin: ops }  # 9.3's grammar: a schema has metadata
        capabilities:
          feature: Feature
        interfaces:
          monitor:
            type: Monitor
            metadata: { owner: ops }     # 11.2: an interface definition has metadata
            notifications:
              alarm:
                implementation: watch.sh
                inputs:
                  threshold: { type: integer, default: 5 }
        requirements:
          - uses:
              capability: Feature
              relationship:
                type: Uses
                metadata: { a: b }       # 8.4: a relationship definition has metadata
                properties:
                  weight: { type: integer, default: 2 }
              count_range: [ 0, 1 ]
    service_template:
      node_templates:
        node:
          type: Node
          properties:
            tags: [ a ]
          interfaces:
            monitor:
              notifications:
                alarm:
                  inputs: { threshold: 7 }
      groups:
        placement:
          type: Placement
          members: [ node ]
          attributes: { health: degraded }  # 16.2: a group has attributes
"""


def test_keynames_the_standard_gives_and_nothing_said_of_them(tmp_path):
    """Each of these keynames was refused (or, lowered for the compilers, reported as
    belonging to another version); the template has no finding at all."""
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(KEYNAMES), encoding="utf-8")
    assert [f"{d.rule} {d.message}" for d in validate(str(path)).diagnostics] == []


REFLECTED = """\
    tosca_definitions_version: tosca_2_0
    capability_types:
      Endpoint:
        properties:
          port: { type: integer, default: 80 }
    node_types:
      Server:
        properties:
          size: { type: integer, default: 1 }
        attributes:
          ip: { type: string }
        capabilities:
          endpoint: Endpoint
    service_template:
      node_templates:
        server:
          type: Server
          attributes:
            ip: 192.0.2.10
            size: {size}
          capabilities:
            endpoint:
              attributes:
                port: {port}
"""


@pytest.mark.parametrize("size, port, expected", [
    ("2", "8080", []),  # 9.6: every property has an attribute of its name, which 9.7 lets a template assign
    ("two", "8080", ["PT503"]),  # of the property's type
    ("2", "eighty", ["PT503"]),
])
def test_a_template_assigns_the_attribute_a_property_reflects(tmp_path, size, port, expected):
    found = errors(tmp_path, REFLECTED.replace("{size}", size).replace("{port}", port))
    assert sorted({e.split()[0] for e in found}) == expected, found


def test_in_tosca_1_3_too(tmp_path):
    """TOSCA 1.3 (3.6.12) creates the same attributes."""
    text = REFLECTED.replace("tosca_2_0", "tosca_simple_yaml_1_3").replace("service_template:",
                                                                             "topology_template:")
    text = text.replace("{size}", "2").replace("{port}", "8080")
    assert errors(tmp_path, text) == []


NUMBERS = """\
    tosca_definitions_version: tosca_2_0
    data_types:
      Length:
        derived_from: scalar
        units: { m: 1 }
    node_types:
      Node:
        properties:
          ratio: { type: float, validation: { $greater_than: [ $value, 1e-3 ] } }
          mask: { type: integer, validation: { $less_than: [ $value, 0o20 ] } }
          far: { type: Length }
    service_template:
      node_templates:
        node:
          type: Node
          properties:
            ratio: {ratio}
            mask: {mask}
            far: {far}
"""


@pytest.mark.parametrize("ratio, mask, far, expected", [
    # YAML 1.2 (which TOSCA 2.0 files are) reads 1e3 as a float, 0o17 as an integer, .inf as a float
    ("1e3", "0o17", ".inf m", []),
    ("2.5E+2", "0o17", "1e3 m", []),
    ("1e-4", "0o17", "1 m", ["PT504"]),  # the clauses compare them as numbers
    ("1e3", "0o21", "1 m", ["PT504"]),
    ("one", "0o17", "1 m", ["PT503"]),
])
def test_numbers_in_yaml_1_2_notation(tmp_path, ratio, mask, far, expected):
    found = errors(tmp_path, NUMBERS.replace("{ratio}", ratio).replace("{mask}", mask).replace("{far}", far))
    assert [e.split()[0] for e in found] == expected, found


def test_plain_text_that_yaml_1_1_would_read_otherwise(tmp_path):
    """A TOSCA 2.0 file is YAML 1.2: no, on, 1:20 and 2020-01-01 are strings there, and an
    unquoted RFC 3339 timestamp is the string a timestamp is (9.1.2.1)."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          Node:
            properties:
              country: { type: string }
              mode: { type: string }
              time: { type: string }
              released: { type: string }
              when: { type: timestamp }
              on: { type: string }
        service_template:
          node_templates:
            node:
              type: Node
              properties:
                country: no
                mode: on
                time: 1:20
                released: 2020-01-01
                when: 2001-12-14T21:59:43.10-05:00
                on: x
        """) == []


def test_an_input_mapped_from_a_capability_property_is_read(tmp_path):
    """15.2: [ CAPABILITY, c, p ]: input maps a property to an input, which is then used."""
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent("""\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Feature:
            properties:
              level: { type: integer, required: false }
        node_types:
          Client:
            capabilities:
              feature: Feature
          Inner:
            capabilities:
              feature: Feature
        service_template:
          inputs:
            level: { type: integer, required: false }
          substitution_mappings:
            node_type: Client
            properties:
              [ CAPABILITY, feature, level ]: level
            capabilities:
              feature: [ inner, feature ]
          node_templates:
            inner:
              type: Inner
        """), encoding="utf-8")
    assert [d.rule for d in validate(str(path)).diagnostics] == []


PATTERN = """\
    tosca_definitions_version: tosca_2_0
    node_types:
      Node:
        properties:
          name: { type: string, validation: { $matches: [ $value, '{pattern}' ] } }
    service_template:
      node_templates:
        node:
          type: Node
          properties:
            name: {name}
"""


@pytest.mark.parametrize("pattern, name, expected", [
    ("^[[:alpha:]]+$", "hello", []),  # a POSIX class, in Python's spelling
    ("^[[:alpha:]]+$", "hel1o", ["PT504"]),
    ("^[[:alnum:][:space:]]+$", "a 1", []),
    (r"^\p{L}+$", "hello", []),  # another dialect's syntax (10.2.2.2.7 leaves it open): not decided
    (r"\Aabc\z", "abc", []),
])
def test_patterns_of_other_regular_expression_dialects(tmp_path, pattern, name, expected):
    found = errors(tmp_path, PATTERN.replace("{pattern}", pattern).replace("{name}", name))
    assert [e.split()[0] for e in found] == expected, found


@pytest.mark.parametrize("base", ["", "lib:"])
def test_refinements_leave_out_what_the_parent_says(tmp_path, base):
    """8.2.1: a capability refinement needs no type; 6.4.2: nor a requirement refinement its
    capability and relationship (also when the parent is imported into a namespace)."""
    (tmp_path / "base.yaml").write_text(textwrap.dedent("""\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Feature: {}
        relationship_types:
          Uses: {}
        node_types:
          Base:
            capabilities:
              feature: Feature
            requirements:
              - uses: { capability: Feature, relationship: Uses, count_range: [ 0, 2 ] }
        """), encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(f"""\
        tosca_definitions_version: tosca_2_0
        imports:
          - url: base.yaml
            {'namespace: lib' if base else 'description: root'}
        node_types:
          Derived:
            derived_from: {base}Base
            capabilities:
              feature:
                description: the same feature
            requirements:
              - uses:
                  count_range: [ 0, 1 ]
        service_template:
          node_templates:
            one: {{ type: Derived }}
            two:
              type: Derived
              requirements:
                - uses: one
        """), encoding="utf-8")
    assert [f"{d.rule} {d.message}" for d in validate(str(path)).errors] == []


LOCAL_FUNCTIONS = """\
    tosca_definitions_version: tosca_2_0
    functions:
      sqrt:
        signatures:
        - arguments: [ integer ]
          result: float
    node_types:
      Node:
        properties:
          root: { type: float }
          other: { type: string, required: false }
    service_template:
      functions:                # 10.4: definitions inside the service template refine those outside
        sqrt:
          signatures:
          - implementation: scripts/sqrt.py   # the first signature's implementation
          - arguments: [ string ]             # and a new one
            result: float
        local:
          signatures:
          - arguments: [ string ]
            result: string
      node_templates:
        node:
          type: Node
          properties:
            root: {root}
            other: { $local: [ text ] }
"""


@pytest.mark.parametrize("root, expected", [
    ("{ $sqrt: [ 4 ] }", []),
    ("{ $sqrt: [ four ] }", []),  # the signature the service template adds
    ("{ $sqrt: [ [ 4 ] ] }", ["PT420"]),  # neither an integer nor a string
])
def test_function_definitions_inside_the_service_template(tmp_path, root, expected):
    found = errors(tmp_path, LOCAL_FUNCTIONS.replace("{root}", root))
    assert [e.split()[0] for e in found] == expected, found


MEMBERSHIP = """\
    tosca_definitions_version: tosca_2_0
    data_types:
      Size:
        derived_from: scalar
        data_type: integer
        units: { B: 1, MB: 1000000, GB: 1000000000 }
      Release: { derived_from: version }
    node_types:
      Node:
        properties:
          size: { type: Size, validation: { $valid_values: [ $value, [ 1 GB, 2 GB ] ] } }
          spare: { type: Size, validation: { $has_entry: [ [ 1 GB, 2 GB ], $value ] } }
          release: { type: Release, validation: { $valid_values: [ $value, [ "1.0", 2.0.0 ] ] } }
    service_template:
      node_templates:
        node:
          type: Node
          properties:
            size: {size}
            spare: 2000 MB
            release: {release}
"""


@pytest.mark.parametrize("size, release, expected", [
    ("1000 MB", "1.0.0", []),  # the same quantity, the same version, as $equal finds them
    ("1500 MB", "1.0.0", ["PT504"]),
    ("1 GB", "1.0.1", ["PT504"]),
])
def test_valid_values_of_scalars_and_versions_compare_their_values(tmp_path, size, release, expected):
    found = errors(tmp_path, MEMBERSHIP.replace("{size}", size).replace("{release}", release))
    assert [e.split()[0] for e in found] == expected, found


@pytest.mark.parametrize("stamp", ["2001-12-14t21:59:43.10z", "1937-01-01T12:00:27.87+00:20", "1990-12-31T23:59:60Z"])
def test_rfc_3339_timestamps(tmp_path, stamp):
    """RFC 3339 5.6: t and z may be lower case; a leap second and any offset are timestamps."""
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        node_types:
          Node:
            properties:
              when: {{ type: timestamp }}
        service_template:
          node_templates:
            node:
              type: Node
              properties:
                when: "{stamp}"
        """) == []


def test_an_input_read_at_the_node_index(tmp_path):
    """10.2.1.1: $node_index may index an input that is a list, also one with a default."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          Node:
            properties:
              name: { type: string }
        service_template:
          inputs:
            names: { type: list, entry_schema: string, default: [ a, b, c ] }
          node_templates:
            node:
              type: Node
              count: 3
              properties:
                name: { $get_input: [ names, $node_index ] }
        """) == []


@pytest.mark.parametrize("call", ["{ $get_property: [ SELF, names, $node_index ] }",
                                  "{ $get_attribute: [ node, names, { $remainder: [ $node_index, 3 ] } ] }"])
def test_a_property_read_at_the_node_index(tmp_path, call):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        node_types:
          Node:
            properties:
              names: {{ type: list, entry_schema: string, default: [ a, b, c ] }}
              name: {{ type: string, required: false }}
        service_template:
          node_templates:
            node:
              type: Node
              count: 3
              properties:
                name: {call}
        """) == []


@pytest.mark.parametrize("field, expected", [("gateway", []), ("gatewya", ["PT422"])])
def test_an_optional_field_of_an_input_its_default_leaves_out(tmp_path, field, expected):
    """The input's type defines the field; its default need not give it (a value supplied at
    deployment may): reading it is no error, a field the type lacks still is."""
    found = errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        data_types:
          NetworkInfo:
            properties:
              name: {{ type: string, required: false }}
              gateway: {{ type: string, required: false }}
        node_types:
          Net:
            properties:
              gateway: {{ type: string, required: false }}
        service_template:
          inputs:
            net:
              type: NetworkInfo
              default: {{ name: my-net }}
          node_templates:
            net:
              type: Net
              properties:
                gateway: {{ $get_input: [ net, {field} ] }}
        """)
    assert [e.split()[0] for e in found] == expected, found


@pytest.mark.parametrize("directives, expected", [("[ external ]", []), ("[ internal, external ]", []),
                                                  ("[ internal ]\n                    optional: true", []),
                                                  ("[ internal ]", ["PT329"])])
def test_a_node_filter_no_node_template_meets_with_external_targets(tmp_path, directives, expected):
    """8.5.2: with the external directive, a node created outside the template may fulfil the
    requirement, and an optional one need not be fulfilled: no node template meeting the filter
    is no error then."""
    found = errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Host:
            properties:
              cpus: {{ type: integer, default: 1 }}
        relationship_types:
          HostedOn: {{}}
        node_types:
          Server:
            capabilities:
              host: Host
          App:
            requirements:
              - host: {{ capability: Host, relationship: HostedOn }}
        service_template:
          node_templates:
            small: {{ type: Server }}
            app:
              type: App
              requirements:
                - host:
                    node_filter: {{ $greater_or_equal: [ {{ $get_property: [ SELF, CAPABILITY, cpus ] }}, 4 ] }}
                    directives: {directives}
        """)
    assert [e.split()[0] for e in found] == expected, found
