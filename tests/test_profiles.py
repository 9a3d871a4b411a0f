"""The normative-type profiles we ship (primage_tosca/profiles): well formed, closed over their
own names, free of derivation cycles, defaults that satisfy their own types and constraints,
each version a superset of the one before but for the spec's renames, and in step with
tosca-parser's bundled definitions except for a listed, explained set of differences."""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from primage_tosca.profiles import KNOWN_VERSIONS, profile_path

VERSIONS = ("tosca_simple_yaml_1_0", "tosca_simple_yaml_1_1", "tosca_simple_yaml_1_2",
            "tosca_simple_yaml_1_3")
KINDS = ("data_types", "artifact_types", "capability_types", "interface_types",
         "relationship_types", "node_types", "group_types", "policy_types")
TOP_LEVEL = {"tosca_definitions_version", "metadata", "description", *KINDS}

PRIMITIVES = {"string", "integer", "float", "boolean", "timestamp", "null", "version", "range",
              "list", "map", "scalar-unit.size", "scalar-unit.time", "scalar-unit.frequency"}
PRIMITIVES_1_3 = PRIMITIVES | {"scalar-unit.bitrate"}

STANDARD_OPERATIONS = ["create", "configure", "start", "stop", "delete"]
CONFIGURE_OPERATIONS = ["pre_configure_source", "pre_configure_target", "post_configure_source",
                        "post_configure_target", "add_target", "add_source", "target_changed",
                        "remove_target"]


@cache
def load(version: str) -> dict:
    path = profile_path(version)
    assert path is not None, version
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def primitives(version: str) -> set[str]:
    return PRIMITIVES_1_3 if version == "tosca_simple_yaml_1_3" else PRIMITIVES


def type_names(document: dict) -> set[str]:
    return {name for kind in KINDS for name in (document.get(kind) or {})}


def requirement_items(requirements: list) -> list[tuple[str, dict]]:
    """(name, definition) of each single-key entry of a requirements list."""
    items = []
    for entry in requirements or []:
        assert isinstance(entry, dict) and len(entry) == 1, entry
        (name, definition), = entry.items()
        items.append((name, definition if isinstance(definition, dict) else {"capability": definition}))
    return items


# ---------------------------------------------------------------- the package API

def test_every_shipped_version_has_its_file():
    assert KNOWN_VERSIONS == VERSIONS
    for version in KNOWN_VERSIONS:
        path = profile_path(version)
        assert isinstance(path, Path) and path.is_file()
        assert path.name == f"{version}.yaml"
        assert path.parent == Path(__file__).resolve().parent.parent / "primage_tosca" / "profiles"


@pytest.mark.parametrize("value", ["tosca_simple_yaml_1_4", "tosca_2_0", "TOSCA_SIMPLE_YAML_1_3",
                                   "tosca_simple_profile_for_nfv_1_0_0", "", None, 1.3, ["x"],
                                   {"a": 1}])
def test_unknown_or_odd_versions_have_no_file(value):
    assert profile_path(value) is None


