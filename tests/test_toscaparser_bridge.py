"""The tosca-parser bridge: findings placed, output silenced, imports served
from our documents, crashes contained, relaxations and dedupe."""

from __future__ import annotations

import copy
import logging
import textwrap
from pathlib import Path

import pytest

from conftest import CORPUS, IMPORT_MAP, INDIGO_EXAMPLES, needs_corpus
from primage_tosca import catalog
from primage_tosca.checks import toscaparser as bridge
from primage_tosca.diagnostics import Diagnostic, Location, Severity
from primage_tosca import pipeline
from primage_tosca.imports.template import LoadOptions, load_template
from primage_tosca.rulesettings import RuleSettings
from primage_tosca.imports.policy import ImportMap, ImportPolicy

HEADER = "tosca_definitions_version: tosca_simple_yaml_1_0\n"


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` (indented like the test's source; HEADER may lead it)."""
    head = HEADER if text.startswith(HEADER) else ""
    body = textwrap.dedent(text[len(head):]).lstrip("\n")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + body, encoding="utf-8")
    return path


def topology_of(path: Path, options: LoadOptions | None = None):
    """Every phase up to the topology (the bridge's input), no check run."""
    result = pipeline.run(str(path), options or LoadOptions(), None)
    assert result.template.complete, [d.message for d in result.template.diagnostics]
    if result.topology is None:
        return pipeline.empty_topology(result)
    return result.topology


def run(path: Path, **options) -> list[Diagnostic]:
    """The bridge alone on a file (no dedupe, no other check)."""
    return list(bridge.toscaparser(topology_of(path, LoadOptions(**options))))


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def only(found: list[Diagnostic], text: str) -> Diagnostic:
    matching = [d for d in found if text in d.message]
    assert len(matching) == 1, [d.message for d in found]
    return matching[0]


# ---------------------------------------------------------------------------
# Findings land where they are about
# ---------------------------------------------------------------------------

MANY_PROBLEMS = HEADER + """
topology_template:
  inputs:
    count:
      type: integer
      default: abc
  node_templates:
    server:
      type: tosca.nodes.Compute
      properties:
        flavour: big
      capabilities:
        host:
          properties:
            num_cpus: { get_input: nowhere }
    odd:
      type: tosca.nodes.NotAType
"""


def test_several_message_kinds_land_on_their_line(tmp_path):
    path = write(tmp_path, "t.yaml", MANY_PROBLEMS)
    found = run(path)
    assert all(d.rule == "PT800" and d.severity is Severity.ERROR for d in found)
    unknown = only(found, 'unknown field "flavour"')
    assert unknown.message.startswith("UnknownFieldError: ")
    assert "Refer to the definition" not in unknown.message
    assert (unknown.line, unknown.column) == (line_of(path, "flavour:"), 9)
    assert unknown.path[-2:] == ("properties", "flavour")
    assert only(found, '"abc" is not an integer').line == line_of(path, "default: abc")
    assert only(found, 'Unknown input "nowhere"').line == line_of(path, "get_input: nowhere")
    invalid = only(found, 'Type "tosca.nodes.NotAType" is not a valid type')
    assert invalid.line == line_of(path, "tosca.nodes.NotAType")
    assert invalid.message.startswith("InvalidTypeError: ")


def test_a_bad_scalar_unit_chain_lands_on_the_value(tmp_path):
    # tosca-parser says 'The unit "XB" is not valid', '"12 XB" is not a valid
    # scalar-unit' and '"None" is not a valid scalar-unit' about one value
    path = write(tmp_path, "t.yaml", HEADER + """
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
              capabilities:
                host:
                  properties:
                    mem_size: 12 XB
        """)
    found = [d for d in run(path) if "scalar-unit" in d.message or "unit" in d.message]
    assert len(found) >= 3
    assert {d.line for d in found} == {line_of(path, "mem_size")}


def test_function_findings_point_at_the_function_name(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + """
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
              capabilities:
                host:
                  properties:
                    num_cpus: { get_input: [ cpus, cpus ] }
        """)
    finding = only(run(path), 'Expected one argument for function "get_input"')
    assert finding.path[-1] == "get_input" and finding.line == line_of(path, "get_input")


def test_version_and_top_level_fields(tmp_path):
    path = write(tmp_path, "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_9
        node_template: {}
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
        """)
    found = run(path)
    version = only(found, "InvalidTemplateVersion")
    assert (version.line, version.path) == (1, ("tosca_definitions_version",))
    assert only(found, 'unknown field "node_template"').line == 2


def test_occurrences_lands_on_the_node_requirements(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + """
        node_types:
          my.Once:
            derived_from: tosca.nodes.SoftwareComponent
            requirements:
              - host:
                  capability: tosca.capabilities.Compute
                  node: tosca.nodes.Compute
                  relationship: tosca.relationships.HostedOn
                  occurrences: [1, 1]
        topology_template:
          node_templates:
            db:
              type: my.Once
              requirements:
                - host: server
                - host: server
            server: { type: tosca.nodes.Compute }
        """)
    finding = only(run(path), 'Relationship "host" in template "db"')
    assert finding.rule == "PT800"  # given twice: a real error, never relaxed
    assert finding.line == line_of(path, "requirements:", 2)


def test_missing_property_of_a_policy(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + """
        policy_types:
          my.Placement:
            derived_from: tosca.policies.Placement
            properties:
              zone: { type: string, required: true }
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
          policies:
            - place:
                type: my.Placement
                properties: { other: x }
                targets: [ server ]
        """)
    found = run(path)
    missing = only(found, 'is missing required field')
    assert missing.path == ("topology_template", "policies", 0, "place", "properties")
    assert only(found, 'unknown field "other"').path[-1] == "other"


def test_finding_in_an_imported_file_points_into_it(tmp_path):
    library = write(tmp_path, "lib/types.yaml", HEADER + """
        node_types:
          my.Server:
            derived_from: tosca.nodes.Compute
            capabilitiez: {}
        """)
    path = write(tmp_path, "t.yaml", HEADER + """
        imports:
          - lib/types.yaml
        topology_template:
          node_templates:
            server: { type: my.Server }
        """)
    finding = only(run(path), 'contains unknown field "capabilitiez"')
    assert Path(finding.file).resolve() == library.resolve()
    assert finding.line == line_of(library, "capabilitiez")


def test_unplaceable_message_goes_to_the_top_of_the_file(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + "topology_template: {node_templates: {a: {type: Compute}}}\n")
    template = load_template(str(path))
    locator = bridge.Locator(template, {})
    assert bridge.find_place(locator, "Something happened with nothing quoted") == bridge.Place(())
    assert bridge.find_place(locator, 'Weird thing in "a"').path == ("topology_template", "node_templates", "a")


def test_message_cleaning():
    assert bridge.exception_text(KeyError('Node template "x" was not found.')) == 'Node template "x" was not found.'
    group = Exception('"Target member "m" is not found in node_templates"')
    assert bridge.exception_text(group) == 'Target member "m" is not found in node_templates'
    assert bridge.clean_message(ValueError("bad /abs/lib.yaml"), {"/abs/lib.yaml": "lib.yaml"}) == \
        "ValueError: bad lib.yaml"


# ---------------------------------------------------------------------------
# Silence, crashes, restored state
# ---------------------------------------------------------------------------

def test_nothing_reaches_stdout_stderr_or_the_log(tmp_path, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    path = write(tmp_path, "t.yaml", MANY_PROBLEMS)
    found = run(path)
    assert found
    with bridge.silenced():
        print("printed inside")
        logging.getLogger("tosca").warning("logged inside")
        logging.getLogger("tosca.model").error("logged inside")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert not [r for r in caplog.records if r.name.startswith("tosca")]
    assert not logging.getLogger("tosca").disabled  # restored


RAW_CRASH = HEADER + """
topology_template:
  node_templates:
    server: { type: tosca.nodes.Compute }
    web:
      type: tosca.nodes.WebServer
      requirements: { host: server }
"""


def test_raw_exception_becomes_an_internal_error(tmp_path):
    # requirements written as a mapping: tosca-parser 2.15 raises a bare
    # AttributeError ('str' object has no attribute 'keys') instead of a finding
    path = write(tmp_path, "t.yaml", RAW_CRASH)
    found = run(path)
    crash = only(found, "tosca-parser failed")
    assert crash.rule == "PT900" and crash.severity is Severity.ERROR
    assert "AttributeError" in crash.message and "toscaparser/" in crash.message
    assert (crash.line, crash.column) == (1, 1)
    _assert_state_restored()


def _assert_state_restored(original_loader=None):
    import toscaparser.imports
    from toscaparser.common.exception import ExceptionCollector

    assert bridge._LOCK.acquire(blocking=False)
    bridge._LOCK.release()
    assert not isinstance(toscaparser.imports.YAML_LOADER, bridge.ImportServer)
    if original_loader is not None:
        assert toscaparser.imports.YAML_LOADER is original_loader
    assert not ExceptionCollector.collecting
    assert ExceptionCollector.exceptions == []


def test_patch_and_lock_are_restored_after_an_exception(tmp_path, monkeypatch):
    import toscaparser.imports
    import toscaparser.tosca_template
    from toscaparser.elements.entity_type import EntityType

    original = toscaparser.imports.YAML_LOADER
    types_before = dict(EntityType.TOSCA_DEF)

    def explode(self):
        raise RuntimeError("boom inside tosca-parser")

    monkeypatch.setattr(toscaparser.tosca_template.ToscaTemplate, "_validate_field", explode)
    path = write(tmp_path, "t.yaml", HEADER + "topology_template: {node_templates: {a: {type: Compute}}}\n")
    crash = only(run(path), "boom inside tosca-parser")
    assert crash.rule == "PT900" and "RuntimeError" in crash.message
    _assert_state_restored(original)
    assert toscaparser.tosca_template.YAML_LOADER is not bridge._refuse_path
    assert dict(EntityType.TOSCA_DEF) == types_before


def test_nfv_profile_types_do_not_outlive_the_template(tmp_path):
    from toscaparser.elements.entity_type import EntityType

    before = set(EntityType.TOSCA_DEF)
    path = write(tmp_path, "nfv.yaml", """
        tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0
        topology_template:
          node_templates:
            vdu: { type: tosca.nodes.nfv.VDU }
        """)
    assert [d for d in run(path) if d.rule == "PT900"] == []
    assert set(EntityType.TOSCA_DEF) == before


# ---------------------------------------------------------------------------
# Imports: served from our documents, never read by tosca-parser
# ---------------------------------------------------------------------------

def _forbid_reads(monkeypatch) -> list:
    """tosca-parser's own loader, codecs.open and urlopen all fail the test."""
    import codecs
    import urllib.request

    import toscaparser.imports
    import toscaparser.tosca_template

    calls: list = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError(f"tosca-parser read {args!r} itself")

    monkeypatch.setattr(toscaparser.imports, "YAML_LOADER", forbidden)
    monkeypatch.setattr(toscaparser.tosca_template, "YAML_LOADER", forbidden)
    monkeypatch.setattr(codecs, "open", forbidden)
    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    return calls


def test_relative_nested_and_prefixed_imports_are_served(tmp_path, monkeypatch):
    write(tmp_path, "types/base.yaml", HEADER + """
        node_types:
          my.Base:
            derived_from: tosca.nodes.SoftwareComponent
        """)
    write(tmp_path, "types/app.yaml", HEADER + """
        imports:
          - base: { file: base.yaml }
        node_types:
          my.App:
            derived_from: my.Base
            properties:
              port: { type: integer }
        """)
    path = write(tmp_path, "blueprints/t.yaml", HEADER + """
        imports:
          - ../types/app.yaml
          - pre: { file: ../types/base.yaml, namespace_prefix: ns }
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
            app:
              type: my.App
              properties: { port: 80 }
              requirements: [ { host: server } ]
            other:
              type: ns.my.Base
              requirements: [ { host: server } ]
        """)
    template = topology_of(path, LoadOptions(policy=ImportPolicy(roots=[str(tmp_path)])))
    calls = _forbid_reads(monkeypatch)
    assert list(bridge.toscaparser(template)) == []
    assert calls == []
    _assert_state_restored()


def test_url_import_served_from_the_import_map_offline(tmp_path, monkeypatch):
    write(tmp_path, "mirror/lib.yaml", HEADER + """
        node_types:
          remote.App:
            derived_from: tosca.nodes.SoftwareComponent
        """)
    path = write(tmp_path, "t.yaml", HEADER + """
        imports:
          - lib: https://types.example.org/lib.yaml
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
            app: { type: remote.App, requirements: [ { host: server } ] }
        """)
    import_map = ImportMap({"https://types.example.org/": tmp_path / "mirror"})
    template = topology_of(path, LoadOptions(policy=ImportPolicy(import_map=import_map)))
    calls = _forbid_reads(monkeypatch)
    assert list(bridge.toscaparser(template)) == []
    assert calls == []


def test_a_file_tosca_parser_asks_for_that_we_did_not_prepare_is_ours_to_fix(tmp_path):
    write(tmp_path, "lib.yaml", HEADER + "node_types: {my.T: {derived_from: tosca.nodes.Compute}}\n")
    path = write(tmp_path, "t.yaml", HEADER + "imports: [lib.yaml]\n"
                 "topology_template: {node_templates: {a: {type: my.T}}}\n")
    topology = topology_of(path)
    prepared = bridge.prepare(topology.template)
    prepared.files.clear()
    outcome = bridge.run_toscaparser(prepared, None)
    assert isinstance(outcome.crash, bridge.NotServed)
    assert bridge.crash(topology, outcome.crash).rule == "PT900"
    _assert_state_restored()


def test_our_documents_are_never_mutated(tmp_path):
    write(tmp_path, "lib.yaml", HEADER + """
        node_types:
          my.Base:
            derived_from: tosca.nodes.Compute
            properties:
              inherited: { type: string, required: false }
          my.Server:
            derived_from: my.Base
            properties:
              extra: { type: string, required: false }
        """)
    path = write(tmp_path, "t.yaml", HEADER + """
        imports: [ lib.yaml ]
        topology_template:
          node_templates:
            server: { type: my.Server, properties: { extra: x } }
        """)
    topology = topology_of(path)
    before = copy.deepcopy([d.data for d in topology.template.all_documents()])
    for _ in range(2):  # the second run reuses the cached frozen copy
        assert list(bridge.toscaparser(topology)) == []
    assert [d.data for d in topology.template.all_documents()] == before


def test_timestamps_fall_back_to_a_plain_copy(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + """
        metadata:
          created: 2024-05-01
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
        """)
    template = load_template(str(path))
    frozen = bridge.Frozen(template.data)
    assert frozen.blob is None
    thawed = frozen.thaw()
    assert thawed == template.data and thawed is not template.data
    assert thawed["metadata"] is not template.data["metadata"]
    assert [d.rule for d in bridge.toscaparser(topology_of(path))] == []


def test_lazy_sections_copy_on_read():
    data = {"tosca_definitions_version": "v", "node_types": {"a": {"properties": {}}}, "imports": ["x"]}
    frozen = bridge.FrozenDocument(data)
    served = frozen.thaw()
    assert set(served) == set(data) and "node_types" in served and len(served) == 3
    served["node_types"]["a"]["properties"]["p"] = 1  # what tosca-parser does
    assert data["node_types"]["a"]["properties"] == {}
    assert frozen.thaw().get("node_types") == {"a": {"properties": {}}}
    assert dict(frozen.thaw().items()) == data
    assert copy.deepcopy(frozen.thaw()) == data
    assert frozen.thaw().get("missing", 5) == 5


def test_plain_copy_keeps_shared_and_cyclic_structure():
    shared = {"k": [1, 2]}
    loop: list = []
    loop.append(loop)
    copied = bridge.plain_copy({"a": shared, "b": shared, "loop": loop})
    assert copied["a"] is copied["b"] and copied["a"] is not shared
    assert copied["loop"][0] is copied["loop"]


# ---------------------------------------------------------------------------
# Relaxation
# ---------------------------------------------------------------------------

HOSTED_VIA_LRMS = HEADER + """
relationship_types:
  my.Runs:
    derived_from: tosca.relationships.HostedOn
node_types:
  my.Portal:
    derived_from: tosca.nodes.SoftwareComponent
    requirements:
      - lrms:
          capability: tosca.capabilities.Container
          node: tosca.nodes.SoftwareComponent
          relationship: my.Runs
topology_template:
  node_templates:
    server: { type: tosca.nodes.Compute }
    front: { type: tosca.nodes.SoftwareComponent, requirements: [ { host: server } ] }
    portal:
      type: my.Portal
      requirements:
        - lrms: front
"""


def test_host_left_out_but_hosted_elsewhere_is_a_warning(tmp_path):
    path = write(tmp_path, "t.yaml", HOSTED_VIA_LRMS)
    finding = only(run(path), 'Relationship "host" in template "portal"')
    assert finding.rule == "PT801" and finding.severity is Severity.WARNING
    assert '"lrms" requirement (my.Runs)' in finding.message
    assert finding.hint == bridge.RELAXED_HINT
    assert finding.line == line_of(path, "requirements:", 3)


def test_host_left_out_with_nowhere_to_run_stays_an_error(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + """
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
            web: { type: tosca.nodes.WebServer }
        """)
    finding = only(run(path), 'Relationship "host" in template "web"')
    assert finding.rule == "PT800"
    assert finding.line == line_of(path, "web:")


# ---------------------------------------------------------------------------
# Dedupe
# ---------------------------------------------------------------------------

def _diagnostic(rule: str, path: tuple, file: str = "t.yaml") -> Diagnostic:
    return catalog.make(rule, f"{rule} at {path}", Location(file, 3, 5), path)


def test_dedupe_drops_toscaparser_copies_at_or_inside_our_place():
    node = ("topology_template", "node_templates", "a")
    own = _diagnostic("PT310", node + ("type",))
    same = _diagnostic("PT800", node + ("type",))
    inside = _diagnostic("PT800", node + ("type", "x"))
    elsewhere = _diagnostic("PT800", node + ("properties",))
    other_file = _diagnostic("PT800", node + ("type",), file="u.yaml")
    relaxed = _diagnostic("PT801", node + ("type",))
    result = bridge.dedupe([own, same, inside, elsewhere, other_file, relaxed])
    assert result == [own, elsewhere, other_file]


def test_dedupe_top_of_file_covers_only_the_top():
    own = _diagnostic("PT300", ())
    top = _diagnostic("PT800", ())
    deeper = _diagnostic("PT800", ("topology_template", "node_templates", "a"))
    assert bridge.dedupe([own, top, deeper]) == [own, deeper]


def test_dedupe_on_a_real_template_keeps_one_report_per_problem(tmp_path):
    path = write(tmp_path, "t.yaml", HEADER + """
        topology_template:
          node_templates:
            a: { type: tosca.nodes.Nope }
            b:
              type: tosca.nodes.Compute
              capabilities:
                host:
                  properties:
                    num_cpus: { get_input: missing }
                    mem_size: 12 XB
              requirements:
                - dependency: ghost
        """)
    result = pipeline.run(str(path), LoadOptions(), ["toscaparser"])
    found = result.collector.items
    kept = bridge.dedupe(found)
    own = {d.rule for d in found} & bridge.OWN_RULES
    if own >= {"PT310", "PT320", "PT400", "PT500"}:  # our rules report all four problems
        assert [d for d in kept if d.rule == "PT800"] == []
    assert [d for d in found if d.rule not in bridge.TOSCAPARSER_RULES] == \
        [d for d in kept if d.rule not in bridge.TOSCAPARSER_RULES]


def test_dedupe_leaves_everything_else_alone():
    items = [_diagnostic("PT800", ("x",)), _diagnostic("PT402", ("x",)), _diagnostic("PT900", ())]
    assert bridge.dedupe(items) == items


# ---------------------------------------------------------------------------
# The INDIGO examples
# ---------------------------------------------------------------------------

@needs_corpus()
@pytest.mark.corpus
def test_indigo_examples():
    options = LoadOptions(policy=ImportPolicy(import_map=ImportMap.from_file(IMPORT_MAP)))
    by_rule: dict[str, list[Diagnostic]] = {}
    files = sorted(p for p in INDIGO_EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml"))
    assert len(files) == 66
    for path in files:
        for diagnostic in bridge.toscaparser(topology_of(path, options)):
            by_rule.setdefault(diagnostic.rule, []).append(diagnostic)
    assert "PT900" not in by_rule
    assert len(by_rule["PT801"]) == 26
    assert {Path(d.file).name for d in by_rule["PT800"]} == {"node_with_availability_zone.yaml",
                                                             "vm_docker_deepass.yml"}
    assert all(d.line > 1 for d in by_rule["PT800"] + by_rule["PT801"])


@needs_corpus()
@pytest.mark.corpus
def test_tosca_parser_never_changes_our_documents_on_the_corpus():
    """The bridge shares the deep parts of type definitions with tosca-parser
    (see TYPE_SECTIONS): a tosca-parser that wrote deeper would show here."""
    samples = CORPUS / "tosca-parser-samples" / "samples" / "tests" / "data"
    runs = [(p, LoadOptions(policy=ImportPolicy(import_map=ImportMap.from_file(IMPORT_MAP))))
            for p in sorted(INDIGO_EXAMPLES.iterdir())]
    runs += [(p, LoadOptions(policy=ImportPolicy(roots=[str(samples)]))) for p in sorted(samples.rglob("*.y*ml"))]
    results = [pipeline.run(str(path), options, None) for path, options in runs]
    topologies = [r.topology for r in results if r.topology is not None]
    documents = {id(d): d for t in topologies for d in t.template.all_documents()}
    before = {key: copy.deepcopy(d.data) for key, d in documents.items()}
    for topology in topologies:
        list(bridge.toscaparser(topology))
    changed = [d.file for key, d in documents.items() if d.data != before[key]]
    assert changed == []


def test_unknown_capability_property_is_placed_at_its_key(tmp_path):
    """tosca-parser names it '"properties" of template "vm"', though it sits
    in a capability: the finding must still land on the key itself."""
    path = tmp_path / "t.yaml"
    path.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\n"
                    "topology_template:\n  node_templates:\n    vm:\n      type: tosca.nodes.Compute\n"
                    "      capabilities:\n        os:\n          properties:\n            type: linux\n"
                    "            colour: blue\n")
    from primage_tosca.validation import validate

    found = [d for d in validate(path, settings=RuleSettings(checks=frozenset({"toscaparser"}))).diagnostics
             if d.rule == "PT800"]
    assert [(d.line, d.column) for d in found] == [(10, 13)]
