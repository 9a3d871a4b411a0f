"""The positioned YAML reader: same data as PyYAML's SafeLoader, plus a line
and column (from 1) for every key and value, plus located problems."""

from __future__ import annotations

import codecs
import datetime
import math
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, needs_corpus
from primage_tosca.source.reader import ComplexKey, Limits, parse_bytes


def parse(text: str, limits: Limits | None = None):
    raw = text.encode("utf-8")
    return parse_bytes(raw, limits) if limits else parse_bytes(raw)


def rules(parsed) -> list[str]:
    return [p.rule for p in parsed.problems]


# -- positions ------------------------------------------------------------------

BLOCK_AND_FLOW = """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs:
    size: {type: integer, default: 2}
  node_templates:
    server:
      type: tosca.nodes.Compute
      requirements:
        - local_storage: disk
        - [a, b]
"""


@pytest.fixture(scope="module")
def positioned():
    return parse(BLOCK_AND_FLOW)


@pytest.mark.parametrize("path, where", [
    (("tosca_definitions_version",), (1, 1)),
    (("topology_template",), (2, 1)),
    (("topology_template", "inputs"), (3, 3)),
    (("topology_template", "inputs", "size"), (4, 5)),
    (("topology_template", "inputs", "size", "type"), (4, 12)),
    (("topology_template", "inputs", "size", "default"), (4, 27)),
    (("topology_template", "node_templates", "server", "type"), (7, 7)),
    (("topology_template", "node_templates", "server", "requirements", 0, "local_storage"), (9, 11)),
])
def test_key_positions(positioned, path, where):
    assert positioned.keys[path] == where


@pytest.mark.parametrize("path, where", [
    ((), (1, 1)),
    (("tosca_definitions_version",), (1, 28)),
    # a block mapping starts at its first key
    (("topology_template",), (3, 3)),
    # flow mapping: the brace, then each value
    (("topology_template", "inputs", "size"), (4, 11)),
    (("topology_template", "inputs", "size", "type"), (4, 18)),
    (("topology_template", "inputs", "size", "default"), (4, 36)),
    (("topology_template", "node_templates", "server", "type"), (7, 13)),
    # block sequence: the dash; its items where they start
    (("topology_template", "node_templates", "server", "requirements"), (9, 9)),
    (("topology_template", "node_templates", "server", "requirements", 0), (9, 11)),
    (("topology_template", "node_templates", "server", "requirements", 0, "local_storage"), (9, 26)),
    # flow sequence inside a block sequence
    (("topology_template", "node_templates", "server", "requirements", 1), (10, 11)),
    (("topology_template", "node_templates", "server", "requirements", 1, 0), (10, 12)),
    (("topology_template", "node_templates", "server", "requirements", 1, 1), (10, 15)),
])
def test_value_positions(positioned, path, where):
    assert positioned.values[path] == where


def test_every_value_has_a_position(positioned):
    def walk(node, path):
        assert path in positioned.values, path
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, child in children:
            if isinstance(node, dict):
                assert path + (key,) in positioned.keys
            walk(child, path + (key,))

    walk(positioned.data, ())


def test_columns_count_characters_not_bytes():
    parsed = parse("béé: x\nc: [ü, y]\n")
    assert parsed.values[("béé",)] == (1, 6)
    assert parsed.values[("c", 1)] == (2, 8)


def test_positions_in_block_scalars_and_multiline_flow():
    parsed = parse("a: |\n  one\n  two\nb:\n  [1,\n   2]\nc: >-\n  folded\n")
    assert parsed.data == {"a": "one\ntwo\n", "b": [1, 2], "c": "folded"}
    assert parsed.values[("a",)] == (1, 4)
    assert parsed.values[("b", 1)] == (6, 4)
    assert parsed.keys[("c",)] == (7, 1)


def test_positions_survive_a_utf8_bom_and_utf16():
    text = "a: 1\nb: [x, y]\n"
    marked = [
        codecs.BOM_UTF8 + text.encode(),
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ]
    for raw in marked:
        parsed = parse_bytes(raw)
        assert parsed.data == {"a": 1, "b": ["x", "y"]}, raw[:4]
        assert parsed.values[("b", 1)] == (2, 8)