def test_importing_the_package_parses_nothing():
    """Importing must stay cheap: the module only names files, it loads no YAML parser."""
    root = Path(__file__).resolve().parent.parent
    probe = ("import sys, primage_tosca.profiles as p; "
             "print(sorted(m for m in sys.modules if m == 'yaml' or m.startswith('yaml.')))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, check=False,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(root)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_profiles_are_package_data():
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert '"profiles/*.yaml"' in pyproject


# ---------------------------------------------------------------- shape of each file

@pytest.mark.parametrize("version", VERSIONS)
def test_file_is_a_tosca_document_of_its_version(version):
    document = load(version)
    assert document["tosca_definitions_version"] == version
    assert set(document) <= TOP_LEVEL
    metadata = document["metadata"]
    assert metadata["template_name"] and metadata["template_author"] == "primage_tosca"
    assert metadata["template_version"] == "1." + version[-1]
    for kind in KINDS:
        assert isinstance(document[kind], dict) and document[kind], kind
        for name, definition in document[kind].items():
            assert name.startswith("tosca."), name
            assert isinstance(definition, dict) and definition.get("description"), name


@pytest.mark.parametrize("version", VERSIONS)
def test_file_starts_with_a_comment_on_what_changed(version):
    head = profile_path(version).read_text(encoding="utf-8").split("tosca_definitions_version")[0]
    assert head.startswith("# TOSCA Simple Profile in YAML 1." + version[-1])
    if version != "tosca_simple_yaml_1_0":
        assert f"What changed from 1.{int(version[-1]) - 1}:" in head


@pytest.mark.parametrize("version", VERSIONS)
def test_interface_operations_follow_the_grammar_of_the_version(version):
    """1.3 lists operations under `operations:`; earlier versions put them on the type itself."""
    interfaces = load(version)["interface_types"]
    for name, expected in (("tosca.interfaces.node.lifecycle.Standard", STANDARD_OPERATIONS),
                           ("tosca.interfaces.relationship.Configure", CONFIGURE_OPERATIONS)):
        definition = interfaces[name]
        if version == "tosca_simple_yaml_1_3":
            assert set(definition) == {"derived_from", "description", "operations"}
            operations = definition["operations"]
        else:
            assert "operations" not in definition
            operations = {key: value for key, value in definition.items()
                          if key not in ("derived_from", "description")}
        assert list(operations) == expected
        assert all(set(body) == {"description"} for body in operations.values())


# ---------------------------------------------------------------- closed over its own names

def check_property_types(where: str, definitions: dict, data_types: set[str], prims: set[str],
                         problems: list[str]) -> None:
    for name, definition in (definitions or {}).items():
        kind = definition.get("type")
        if kind not in prims and kind not in data_types:
            problems.append(f"{where}.{name}: type {kind!r}")
        schema = definition.get("entry_schema")
        if schema is not None:
            entry = schema.get("type") if isinstance(schema, dict) else schema
            if entry not in prims and entry not in data_types:
                problems.append(f"{where}.{name}: entry_schema {entry!r}")
            if kind not in ("list", "map"):
                problems.append(f"{where}.{name}: entry_schema on {kind}")
        if "required" in definition and not isinstance(definition["required"], bool):
            problems.append(f"{where}.{name}: required is not a boolean")
        if definition.get("status", "supported") not in ("supported", "unsupported",
                                                         "experimental", "deprecated"):
            problems.append(f"{where}.{name}: status {definition['status']!r}")


def dangling_references(document: dict, version: str) -> list[str]:
    names = {kind: set(document[kind]) for kind in KINDS}
    prims = primitives(version)
    problems: list[str] = []

    def expect(where: str, value, kind: str) -> None:
        for item in value if isinstance(value, list) else [value]:
            if item not in names[kind]:
                problems.append(f"{where}: {item!r} is not one of the {kind}")

    for kind in KINDS:
        for name, definition in document[kind].items():
            parent = definition.get("derived_from")
            if parent is not None and not (kind == "data_types" and parent in prims):
                expect(f"{name} derived_from", parent, kind)
            for section in ("properties", "attributes"):
                check_property_types(f"{name}.{section}", definition.get(section),
                                     names["data_types"], prims, problems)
            for cap_name, cap in (definition.get("capabilities") or {}).items():
                cap = cap if isinstance(cap, dict) else {"type": cap}
                expect(f"{name}.capabilities.{cap_name}", cap["type"], "capability_types")
                if "valid_source_types" in cap:
                    expect(f"{name}.capabilities.{cap_name}.valid_source_types",
                           cap["valid_source_types"], "node_types")
            for req_name, req in requirement_items(definition.get("requirements")):
                expect(f"{name}.requirements.{req_name}.capability", req["capability"],
                       "capability_types")
                if "node" in req:
                    expect(f"{name}.requirements.{req_name}.node", req["node"], "node_types")
                if "relationship" in req:
                    expect(f"{name}.requirements.{req_name}.relationship", req["relationship"],
                           "relationship_types")
            if "valid_target_types" in definition:
                expect(f"{name}.valid_target_types", definition["valid_target_types"],
                       "capability_types")
            for iface_name, iface in (definition.get("interfaces") or {}).items():
                expect(f"{name}.interfaces.{iface_name}", iface["type"], "interface_types")
            for art_name, art in (definition.get("artifacts") or {}).items():
                expect(f"{name}.artifacts.{art_name}", art["type"], "artifact_types")
    return problems


@pytest.mark.parametrize("version", VERSIONS)
def test_every_reference_names_a_type_of_the_same_file(version):
    assert dangling_references(load(version), version) == []


def test_the_reference_check_finds_a_dangling_name():
    """The check above must be able to fail: break one reference and it reports it."""
    document = load("tosca_simple_yaml_1_3")
    broken = {**document, "node_types": {**document["node_types"]}}
    compute = dict(broken["node_types"]["tosca.nodes.Compute"])
    compute["requirements"] = [{"local_storage": {"capability": "tosca.capabilities.Attachment",
                                                  "node": "tosca.nodes.BlockStorage"}}]
    broken["node_types"]["tosca.nodes.Compute"] = compute
    assert dangling_references(broken, "tosca_simple_yaml_1_3") == [
        ("tosca.nodes.Compute.requirements.local_storage.node: 'tosca.nodes.BlockStorage' "
         "is not one of the node_types")]


@pytest.mark.parametrize("version", VERSIONS)
def test_no_type_derives_from_itself(version):
    document = load(version)
    for kind in KINDS:
        types = document[kind]
        for name in types:
            seen, current = [], name
            while current in types:
                assert current not in seen, f"{kind}: cycle {seen + [current]}"
                seen.append(current)
                current = types[current].get("derived_from")


# ---------------------------------------------------------------- values and constraints

SCALAR_UNITS = {
    "scalar-unit.size": {"b": 1, "kb": 10**3, "kib": 2**10, "mb": 10**6, "mib": 2**20,
                         "gb": 10**9, "gib": 2**30, "tb": 10**12, "tib": 2**40},
    "scalar-unit.time": {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6,
                         "ns": 1e-9},
    "scalar-unit.frequency": {"hz": 1, "khz": 10**3, "mhz": 10**6, "ghz": 10**9},
}
VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+(\.[A-Za-z0-9]+(-\d+)?)?)?$")


