"""TOSCA 2.0 rules the standard states precisely, each with a template that
follows it and one that breaks it: scalar types, function syntax, counts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from primage_tosca.validation import validate


def diagnostics(tmp_path: Path, text: str) -> list:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return validate(str(path)).diagnostics


def errors(tmp_path: Path, text: str) -> list[str]:
    return sorted(d.rule for d in diagnostics(tmp_path, text) if d.severity.value == "error")


SCALARS = """\
    tosca_definitions_version: tosca_2_0
    dsl_definitions:
      decimal: &DECIMAL { "": 1, c: 0.01, m: 0.001, k: 1000 }
    data_types:
      AtLeastOne:
        derived_from: integer
        validation: { $greater_or_equal: [ $value, 1 ] }
      Distance:
        derived_from: scalar
        units: { m: 1 }
        prefixes: *DECIMAL
      Rate:
        derived_from: scalar
        data_type: AtLeastOne
        units: { hz: 1, khz: 1000 }
      NonNegativeSpan:
        derived_from: scalar
        units: { s: 1, min: 60 }
        validation: { $greater_or_equal: [ $value, 0.0 ] }
      LongSpan:
        derived_from: NonNegativeSpan
        units: { h: 3600 }
    node_types:
      Box:
        properties:
          width:
            type: Distance
            validation: { $less_than: [ $value, 20 cm ] }
          rate: { type: Rate }
          span: { type: LongSpan }
    service_template:
      node_templates:
        box:
          type: Box
          properties:
            width: {width}
            rate: {rate}
            span: {span}
    """


@pytest.mark.parametrize("width, rate, span, expected", [
    ("150 mm", "2 khz", "2 h", []),            # prefixed unit, a unit the derived type adds
    ("0x10 cm", "0x10 hz", "1.5 min", []),     # numbers in any YAML notation (9.1.2.2)
    ("250 mm", "2 khz", "2 h", ["PT504"]),     # the property's clause, compared in metres
    ("150 mm", "0 hz", "2 h", ["PT504"]),      # the clause of the type data_type names
    ("150 mm", "1.5 hz", "2 h", ["PT500"]),    # data_type derives from integer
    ("150 mm", "2 khz", "-1 h", ["PT504"]),    # a bare number in the type's clause is canonical
])
def test_scalar_values_meet_their_clauses_in_the_canonical_unit(tmp_path, width, rate, span, expected):
    text = SCALARS.replace("{width}", width).replace("{rate}", rate).replace("{span}", span)
    assert errors(tmp_path, text) == expected


CALL = """\
    tosca_definitions_version: tosca_2_0
    node_types:
      N:
        properties:
          p: {{ type: {kind} }}
    service_template:
      node_templates:
        n:
          type: N
          properties:
            p: {value}
    """


@pytest.mark.parametrize("kind, value, expected", [
    ("integer", "$node_index", []),                     # a call without arguments as a string (10.1)
    ("integer", "$relationship_index", []),
    ("string", "$$node_index", []),                     # escaped: the text "$node_index"
    ("string", "$concat", ["PT420"]),                   # $concat needs one argument or more
    ("string", '"$(HOME)/data"', []),                   # names no function: text
    ("map", "{ $concat: [ a ], other: 1 }", ["PT420"]),  # malformed function (10.1)
    ("map", "{ $$concat: [ a ], other: 1 }", []),
    ("integer", "$in_range", ["PT423"]),                # a 1.x function 2.0 dropped
])
def test_function_syntax(tmp_path, kind, value, expected):
    assert errors(tmp_path, CALL.format(kind=kind, value=value)) == expected


def test_a_custom_function_without_a_definition_is_a_warning(tmp_path):
    """10.4: templates may call functions the orchestrator provides without defining them."""
    found = diagnostics(tmp_path, CALL.format(kind="string", value="{ $get_security_context: [ staging ] }"))
    assert [(d.rule, d.severity.value) for d in found] == [("PT423", "warning")]


WORKFLOWS = """\
    tosca_definitions_version: tosca_2_0
    node_types:
      N: {{}}
    service_template:
      node_templates:
        n:
          type: N
      workflows:
        scale:
          precondition: {{ $equal: [ 1, 1 ] }}
          steps:
            one:
              target: n
              activities:
                - delegate: {delegate}
                - inline: {inline}
        helper:
          steps:
            two:
              target: n
              activities:
                - set_state: ready-for-traffic  # 2.0 names no node states (1.3 did)
    """


@pytest.mark.parametrize("delegate, inline, expected", [
    ("deploy", "helper", []),                         # delegate: a workflow the orchestrator provides (13.2.3.1)
    ("{ workflow: deploy, inputs: { a: 1 } }", "{ workflow: helper }", []),
    ("deploy", "missing", ["PT335"]),                 # inline: a workflow of the service template (13.2.3.4)
    ("deploy", "{ workflow: missing }", ["PT335"]),
])
def test_workflow_activities_and_precondition(tmp_path, delegate, inline, expected):
    assert errors(tmp_path, WORKFLOWS.format(delegate=delegate, inline=inline)) == expected


def test_a_path_that_steps_on_from_a_requirement_target_is_not_a_property_name(tmp_path):
    """10.3: [SELF, RELATIONSHIP, r, TARGET, RELATIONSHIP, host, TARGET, p] walks two relationships."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        capability_types:
          C: {}
        relationship_types:
          R: {}
        node_types:
          Host:
            properties:
              secret: { type: string, required: false }
            capabilities:
              c: C
          Db:
            capabilities:
              c: C
            requirements:
              - host: { capability: C, relationship: R }
          App:
            properties:
              found: { type: string, required: false }
            requirements:
              - db: { capability: C, relationship: R }
        service_template:
          node_templates:
            host:
              type: Host
            db:
              type: Db
              requirements:
                - host: host
            app:
              type: App
              properties:
                found: { $get_property: [ SELF, RELATIONSHIP, db, TARGET, RELATIONSHIP, host, TARGET, secret ] }
              requirements:
                - db: db
        """) == []


def test_an_index_written_as_a_call_in_get_input(tmp_path):
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          Site:
            properties:
              where: { type: string }
        service_template:
          inputs:
            places: { type: list, entry_schema: string }
          node_templates:
            site:
              type: Site
              count: 2
              properties:
                where: { $get_input: [ places, $node_index ] }
        """) == []


