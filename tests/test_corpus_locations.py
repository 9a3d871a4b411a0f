"""Every finding on the corpus sits where its construct is written.

The oracle is independent of our reader: PyYAML composes each file into
nodes with marks, and a finding's path is walked through them. A finding
with a path must be at the deepest part of that path the file writes (the
key or its value), never at the top of the file because the path named a
construct the file does not have; a finding without a path is either about
the whole file (1:1) or a YAML problem with a place of its own. Run over the
INDIGO examples, tosca-parser's samples and the OASIS TOSCA 2.0 cases, and
over mutations of them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from conftest import CORPUS, IMPORT_MAP, INDIGO_EXAMPLES, needs_corpus
from primage_tosca.api import load_options
from primage_tosca.source.document import ParseCache
from primage_tosca.validation import validate

pytestmark = [needs_corpus(), pytest.mark.corpus]

SAMPLES = CORPUS / "tosca-parser-samples" / "samples"
OASIS_2_0 = CORPUS / "oasis-tosca-2.0"
CACHE = ParseCache()
# Findings about the reading itself: they carry the position of the YAML problem, not a template path.
READER_RULES = {"PT100", "PT101", "PT102", "PT103", "PT104", "PT105", "PT106", "PT107", "PT108", "PT109"}


def corpus_files() -> list[Path]:
    found = sorted(p for p in INDIGO_EXAMPLES.glob("*.y*ml")) if INDIGO_EXAMPLES.is_dir() else []
    if SAMPLES.is_dir():
        found += sorted(p for p in SAMPLES.rglob("*.y*ml") if "csar" not in p.parts)
    if OASIS_2_0.is_dir():  # the 2.0 grammar places its findings by the same rule
        found += sorted(OASIS_2_0.rglob("*.yaml"))
    return found


class _MarkedAliases(Composer):
    """A composer that keeps an alias as a node of its own, at the alias's place."""

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.get_event()
            return ScalarNode("alias", event.anchor, event.start_mark, event.end_mark)
        return super().compose_node(parent, index)


class _Loader(yaml.SafeLoader, _MarkedAliases):
    pass


def compose(text: str):
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None


def _child(node, step):
    """(key node, value node) for a step of a path, or None. Of keys written
    twice the last one counts, as in every YAML loader the template's readers use."""
    if isinstance(node, MappingNode):
        for key, value in reversed(node.value):
            if isinstance(key, ScalarNode) and key.value == str(step):
                return key, value
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return None, node.value[step]
    return None


def written_places(root, path: tuple) -> tuple[int, set[tuple[int, int]]]:
    """How many steps of ``path`` the file writes, and where the last written one is (key, value)."""
    node, places, depth = root, {(1, 1)}, 0
    for step in path:
        found = _child(node, step)
        if found is None:
            break
        key, node = found
        depth += 1
        places = {(node.start_mark.line + 1, node.start_mark.column + 1)}
        if key is not None:
            places.add((key.start_mark.line + 1, key.start_mark.column + 1))
        if node.tag == "alias":
            break
    return depth, places


def misplaced(report, documents: dict[str, object]) -> list[str]:
    wrong = []
    for d in report.diagnostics:
        root = documents.get(d.file)
        if root is None or d.rule in READER_RULES:
            continue
        if not d.path:
            if (d.line, d.column) != (1, 1) and d.rule not in READER_RULES:
                wrong.append(f"{d.rule} {d.line}:{d.column} without a path: {d.message}")
            continue
        depth, places = written_places(root, tuple(d.path))
        if depth == 0 and d.path[0] not in _top_keys(root):
            wrong.append(f"{d.rule} {d.dotted_path}: the file writes none of this path: {d.message}")
        elif (d.line, d.column) not in places:
            wrong.append(f"{d.rule} at {d.line}:{d.column}, written at {sorted(places)} ({d.dotted_path}): "
                         f"{d.message}")
    return wrong


def _top_keys(root) -> set[str]:
    return {k.value for k, _ in root.value} if isinstance(root, MappingNode) else set()


def check(path: Path, text: str | None = None, tmp_path: Path | None = None) -> list[str]:
    if text is not None:
        target = tmp_path / path.name
        target.write_text(text, encoding="utf-8")
        path = target
    options = load_options(import_map=str(IMPORT_MAP), use_config=False, parse_cache=CACHE,
                           roots=[str(path.parent), str(CORPUS)])
    report = validate(str(path), options)
    documents = {}
    for file in {d.file for d in report.diagnostics}:
        if Path(file).is_file():
            documents[file] = compose(Path(file).read_text(encoding="utf-8", errors="replace"))
    return misplaced(report, documents)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_finding_is_where_its_construct_is_written(path):
    assert check(path) == []


def _mutants(text: str, seed: int) -> list[str]:
    """Small edits a careless author makes: a key misspelt, a value's type
    changed, a line dropped."""
    lines = text.splitlines()
    rng = random.Random(seed)
    out = []
    for _ in range(3):
        edited = list(lines)
        index = rng.randrange(len(edited))
        line = edited[index]
        choice = rng.randrange(3)
        if choice == 0 and ":" in line:
            head, _, tail = line.partition(":")
            edited[index] = f"{head}x:{tail}"
        elif choice == 1 and ":" in line:
            head, _, _ = line.partition(":")
            edited[index] = f"{head}: [1, 2]"
        else:
            del edited[index]
        out.append("\n".join(edited) + "\n")
    return out


@pytest.mark.parametrize("path", corpus_files()[::4], ids=lambda p: str(p.relative_to(CORPUS)))
def test_findings_on_mutated_files_are_where_they_are_written(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    for number, mutant in enumerate(_mutants(text, hash(path.name) & 0xFFFF)):
        assert check(path, mutant, tmp_path) == [], f"mutant {number}:\n{mutant}"


def test_the_oracle_catches_a_misplaced_finding(tmp_path):
    from types import SimpleNamespace

    from primage_tosca import catalog
    from primage_tosca.diagnostics import Location

    text = "tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n" \
           "    a:\n      type: tosca.nodes.Root\n"
    file = str(tmp_path / "t.yaml")
    path = ("topology_template", "node_templates", "a", "type")
    right = catalog.make("PT310", "x", Location(file, 5, 13), path)
    wrong = catalog.make("PT310", "x", Location(file, 1, 1), path)
    absent = catalog.make("PT310", "x", Location(file, 1, 1), ("nothing_here",))
    documents = {file: compose(text)}
    assert misplaced(SimpleNamespace(diagnostics=[right]), documents) == []
    assert len(misplaced(SimpleNamespace(diagnostics=[wrong, absent]), documents)) == 2