def scalar(value, kind: str) -> float:
    """The value of a scalar-unit string in its base unit; ValueError when it is not one."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*", value) \
        if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a {kind}")
    number, unit = float(match.group(1)), match.group(2)
    if kind == "scalar-unit.bitrate":
        return number * bitrate_factor(unit, value)
    factor = SCALAR_UNITS[kind].get(unit.lower())
    if factor is None:
        raise ValueError(f"{value!r} has no {kind} unit")
    return number * factor


def bitrate_factor(unit: str, value) -> float:
    """Bits per second of one unit: bps and Bps differ by 8; the prefix is k, Ki, M, Mi, ..."""
    if unit.endswith("bps"):
        bits = 1
    elif unit.endswith("Bps"):
        bits = 8
    else:
        raise ValueError(f"{value!r} has no bitrate unit")
    prefix = SCALAR_UNITS["scalar-unit.size"].get(unit[:-3].lower() + "b")
    if prefix is None:
        raise ValueError(f"{value!r} has no bitrate unit")
    return bits * prefix


def primitive_of(kind: str, version: str) -> tuple[str, list]:
    """The primitive a type stands on and the constraints its data types add on the way."""
    data_types = load(version)["data_types"]
    constraints: list = []
    while kind in data_types and kind != "tosca.datatypes.Root":
        constraints = list(data_types[kind].get("constraints") or []) + constraints
        kind = data_types[kind].get("derived_from", "tosca.datatypes.Root")
    return kind, constraints


def comparable(value, kind: str):
    if kind.startswith("scalar-unit."):
        return scalar(value, kind)
    if kind == "version":
        return tuple(int(part) for part in re.findall(r"\d+", str(value))[:3])
    return value


def check_primitive(value, kind: str) -> None:
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "version": lambda v: VERSION_RE.match(str(v)) is not None and not isinstance(v, bool),
        "range": lambda v: (isinstance(v, list) and len(v) == 2 and isinstance(v[0], int)
                            and (v[1] == "UNBOUNDED" or isinstance(v[1], int) and v[0] <= v[1])),
        "list": lambda v: isinstance(v, list),
        "map": lambda v: isinstance(v, dict),
    }
    if kind.startswith("scalar-unit."):
        scalar(value, kind)
        return
    if kind == "tosca.datatypes.Root" or kind not in ok:
        raise ValueError(f"no value check for type {kind!r}")
    if not ok[kind](value):
        raise ValueError(f"{value!r} is not a {kind}")


def check_constraint(value, kind: str, constraint: dict) -> None:
    (operator, operand), = constraint.items()
    low = comparable(value[0], "integer") if kind == "range" else None
    if operator == "equal":
        passed = comparable(value, kind) == comparable(operand, kind)
    elif operator == "valid_values":
        passed = comparable(value, kind) in [comparable(item, kind) for item in operand]
    elif operator in ("greater_than", "greater_or_equal", "less_than", "less_or_equal"):
        left, right = comparable(value, kind), comparable(operand, kind)
        passed = {"greater_than": left > right, "greater_or_equal": left >= right,
                  "less_than": left < right, "less_or_equal": left <= right}[operator]
    elif operator == "in_range":
        if kind == "range":
            high = value[1]
            passed = operand[0] <= low and (high != "UNBOUNDED" and high <= operand[1])
        else:
            lower, upper = (comparable(bound, kind) for bound in operand)
            passed = lower <= comparable(value, kind) <= upper
    elif operator in ("length", "min_length", "max_length"):
        size = len(value)
        passed = {"length": size == operand, "min_length": size >= operand,
                  "max_length": size <= operand}[operator]
    elif operator == "pattern":
        passed = re.fullmatch(operand, value) is not None
    else:
        raise ValueError(f"no check for constraint {operator!r}")
    if not passed:
        raise ValueError(f"{value!r} breaks {constraint}")


def check_value(value, kind: str, constraints: list, version: str) -> None:
    """Raise ValueError unless value is of type kind and meets every constraint."""
    primitive, inherited = primitive_of(kind, version)
    check_primitive(value, primitive)
    for constraint in inherited + list(constraints or []):
        check_constraint(value, primitive, constraint)


def check_operands(kind: str, constraints: list, version: str) -> None:
    """Each constraint operand must itself be a value of the property's type."""
    primitive, _ = primitive_of(kind, version)
    for constraint in constraints or []:
        (operator, operand), = constraint.items()
        bound_type = "integer" if primitive == "range" else primitive
        if operator in ("valid_values", "in_range"):
            assert isinstance(operand, list) and operand, constraint
            for item in operand:
                check_primitive(item, bound_type)
        elif operator in ("length", "min_length", "max_length"):
            check_primitive(operand, "integer")
            assert operand >= 0, constraint
        elif operator == "pattern":
            re.compile(operand)
        else:
            check_primitive(operand, bound_type)


