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
