"""What keeps an edit fast in the language server: an edited document is read
again only in the block that changed, and the result is always what a full
reading and a fresh `validate` give."""

from __future__ import annotations

import random

from primage_tosca.imports.template import LoadOptions
from primage_tosca.lsp.analysis import Analyzer
from primage_tosca.lsp.reparse import key_places, reparse
from primage_tosca.source import document as document_module
from primage_tosca.source.document import ParseCache
from primage_tosca.source.reader import DEFAULT_LIMITS, Limits, parse_bytes
from primage_tosca.validation import check_file

HEAD = """\
tosca_definitions_version: tosca_simple_yaml_1_3

imports:
  - lib.yaml

node_types:
  my.nodes.App:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      port:
        type: integer
        default: 8080

topology_template:
  inputs:
    cpus:
      type: integer
      default: 2

  node_templates:
"""

NODES = """\
    server_{n}:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: {{ get_input: cpus }}
            mem_size: 2 GB
        os:
          properties:
            type: linux   # a comment
            distribution: ubuntu
    app_{n}:
      type: my.nodes.App
      description: >
        An application
        on server_{n}: folded
      properties:
        port: 80{n:02d}
      requirements:
        - host: server_{n}
        - dependency:
            node: server_{n}
            relationship: tosca.relationships.DependsOn
      interfaces:
        Standard:
          create: {{ implementation: install.yml, inputs: {{ where: [a, b] }} }}

"""

LIBRARY = """\
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  lib.nodes.Thing:
    derived_from: tosca.nodes.Root
"""


def template(nodes: int = 12) -> str:
    return HEAD + "".join(NODES.format(n=n) for n in range(nodes))


def same_parse(got, full) -> bool:
    return (got.data == full.data and got.problems == full.problems
            and list(got.values.items()) == list(full.values.items())
            and list(got.keys.items()) == list(full.keys.items()))


def test_reading_only_the_changed_block_gives_what_a_full_reading_gives():
    text = template()
    old = text.encode()
    parsed = parse_bytes(old)
    rng = random.Random(14)
    alphabet = "a:- \n#{}[],'\"x1|>&*!%@`\t"
    used = 0
    for _ in range(600):
        at = rng.randrange(len(text))
        kind = rng.random()
        if kind < 0.35:
            new = text[:at] + rng.choice(alphabet) + text[at:]
        elif kind < 0.65:
            new = text[:at] + text[at + 1:]
        elif kind < 0.9:
            new = text[:at] + rng.choice(alphabet) + text[at + 1:]
        else:
            new = text[:at] + "\n        extra:\n          - 1\n" + text[at:]
        got = reparse(old, parsed, new.encode(), DEFAULT_LIMITS)
        if got is not None:
            used += 1
            full = parse_bytes(new.encode())
            assert same_parse(got[0], full), (at, new[at - 60:at + 60])
            assert got[1] == key_places(full)
    assert used > 200  # most edits are read in part, or this test checks nothing


def test_a_chain_of_edits_read_in_part_stays_equal_to_full_readings():
    text = template()
    parsed, places = parse_bytes(text.encode()), None
    rng = random.Random(7)
    used = 0
    for _ in range(300):
        at = rng.randrange(len(text))
        if rng.random() < 0.2:  # a blank line: every line after it moves
            at = text.rfind("\n", 0, at) + 1
            new = text[:at] + "\n" + text[at:]
        elif text[at].isalnum():  # mostly text that stays valid, so that the chain goes on
            new = text[:at] + rng.choice("az17_") + text[at + 1:]
        else:
            continue
        got = reparse(text.encode(), parsed, new.encode(), DEFAULT_LIMITS, places)
        full = parse_bytes(new.encode())
        if got is not None:
            used += 1
            assert same_parse(got[0], full) and got[1] == key_places(full), (at, new[at - 60:at + 60])
            parsed, places = got
        else:
            parsed, places = full, None
        text = new
    assert used > 100