def property_definitions(version: str):
    """(where, definition) of every property and attribute in the file."""
    document = load(version)
    for kind in KINDS:
        for name, definition in document[kind].items():
            for section in ("properties", "attributes"):
                for prop_name, prop in (definition.get(section) or {}).items():
                    yield f"{name}.{section}.{prop_name}", prop


# How many properties and attributes carry a default in each file: a default that goes
# missing shows here.
DEFAULTS = {"tosca_simple_yaml_1_0": 17, "tosca_simple_yaml_1_1": 17, "tosca_simple_yaml_1_2": 19,
            "tosca_simple_yaml_1_3": 19}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_default_satisfies_its_type_and_constraints(version):
    checked = 0
    for where, prop in property_definitions(version):
        check_operands(prop["type"], prop.get("constraints"), version)
        if "default" in prop:
            try:
                check_value(prop["default"], prop["type"], prop.get("constraints"), version)
            except ValueError as error:
                pytest.fail(f"{where}: {error}")
            checked += 1
    assert checked == DEFAULTS[version]


@pytest.mark.parametrize("version", VERSIONS)
def test_data_type_constraints_are_well_typed(version):
    for definition in load(version)["data_types"].values():
        if definition.get("constraints"):
            check_operands(definition["derived_from"], definition["constraints"], version)


