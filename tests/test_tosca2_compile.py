"""TOSCA 2.0 templates compile like their 1.x twins: the same RADL, EC3, Kubernetes
manifests, graph and recipes; findings of the shared phases are placed in the 2.0
file with its 2.0 paths, once; validate does not build what only compilers need."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import primage_tosca.checks.platform  # noqa: F401 - registers the platform check
from conftest import IMPORT_MAP, needs_corpus
from test_mutations import mutated_data
from primage_tosca.api import load, load_options
from primage_tosca.emit import compile_results
from primage_tosca.emit.graph import graph_data
from primage_tosca.galaxy.collect import Collected, collect_tosca
from primage_tosca.pipeline import run
from primage_tosca.source.document import ParseCache

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"
TWINS = REPO / "tests" / "fixtures" / "tosca2"
PLATFORM = REPO / "tests" / "fixtures" / "platform"
MUTATION_CACHE = ParseCache()
CLUSTER_INPUTS = {"front_image": "ost://cloud.example.org/a", "wn_image": "ost://cloud.example.org/b"}


def compiled(path: Path, target: str = "radl", inputs: dict | None = None, import_map: Path | None = None,
             root: Path = REPO):
    options = load_options(inputs=inputs, roots=[str(root)], use_config=False,
                           import_map=[str(import_map)] if import_map else None)
    [result] = compile_results(str(path), target, options=options)
    return result


def same_radl(one_x: Path, two: Path, **kwargs) -> str:
    first, second = compiled(one_x, **kwargs), compiled(two, **kwargs)
    assert first.ok and second.ok, [d.message for d in first.errors + second.errors]
    assert second.text == first.text
    radl_parse = pytest.importorskip("radl.radl_parse")
    radl_parse.parse_radl(second.text).check()
    return second.text


def test_hello_compute_2_0_compiles_to_the_radl_of_its_1_3_twin() -> None:
    text = same_radl(BLUEPRINTS / "hello-compute.yaml", BLUEPRINTS / "hello-compute-2.0.yaml")
    assert "system vm (" in text and "memory.size >= 2000000000B" in text


def test_a_supplied_input_changes_both_twins_alike() -> None:
    text = same_radl(BLUEPRINTS / "hello-compute.yaml", BLUEPRINTS / "hello-compute-2.0.yaml",
                     inputs={"num_cpus": 3, "mem_size": "4 GiB"})
    assert "cpu.count >= 3" in text and "memory.size >= 4294967296B" in text


@needs_corpus()
def test_software_storage_and_outputs_on_the_simple_profile_by_url_compile_like_1_3() -> None:
    # the simple profile imported by URL (served by the corpus's import map) into a namespace
    text = same_radl(TWINS / "app-storage.yaml", TWINS / "app-storage-2.0.yaml", import_map=IMPORT_MAP)
    for expected in ("disk.1.size = 21474836480B", "disk.1.mount_path = '/data'", "cores: 2",
                     "system server configure database_server_conf step 2", "deploy server 2"):
        assert expected in text


def test_the_cluster_on_the_primage_2_0_profile_compiles_like_1_x_to_radl_and_ec3() -> None:
    same_radl(BLUEPRINTS / "kubernetes-cluster.yaml", TWINS / "kubernetes-cluster-2.0.yaml", inputs=CLUSTER_INPUTS)
    first = compiled(BLUEPRINTS / "kubernetes-cluster.yaml", "ec3", inputs=CLUSTER_INPUTS)
    second = compiled(TWINS / "kubernetes-cluster-2.0.yaml", "ec3", inputs=CLUSTER_INPUTS)
    assert second.ok and "system front (" in second.text
    # the same but for the template's name and description
    assert [line for line in second.text.splitlines() if "kubernetes-cluster" not in line and "content" not in line] \
        == [line for line in first.text.splitlines() if "kubernetes-cluster" not in line and "content" not in line]


@pytest.mark.parametrize(("name", "inputs", "kinds"), [
    ("htc-segmentation", "htc-inputs.yaml", ["Secret", "Secret", "ConfigMap", "Job"]),
    ("jupyter-notebook", "notebook-inputs.yaml", ["Secret", "Secret", "Service", "StatefulSet"])])
def test_an_application_2_0_twin_gives_the_same_kubernetes_manifests(name: str, inputs: str, kinds: list) -> None:
    values = yaml.safe_load((PLATFORM / inputs).read_text(encoding="utf-8"))
    first = compiled(BLUEPRINTS / f"{name}.yaml", "k8s", inputs=values)
    second = compiled(TWINS / f"{name}-2.0.yaml", "k8s", inputs=values)
    assert first.ok and second.ok, [d.message for d in second.errors]
    assert second.documents == first.documents and [d["kind"] for d in second.documents] == kinds
    assert second.text.splitlines()[1:] == first.text.splitlines()[1:]  # the first line names the file
    assert [(d.rule, d.dotted_path.replace("service_template", "topology_template")) for d in second.diagnostics] \
        == [(d.rule, d.dotted_path) for d in first.diagnostics]


def graphs(*paths: Path, **options) -> list[dict]:
    return [graph_data(load(str(p), roots=[str(REPO)], use_config=False, **options)) for p in paths]


def test_graph_of_a_2_0_template_is_its_twins() -> None:
    first, second = graphs(BLUEPRINTS / "hello-compute.yaml", BLUEPRINTS / "hello-compute-2.0.yaml")
    assert second["edges"] == first["edges"] and second["deploy_order"] == first["deploy_order"]
    shape = [[(n["name"], n["type"], n["compute"], n["level"]) for n in g["nodes"]] for g in (first, second)]
    assert shape[1] == shape[0] and [t for _, t, _, _ in shape[1]] == \
        ["tosca.nodes.WebApplication", "tosca.nodes.WebServer", "primage.nodes.Compute"]


@needs_corpus()
def test_graph_of_a_2_0_template_on_the_simple_profile_is_its_1_3_twins() -> None:
    first, second = graphs(TWINS / "app-storage.yaml", TWINS / "app-storage-2.0.yaml", import_map=[str(IMPORT_MAP)])
    assert second["nodes"] == first["nodes"] and second["edges"] == first["edges"]


def test_the_simple_profile_types_are_the_1_3_normative_ones_for_compilers() -> None:
    topology = load(str(BLUEPRINTS / "hello-compute-2.0.yaml"), roots=[str(REPO)], use_config=False)
    assert topology.is_a("vm", "tosca.nodes.Compute") and topology.is_a("web_server", "tosca.nodes.SoftwareComponent")
    assert topology.compute_of("web_page") == "vm"


def test_recipes_of_a_2_0_template_are_found_in_its_2_0_types() -> None:
    found = Collected()
    collect_tosca(str(TWINS / "kubernetes-cluster-2.0.yaml"), load_options(roots=[str(REPO)], use_config=False), found)
    asked = sorted((r.spec.name, r.via, r.origin.rsplit("/", 1)[-1]) for r in found.requests)
    assert [(name, via) for name, via, _ in asked] == [
        ("grycap.clues", "node type primage.nodes.ElasticityManager, artifact clues_role"),
        ("grycap.kubernetes", "node type primage.nodes.KubernetesFrontEnd, artifact kubernetes_role"),
        ("grycap.kubernetes", "node type primage.nodes.KubernetesWorkerNode, artifact kubernetes_role")]
    assert all(origin.startswith("primage-2.0.yaml:") for _, _, origin in asked), asked
    assert found.errors == []


def test_a_2_0_template_with_errors_builds_nothing_and_a_clean_one_is_checked_like_1_x(tmp_path) -> None:
    options = load_options(roots=[str(REPO)], use_config=False)
    broken = write(tmp_path, SERVER.replace("type: Compute", "type: Computer"), "broken.yaml")
    checked = run(str(broken), options, ())
    assert checked.types is None and checked.topology is None and not checked.ok
    assert run(str(BLUEPRINTS / "hello-compute-2.0.yaml"), options, None).topology is None  # no checks asked
    built = run(str(BLUEPRINTS / "hello-compute-2.0.yaml"), options, ())
    assert built.types is not None and built.topology is not None and built.ok
    assert built.model is not built.template and "topology_template" in built.model.data


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


SERVER = """\
    tosca_definitions_version: tosca_2_0
    imports:
      - profile: org.oasis-open.simple:2.0
    service_template:
      inputs:
        cpus:
          type: integer
          validation: { $greater_or_equal: [ $value, 1 ] }
      node_templates:
        server:
          type: Compute
          capabilities:
            host:
              properties:
                num_cpus: { $get_input: cpus }
    """


def test_a_bad_input_value_is_one_error_at_the_2_0_input(tmp_path) -> None:
    result = compiled(write(tmp_path, SERVER), inputs={"cpus": 0})
    assert not result.ok and result.text is None
    errors = [(d.rule, d.line, d.dotted_path) for d in result.errors]
    assert errors == [("PT504", 6, "service_template.inputs.cpus")]


def test_findings_of_the_compiler_point_into_the_2_0_file_with_2_0_paths(tmp_path) -> None:
    path = write(tmp_path, SERVER.replace("num_cpus: { $get_input: cpus }",
                                          "num_cpus: { $get_input: cpus }\n                cpu_frequency: 2 GHz"))
    result = compiled(path, inputs={"cpus": 2})
    assert result.ok
    [note] = [d for d in result.diagnostics if d.rule == "PT700"]
    assert (note.file, note.line) == (str(path), 16) and \
        note.dotted_path == "service_template.node_templates.server.capabilities.host.properties.cpu_frequency"


def test_a_2_0_error_stops_the_compile_and_is_reported_once(tmp_path) -> None:
    path = write(tmp_path, SERVER.replace("type: Compute", "type: Computer"))
    result = compiled(path, inputs={"cpus": 2})
    assert not result.ok
    assert [(d.rule, d.line) for d in result.errors] == [("PT310", 11)]
    assert not any("not supported" in d.message for d in result.diagnostics)


def test_a_user_function_is_left_symbolic_not_a_wrong_value(tmp_path) -> None:
    path = write(tmp_path, SERVER.rstrip(" ") + """\
      outputs:
        seed:
          value: { $rnd: [ 1, 6 ] }
    functions:
      rnd:
        signatures:
          - arguments: [ { type: integer }, { type: integer } ]
            result: { type: integer }
    """)
    result = compiled(path, inputs={"cpus": 2})
    assert result.ok, [d.message for d in result.errors]
    assert [d for d in result.diagnostics if d.rule.startswith("PT5")] == []


def test_types_of_the_same_name_in_two_files_stay_apart(tmp_path) -> None:
    write(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        node_types:
          Box:
            properties:
              size: { type: integer }
        """, "lib.yaml")
    path = write(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
          - url: lib.yaml
            namespace: lib
        node_types:
          Box:
            properties:
              label: { type: string }
        service_template:
          node_templates:
            mine: { type: Box, properties: { label: a } }
            theirs: { type: lib:Box, properties: { size: 3 } }
        """)
    topology = load(str(path), use_config=False)
    assert [d for d in topology.diagnostics if d.severity.value != "info"] == []
    assert topology.node("mine")["properties"] == {"label": "a"}
    assert topology.node("theirs")["properties"] == {"size": 3} and topology.node("theirs")["type"] == "lib:Box"


# -- bad input: mutated 2.0 templates compile to located findings, never a crash ---------------

MUTATION_SEEDS = [TWINS / "kubernetes-cluster-2.0.yaml", TWINS / "app-storage-2.0.yaml",
                  BLUEPRINTS / "hello-compute-2.0.yaml"]


@needs_corpus()
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_2_0_templates_compile_to_located_findings(data) -> None:
    seed = data.draw(st.sampled_from(MUTATION_SEEDS))
    mutated = data.draw(mutated_data(yaml.safe_load(seed.read_text(encoding="utf-8"))))
    options = load_options(inputs=CLUSTER_INPUTS, import_map=str(IMPORT_MAP), use_config=False,
                           parse_cache=MUTATION_CACHE)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        path.write_text(yaml.safe_dump(mutated, sort_keys=False), encoding="utf-8")
        [result] = compile_results(str(path), "radl", options=options)  # must not raise
    assert [d.message for d in result.diagnostics if d.rule == "PT900"] == []
    for diagnostic in result.diagnostics:
        assert diagnostic.file and diagnostic.line >= 1 and diagnostic.column >= 1, diagnostic


def test_tosca_paths_through_a_requirement_read_its_target(tmp_path) -> None:
    (tmp_path / "x.yml").write_text("- hosts: all\n  tasks: []\n", encoding="utf-8")
    path = write(tmp_path, """\
        tosca_definitions_version: tosca_2_0
        imports:
          - profile: org.oasis-open.simple:2.0
        service_template:
          node_templates:
            db:
              type: DBMS
              requirements:
                - host: server
              interfaces:
                Standard:
                  operations:
                    create:
                      implementation: x.yml
                      inputs:
                        cpus: { $get_property: [ SELF, RELATIONSHIP, host, TARGET, CAPABILITY, host, num_cpus ] }
                        first: { $get_property: [ SELF, RELATIONSHIP, host, 0, TARGET, CAPABILITY, host, num_cpus ] }
                        own: { $get_property: [ server, CAPABILITY, host, num_cpus ] }
                        relation: { $get_attribute: [ SELF, RELATIONSHIP, host, state ] }
            server:
              type: Compute
              capabilities:
                host:
                  properties:
                    num_cpus: 4
        """)
    result = compiled(path, root=tmp_path)
    assert result.ok, [d.message for d in result.errors]
    variables = result.text.split("- vars:")[1]
    assert "cpus: 4" in variables and "first: 4" in variables and "own: 4" in variables
    assert "relation:" in variables and "$get_attribute" in variables  # a relationship's own: left as written


def test_validate_reports_the_shared_checks_as_compile_does(tmp_path) -> None:
    """An unused input (a check of the whole topology) is found by both, at the 2.0 input."""
    path = write(tmp_path, SERVER.replace("      node_templates:", "        spare:\n          type: string\n"
                                          "          required: false\n      node_templates:"))
    from primage_tosca.validation import validate

    report = validate(str(path), options=load_options(roots=[str(REPO)], use_config=False))
    found = [(d.rule, d.line, d.dotted_path) for d in report.diagnostics]
    assert ("PT402", 9, "service_template.inputs.spare") in found
    [unused] = [d for d in report.diagnostics if d.rule == "PT402"]
    assert "$get_input" in unused.message and "{ $get_input: spare }" in unused.hint
    compiled_found = [(d.rule, d.line, d.dotted_path) for d in compiled(path, inputs={"cpus": 2}).diagnostics]
    assert [f for f in found if f[0] == "PT402"] == [f for f in compiled_found if f[0] == "PT402"]


VALUES_2 = """\
    tosca_definitions_version: tosca_2_0
    node_types:
      Node:
        properties:
          mode: { type: integer, default: 0o644 }
          umask: { type: integer }
          label: { type: string }
          when: { type: timestamp }
    service_template:
      node_templates:
        node:
          type: Node
          properties:
            umask: 0o755
            label: "0o755"
            when: "1990-12-31T15:59:60-08:00"
    """


def test_values_2_0_accepts_and_1_x_does_not_are_not_reported_by_the_shared_phases(tmp_path) -> None:
    """A YAML 1.2 octal integer and a leap second are 2.0 values; the shared phases take them too."""
    options = load_options(roots=[str(tmp_path)], use_config=False)
    result = run(str(write(tmp_path, VALUES_2)), options, ())
    assert result.topology is not None and result.diagnostics == [], [d.message for d in result.diagnostics]
    node = result.topology.node("node")
    assert tuple(node["properties"][k] for k in ("umask", "mode", "label")) == (0o755, 0o644, "0o755")


def test_a_leap_second_is_the_next_minutes_first_second_for_comparisons() -> None:
    from datetime import datetime, timedelta, timezone

    from primage_tosca.typesystem.primitives import BadValue, timestamp

    assert timestamp("1990-12-31T15:59:60-08:00") == datetime(1990, 12, 31, 16, 0, 0, tzinfo=timezone(timedelta(hours=-8)))
    with pytest.raises(BadValue):
        timestamp("1990-12-31T15:59:61-08:00")
