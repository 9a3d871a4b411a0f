"""Mutated real templates: whatever we do to a template's data or text,
validate() returns a report and every diagnostic is located."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, IMPORT_MAP, INDIGO_EXAMPLES, needs_corpus
from primage_tosca.api import load_options
from primage_tosca.source.document import ParseCache
from primage_tosca.validation import validate

pytestmark = [needs_corpus(), pytest.mark.corpus]

SEED_NAMES = [
    INDIGO_EXAMPLES / "disvis.yaml",
    INDIGO_EXAMPLES / "galaxy_elastic_cluster.yaml",
    INDIGO_EXAMPLES / "kubernetes_cluster.yaml",
    INDIGO_EXAMPLES / "node_with_ssh_port.yaml",
    INDIGO_EXAMPLES / "web_mysql_tosca.yaml",
    CORPUS / "tosca-parser-samples" / "samples" / "tests" / "data" / "tosca_single_instance_wordpress.yaml",
    # TOSCA 2.0: the 2.0 grammar must hold the same promises
    CORPUS / "oasis-tosca-2.0" / "requirement-assignment-grammar" / "requirement-assignment-full.yaml",
    CORPUS / "oasis-tosca-2.0" / "schema-definition" / "schema-definition.yaml",
    CORPUS / "oasis-tosca-2.0" / "function-definitions" / "s110.yaml",
    CORPUS / "oasis-tosca-2.0" / "node-type" / "all_elements.yaml",
]
SEEDS = {path.name: path.read_bytes() for path in SEED_NAMES if path.is_file()}
CACHE = ParseCache()  # the imported libraries are parsed once for all examples


# -- mutations of the data ------------------------------------------------------------------

def paths_in(node, prefix=()) -> list[tuple]:
    """Every key and index path below ``node``."""
    found = []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found.append(prefix + (key,))
        found.extend(paths_in(child, prefix + (key,)))
    return found


def container_of(data, path):
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


REPLACEMENTS = [None, 0, 7, -1, 3.5, True, "", "text", "tosca.nodes.Compute", [], ["a", 1], {}, {"k": "v"},
                {"get_input": "nowhere"}, {"type": None}]


@st.composite
def mutated_data(draw, data):
    for _ in range(draw(st.integers(1, 4))):
        paths = paths_in(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = container_of(data, path)
        if draw(st.booleans()):
            del parent[path[-1]]  # drop a key or an item
        else:
            # str <-> int <-> list <-> dict <-> None; a copy, as later mutations may change it
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(REPLACEMENTS)))
    return data


# -- mutations of the text ------------------------------------------------------------------

def truncate(raw: bytes, at: int) -> bytes:
    return raw[: at % (len(raw) + 1)]


def duplicate_line(raw: bytes, at: int) -> bytes:
    lines = raw.splitlines(keepends=True) or [b""]
    index = at % len(lines)
    return b"".join(lines[: index + 1] + lines[index:])


def insert_tab(raw: bytes, at: int) -> bytes:
    lines = raw.splitlines(keepends=True) or [b""]
    index = at % len(lines)
    lines[index] = b"\t" + lines[index].lstrip(b" ")
    return b"".join(lines)


def swap_bytes(raw: bytes, at: int) -> bytes:
    """Replace one byte with one that is often illegal here (quote, colon, NUL, 0xff)."""
    index = at % max(len(raw), 1)
    return raw[:index] + b"\":\x00\xff"[at % 4: at % 4 + 1] + raw[index + 1:]


TEXT_MUTATIONS = [truncate, duplicate_line, insert_tab, swap_bytes]


@st.composite
def mutated_template(draw) -> bytes:
    name = draw(st.sampled_from(sorted(SEEDS)))
    raw = SEEDS[name]
    if draw(st.booleans()):
        data = draw(mutated_data(yaml.safe_load(raw)))
        raw = yaml.safe_dump(data, sort_keys=False).encode("utf-8")
    for _ in range(draw(st.integers(0, 3))):
        mutation = draw(st.sampled_from(TEXT_MUTATIONS))
        raw = mutation(raw, draw(st.integers(0, 1 << 20)))
    return raw


def check_report(report) -> None:
    assert report.files
    for diagnostic in report.diagnostics:
        assert diagnostic.file, diagnostic
        assert isinstance(diagnostic.line, int) and diagnostic.line >= 1, diagnostic
        assert isinstance(diagnostic.column, int) and diagnostic.column >= 1, diagnostic
        assert diagnostic.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated_template())
def test_mutated_templates_give_located_diagnostics(raw):
    options = load_options(import_map=str(IMPORT_MAP), use_config=False, parse_cache=CACHE)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        path.write_bytes(raw)
        report = validate(str(path), options)  # must not raise
    check_report(report)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=400))
def test_random_bytes_give_located_diagnostics(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "noise.yaml"
        path.write_bytes(b"tosca_definitions_version: tosca_simple_yaml_1_0\n" + raw)
        report = validate(str(path), load_options(use_config=False, parse_cache=CACHE))
    check_report(report)


def test_the_seeds_are_there():
    assert len(SEEDS) >= 5