@pytest.mark.parametrize("value, kind, constraints", [
    ("1 XB", "scalar-unit.size", []),
    ("12", "scalar-unit.size", []),
    ("0.5 MB", "scalar-unit.size", [{"greater_or_equal": "1 MB"}]),
    ("0.05 GHz", "scalar-unit.frequency", [{"greater_or_equal": "0.1 GHz"}]),
    (True, "integer", []),
    ("4", "integer", []),
    (5, "integer", [{"valid_values": [4, 6]}]),
    (-1, "integer", [{"greater_or_equal": 0}]),
    ("yes", "boolean", []),
    (False, "boolean", [{"equal": True}]),
    ("PRIVATE", "string", [{"equal": "PUBLIC"}]),
    ("both", "string", [{"valid_values": ["source", "target", "peer"]}]),
    (70000, "tosca.datatypes.network.PortDef", []),
    ("", "string", [{"min_length": 1}]),
    ([3, 1], "range", []),
    ([0, 10], "range", [{"in_range": [1, 65535]}]),
    (1, "integer", [{"no_such_constraint": 1}]),
    ("x", "tosca.datatypes.Credential", []),
])
def test_the_value_checker_rejects_bad_values(value, kind, constraints):
    """The default check above must be able to fail."""
    with pytest.raises(ValueError):
        check_value(value, kind, constraints, "tosca_simple_yaml_1_3")


@pytest.mark.parametrize("value, kind, constraints", [
    ("1 MB", "scalar-unit.size", [{"greater_or_equal": "1000 kB"}]),
    ("2 GiB", "scalar-unit.size", [{"greater_or_equal": "2 GB"}]),
    ("1.5 GHz", "scalar-unit.frequency", [{"greater_or_equal": "0.1 GHz"}]),
    ("10 Mbps", "scalar-unit.bitrate", [{"greater_than": "1 MBps"}, {"less_than": "2 MBps"}]),
    (80, "tosca.datatypes.network.PortDef", []),
    ([1000, 2000], "range", [{"in_range": [1, 65535]}]),
    ("1.2.3", "version", [{"greater_or_equal": "1.2"}]),
])
def test_the_value_checker_accepts_good_values(value, kind, constraints):
    check_value(value, kind, constraints, "tosca_simple_yaml_1_3")


# ---------------------------------------------------------------- version to version

# Types a version drops because the spec renamed them: old name -> (version that renames it,
# new name). Every other type of a version is still there, by the same name, in the next.
RENAMED = {
    "tosca.nodes.ObjectStorage": ("tosca_simple_yaml_1_1", "tosca.nodes.Storage.ObjectStorage"),
    "tosca.nodes.BlockStorage": ("tosca_simple_yaml_1_2", "tosca.nodes.Storage.BlockStorage"),
}


@pytest.mark.parametrize("older, newer", list(itertools.pairwise(VERSIONS)))
def test_each_version_keeps_the_types_of_the_one_before(older, newer):
    dropped = type_names(load(older)) - type_names(load(newer))
    expected = {old for old, (version, _) in RENAMED.items() if version == newer}
    assert dropped == expected
    for old in dropped:
        assert RENAMED[old][1] in load(newer)["node_types"]
        assert RENAMED[old][1] not in load(older)["node_types"]