@pytest.mark.parametrize("high, expected", [("2.0", []), ("0.5", ["PT504"])])
def test_value_with_arguments_reads_an_entry(tmp_path, high, expected):
    """10.2.1.5: {$value: [high]} is the entry 'high' of the value under test."""
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        data_types:
          Range:
            properties:
              low: {{ type: float }}
              high: {{ type: float }}
            validation: {{ $greater_or_equal: [ {{ $value: [ high ] }}, {{ $value: [ low ] }} ] }}
        node_types:
          N:
            properties:
              r: {{ type: Range }}
        service_template:
          node_templates:
            n:
              type: N
              properties:
                r: {{ low: 1.0, high: {high} }}
        """) == expected


def test_a_call_as_a_map_key(tmp_path):
    """10.1: a call's result may be a key; $name$1 keeps two such keys apart."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          N:
            properties:
              hint: { type: map, entry_schema: integer }
        service_template:
          node_templates:
            n:
              type: N
              properties:
                hint:
                  { $concat: [ a, b ] }: 1
                  { $concat$1: [ c, d ] }: 2
        """) == []


@pytest.mark.parametrize("operation, expected", [
    ("{ description: starts it }", []),
    ("{ implementation: start.sh }", ["PT306"]),  # 11.1: no implementation in an interface type
    ("start.sh", ["PT306"]),                      # the single-line form is an implementation
])
def test_an_interface_type_has_no_implementations(tmp_path, operation, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        interface_types:
          Lifecycle:
            operations:
              start: {operation}
        """) == expected


