"""Calls found once and reused: the reader's table of keys stands for a walk
of the topology template, and the RADL emitter's get_property and
get_artifact look-ups read only the values that can hold one. Each is
checked against the walk it replaces, on templates that put calls in every
place a value can come from (types, copies, relationship templates, shadowed
operations) and on the corpus."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import CORPUS, IMPORT_MAP, INDIGO_EXAMPLES, ROOT, needs_corpus
from primage_tosca import load
from primage_tosca.emit.playbooks import PlaybookSource
from primage_tosca.emit.radl_context import Emission, add_reads, node_values, reads_by_node, referenced_properties
from primage_tosca.emit.radl_unmapped import _get_artifacts, artifact_uses
from primage_tosca.render.functions import Call, calls_in, listed_calls, new_call
from primage_tosca.render.holders import Holders
from primage_tosca.source.reader import parse_bytes
from primage_tosca.typesystem.grammar import is_call_1

SAMPLES = CORPUS / "tosca-parser-samples" / "samples"

TYPES = """
tosca_definitions_version: tosca_simple_yaml_1_3
capability_types:
  my.Read:
    derived_from: tosca.capabilities.Root
    properties:
      reads: { type: string, default: { get_property: [ SELF, from_capability_type ] } }
relationship_types:
  my.Relates:
    derived_from: tosca.relationships.DependsOn
    properties:
      which: { type: string, required: false }
  my.Reads:
    derived_from: tosca.relationships.DependsOn
    properties:
      which: { type: string, default: { get_property: [ TARGET, from_relationship_type ] } }
    interfaces:
      Configure:
        pre_configure_source:
          implementation: rel.yml
          inputs:
            a: { get_property: [ SOURCE, from_relationship_operation ] }
            f: { get_artifact: [ SELF, from_relationship_operation ] }
node_types:
  my.Plain:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      p: { type: string, required: false }
      q: { type: string, required: false }
    requirements:
      - peer:
          capability: tosca.capabilities.Node
          relationship: tosca.relationships.DependsOn
          occurrences: [ 0, UNBOUNDED ]
  my.Defaulted:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      d: { type: string, default: { get_property: [ HOST, from_default ] } }
  my.TypedOperation:
    derived_from: tosca.nodes.SoftwareComponent
    artifacts:
      kit: { type: tosca.artifacts.File, file: { get_property: [ SELF, from_type_artifact ] } }
    interfaces:
      Standard:
        configure:
          implementation: conf.yml
          inputs:
            i: { get_property: [ SELF, from_type_operation ] }
            k: { get_artifact: [ SELF, from_type_operation ] }
  my.Capable:
    derived_from: tosca.nodes.SoftwareComponent
    capabilities:
      reader: my.Read
  my.RelationshipInputs:
    derived_from: tosca.nodes.SoftwareComponent
    requirements:
      - peer:
          capability: tosca.capabilities.Node
          relationship:
            type: tosca.relationships.DependsOn
            interfaces:
              Configure:
                post_configure_source:
                  implementation: post.yml
                  inputs:
                    r: { get_property: [ TARGET, from_requirement_definition ] }
          occurrences: [ 0, UNBOUNDED ]