MISSING = object()


def dig(version: str, *path):
    node = load(version)
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


# (versions, path, expected value); MISSING means the path must not exist.
SPEC_FACTS = [
    ("01", ("node_types", "tosca.nodes.Compute", "capabilities", "host", "type"),
     "tosca.capabilities.Container"),
    ("23", ("node_types", "tosca.nodes.Compute", "capabilities", "host", "type"),
     "tosca.capabilities.Compute"),
    ("01", ("node_types", "tosca.nodes.Compute", "derived_from"), "tosca.nodes.Root"),
    ("23", ("node_types", "tosca.nodes.Compute", "derived_from"), "tosca.nodes.Abstract.Compute"),
    ("0", ("capability_types", "tosca.capabilities.Compute"), MISSING),
    ("0", ("capability_types", "tosca.capabilities.Container", "properties", "mem_size", "type"),
     "scalar-unit.size"),
    ("1", ("capability_types", "tosca.capabilities.Container", "derived_from"),
     "tosca.capabilities.Compute"),
    ("1", ("capability_types", "tosca.capabilities.Compute", "derived_from"),
     "tosca.capabilities.Root"),
    ("23", ("capability_types", "tosca.capabilities.Compute", "derived_from"),
     "tosca.capabilities.Container"),
    ("123", ("capability_types", "tosca.capabilities.Container", "properties"), MISSING),
    ("0", ("data_types", "tosca.datatypes.TimeInterval"), MISSING),
    ("123", ("data_types", "tosca.datatypes.TimeInterval", "properties", "end_time", "required"),
     True),
    ("01", ("data_types", "tosca.datatypes.json"), MISSING),
    ("23", ("data_types", "tosca.datatypes.xml", "derived_from"), "string"),
    ("0123", ("data_types", "tosca.datatypes.network.PortDef", "constraints"),
     [{"in_range": [1, 65535]}]),
    ("012", ("artifact_types", "tosca.artifacts.template"), MISSING),
    ("3", ("artifact_types", "tosca.artifacts.template", "derived_from"), "tosca.artifacts.Root"),
    ("0123", ("capability_types", "tosca.capabilities.Endpoint.Admin", "properties", "secure",
              "default"), True),
    ("0123", ("capability_types", "tosca.capabilities.Endpoint.Admin", "properties", "secure",
              "constraints"), [{"equal": True}]),
    ("0123", ("capability_types", "tosca.capabilities.Scalable", "properties",
              "default_instances", "default"), MISSING),
    ("0123", ("node_types", "tosca.nodes.Database", "properties", "name", "required"), True),
    ("01", ("node_types", "tosca.nodes.BlockStorage", "properties", "size", "constraints"),
     [{"greater_or_equal": "1 MB"}]),
    ("23", ("node_types", "tosca.nodes.Storage.BlockStorage", "properties", "size", "default"),
     "1 MB"),
    ("23", ("node_types", "tosca.nodes.Storage.BlockStorage", "derived_from"),
     "tosca.nodes.Abstract.Storage"),
    ("0", ("node_types", "tosca.nodes.Container.Application", "requirements"),
     [{"host": {"capability": "tosca.capabilities.Container",
                "node": "tosca.nodes.Container.Runtime",
                "relationship": "tosca.relationships.HostedOn"}}]),
    ("01", ("node_types", "tosca.nodes.Container.Runtime", "capabilities", "host",
            "valid_source_types"), MISSING),
    ("23", ("node_types", "tosca.nodes.Container.Runtime", "capabilities", "host",
            "valid_source_types"), ["tosca.nodes.Container.Application"]),
    ("012", ("group_types", "tosca.groups.Root", "interfaces", "Standard", "type"),
     "tosca.interfaces.node.lifecycle.Standard"),
    ("3", ("group_types", "tosca.groups.Root", "interfaces"), MISSING),
    ("0123", ("relationship_types", "tosca.relationships.HostedOn", "valid_target_types"),
     ["tosca.capabilities.Container"]),
    ("0123", ("relationship_types", "tosca.relationships.ConnectsTo", "properties", "credential",
              "type"), "tosca.datatypes.Credential"),
    ("0123", ("node_types", "tosca.nodes.network.Port", "properties", "order", "default"), 0),
]