MAPPINGS = """\
    tosca_definitions_version: tosca_2_0
    capability_types:
      Host: {{}}
      Probe:
        properties:
          rate: {{ type: integer }}
    relationship_types:
      HostedOn: {{}}
    node_types:
      Compute:
        capabilities:
          host: Host
      App:
        requirements:
          - host: {{ capability: Host, relationship: HostedOn }}
      Service:
        properties:
          name: {{ type: string }}
        capabilities:
          probe: Probe
        requirements:
          - host: {{ capability: Host, relationship: HostedOn }}
    service_template:
      inputs:
        name: {{ type: string }}
        rate: {{ type: integer }}
      substitution_mappings:
        node_type: Service
        properties:
          name: name
          {key}: rate
        requirements:
          - host: {target}
      node_templates:
        app:
          type: App
        compute:
          type: Compute
          directives: [ select ]
    """


@pytest.mark.parametrize("key, target, expected", [
    ("[ CAPABILITY, probe, rate ]", "compute", []),                  # 15.2, 15.5: a selectable node
    ("[ CAPABILITY, probe, rate ]", "[ [ app, host ], compute ]", []),
    ("[ RELATIONSHIP, host, 0, weight ]", "[ app, host ]", []),
    ("[ CAPABILITY, nothing, rate ]", "compute", ["PT334"]),          # no such capability
    ("[ CAPABILITY, probe, rate ]", "nowhere", ["PT334"]),            # no such node template
])
def test_substitution_mappings_through_capabilities_and_to_selectable_nodes(tmp_path, key, target, expected):
    assert errors(tmp_path, MAPPINGS.format(key=key, target=target)) == expected


@pytest.mark.parametrize("arguments, expected", [
    ("[ 4 ]", []),
    ("[ 4, 2 ]", []),            # one optional argument used
    ("[ 4, 2, 3 ]", []),         # two
    ("[ 4, 2, 3, 5 ]", ["PT420"]),  # one too many
    ("[ 4, two ]", ["PT420"]),   # an optional argument has its type too
    ("[]", ["PT420"]),           # the regular argument is missing
])
def test_optional_arguments_of_a_function_signature(tmp_path, arguments, expected):
    """10.4: optional_arguments may follow the arguments, in their order."""
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        functions:
          root:
            signatures:
              - arguments: [ integer ]
                optional_arguments: [ integer, integer ]
                result: float
        node_types:
          N:
            properties:
              p: {{ type: float }}
        service_template:
          node_templates:
            n:
              type: N
              properties:
                p: {{ $root: {arguments} }}
        """) == expected


@pytest.mark.parametrize("trigger, expected", [
    ("{ event: Monitor.overload, action: [ { set_state: scaling } ] }", []),
    ("{ event: Monitor.overload, condition: { $equal: [ 1, 1 ] }, action: [] }", []),
    ("{ description: no event }", ["PT305", "PT305"]),  # 16.5: event and action are mandatory
    ("{ event: e, action: [], schedule: {} }", ["PT304"]),  # a 1.3 trigger keyname, named as such
])
def test_trigger_definitions(tmp_path, trigger, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        node_types:
          N: {{}}
        policy_types:
          Scaling:
            triggers:
              grow: {trigger}
        service_template:
          node_templates:
            n:
              type: N
          policies:
            - scale:
                type: Scaling
                triggers:
                  shrink: {trigger}
        """) == sorted(expected * 2)


def test_a_group_may_have_groups_as_members(tmp_path):
    """16.2: members are node template names or group symbolic names."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          N: {}
        group_types:
          G: {}
        service_template:
          node_templates:
            n: { type: N }
          groups:
            inner: { type: G, members: [ n ] }
            outer: { type: G, members: [ inner ] }
            wrong: { type: G, members: [ nothing ] }
        """) == ["PT333"]


