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