@pytest.mark.parametrize("minors, path, expected", SPEC_FACTS)
def test_version_specific_facts(minors, path, expected):
    for minor in minors:
        assert dig(f"tosca_simple_yaml_1_{minor}", *path) == expected, (minor, path)


@pytest.mark.parametrize("version", ["tosca_simple_yaml_1_1", "tosca_simple_yaml_1_2",
                                     "tosca_simple_yaml_1_3"])
def test_container_application_needs_storage_and_network_from_1_1(version):
    requirements = dict(requirement_items(
        load(version)["node_types"]["tosca.nodes.Container.Application"]["requirements"]))
    assert list(requirements) == ["host", "storage", "network"]
    assert requirements["storage"] == {"capability": "tosca.capabilities.Storage"}
    assert requirements["network"] == {"capability": "tosca.capabilities.Endpoint"}


# ---------------------------------------------------------------- oracle: tosca-parser

# tosca-parser's TOSCA_definition.yaml follows the 1.0 spec (it says 1.0.3), so it is the oracle
# of our 1.0 file. Each difference found is listed here with who is right and why; the spec wins.
NON_NORMATIVE = ("tosca-parser ships a type that the spec gives only in its non-normative "
                 "chapter (an example, not a normative type)")
TOSCA_PARSER_ONLY = "tosca-parser's own addition; no Simple Profile version defines it"
TOSCA_PARSER_DIFFERENCES = {
    "artifact_types tosca.artifacts.Deployment.Image.Container.Docker: only tosca-parser":
        NON_NORMATIVE,
    "artifact_types tosca.artifacts.Deployment.Image.VM.ISO: only tosca-parser": NON_NORMATIVE,
    "artifact_types tosca.artifacts.Deployment.Image.VM.QCOW2: only tosca-parser": NON_NORMATIVE,
    "capability_types tosca.capabilities.Container.Docker: only tosca-parser": NON_NORMATIVE,
    "node_types tosca.nodes.Container.Application.Docker: only tosca-parser": NON_NORMATIVE,
    "artifact_types tosca.artifacts.template: only tosca-parser":
        "a later version: the spec adds tosca.artifacts.template in 1.3 (section 5.4.5); our "
        "1.3 file has it",
    "artifact_types tosca.artifacts.template.Jinja2: only tosca-parser": TOSCA_PARSER_ONLY,
    "artifact_types tosca.artifacts.template.Twig: only tosca-parser": TOSCA_PARSER_ONLY,
    "node_types tosca.nodes.network.FloatingIP: only tosca-parser": TOSCA_PARSER_ONLY,
    "policy_types tosca.policies.Monitoring: only tosca-parser": TOSCA_PARSER_ONLY,
    "policy_types tosca.policies.Reservation: only tosca-parser": TOSCA_PARSER_ONLY,
    "interface_types tosca.interfaces.Root: only ours":
        "tosca-parser deviates: spec 1.0 section 5.7 defines tosca.interfaces.Root as the parent "
        "of Standard and Configure",
    "tosca.interfaces.node.lifecycle.Standard derived_from: ours tosca.interfaces.Root, "
    "tosca-parser None": "tosca-parser deviates: spec 1.0 section 5.7 (see tosca.interfaces.Root)",
    "tosca.interfaces.relationship.Configure derived_from: ours tosca.interfaces.Root, "
    "tosca-parser None": "tosca-parser deviates: spec 1.0 section 5.7 (see tosca.interfaces.Root)",
    "tosca.capabilities.network.Bindable derived_from: ours tosca.capabilities.Node, "
    "tosca-parser tosca.capabilities.Root":
        "tosca-parser deviates: spec 1.0 section 5.4.11 derives Bindable from Node",
    "tosca.capabilities.network.Linkable derived_from: ours tosca.capabilities.Node, "
    "tosca-parser tosca.capabilities.Root":
        "tosca-parser deviates: spec 1.0 section 7.5.3 derives Linkable from Node",
    "tosca.datatypes.network.PortDef derived_from: ours integer, "
    "tosca-parser tosca.datatypes.Root":
        "tosca-parser deviates: spec 1.0 section 5.2.5 derives PortDef from the integer "
        "primitive, with an in_range [1, 65535] constraint",
    "tosca.artifacts.Root properties version: only tosca-parser":
        "tosca-parser deviates: spec 1.0 section 5.3.1 gives the root artifact type no property",
    "tosca.nodes.BlockStorage attributes volume_id: only tosca-parser":
        "tosca-parser deviates: spec 1.0 section 5.8.9 has volume_id only as a property",
    "tosca.nodes.network.Network attributes segmentation_id: only ours":
        "tosca-parser deviates: spec 1.0 section 7.5.1 declares the segmentation_id attribute",
    "tosca.relationships.ConnectsTo properties credential: only ours":
        "tosca-parser deviates: spec 1.0 section 5.6.4 declares the optional credential property",
    "tosca.relationships.Root attributes state: only ours":
        "tosca-parser deviates: spec 1.0 section 5.6.1 declares the state attribute "
        "(default initial)",
}