def test_edits_that_cannot_be_read_in_part_are_left_to_a_full_reading():
    text = template()
    old = text.encode()
    parsed = parse_bytes(old)
    at = text.index("mem_size: 2 GB", text.index("server_5:"))
    for new in [text[:at] + "mem_size: &size 2 GB" + text[at + 14:],  # an anchor
                text[:at] + "mem_size:\t2 GB" + text[at + 14:],  # a tab
                text.replace("\n", "\r\n"),  # other line ends
                text + "---\nsecond: document\n",
                text[:at] + "mem_size: [2 GB" + text[at + 14:]]:  # broken YAML
        assert reparse(old, parsed, new.encode(), DEFAULT_LIMITS) is None
    renamed = text.replace("    server_5:", "    server_5x:")  # a key line: the block around it is read
    assert same_parse(reparse(old, parsed, renamed.encode(), DEFAULT_LIMITS)[0], parse_bytes(renamed.encode()))
    deep = Limits(max_depth=6)
    assert reparse(old, parse_bytes(old, deep), text.replace("os:\n", "os: {a: [[1]]}\n  # \n", 1).encode(),
                   deep) is None
    short = "tosca_definitions_version: tosca_simple_yaml_1_3\ndescription: short\n"
    assert reparse(short.encode(), parse_bytes(short.encode()), short.replace("short", "shirt").encode(),
                   DEFAULT_LIMITS) is None


def analyzer_and_files(tmp_path):
    (tmp_path / "lib.yaml").write_text(LIBRARY)
    path = tmp_path / "app.yaml"
    path.write_text(template())
    return Analyzer(cache=ParseCache()), str(path)


def fresh_findings(path: str, analyzer: Analyzer) -> list:
    """What a fresh `validate` of the editor's text finds: a new parse cache, nothing reused."""
    options = LoadOptions(overlay=dict(analyzer.overlay), cache=ParseCache())
    return check_file(path, options).findings


def findings_of(analysis) -> list:
    return [finding for found in analysis.findings.values() for finding in found]


def test_an_edit_inside_a_block_is_not_read_whole_again(tmp_path, monkeypatch):
    analyzer, path = analyzer_and_files(tmp_path)
    text = template()
    analyzer.set_text(path, text)
    analyzer.check(path)
    whole = []
    real_parse = document_module.parse_bytes
    monkeypatch.setattr(document_module, "parse_bytes", lambda raw, limits: whole.append(raw) or real_parse(raw, limits))
    at = text.index("port: 8007") + len("port: 800")
    for digit in "x9":
        analyzer.set_text(path, text[:at] + digit + text[at + 1:])
        whole.clear()
        found = analyzer.check(path)
        assert whole == []  # the library came from the cache, the template was read in part
        assert findings_of(found) == fresh_findings(path, analyzer)
    assert [f.rule for f in findings_of(found)] == []


def test_edits_to_a_type_definition_or_an_import_give_the_findings_of_validate(tmp_path):
    analyzer, path = analyzer_and_files(tmp_path)
    text = template()
    steps = [
        text,
        text.replace("        type: integer\n        default: 8080", "        type: string\n        default: 8080"),
        text.replace("    derived_from: tosca.nodes.SoftwareComponent", "    derived_from: tosca.nodes.Nothing"),
        text.replace("      port:\n        type: integer", "      prt:\n        type: integer"),
        text.replace("  - lib.yaml", "  - missing.yaml"),
        text.replace("  - lib.yaml", "  - lib.yaml\n  - missing.yaml"),
        text.replace("    server_3:\n      type: tosca.nodes.Compute", "    server_3:\n      type: lib.nodes.Thing"),
        text.replace("    server_3:\n      type: tosca.nodes.Compute", "    server_3:\n      type: lib.nodes.Thin"),
        text,
    ]
    rules = []
    for step in steps:
        analyzer.set_text(path, step)
        found = findings_of(analyzer.check(path))
        assert found == fresh_findings(path, analyzer)
        rules.append(sorted({f.rule for f in found}))
    assert rules[0] == [] and rules[-1] == []
    assert all(rules[1:-1]), rules  # every broken step has findings, and they are validate's


def test_a_block_of_a_2_0_document_is_read_by_yaml_1_2_as_the_whole_is():
    text = template().replace("tosca_simple_yaml_1_3", "tosca_2_0", 1)
    assert text != template()
    parsed = parse_bytes(text.encode())
    assert parsed.yaml_1_2
    rng = random.Random(3)
    used = 0
    for _ in range(200):
        at = text.find("distribution: ubuntu", rng.randrange(len(text) - 40))
        if at < 0:
            continue
        word = rng.choice(["on", "no", "1:20", "0o17", "1e3", "2020-01-01", "010"])
        new = text[:at] + "distribution: " + word + text[at + len("distribution: ubuntu"):]
        got = reparse(text.encode(), parsed, new.encode(), DEFAULT_LIMITS)
        if got is not None:
            used += 1
            assert same_parse(got[0], parse_bytes(new.encode())), word
    assert used > 50
    # an edit that changes which YAML reads the document is read whole
    back = text.replace("tosca_2_0", "tosca_simple_yaml_1_3", 1)
    assert reparse(text.encode(), parsed, back.encode(), DEFAULT_LIMITS) is None
