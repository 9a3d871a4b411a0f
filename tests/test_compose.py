"""Fragments: templates naming parents in metadata.parents, merged by name,
every piece located in the file it came from."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import FIXTURES
from primage_tosca.imports.compose import MAX_PARENT_DEPTH, MAX_PARENT_LOADS, ComposedDocument
from primage_tosca.imports.template import LoadOptions, load_template
from primage_tosca.source.document import ParseCache
from primage_tosca.validation import validate

FRAGMENTS = FIXTURES / "fragments"
HEADER = "tosca_definitions_version: tosca_simple_yaml_1_0\n"
INPUTS = ("topology_template", "inputs")
NODES = ("topology_template", "node_templates")
OUTPUTS = ("topology_template", "outputs")


def options() -> LoadOptions:
    return LoadOptions(cache=ParseCache())


def load(name: str, opts: LoadOptions | None = None):
    return load_template(str(FRAGMENTS / name), opts or options())


def where(template, *path) -> tuple[str, int, int]:
    location = template.locate(path)
    return os.path.basename(location.file), location.line, location.column


def pt330(diagnostics) -> list:
    return [d for d in diagnostics if d.rule == "PT330"]


# -- merging -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fragment():
    return load("fragment.yaml")


def test_fragment_is_composed(fragment):
    assert isinstance(fragment.document, ComposedDocument)
    assert fragment.diagnostics == []
    assert fragment.complete


def test_inputs_merge_by_name_and_the_fragment_wins(fragment):
    assert set(fragment.inputs) == {"cpus", "mem", "flavour", "workers"}
    assert fragment.inputs["mem"]["default"] == "8 GB"  # the fragment's
    assert fragment.inputs["cpus"]["default"] == 2  # inherited


def test_node_templates_merge_by_name_whole(fragment):
    assert set(fragment.node_templates) == {"server", "db", "worker", "broken"}
    # a node template is replaced whole, not merged key by key
    assert set(fragment.node_templates["server"]["properties"]) == {"cpus", "mem"}


def test_outputs_merge_by_name(fragment):
    assert set(fragment.outputs) == {"server_ip", "worker_ip"}


def test_imports_are_added(fragment):
    assert fragment.data["imports"] == ["lib/parent_types.yaml", "lib/fragment_types.yaml"]
    # both import sets are loaded: the parent's with the parent, the fragment's with it
    loaded = {os.path.basename(d.file) for d in fragment.all_documents()}
    assert {"parent_types.yaml", "fragment_types.yaml", "parent.yaml", "fragment.yaml"} <= loaded
    assert fragment.dialect is not None and fragment.complete


def test_fragment_metadata_does_not_replace_the_parent_s(fragment):
    assert "parents" not in (fragment.data.get("metadata") or {})


def test_positions_point_into_the_file_each_piece_came_from(fragment):
    assert where(fragment, *NODES, "worker") == ("fragment.yaml", 23, 7)
    assert where(fragment, *NODES, "server", "properties", "mem") == ("fragment.yaml", 21, 14)
    assert where(fragment, *NODES, "db") == ("parent.yaml", 23, 7)
    assert where(fragment, *INPUTS, "cpus", "default") == ("parent.yaml", 9, 16)
    assert where(fragment, *INPUTS, "mem", "default") == ("fragment.yaml", 12, 16)
    assert where(fragment, *OUTPUTS, "server_ip") == ("parent.yaml", 26, 7)
    assert where(fragment, *OUTPUTS, "worker_ip") == ("fragment.yaml", 30, 7)


def test_key_positions_too(fragment):
    location = fragment.locate(NODES + ("worker",), key=True)
    assert (os.path.basename(location.file), location.line, location.column) == ("fragment.yaml", 22, 5)
    location = fragment.locate(INPUTS + ("flavour",), key=True)
    assert (os.path.basename(location.file), location.line, location.column) == ("parent.yaml", 13, 5)


def test_diagnostics_of_merged_pieces_are_located_in_their_files():
    report = validate(str(FRAGMENTS / "fragment.yaml"), options())
    found = {(d.rule, os.path.basename(d.file), d.line, d.column) for d in report.diagnostics}
    # an unknown node type in a node template the fragment adds
    assert ("PT310", "fragment.yaml", 27, 13) in found
    # an unknown data type in an input inherited from the parent
    assert ("PT313", "parent.yaml", 14, 13) in found
    # types come from the parent's imports and the fragment's
    assert not [d for d in report.diagnostics if d.rule == "PT310" and "example.nodes" in d.message]
    assert not pt330(report.diagnostics)


def test_composing_does_not_change_the_parent():
    shared = options()  # the parent's parse is shared between the two loads
    load("fragment.yaml", shared)
    parent = load("parent.yaml", shared)
    assert set(parent.node_templates) == {"server", "db"}
    assert parent.inputs["mem"]["default"] == "2 GB"
    assert "flavour" in parent.node_templates["server"]["properties"]
    assert parent.data["imports"] == ["lib/parent_types.yaml"]


def test_parent_files_are_named_like_the_fragment(monkeypatch):
    monkeypatch.chdir(FRAGMENTS)
    report = validate("fragment.yaml", options())
    assert {d.file for d in report.diagnostics} == {"fragment.yaml", "parent.yaml"}


# -- two and nested parents ---------------------------------------------------------------------

def test_two_parents_later_wins():
    template = load("two_parents.yaml")
    assert set(template.node_templates) == {"server", "db", "cache", "extra"}
    assert template.node_templates["db"]["type"] == "example.nodes.Database"  # second parent's
    assert template.inputs["mem"]["default"] == "4 GB"
    assert set(template.inputs) == {"cpus", "mem", "flavour", "region"}
    assert where(template, *NODES, "db")[0] == "second_parent.yaml"
    assert where(template, *NODES, "server")[0] == "parent.yaml"
    assert where(template, *NODES, "extra")[0] == "two_parents.yaml"
    assert where(template, *INPUTS, "cpus")[0] == "parent.yaml"
    # the second parent's node type is known
    report = validate(str(FRAGMENTS / "two_parents.yaml"), options())
    assert not [d for d in report.diagnostics if d.rule == "PT310"]


def test_nested_parents():
    template = load("nested/leaf.yaml")
    assert template.inputs["level"]["default"] == "leaf"
    assert set(template.node_templates) == {"base", "middle", "leaf"}
    assert where(template, *INPUTS, "old", "default") == ("grandparent.yaml", 9, 16)
    assert where(template, *INPUTS, "level", "default") == ("leaf.yaml", 8, 16)
    assert where(template, *NODES, "middle") == ("middle.yaml", 11, 7)
    assert where(template, *NODES, "base")[0] == "grandparent.yaml"
    assert len(template.parent_sources) == 2
    report = validate(str(FRAGMENTS / "nested" / "leaf.yaml"), options())
    located = {(d.rule, os.path.basename(d.file), d.line) for d in report.diagnostics}
    assert ("PT310", "middle.yaml", 11) in located


def test_a_template_without_parents_is_itself():
    template = load("parent.yaml")
    assert template.document is template.sources.root
    assert template.parent_sources == []


# -- problems ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, says", [
    ("bad/missing_parent.yaml", "not found"),
    ("bad/self_parent.yaml", "names itself"),
    ("bad/parents_not_names.yaml", "must be a file name"),
    ("bad/broken_parent.yaml", "cannot be read"),
])
def test_parent_problems_are_pt330_at_the_parents_key(name, says):
    report = validate(str(FRAGMENTS / name), options())
    [problem] = pt330(report.diagnostics)
    assert says in problem.message
    assert (os.path.basename(problem.file), problem.line, problem.column) == (os.path.basename(name), 3, 12)
    assert not [d for d in report.diagnostics if d.rule == "PT900"]


def test_missing_parent_has_a_hint():
    [problem] = pt330(validate(str(FRAGMENTS / "bad" / "missing_parent.yaml"), options()).diagnostics)
    assert "relative to the fragment's folder" in problem.hint


def test_broken_parent_reports_its_own_syntax_error():
    report = validate(str(FRAGMENTS / "bad" / "broken_parent.yaml"), options())
    assert [(os.path.basename(d.file), d.line) for d in report.diagnostics if d.rule == "PT100"] == \
        [("unparsable.yaml", 3)]


def test_cycle_of_parents():
    started = time.perf_counter()
    report = validate(str(FRAGMENTS / "bad" / "cycle_a.yaml"), options())
    assert time.perf_counter() - started < 5
    [problem] = pt330(report.diagnostics)
    assert "parent cycle" in problem.message
    assert "cycle_a.yaml -> " in problem.message and problem.message.endswith("cycle_a.yaml")
    assert os.path.basename(problem.file) == "cycle_b.yaml"


def write(folder: Path, name: str, parents: list[str], node: str) -> Path:
    path = folder / name
    listed = ", ".join(parents)
    path.write_text(HEADER + f"metadata:\n  parents: [{listed}]\n"
                    f"topology_template:\n  node_templates:\n    {node}:\n      type: tosca.nodes.Compute\n")
    return path


def test_files_naming_each_other_as_parents_stay_bounded(tmp_path):
    """Each of three files names the other two: without a cycle check the
    composition branches at every level."""
    names = ["a.yaml", "b.yaml", "c.yaml"]
    for name in names:
        write(tmp_path, name, [n for n in names if n != name], name[0])
    started = time.perf_counter()
    report = validate(str(tmp_path / "a.yaml"), options())
    assert time.perf_counter() - started < 5
    assert pt330(report.diagnostics)
    assert all("parent cycle" in d.message for d in pt330(report.diagnostics))


def test_a_wide_web_of_parents_is_cut_off(tmp_path):
    """Two files per level, each naming both files of the next level: a DAG
    with 2**16 paths, no cycle. The parent budget stops it."""
    levels = MAX_PARENT_DEPTH
    for level in range(levels):
        below = [f"l{level + 1}a.yaml", f"l{level + 1}b.yaml"] if level + 1 < levels else []
        for side in "ab":
            if below:
                write(tmp_path, f"l{level}{side}.yaml", below, f"n{level}{side}")
            else:
                (tmp_path / f"l{level}{side}.yaml").write_text(HEADER)
    started = time.perf_counter()
    report = validate(str(tmp_path / "l0a.yaml"), options())
    assert time.perf_counter() - started < 5
    assert any(f"more than {MAX_PARENT_LOADS} parent templates" in d.message for d in pt330(report.diagnostics))


def test_parents_nested_too_deep(tmp_path):
    depth = MAX_PARENT_DEPTH + 3
    for level in range(depth):
        parents = [f"p{level + 1}.yaml"] if level + 1 < depth else []
        if parents:
            write(tmp_path, f"p{level}.yaml", parents, f"n{level}")
        else:
            (tmp_path / f"p{level}.yaml").write_text(HEADER)
    report = validate(str(tmp_path / "p0.yaml"), options())
    assert any("deeper than" in d.message for d in pt330(report.diagnostics))
    assert not [d for d in report.diagnostics if d.rule == "PT900"]


def test_parents_outside_the_roots_are_refused(tmp_path):
    outside = tmp_path / "outside"
    inside = tmp_path / "project"
    outside.mkdir()
    inside.mkdir()
    (outside / "base.yaml").write_text("tosca_definitions_version: tosca_simple_yaml_1_0\n"
                                       "topology_template:\n  node_templates: {}\n")
    fragment = inside / "fragment.yaml"
    fragment.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\n"
                        "metadata:\n  parents: [../outside/base.yaml]\n")
    problems = pt330(validate(fragment).diagnostics)
    assert problems and "outside the allowed roots" in problems[0].message
    from primage_tosca.api import load_options

    allowed = validate(fragment, options=load_options(roots=[tmp_path], use_config=False))
    assert not pt330(allowed.diagnostics)
