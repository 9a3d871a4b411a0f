"""Every rule has a passing and a failing fixture under tests/fixtures/rules/<RULE>/.

A bad fixture marks each line that must get a diagnostic with a trailing
comment ``# expect: PT310`` (several ids allowed); the test checks each
marked line gets a diagnostic of that rule, and no other line gets one of
the rules the file is about. A good fixture must be a fully valid template:
no diagnostic of its rule and no error of any rule (tosca-parser's included).

Comment lines at the top of a fixture set its options:

* ``# inputs: {name: value}`` validates it with those supplied input values,
  as ``--inputs`` would pass them;
* ``# import-map: FILE`` serves its URL imports from the import map FILE
  (relative to the fixture), as ``--import-map`` would: fixtures never reach
  the network.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, IMPORT_MAP, INDIGO_EXAMPLES, needs_corpus

from primage_tosca import catalog
from primage_tosca.checks.ports import port_range_problem
from primage_tosca.imports.policy import ImportMap, ImportPolicy
from primage_tosca.imports.template import LoadOptions
from primage_tosca.typesystem.primitives import BadValue, scalar
from primage_tosca.validation import validate

RULES_DIR = FIXTURES / "rules"
EXPECT = re.compile(r"#\s*expect:\s*(.*)$")
RULE_ID = re.compile(r"PT\d{3}")
HEADER = re.compile(r"#\s*(inputs|import-map):\s*(.*)$")

# Rules no small fixture file can show, and why.
EXEMPT = {
    "PT104": "needs a file over the 10 MB limit; tested with a lowered limit in the reader tests",
    "PT109": "a missing or unreadable file cannot be a fixture; tested through the CLI",
    "PT110": "CSARs are archives, not YAML fixtures; tested in tests/test_csar.py",
    "PT111": "CSARs are archives, not YAML fixtures; tested in tests/test_csar.py",
    "PT112": "CSARs are archives, not YAML fixtures; tested in tests/test_csar.py",
    "PT204": "needs a network fetch that fails; tests never leave 127.0.0.1",
    "PT330": "fragments and their parents are owned and tested by the composition helper",
    "PT700": "compiling to a target is owned and tested by the compiler helper",
    "PT701": "compiling to a target is owned and tested by the compiler helper",
    "PT702": "compiling to a target is owned and tested by the compiler helper",
    "PT800": "tosca-parser findings are owned and tested by the tosca-parser bridge",
    "PT801": "tosca-parser findings are owned and tested by the tosca-parser bridge",
    "PT900": "internal errors are bugs: no template should produce one",
}


def fixture_cases(prefix: str) -> list:
    cases = []
    for folder in sorted(p for p in RULES_DIR.iterdir() if p.is_dir()):
        for path in sorted(folder.glob(prefix + "*.yaml")):
            cases.append(pytest.param(folder.name, path, id=f"{folder.name}/{path.name}"))
    return cases


def read_text(path: Path) -> str:
    # A fixture of an encoding rule is deliberately not UTF-8; its comments still are.
    return path.read_bytes().decode("utf-8", errors="replace")


def headers(path: Path) -> dict[str, str]:
    """The option comments at the top of a fixture, by name."""
    found = {}
    for line in read_text(path).split("\n"):
        if not line.startswith("#"):
            break
        match = HEADER.match(line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def load_options(path: Path) -> LoadOptions:
    """The options a fixture's header comments ask for."""
    found = headers(path)
    inputs = yaml.safe_load(found["inputs"]) if "inputs" in found else None
    policy = ImportPolicy()
    if "import-map" in found:
        policy = ImportPolicy(import_map=ImportMap.from_file(path.parent / found["import-map"]))
    return LoadOptions(policy=policy, inputs=inputs)


def expectations(path: Path) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((number, rule) for rule in RULE_ID.findall(match.group(1)))
    return found


def diagnostics_in(path: Path) -> list:
    report = validate(str(path), load_options(path))
    here = os.path.realpath(path)
    return [d for d in report.diagnostics if os.path.realpath(d.file) == here]


@pytest.mark.parametrize("rule, path", fixture_cases("bad"))
def test_bad_fixture_reports_each_marked_line(rule: str, path: Path) -> None:
    expected = expectations(path)
    assert rule in {r for _, r in expected}, f"{path} marks no line with '# expect: {rule}'"
    rules = {r for _, r in expected}
    found = {(d.line, d.rule) for d in diagnostics_in(path) if d.rule in rules}
    assert sorted(expected - found) == [], "marked lines without their diagnostic"
    assert sorted(found - expected) == [], "diagnostics on lines not marked"