@pytest.mark.parametrize("value, expected", [
    ('"6.1"', []), ("2.0.1", []), ("1.0.0.alpha-10", []),
    ("6.1", ["PT503"]),   # 9.1.2.3: unquoted, YAML reads a float; TOSCA converts nothing (9.1.1)
    ("2", ["PT503"]),
])
def test_version_values_are_text(tmp_path, value, expected):
    assert errors(tmp_path, CALL.format(kind="version", value=value)) == expected


@pytest.mark.parametrize("counts, expected", [
    ("[ 1, 1 ]", []), ("[ 2, 2 ]", []), ("[ 3, 2 ]", ["PT327"]),
    ("[ 1, { $get_input: n } ]", []),  # a count known at deployment only
])
def test_the_counts_of_a_requirement_add_up_within_its_count_range(tmp_path, counts, expected):
    """8.5.4: the sum of the count values of a requirement's assignments is within count_range."""
    first, second = [c.strip() for c in counts.strip("[] ").split(",", 1)]
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Service: {{}}
        relationship_types:
          ServedBy: {{}}
        node_types:
          Server:
            capabilities:
              service: Service
          Client:
            requirements:
              - service: {{ capability: Service, relationship: ServedBy, count_range: [ 1, 4 ] }}
        service_template:
          inputs:
            n: {{ type: integer, default: 1 }}
          node_templates:
            server:
              type: Server
            client:
              type: Client
              requirements:
                - service: {{ node: server, count: {first} }}
                - service: {{ node: server, count: {second} }}
        """) == expected


@pytest.mark.parametrize("data_types, expected", [
    ("Port: { derived_from: integer, validation: { $less_than: [ $value, 65536 ] } }", []),
    ("Ports: { derived_from: list, entry_schema: integer }", []),
    ("Labels: { derived_from: map, key_schema: string, entry_schema: string }", []),
    ("Name: { derived_from: string, properties: { x: { type: integer } } }", ["PT340"]),  # 9.2
    ("Name: { derived_from: string, entry_schema: integer }", ["PT306"]),                 # 9.2
    ("Ports: { derived_from: list, entry_schema: integer, key_schema: string }", ["PT306"]),
    ("string: { derived_from: integer }", ["PT306"]),                                   # 9.1: reserved
])
def test_data_type_definitions(tmp_path, data_types, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        data_types:
          {data_types}
        """) == expected


def test_a_refinement_narrows_the_type(tmp_path):
    """9.4: a refined property's type is its parent's or derives from it."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          Base:
            properties:
              port: { type: integer }
          Narrow:
            derived_from: Base
            properties:
              port: { type: string }
        """) == ["PT340"]


def test_a_fixed_value_is_not_assigned_another(tmp_path):
    """9.5: a property whose definition fixes its value (value, or a one-line refinement)."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          Base:
            properties:
              secure: { type: boolean, required: false }
              mode: { type: string, value: fast }
          Secure:
            derived_from: Base
            properties:
              secure: true
        service_template:
          node_templates:
            n:
              type: Base
              properties:
                mode: slow
            m:
              type: Secure
              properties:
                secure: false
                mode: fast
            ok:
              type: Secure
              properties:
                secure: true
        """) == ["PT340", "PT340"]