# -- the same data as yaml.safe_load on the whole corpus ---------------------------

def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


class CoreSchemaLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema's tags (the reference for
    TOSCA 2.0 files): true/false only, decimal, 0o and 0x integers, no timestamps."""

    yaml_implicit_resolvers = {}


for _tag, _pattern, _first in [
        ("bool", r"^(true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("int", r"^[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("float", r"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$",
         "-+.0123456789"),
        ("null", r"^(~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("merge", r"^<<$", "<")]:
    CoreSchemaLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


def _core_int(loader, node):
    text = loader.construct_scalar(node)
    sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    return sign * (int(body[2:], 8) if body[:2] == "0o" else int(body[2:], 16) if body[:2] == "0x" else int(body))


CoreSchemaLoader.add_constructor("tag:yaml.org,2002:int", _core_int)


def safe_load(raw: bytes):
    """PyYAML's pure-Python safe loader: the reference (with the YAML 1.2 core schema for a
    file that declares tosca_2_0). Some rejections are ValueError rather than YAMLError (e.g. `!!int x`)."""
    loader = CoreSchemaLoader if re.search(rb"^tosca_definitions_version: *tosca_2_0", raw, re.M) else yaml.SafeLoader
    try:
        return yaml.load(raw, Loader=loader), None
    except Exception as exc:  # noqa: BLE001 - any rejection counts
        return None, exc


@needs_corpus()
@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_same_data_as_safe_load_on_the_corpus(path):
    raw = path.read_bytes()
    expected, error = safe_load(raw)
    parsed = parse_bytes(raw, Limits(max_bytes=50 * 1024 * 1024))
    if error is not None and _read_on_purpose(error):
        assert parsed.ok and not parsed.problems, parsed.problems
        return
    if error is not None:
        assert parsed.problems, f"SafeLoader rejects it ({error}) but we report nothing"
        return
    if expected is None:  # an empty document
        assert "PT103" in rules(parsed)
        return
    assert parsed.data == expected
    assert list(_keys_in_order(parsed.data)) == list(_keys_in_order(expected))


def _read_on_purpose(error: Exception) -> bool:
    """What PyYAML refuses and TOSCA reads: a collection as a mapping key
    (TOSCA 1.3's key_schema, a function call as a key) and a plain '=' (YAML
    1.1's "value" type, plain text to TOSCA)."""
    text = str(error)
    return "unhashable key" in text or "tag:yaml.org,2002:value" in text


def _keys_in_order(node):
    """Every mapping's keys in order, depth first: dict equality ignores order."""
    if isinstance(node, dict):
        yield tuple(node)
        for child in node.values():
            yield from _keys_in_order(child)
    elif isinstance(node, list):
        for child in node:
            yield from _keys_in_order(child)


def test_the_corpus_is_there():
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    assert len(corpus_files()) > 400


# -- YAML 1.1 scalars, as PyYAML reads them ---------------------------------------------

SCALARS = """\
yes_: yes
No_: No
on_: on
OFF_: OFF
y_: y
true_: True
octal: 010
octal_0o: 0o17  # YAML 1.2 only: a string in 1.1
hex: 0x1F
underscores: 1_000
sexagesimal: 1:30
binary: 0b101
plus: +12
not_octal: 09
float: 1.5e+3
not_float: 1e3
inf: -.Inf
tilde: ~
null_word: null
empty:
date: 2002-12-14
stamp: 2001-12-14t21:59:43.10-05:00
quoted: '010'
"""


def test_yaml_11_scalars_like_pyyaml():
    parsed = parse(SCALARS)
    expected = yaml.load(SCALARS, Loader=yaml.SafeLoader)
    assert parsed.problems == []
    assert parsed.data == expected
    data = parsed.data
    assert data["yes_"] is True and data["No_"] is False and data["on_"] is True and data["OFF_"] is False
    assert data["y_"] == "y"
    assert (data["octal"], data["octal_0o"], data["hex"], data["underscores"]) == (8, "0o17", 31, 1000)
    assert (data["sexagesimal"], data["binary"], data["plus"], data["not_octal"]) == (90, 5, 12, "09")
    assert data["float"] == 1500.0 and data["not_float"] == "1e3" and data["inf"] == -math.inf
    assert data["tilde"] is None and data["null_word"] is None and data["empty"] is None
    assert data["date"] == datetime.date(2002, 12, 14)
    assert isinstance(data["stamp"], datetime.datetime)
    assert data["quoted"] == "010"


def test_nan_like_pyyaml():
    parsed = parse("a: .nan\n")
    assert math.isnan(parsed.data["a"])


def test_non_string_keys_like_pyyaml():
    text = "1: a\n1.5: b\nnull: c\n2001-01-01: e\n~: f\n"
    parsed = parse(text)
    assert parsed.data == yaml.load(text, Loader=yaml.SafeLoader)
    # `null:` and `~:` are the same key: a duplicate
    assert rules(parsed) == ["PT102"]


def test_a_null_key_does_not_shift_the_rest_of_the_mapping():
    parsed = parse("a: 1\nnull: 2\nb: 3\n")
    assert parsed.data == {"a": 1, None: 2, "b": 3}
    assert parsed.keys[("b",)] == (3, 1)


def test_empty_key():
    parsed = parse("? \n: x\nb: 1\n")
    assert parsed.data == yaml.safe_load("? \n: x\nb: 1\n") == {None: "x", "b": 1}


# -- explicit tags -----------------------------------------------------------------------

def test_standard_explicit_tags_on_scalars():
    text = "a: !!str 12\nb: !!int '7'\nc: !!float '3'\nd: !!bool 'yes'\ne: !!null ''\nf: ! 12\ng: !!binary aGk=\n"
    parsed = parse(text)
    assert parsed.problems == []
    assert parsed.data == yaml.load(text, Loader=yaml.SafeLoader)
    assert parsed.data["a"] == "12" and parsed.data["g"] == b"hi"


@pytest.mark.parametrize("tag", ["!!set", "!!map", "!!seq", "!!omap", "!!pairs"])
def test_collection_tags_on_scalars_are_a_problem(tag):
    parsed = parse(f"a: {tag} x\nb: {tag}\n")
    assert rules(parsed) == ["PT108", "PT108"]
    assert parsed.data == {"a": "x", "b": ""}  # strings, never PyYAML's generator objects


def test_explicit_map_and_seq_tags_are_plain():
    parsed = parse("a: !!map {x: 1}\nb: !!seq [1]\n")
    assert parsed.problems == [] and parsed.data == {"a": {"x": 1}, "b": [1]}


@pytest.mark.parametrize("text", ["a: !foo 1\n", "a: !!python/object:os.system ls\n", "a: !Ref x\n"])
def test_unknown_scalar_tag_is_a_problem_and_reads_as_string(text):
    parsed = parse(text)
    assert rules(parsed) == ["PT108"]
    problem = parsed.problems[0]
    assert (problem.line, problem.column) == (1, 4) and problem.path == ("a",)
    assert isinstance(parsed.data["a"], str)


@pytest.mark.parametrize("text", [
    "a: !foo {x: 1}\n",      # PyYAML: no constructor
    "a: !foo [1]\n",
    "a: !!str [1]\n",        # PyYAML: expected a scalar node
    "a: !!int {x: 1}\n",
    "a: !!set {x, y}\n",     # PyYAML builds a set; we cannot
    "a: !!omap [x: 1]\n",    # PyYAML builds pairs; we cannot
])
def test_tags_on_collections_are_a_problem(text):
    parsed = parse(text)
    assert rules(parsed) == ["PT108"]
    assert (parsed.problems[0].line, parsed.problems[0].column) == (1, 4)
    assert parsed.data is not None


@pytest.mark.parametrize("text", ["a: !!int x\n", "a: !!int\n", "a: !!float ''\n", "a: !!bool x\n",
                                  "a: !!timestamp x\n"])
def test_a_value_that_does_not_fit_its_tag(text):
    parsed = parse(text)  # PyYAML's constructors raise IndexError, KeyError... on these: never us
    assert rules(parsed) == ["PT100"]
    assert (parsed.problems[0].line, parsed.problems[0].column) == (1, 4)
    assert isinstance(parsed.data["a"], str)


# -- duplicate keys ----------------------------------------------------------------------

def test_duplicate_key_names_both_positions():
    parsed = parse("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n")
    assert parsed.data == {"a": 1, "b": {"c": 3, "d": 2}}  # the last wins, as in PyYAML
    [problem] = parsed.problems
    assert problem.rule == "PT102"
    assert (problem.line, problem.column) == (5, 3)  # the second
    assert "first at line 3" in problem.message  # the first
    assert problem.path == ("b", "c")


def test_duplicate_keys_in_flow_style():
    parsed = parse("a: {x: 1, x: 2}\n")
    [problem] = parsed.problems
    assert (problem.rule, problem.line, problem.column) == ("PT102", 1, 11)
    assert "first at line 1" in problem.message


def test_three_equal_keys_give_two_problems():
    parsed = parse("a: 1\na: 2\na: 3\n")
    assert rules(parsed) == ["PT102", "PT102"]
    assert parsed.data == {"a": 3}


def test_keys_equal_only_as_values_are_duplicates():
    parsed = parse("1: a\n0x1: b\n")  # both read as the int 1
    assert rules(parsed) == ["PT102"]


# -- anchors, aliases, merge keys ------------------------------------------------------------

def test_anchors_and_aliases_share_the_value():
    text = "base: &b {cpu: 1, mem: 2 GB}\nnodes:\n  - *b\n  - *b\nname: &n x\nother: *n\n"
    parsed = parse(text)
    assert parsed.data == yaml.safe_load(text)
    assert parsed.data["nodes"][0] is parsed.data["base"]
    # an alias is located where it is written
    assert parsed.values[("nodes", 1)] == (4, 5)


def test_merge_key_explicit_keys_win_and_order_is_pyyaml_s():
    text = "base: &b {x: 1, y: 2}\nd:\n  z: 0\n  <<: *b\n  y: 3\n"
    parsed = parse(text)
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    assert parsed.data == expected == {"base": {"x": 1, "y": 2}, "d": {"x": 1, "y": 3, "z": 0}}
    assert list(parsed.data["d"]) == list(expected["d"])
    assert parsed.problems == []
    # merged keys are located at the merge; explicit ones where written
    assert parsed.values[("d", "x")] == (4, 7)
    assert parsed.values[("d", "y")] == (5, 6)


def test_merge_key_with_a_list_of_mappings():
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 0\n"
    parsed = parse(text)
    assert parsed.data == yaml.load(text, Loader=yaml.SafeLoader)
    assert parsed.data["c"] == {"x": 1, "y": 2, "z": 0}


def test_merged_mapping_keeps_its_anchor():
    text = "a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc: *b\n"
    parsed = parse(text)
    assert parsed.data["c"] == {"x": 1, "y": 2}


@pytest.mark.parametrize("text", ["a: {<<: 5}\n", "a: {<<: [1, 2]}\n"])
def test_merge_of_a_non_mapping_is_a_problem(text):
    parsed = parse(text)
    assert set(rules(parsed)) == {"PT108"}


def test_quoted_merge_key_is_a_plain_key():
    text = "a: {'<<': {x: 1}}\n"
    parsed = parse(text)
    assert parsed.data == yaml.safe_load(text) == {"a": {"<<": {"x": 1}}}


def test_an_anchored_key_can_be_aliased():
    text = "&k name: 1\nother: *k\n"
    parsed = parse(text)
    assert parsed.problems == [] and parsed.data == yaml.safe_load(text) == {"name": 1, "other": "name"}


@pytest.mark.parametrize("text, line", [("a: &x 1\nb: &x 2\nc: *x\n", 2), ("a: &x [1]\nb: &x {c: 2}\n", 2),
                                        ("a: &x [&x 1]\n", 1)])
def test_an_anchor_defined_twice_is_a_problem_as_pyyaml_refuses_it(text, line):
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    parsed = parse(text)
    [problem] = parsed.problems
    assert problem.rule == "PT100" and "defined twice" in problem.message and problem.line == line


def test_undefined_alias():
    parsed = parse("a: *nowhere\n")
    assert rules(parsed) == ["PT100"]
    assert "names no anchor" in parsed.problems[0].message


def test_recursive_alias_is_a_problem_not_a_hang():
    parsed = parse("a: &a [1, *a]\n")
    assert rules(parsed) == ["PT100"]
    assert "contains it" in parsed.problems[0].message
    assert (parsed.problems[0].line, parsed.problems[0].column) == (1, 11)


def test_a_collection_may_be_a_key():
    parsed = parse("? [a, b]\n: {deep: 1}\nc: 2\n{ concat: [x, y] }: 3\n")
    assert parsed.data == {ComplexKey(["a", "b"]): {"deep": 1}, "c": 2, ComplexKey({"concat": ["x", "y"]}): 3}
    assert rules(parsed) == []
    key = next(iter(parsed.data))
    assert key.value == ["a", "b"] and str(key) == "['a', 'b']"
    alias_key = parse("a: &a [1]\n*a : 2\nc: 3\n")
    assert alias_key.data == {"a": [1], ComplexKey([1]): 2, "c": 3}
    twice = parse("[1]: a\n[1]: b\n")
    assert rules(twice) == ["PT102"]


def test_a_plain_equals_sign_is_text():
    assert parse("token: [ ip=192.0.2.2, =, 1 ]\n").data == {"token": ["ip=192.0.2.2", "=", 1]}


# -- limits ---------------------------------------------------------------------------------

def test_size_limit_is_checked_first():
    parsed = parse_bytes(b"a: 1\n" * 100, Limits(max_bytes=100))
    assert rules(parsed) == ["PT104"] and parsed.data is None


def test_depth_limit():
    parsed = parse("a: " + "[" * 30 + "]" * 30 + "\n", Limits(max_depth=10))
    assert rules(parsed) == ["PT107"]
    assert parsed.problems[0].line == 1 and parsed.problems[0].column > 1


def test_node_limit_counts_alias_expansion():
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    assert parse(text).problems == []
    parsed = parse(text, Limits(max_nodes=100))
    assert rules(parsed) == ["PT106"]
    assert parsed.problems[0].line == 2


# -- documents -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["%YAML 1.1\n---\na: 1\n", "--- \na: 1\n...\n"])
def test_one_explicit_document_is_fine(text):
    parsed = parse(text)
    assert parsed.data == {"a": 1} and parsed.problems == []


def test_second_document_is_located():
    parsed = parse("a: 1\n---\nb: 2\n")
    [problem] = parsed.problems
    assert (problem.rule, problem.line, problem.column) == ("PT108", 2, 1)


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n  # comments\n", "---\n", "~\n", "null\n"])
def test_empty_documents(text):
    parsed = parse(text)
    assert rules(parsed) == ["PT103"] and not parsed.ok


def test_syntax_error_is_located():
    parsed = parse("a: 1\nb: [x, y\nc: 3\n")
    [problem] = parsed.problems
    assert problem.rule == "PT100"
    assert problem.line >= 2


def test_control_character_is_located_in_characters():
    parsed = parse_bytes("a: 1\nb: éé\x07\n".encode())
    [problem] = parsed.problems
    assert (problem.rule, problem.line, problem.column) == ("PT105", 2, 6)
    assert "U+0007" in problem.message


def test_control_character_line_after_many_multibyte_characters():
    parsed = parse_bytes(("é" * 50 + ": 1\nx: \x07\n").encode())
    [problem] = parsed.problems
    assert (problem.line, problem.column) == (2, 4)


def test_parse_is_deterministic_and_does_not_share_state():
    first, second = parse(BLOCK_AND_FLOW), parse(BLOCK_AND_FLOW)
    assert first.data == second.data and first.values == second.values
    assert first.data is not second.data


# -- differential: random YAML against PyYAML ----------------------------------------------------

_REFERENCE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same scanner as ours, so only building differs

_PIECES = st.sampled_from(
    list("ab:-[]{},&*!<>?#|'\"\n ~.019eyYnN_%@\\") +
    ["<<", "yes", "null", "0x1", "1:2", "!!str ", "!!int ", "!foo ", "&a ", "*a", "- ", ": ", "\n  ", "\n    ",
     "---", "...", "é", "? ", "!!set ", "!!binary "])

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                     st.floats(allow_nan=False), st.sampled_from(["yes", "no", "010", "1:30", "~", "<<", "- x"]))
_TREES = st.recursive(_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=30))
def test_random_yaml_reads_like_pyyaml_or_is_a_problem(pieces):
    text = "".join(pieces)
    try:
        expected, error = yaml.load(text, Loader=_REFERENCE), None
    except RecursionError:
        return
    except Exception as exc:  # noqa: BLE001 - any rejection counts
        expected, error = None, exc
    parsed = parse(text)
    for problem in parsed.problems:
        assert problem.line >= 1 and problem.column >= 1
    if error is not None and _read_on_purpose(error):
        return
    if error is not None:
        assert parsed.problems, f"PyYAML rejects {text!r} ({error}) but we report nothing"
    elif expected is not None and not parsed.problems:
        assert repr(parsed.data) == repr(expected), text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(st.text(min_size=1, max_size=8), _TREES, min_size=1, max_size=5),
       flow=st.sampled_from([None, True, False]))