def tosca_parser_definitions() -> dict:
    spec = importlib.util.find_spec("toscaparser")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("tosca-parser is not installed")
    path = Path(spec.submodule_search_locations[0]) / "elements" / "TOSCA_definition.yaml"
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def member_names(definition: dict, section: str) -> set[str]:
    if section == "requirements":
        return {name for name, _ in requirement_items(definition.get("requirements"))}
    return set(definition.get(section) or {})


def differences(ours: dict, theirs: dict) -> set[str]:
    found = set()
    for kind in KINDS:
        mine, other = ours.get(kind) or {}, theirs.get(kind) or {}
        found |= {f"{kind} {name}: only ours" for name in set(mine) - set(other)}
        found |= {f"{kind} {name}: only tosca-parser" for name in set(other) - set(mine)}
        for name in set(mine) & set(other):
            a, b = mine[name] or {}, other[name] or {}
            if a.get("derived_from") != b.get("derived_from"):
                found.add(f"{name} derived_from: ours {a.get('derived_from')}, "
                          f"tosca-parser {b.get('derived_from')}")
            for section in ("properties", "attributes", "capabilities", "requirements"):
                x, y = member_names(a, section), member_names(b, section)
                found |= {f"{name} {section} {m}: only ours" for m in x - y}
                found |= {f"{name} {section} {m}: only tosca-parser" for m in y - x}
    return found


def test_the_1_0_file_agrees_with_tosca_parser_but_for_the_listed_differences():
    found = differences(load("tosca_simple_yaml_1_0"), tosca_parser_definitions())
    assert sorted(found - set(TOSCA_PARSER_DIFFERENCES)) == [], "new, unexplained differences"
    assert sorted(set(TOSCA_PARSER_DIFFERENCES) - found) == [], "listed differences that are gone"


def test_the_oracle_comparison_notices_a_missing_property():
    ours = load("tosca_simple_yaml_1_0")
    trimmed = {**ours, "node_types": {**ours["node_types"]}}
    compute = dict(trimmed["node_types"]["tosca.nodes.Database"])
    compute["properties"] = {k: v for k, v in compute["properties"].items() if k != "port"}
    trimmed["node_types"]["tosca.nodes.Database"] = compute
    found = differences(trimmed, tosca_parser_definitions())
    assert "tosca.nodes.Database properties port: only tosca-parser" in found