def test_a_list_property_with_a_key_schema(tmp_path):
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          N:
            properties:
              tags: { type: list, entry_schema: string, key_schema: string }
        """) == ["PT306"]


REQUIREMENTS = """\
    tosca_definitions_version: tosca_2_0
    capability_types:
      Host:
        properties:
          cpus: {{ type: integer, required: false }}
      SmallHost: {{ derived_from: Host }}
      Other: {{}}
    relationship_types:
      HostedOn: {{}}
      HostedOnFast: {{ derived_from: HostedOn }}
      Generic: {{}}
    node_types:
      Server:
        properties:
          size: {{ type: integer }}
        capabilities:
          host: Host
          small: SmallHost
          other: Other
      App:
        requirements:
          - host: {{ capability: Host, relationship: HostedOn }}
    service_template:
      node_templates:
        server:
          type: Server
          properties:
            size: 1
          capabilities:
            host: {{ directives: {capability_directives} }}
        picked:
          type: Server
          directives: [ select ]
        app:
          type: App
          count: {count}
          requirements:
            - host: {assignment}
      relationship_templates:
        fast: {{ type: HostedOnFast }}
        loose: {{ type: Generic }}
    """


@pytest.mark.parametrize("assignment, count, capability_directives, expected", [
    ("{ node: server, capability: small, relationship: HostedOnFast }", 1, "[ internal ]", []),
    ("{ node: server, capability: SmallHost, relationship: fast, directives: [ external, internal ] }", 2, "[]",
     []),
    ("{ node: picked }", 0, "[ external ]", []),                 # a select node needs no property values
    ("{ node: server, capability: other }", 1, "[]", ["PT323"]),   # 8.5.2: not a Host
    ("{ node: server, relationship: Generic }", 1, "[]", ["PT323"]),  # not a HostedOn
    ("{ node: server, relationship: loose }", 1, "[]", ["PT323"]),    # a template of another type
    ("{ node: server, directives: [ inside ] }", 1, "[]", ["PT306"]),  # internal or external only
    ("server", 1, "[ nearby ]", ["PT306"]),
    ("server", -1, "[]", ["PT306"]),                                 # 7.2: a non-negative count
])
def test_requirement_and_capability_assignments(tmp_path, assignment, count, capability_directives, expected):
    text = REQUIREMENTS.format(assignment=assignment, count=count, capability_directives=capability_directives)
    assert errors(tmp_path, text) == expected


def test_requirement_names_are_unique_and_capability_definitions_add_no_properties(tmp_path):
    """8.4: a requirement name occurs once in a node type; 8.2: new properties may not be added."""
    assert errors(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Host:
            properties:
              cpus: { type: integer, required: false }
        relationship_types:
          HostedOn: {}
        node_types:
          Server:
            capabilities:
              host:
                type: Host
                properties:
                  cpus: { default: 2 }
                  memory: { type: integer }
          App:
            requirements:
              - host: { capability: Host, relationship: HostedOn }
              - host: { capability: Host, relationship: HostedOn }
        """) == ["PT306", "PT338"]