def test_dumped_data_reads_back_with_a_position_for_every_value(tree, flow):
    text = yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True)
    parsed = parse(text)
    assert parsed.problems == []
    assert parsed.data == yaml.load(text, Loader=_REFERENCE)  # not `tree`: PyYAML itself mangles '\x85'

    def walk(node, path):
        line, column = parsed.values[path]
        assert 1 <= line <= len(text.splitlines()) + 1 and column >= 1  # YAML breaks lines at \x85 too
        if isinstance(node, dict):
            for key, child in node.items():
                assert path + (key,) in parsed.keys
                walk(child, path + (key,))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, path + (index,))

    walk(parsed.data, ())


@pytest.mark.parametrize("text, empty", [
    ("", True), ("  \n\t\n", True), ("# only\n   # comments\n", True), ("# a\r# b\r", True),
    ("\u2028# a\u2029  # b", True), ("# a\rkey: v\r", False), ("\n\n  key: v", False), ("# a\n  - 1\n", False),
])
def test_a_file_of_blank_lines_and_comments_is_empty(text, empty):
    parsed = parse_bytes(text.encode("utf-8"))
    assert ("PT103" in rules(parsed)) is empty


def test_a_tosca_2_0_file_is_read_as_yaml_1_2():
    """The core schema: only true/false are booleans; 1:20, dates, yes/on are text; 010 is ten,
    0o17 and 0x1F integers, 1e3 a float. A 1.x file keeps YAML 1.1's reading."""
    text = ("tosca_definitions_version: tosca_2_0\n"
            "a: [yes, no, on, off, y, True, false, 1:20, 2020-01-01, 010, 0o17, 0x1F, 1e3, .inf, ~, =]\n"
            "on: key\n")
    data = parse_bytes(text.encode()).data
    assert data["a"][:10] == ["yes", "no", "on", "off", "y", True, False, "1:20", "2020-01-01", 10]
    assert data["a"][10:13] == [15, 31, 1000.0] and math.isinf(data["a"][13]) and data["a"][14:] == [None, "="]
    assert data["on"] == "key"
    old = parse_bytes(text.replace("tosca_2_0", "tosca_simple_yaml_1_3").encode()).data
    assert old["a"][:4] == [True, False, True, False] and old["a"][7] == 80 and old[True] == "key"