@pytest.mark.parametrize("rule, path", fixture_cases("good"))
def test_good_fixture_is_clean(rule: str, path: Path) -> None:
    assert not expectations(path), "a good fixture marks no line"
    report = validate(str(path), load_options(path))
    assert [d for d in report.diagnostics if d.rule == rule] == []
    assert [f"{d.line}: {d.rule} {d.message}" for d in report.errors] == []


def test_every_rule_has_good_and_bad_fixtures() -> None:
    missing = []
    for rule in catalog.RULES:
        if rule in EXEMPT:
            continue
        folder = RULES_DIR / rule
        if not (any(folder.glob("good*.yaml")) and any(folder.glob("bad*.yaml"))):
            missing.append(rule)
    assert missing == []


def test_exemptions_name_real_rules_without_fixtures() -> None:
    assert set(EXEMPT) <= set(catalog.RULES)
    assert [rule for rule in EXEMPT if (RULES_DIR / rule).exists()] == []


def test_fixture_folders_name_real_rules() -> None:
    folders = {p.name for p in RULES_DIR.iterdir() if p.is_dir()}
    assert folders - set(catalog.RULES) == set()


# --- details the fixtures cannot show --------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_requirement_may_name_a_node_type(tmp_path: Path) -> None:
    # Legal TOSCA (the orchestrator picks a node); tosca-parser refuses it, we don't.
    path = write(tmp_path, """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    app:
      type: tosca.nodes.SoftwareComponent
      requirements:
        - host:
            node: tosca.nodes.Compute
""")
    assert [d for d in validate(str(path)).diagnostics if d.rule in ("PT320", "PT321")] == []


def test_cycle_message_reads_from_first_declared_member(tmp_path: Path) -> None:
    path = write(tmp_path, """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    a:
      type: tosca.nodes.Compute
      requirements:
        - dependency: b
    b:
      type: tosca.nodes.Compute
      requirements:
        - dependency: c
    c:
      type: tosca.nodes.Compute
      requirements:
        - dependency: a
""")
    cycles = [d for d in validate(str(path)).diagnostics if d.rule == "PT321"]
    assert [(d.line, d.message.rsplit(": ", 1)[1]) for d in cycles] == [(7, "a -> b -> c -> a")]


def test_supplied_value_is_checked_against_the_input_type(tmp_path: Path) -> None:
    path = write(tmp_path, """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs:
    memory:
      type: scalar-unit.size
  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            mem_size: { get_input: memory }
""")
    report = validate(str(path), LoadOptions(inputs={"memory": "4 GBs"}))
    assert [(d.rule, d.line) for d in report.diagnostics if d.rule == "PT500"] == [("PT500", 4)]


@pytest.mark.parametrize("value", ["1 GB", "1GB", "1 gb", "0.5 TiB", "10 kB", "2 GiB"])
def test_scalar_size_accepted(value: str) -> None:
    assert scalar("scalar-unit.size", value).amount > 0


@pytest.mark.parametrize("value", ["1 GiGB", "GB", "-1 GB", "1", 1, ["1 GB"], "1..2 GB", None, True])
def test_scalar_size_refused(value) -> None:
    with pytest.raises(BadValue):
        scalar("scalar-unit.size", value)


def port_errors(tmp_path: Path, value) -> list[str]:
    """The error rules a value gets as the port of an endpoint."""
    path = write(tmp_path, f"""\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        endpoint:
          properties:
            port: {json.dumps(value)}
""")
    return sorted({d.rule for d in validate(str(path)).errors})


@pytest.mark.parametrize("value, good", [(1, True), (65535, True), ("8080", True), (0, False),
                                         (65536, False), ("http", False), (80.5, False)])
def test_port(tmp_path: Path, value, good: bool) -> None:
    assert (port_errors(tmp_path, value) == []) is good


@pytest.mark.parametrize("value, good", [("8000-8080", True), ("8000:8080", True), ("8080-8000", False),
                                         ("8000", False), ("a-b", False), ("1-70000", False)])
def test_port_range_text(value: str, good: bool) -> None:
    assert (port_range_problem(value) is None) is good


@needs_corpus()
def test_indigo_examples_raise_no_internal_error() -> None:
    options = LoadOptions(policy=ImportPolicy(import_map=ImportMap.from_file(IMPORT_MAP)))
    examples = sorted(INDIGO_EXAMPLES.glob("*.y*ml"))
    assert len(examples) == 66
    report = validate([str(p) for p in examples], options)
    assert [f"{d.file}: {d.message}" for d in report.diagnostics if d.rule in ("PT900", "PT302")] == []