@pytest.mark.parametrize("operation, repository, expected", [
    ("start", "libs", []),
    ("explode", "libs", ["PT336"]),   # 11.2: the interface type defines the operations refined
    ("start", "nowhere", ["PT306"]),  # 12.2: an artifact's repository is a repository definition
])
def test_interface_and_artifact_definitions_name_what_exists(tmp_path, operation, repository, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        repositories:
          libs: https://example.org/libs
        artifact_types:
          Script: {{}}
        interface_types:
          Lifecycle:
            operations:
              start: {{}}
        node_types:
          Server:
            artifacts:
              boot: {{ type: Script, file: boot.sh, repository: {repository} }}
            interfaces:
              lifecycle:
                type: Lifecycle
                operations:
                  {operation}: boot.sh
        """) == expected


CLAUSE = """\
    tosca_definitions_version: tosca_2_0
    node_types:
      N:
        properties:
          p: {{ type: {kind}, validation: {clause} }}
    service_template:
      node_templates:
        n:
          type: N
          properties:
            p: {value}
    """


@pytest.mark.parametrize("kind, clause, value, expected", [
    ("version", '{ $greater_or_equal: [ $value, "1.9" ] }', '"1.10"', []),       # numbers, not text (9.1.2.3)
    ("version", '{ $greater_than: [ $value, "1.0.0.beta-2" ] }', '"1.0.0"', []),  # a qualifier is older
    ("version", '{ $less_than: [ $value, "2.0" ] }', '"10.0"', ["PT504"]),
    ("timestamp", '{ $less_than: [ $value, "2020-01-01T00:30:00+00:10" ] }', '"2020-01-01T00:25:00Z"', ["PT504"]),
    ("timestamp", '{ $greater_than: [ $value, "2020-01-01" ] }', '"2020-01-01T10:00:00+02:00"', []),
    ("string", '{ $matches: [ $value, "[0-9]+" ] }', "abc123", []),           # anywhere unless anchored
    ("string", '{ $matches: [ $value, "^[0-9]+$" ] }', "abc123", ["PT504"]),
    ("string", '{ $has_prefix: [ $value, ab ] }', "xyz", ["PT504"]),
    ("string", '{ $has_suffix: [ $value, yz ] }', "xyz", []),
    ("list", '{ $contains: [ $value, [ 2, 3 ] ] }', "[ 1, 2, 3 ]", []),         # an uninterrupted run
    ("list", '{ $contains: [ $value, [ 3, 2 ] ] }', "[ 1, 2, 3 ]", ["PT504"]),
    ("list", '{ $has_all_entries: [ $value, [ 1, 3 ] ] }', "[ 1, 2, 3 ]", []),
    ("list", '{ $has_any_entry: [ $value, [ 7, 8 ] ] }', "[ 1, 2, 3 ]", ["PT504"]),
    ("map", '{ $has_any_key: [ $value, [ a, z ] ] }', "{ a: 1 }", []),
    ("map", '{ $has_all_keys: [ $value, [ a, z ] ] }', "{ a: 1 }", ["PT504"]),
    ("integer", '{ $xor: [ { $greater_than: [ $value, 1 ] }, { $greater_than: [ $value, 2 ] } ] }', 3,
     ["PT504"]),
    ("integer", '{ $equal: [ $value, { $sum: [ 1, 2 ] } ] }', 4, ["PT504"]),
    ("integer", '{ $equal: [ $value, { $round: [ 3.5 ] } ] }', 3, []),           # a tie rounds down (10.2.5.6)
    ("integer", '{ $equal: [ $value, { $remainder: [ 7, 2 ] } ] }', 1, []),
    ("integer", "5", 1, ["PT306"]),                                             # 9.11: a Boolean expression
    ("integer", "[ { greater_than: 0 } ]", 1, ["PT306"]),                       # 1.x constraints
])
def test_validation_clauses(tmp_path, kind, clause, value, expected):
    if kind in ("list", "map"):
        kind = f"{kind}, entry_schema: integer"
    assert errors(tmp_path, CLAUSE.format(kind=kind, clause=clause, value=value)) == expected


@pytest.mark.parametrize("data_types, expected", [
    ("Size: { derived_from: scalar, data_type: integer, units: { B: 1, kB: 1000 } }", []),
    ("Size: { derived_from: scalar }", ["PT305"]),                                     # units are mandatory
    ("Size: { derived_from: scalar, data_type: integer, units: { B: 1, half: 0.5 } }", ["PT306"]),
    ("Size: { derived_from: scalar, data_type: string, units: { B: 1 } }", ["PT306"]),
    ("Size: { derived_from: scalar, units: { B: 1, b: 1 }, canonical_unit: X }", ["PT306"]),
    ("Size: { derived_from: integer, units: { B: 1 } }", ["PT306"]),                  # not a scalar type
    ("Size: { derived_from: scalar, units: { B: 1 } }\n          Big: { derived_from: Size, data_type: integer }",
     ["PT306"]),                                                                     # keeps its data_type
    ("Size: { derived_from: scalar, units: { B: 1 } }\n          Big: { derived_from: Size, units: { kB: 1000 } }",
     []),
])
def test_scalar_type_definitions(tmp_path, data_types, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        data_types:
          {data_types}
        """) == expected


@pytest.mark.parametrize("count_range, expected", [("[ 1, 2 ]", []), ("[ 1, 1 ]", []), ("[ 0, 2 ]", ["PT340"]),
                                                   ("[ 1, UNBOUNDED ]", ["PT340"])])