"""

NODES = """
topology_template:
  relationship_templates:
    reading:
      type: my.Relates
      properties:
        which: { get_property: [ TARGET, from_relationship_template ] }
  node_templates:
    server:
      type: tosca.nodes.Compute
      properties: {}
    source:
      type: my.Plain
      properties:
        p: { get_property: [ SELF, from_source ] }
      requirements:
        - host: server
      interfaces:
        Standard:
          create:
            implementation: create.yml
            inputs:
              x: { get_property: [ server, from_source_input ] }
              y: { get_artifact: [ SELF, from_source_input ] }
    copier:
      copy: source
      properties:
        q: plain
    shadowed:
      type: my.Plain
      requirements:
        - host: server
      interfaces:
        Standard:
          inputs:
            shared: { get_property: [ SELF, from_shared_input ] }
          operations:
            create:
              implementation: a.yml
              inputs:
                hidden: { get_property: [ SELF, from_first_spelling ] }
                kept: { get_artifact: [ SELF, from_first_spelling ] }
        tosca.interfaces.node.lifecycle.Standard:
          create:
            implementation: b.yml
            inputs:
              hidden: { get_property: [ SELF, from_second_spelling ] }
              deep: { concat: [ { get_property: [ SELF, inside_concat ] }, x ] }
              nested: { get_property: [ SELF, { get_property: [ SELF, never_read ] } ] }
              odd: { get_property: { get_property: [ SELF, inside_a_bad_call ] } }
          configure: { get_property: [ SELF, from_an_operation_written_as_a_call ] }
    whole_map:
      type: my.Plain
      requirements:
        - host: server
      properties: { get_property: [ SELF, from_a_whole_map ] }
    whole_inputs:
      type: my.Plain
      requirements:
        - host: server
      interfaces:
        Standard:
          create:
            implementation: w.yml
            inputs: { get_property: [ SELF, from_whole_inputs ] }
    listed:
      type: my.Plain
      requirements:
        - host: server
      artifacts:
        - listed: { file: { get_property: [ SELF, from_a_listed_artifact ] }, type: tosca.artifacts.File }
    whole_artifact:
      type: my.Plain
      requirements:
        - host: server
      artifacts:
        art: { get_property: [ SELF, from_a_whole_artifact ] }
    capability_holder:
      type: my.Plain
      requirements:
        - host: server
      capabilities:
        feature:
          properties:
            extra: { get_property: [ SELF, from_capability ] }
          attributes:
            seen: { get_property: [ SELF, from_capability_attribute ] }
      attributes:
        a: { get_property: [ SELF, from_attribute ] }
    defaulted:
      type: my.Defaulted
      requirements:
        - host: server
    typed_operation:
      type: my.TypedOperation
      requirements:
        - host: server
    capable:
      type: my.Capable
      requirements:
        - host: server
    relating:
      type: my.Plain
      requirements:
        - host: server
        - peer: { node: source, relationship: reading }
        - peer:
            node: defaulted
            relationship:
              type: my.Reads
              properties:
                which: { get_property: [ SOURCE, from_relationship_assignment ] }
              interfaces:
                Configure:
                  post_configure_target:
                    implementation: t.yml
                    inputs:
                      g: { get_artifact: [ TARGET, from_relationship_assignment ] }
        - peer: { node: capable, relationship: my.Reads }
    by_definition:
      type: my.RelationshipInputs
      requirements:
        - host: server
        - peer: source
  outputs:
    out:
      value: { get_property: [ source, from_output ] }
"""


PLAIN = TYPES + """
topology_template:
  node_templates:
    server: { type: tosca.nodes.Compute }
"""


def walked_property_reads(topology) -> dict[str, set[str]]:
    """What referenced_properties gave when it walked every value of every node."""
    pairs: set[tuple[str, str]] = set()
    for name, raw in topology.raw.items():
        add_reads(pairs, topology, name, node_values(raw), topology.requirements.get(name, []))
    return reads_by_node(pairs, topology)


def walked_artifact_uses(topology) -> set[tuple[str, str]]:
    """What artifact_uses gave when it walked every operation's inputs."""
    found: set[tuple[str, str]] = set()
    for name, raw in topology.raw.items():
        operations = [op for ops in raw.interfaces.values() for op in ops.values()]
        for requirement in topology.requirements.get(name, []):
            operations.extend(op for ops in requirement.interfaces.values() for op in ops.values())
        for operation in operations:
            implementation = operation.implementation
            if isinstance(implementation, dict):
                implementation = implementation.get("primary")
            if isinstance(implementation, str):
                found.add(("*", implementation))
            for entity, artifact in _get_artifacts(operation.inputs):
                owner = {"SELF": name, None: name, "SOURCE": "*", "TARGET": "*", "HOST": "*"}.get(entity, entity)
                found.add((owner, artifact))
    return found


def same_as_walks(topology) -> None:
    assert referenced_properties(topology) == walked_property_reads(topology)
    emission = Emission(topology, PlaybookSource(topology.template.options.policy))
    assert artifact_uses(emission) == walked_artifact_uses(topology)
    written = topology.template.data.get("topology_template") if isinstance(topology.template.data, dict) else None
    if isinstance(written, dict):
        assert topology.rendered.calls == list(calls_in(written, ("topology_template",), topology.types.is_call))