def test_a_refined_count_range_lies_within_the_parents(tmp_path, count_range, expected):
    """8.4.1: the new range MUST be within the range of the parent's definition."""
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Host: {{}}
        relationship_types:
          HostedOn: {{}}
        node_types:
          App:
            requirements:
              - host: {{ capability: Host, relationship: HostedOn, count_range: [ 1, 2 ] }}
          Small:
            derived_from: App
            requirements:
              - host: {{ capability: Host, relationship: HostedOn, count_range: {count_range} }}
        """) == expected


@pytest.mark.parametrize("derived, expected", [
    ("valid_capability_types: [ Small ]", []),       # derived from one the parent lists
    ("valid_capability_types: [ Host ]", []),
    ("valid_capability_types: [ Other ]", ["PT340"]),  # 7.3: a derived type only narrows the list
])
def test_a_derived_relationship_type_narrows_its_valid_capability_types(tmp_path, derived, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        capability_types:
          Host: {{}}
          Small: {{ derived_from: Host }}
          Other: {{}}
        relationship_types:
          HostedOn:
            valid_capability_types: [ Host ]
          HostedOnSmall:
            derived_from: HostedOn
            {derived}
        """) == expected


@pytest.mark.parametrize("top, expected", [
    ('metadata: { owner: me }\n        node_types: { N: { version: "1.2.3" } }', []),
    ("metadata: [ owner ]", ["PT306"]),                    # 5.3.1: a map
    ("node_types: { N: { version: latest } }", ["PT306"]),  # 6.4.1: a version
])
def test_metadata_and_type_versions(tmp_path, top, expected):
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        {top}
        """) == expected


@pytest.mark.parametrize("steps, expected", [("", []), ("{}", []), ("[]", ["PT306"])])
def test_a_workflow_may_leave_its_steps_empty(tmp_path, steps, expected):
    """6.9.6's own example declares a workflow with `steps:` and nothing under it."""
    assert errors(tmp_path, f"""\
        tosca_definitions_version: tosca_2_0
        node_types:
          N: {{}}
        service_template:
          node_templates:
            n: {{ type: N }}
          workflows:
            scaling-workflow:
              steps: {steps}
        """) == expected


def test_get_artifact_takes_a_whole_tosca_path(tmp_path):
    """10.2.1.4: [ <tosca_path>, <artifact_name> ], the path of any length (10.3)."""
    assert errors(tmp_path, CALL.format(
        kind="string", value="{ $get_artifact: [ SELF, RELATIONSHIP, host, 0, TARGET, image ] }")) == []


PATHS = """\
    tosca_definitions_version: tosca_2_0
    capability_types:
      Host:
        properties:
          cpus: { type: integer, default: 1 }
    relationship_types:
      HostedOn: {}
    node_types:
      Server:
        attributes:
          ip: { type: string }
        capabilities:
          host: Host
      App:
        properties:
          x: { type: string, required: false }
        requirements:
          - host: { capability: Host, relationship: HostedOn, count_range: [ 0, UNBOUNDED ] }
    service_template:
      node_templates:
        server: { type: Server, count: 2 }
        app:
          type: App
          requirements:
            - host: server
          properties:
            x: CALL
    """


@pytest.mark.parametrize("call", [
    "{ $get_attribute: [ server, 0, ip ] }",                       # one of the template's nodes (10.3)
    "{ $get_attribute: [ server, ALL, ip ] }",
    "{ $get_attribute: [ server, 1, CAPABILITY, host, cpus ] }",
    "{ $get_property: [ server, CAPABILITY, host, RELATIONSHIP, 0, SOURCE, x ] }",  # back from a capability
])
def test_tosca_paths_with_indexes_and_steps_back(tmp_path, call):
    assert errors(tmp_path, PATHS.replace("CALL", call)) == []


@pytest.mark.parametrize("value, expected", [
    ("9223372036854775807", []), ("-9223372036854775808", []), ("0x7FFFFFFFFFFFFFFF", []),
    ("9223372036854775808", ["PT503"]),   # 9.1.1.2: a 64-bit signed integer
])
def test_integers_have_64_bits(tmp_path, value, expected):
    assert errors(tmp_path, CALL.format(kind="integer", value=value)) == expected