def tricky(tmp_path: Path, text: str = TYPES + NODES, name: str = "tricky.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load(path, use_config=False)


def test_reads_found_in_every_place_a_value_comes_from(tmp_path):
    topology = tricky(tmp_path)
    reads = referenced_properties(topology)
    assert reads == walked_property_reads(topology)
    for node, prop in [("source", "from_source"), ("server", "from_source_input"), ("copier", "from_source"),
                       ("shadowed", "from_second_spelling"), ("shadowed", "from_shared_input"),
                       ("shadowed", "inside_concat"), ("shadowed", "inside_a_bad_call"),
                       ("whole_map", "from_a_whole_map"), ("listed", "from_a_listed_artifact"),
                       ("whole_inputs", "from_whole_inputs"), ("whole_artifact", "from_a_whole_artifact"),
                       ("capability_holder", "from_capability"), ("server", "from_default"),
                       ("typed_operation", "from_type_operation"), ("typed_operation", "from_type_artifact"),
                       ("capable", "from_capability_type"), ("source", "from_relationship_template"),
                       ("relating", "from_relationship_operation"), ("relating", "from_relationship_assignment"),
                       ("capable", "from_relationship_type"), ("source", "from_requirement_definition"),
                       ("source", "from_output")]:
        assert prop in reads.get(node, set()), (node, prop)
    unread = {"from_first_spelling", "never_read", "from_capability_attribute", "from_attribute",
              "from_an_operation_written_as_a_call"}
    assert not unread & set().union(*reads.values())


def test_artifacts_found_in_every_place_an_input_comes_from(tmp_path):
    topology = tricky(tmp_path)
    uses = artifact_uses(Emission(topology, PlaybookSource(topology.template.options.policy)))
    assert uses == walked_artifact_uses(topology)
    for pair in [("source", "from_source_input"), ("copier", "from_source_input"), ("shadowed", "from_first_spelling"),
                 ("typed_operation", "from_type_operation"), ("*", "from_relationship_assignment"),
                 ("relating", "from_relationship_operation")]:
        assert pair in uses, pair


def test_holders_name_only_the_values_that_hold_calls(tmp_path):
    """Most nodes are skipped: the node with a call in one input is given that input alone."""
    text = PLAIN + """
    app:
      type: my.Plain
      properties: { p: plain, q: { concat: [ a, b ] } }
      requirements: [ { host: server } ]
      interfaces:
        Standard:
          create: { implementation: c.yml, inputs: { v: { get_property: [ SELF, p ] }, w: 1 } }
"""
    topology = tricky(tmp_path, text)
    walks = list(Holders(topology.rendered, "get_property").walks(topology.raw, topology.requirements,
                                                                  ("properties", "interfaces")))
    assert [(name, values, requirements) for name, _node, values, requirements in walks] == [
        ("app", [{"get_property": ["SELF", "p"]}], [])]
    assert referenced_properties(topology) == {"app": {"p"}}


def test_a_type_that_gives_calls_has_its_nodes_walked_whole(tmp_path):
    topology = tricky(tmp_path)
    holders = Holders(topology.rendered, "get_property")
    walked = {name: values for name, _node, values, _r in holders.walks(topology.raw, topology.requirements,
                                                                        ("properties",))}
    assert walked["defaulted"] is None and walked["copier"] is None and "server" not in walked


def test_anchors_and_aliases_give_the_same_results(tmp_path):
    text = PLAIN + """
    first:
      type: my.Plain
      requirements: [ { host: server } ]
      properties: &shared { p: { get_property: [ server, aliased ] } }
    second:
      type: my.Plain
      requirements: [ { host: server } ]
      properties: *shared
"""
    topology = tricky(tmp_path, text)
    same_as_walks(topology)
    assert referenced_properties(topology) == {"server": {"aliased"}}


# -- the reader's table of keys ---------------------------------------------------------------------------


def test_a_plain_document_is_a_tree_whose_keys_are_listed_in_order():
    parsed = parse_bytes(b"a:\n  b: { get_input: x }\n  c:\n    - { get_input: [y, 1] }\n    - k: v\n")
    assert parsed.tree
    assert list(parsed.keys) == [("a",), ("a", "b"), ("a", "b", "get_input"), ("a", "c"), ("a", "c", 0, "get_input"),
                                 ("a", "c", 1, "k")]


@pytest.mark.parametrize("text", [
    "a: &m { get_input: x }\nb: *m\n",  # a map at two paths
    "a: &m { k: 1 }\nb:\n  <<: *m\n",  # merged keys
    "? { get_input: x }\n: 1\n",  # a map as a key
    "a: { get_input: x }\na: 2\n",  # a value that is gone
])
def test_a_document_whose_keys_do_not_tell_its_maps_is_no_tree(text):
    parsed = parse_bytes(text.encode())
    assert parsed.ok and not parsed.tree


def test_an_alias_of_a_scalar_keeps_the_tree():
    assert parse_bytes(b"a: &s text\nb: *s\n").tree


class _Document:
    def __init__(self, parsed):
        self.parsed = parsed


def test_listed_calls_are_the_walks_in_its_order():
    text = textwrap.dedent("""
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          outputs:
            o: { value: { concat: [ { get_input: a }, { join: [ [ { get_input: b } ] ] } ] } }
          node_templates:
            n:
              type: tosca.nodes.Root
              properties:
                p: [ { get_input: c }, { token: [ { get_input: d }, ":", 1 ] } ]
                q: { get_input: e, other: key }
                token: { get_input: f }
        """).encode()
    parsed = parse_bytes(text)
    topology = parsed.data["topology_template"]
    listed = listed_calls(_Document(parsed), topology, is_call_1)
    walked = list(calls_in(topology, ("topology_template",), is_call_1))
    assert listed == walked and [c.name for c in listed] == ["concat", "get_input", "join", "get_input", "get_input",
                                                             "token", "get_input", "get_input"]
    assert all(a.args is b.args for a, b in zip(listed, walked))
    assert listed_calls(_Document(parsed), dict(topology), is_call_1) is None  # not the topology read
    assert listed_calls(_Document(parsed), topology, lambda value: is_call_1(value)) is None  # other calls


def test_a_document_that_is_no_tree_has_its_calls_walked(tmp_path):
    text = TYPES + """
topology_template:
  inputs:
    i: { type: string, default: x }
  node_templates:
    one: &node
      type: my.Plain
      properties: { p: { get_input: i }, q: { get_input: missing } }
    two: *node
"""
    topology = tricky(tmp_path, text)
    assert not topology.template.document.parsed.tree
    walked = list(calls_in(topology.template.data["topology_template"], ("topology_template",), is_call_1))
    assert topology.rendered.calls == walked and len(walked) == 4
    assert [d.path for d in topology.diagnostics if d.rule == "PT400"] == [
        ("topology_template", "node_templates", "one", "properties", "q", "get_input"),
        ("topology_template", "node_templates", "two", "properties", "q", "get_input")]


# -- the corpus -------------------------------------------------------------------------------------------------


def corpus() -> list[Path]:
    found = sorted((ROOT / "blueprints").glob("*.yaml"))
    if INDIGO_EXAMPLES.is_dir():
        found += sorted(INDIGO_EXAMPLES.glob("*.y*ml"))
    if SAMPLES.is_dir():
        found += sorted(p for p in SAMPLES.rglob("*.y*ml") if "csar" not in p.parts)
    return found


@needs_corpus()
@pytest.mark.corpus
def test_the_corpus_gives_what_the_walks_give():
    checked = 0
    for path in corpus():
        topology = load(path, use_config=False, allow_outside_roots=True, import_map=IMPORT_MAP)
        if topology.rendered is None or not topology.raw:
            continue
        same_as_walks(topology)
        checked += 1
    assert checked > 140, checked


def test_a_call_made_fast_is_the_record():
    made, record = new_call("get_input", "x", ("a", 0)), Call("get_input", "x", ("a", 0))
    assert made == record and hash(made) == hash(record) and repr(made) == repr(record)
    assert made.args_path == ("a", 0, "get_input")
