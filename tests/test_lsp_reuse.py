"""After an edit the language server takes from its last check what the edit
did not change (the types, node templates' renders, requirements and
evaluated properties): the findings must still be exactly those of a fresh
`validate` of the same text, after every edit, and hover, definition and
completion must answer from the kept products as from fresh ones."""

from __future__ import annotations

import random

import pytest
from test_lsp_speed import LIBRARY, findings_of, fresh_findings

from primage_tosca.lsp.analysis import Analyzer
from primage_tosca.lsp.completion import complete
from primage_tosca.lsp.context import cursor_at
from primage_tosca.lsp.hover import hover
from primage_tosca.lsp.navigation import definition
from primage_tosca.source.document import ParseCache

VERSION = "tosca_definitions_version: tosca_simple_yaml_1_3\n\n"
IMPORTS = "imports:\n  - lib.yaml\n\n"
TYPES = """\
node_types:
  my.nodes.App:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      port:
        type: integer
        default: 8080
        constraints:
          - in_range: [1, 65535]
      peer_port:
        type: integer
        required: false
      label:
        type: string
        required: false
    artifacts:
      recipe:
        type: tosca.artifacts.AnsibleGalaxy.role
        file: http://example.org/roles/web.tar.gz

"""
TOPOLOGY = """\
topology_template:
  inputs:
    cpus:
      type: integer
      default: 2
    prefix:
      type: string
      default: app

  node_templates:
{nodes}
  outputs:
    first_port:
      value: {{ get_property: [app_0, port] }}
    first_address:
      value: {{ get_attribute: [server_0, public_address] }}

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
            type: linux
            distribution: ubuntu

    app_{n}:
      type: my.nodes.App
      properties:
        port: 80{n:02d}
        peer_port: {{ get_property: [app_{m}, port] }}
        label: {{ concat: [{{ get_input: prefix }}, "-{n}"] }}
      requirements:
        - host: server_{n}
        - dependency:
            node: app_{m}
            relationship: tosca.relationships.ConnectsTo
      interfaces:
        Standard:
          configure:
            implementation: configure.yml
            inputs:
              cpus: {{ get_property: [HOST, host, num_cpus] }}
              peer: {{ get_attribute: [server_{m}, private_address] }}

"""
COUNT = 8

# (text, replacement) pairs: most leave valid YAML with new findings, some repair or change types and imports;
# spaces after a colon move what follows on its line, findings included, without changing any value
SWAPS = [
    ("port: 80", "port: x80"), ("port: 80", "port: 99999"), ("mem_size: 2 GB", "mem_size: 2"),
    ("mem_size: 2 GB", "mem_sizes: 2 GB"), ("host: server_", "host: serve_"), ("[app_", "[ap_"),
    ("type: my.nodes.App", "type: my.nodes.Ap"), ("type: my.nodes.App", "type: lib.nodes.Thing"),
    ("get_input: cpus", "get_input: cpu"), ("num_cpus: {", "num_cpus: 3 #{"), ("distribution: ubuntu", "distribution: 7"),
    ("node: app_", "node: server_"), ("[HOST, host, num_cpus]", "[HOST, host, num_cpu]"),
    ("[HOST, host", "[SELF, host"), ("[server_", "[app_"), ("private_address", "privat_address"),
    ("relationship: tosca.relationships.ConnectsTo", "relationship: tosca.relationships.HostedOn"),
    ("default: 8080", "default: eighty"), ("in_range: [1, 65535]", "in_range: [1, 80]"),
    ("      default: 2\n", "      default: two\n"), ("      default: app\n", "      default: 3\n"),
    ("  - lib.yaml", "  - missing.yaml"), ("  - lib.yaml", "  - lib.yaml\n  - lib.yaml"),
    ("type: linux", "type: linux\n            architecture: x86_64"), ('"-', '"+'),
    (": ", ":   "), (": ", ":   "), ("configure.yml", "{ primary: configure.yml }"), ("http://example.org", "https://example.org"), ("\n    app_", "\n    # a comment\n    app_"),
]
ALPHABET = "a:- \n#{}[],'\"x1|>*!%@`"


def template(types_first: bool, count: int = COUNT, ring: bool = True) -> str:
    """Each app names the next one (the last the first when ``ring``, else the one before it)."""
    nodes = "".join(NODES.format(n=n, m=(n + 1) % count if ring or n + 1 < count else n - 1) for n in range(count))
    topology = TOPOLOGY.format(nodes=nodes)
    return VERSION + IMPORTS + (TYPES + topology if types_first else topology + TYPES)


def edited(text: str, rng: random.Random) -> str:
    """One random edit: a swap from the list at one of its places, a character
    typed or deleted, a line removed, or a blank or comment line added."""
    kind = rng.random()
    if kind < 0.55:
        old, new = rng.choice(SWAPS)
        places = [i for i in range(len(text)) if text.startswith(old, i)] if old in text else []
        if places:
            at = rng.choice(places)
            return text[:at] + new + text[at + len(old):]
    at = rng.randrange(len(text))
    if kind < 0.7:
        return text[:at] + rng.choice(ALPHABET) + text[at:]
    if kind < 0.8:
        return text[:at] + text[at + 1:]
    start = text.rfind("\n", 0, at) + 1
    if kind < 0.88:
        end = text.find("\n", at)
        return text[:start] + text[end + 1:] if end != -1 else text
    return text[:start] + rng.choice(["\n", "      # note\n", "  # top\n"]) + text[start:]


def setup(tmp_path, text: str) -> tuple[Analyzer, str]:
    (tmp_path / "lib.yaml").write_text(LIBRARY)
    path = tmp_path / "app.yaml"
    path.write_text(text)
    return Analyzer(cache=ParseCache()), str(path)


@pytest.mark.parametrize("types_first", [True, False], ids=["types-first", "types-last"])
def test_random_edits_give_the_findings_of_a_fresh_validate(tmp_path, types_first):
    base = template(types_first)
    analyzer, path = setup(tmp_path, base)
    rng = random.Random(2026 + types_first)
    text = base
    kept = {"types": 0, "render": 0, "requirements": 0, "vertex": 0, "edges": 0}
    rules = set()
    for step in range(160):
        if rng.random() < 0.25:
            text = base  # back to the valid template, so that the walk does not drift into noise
        else:
            text = edited(text, rng)
        analyzer.set_text(path, text)
        found = findings_of(analyzer.check(path))
        expected = fresh_findings(path, analyzer)
        assert found == expected, (step, text)
        rules.update(f.rule for f in found)
        for phase, count in analyzer._reuse[analyzer.latest[path].path].counts.items():
            kept[phase] += count
    # the walk met many kinds of findings, and most checks took most of their products from memory
    assert len(rules) >= 12, rules
    assert kept["types"] > 40 and kept["vertex"] > 40 * COUNT, kept


def test_a_one_character_edit_rebuilds_only_what_names_the_edited_node(tmp_path):
    text = template(True, ring=False)
    analyzer, path = setup(tmp_path, text)
    analyzer.set_text(path, text)
    analyzer.check(path)
    at = text.index("port: 8003") + len("port: 800")
    analyzer.set_text(path, text[:at] + "9" + text[at + 1:])
    found = analyzer.check(path)
    counts = analyzer._reuse[found.path].counts
    # app_3 is rendered again; app_2 names it (get_property, dependency), app_1 names app_2 and app_0 app_1,
    # so their requirements and values are worked out again too
    assert counts == {"types": 1, "render": 2 * COUNT - 1, "requirements": 2 * COUNT - 4, "vertex": 2 * COUNT - 4,
                      "edges": 2 * COUNT - 4}
    assert findings_of(found) == fresh_findings(path, analyzer)
    assert found.compilation.topology.vertices["app_2"]["properties"]["peer_port"] == 8009


@pytest.mark.parametrize("types_first", [True, False], ids=["types-first", "types-last"])
def test_hover_definition_and_completion_answer_from_kept_products(tmp_path, types_first):
    text = template(types_first)
    analyzer, path = setup(tmp_path, text)
    analyzer.set_text(path, text)
    analyzer.check(path)
    at = text.index("    app_5:")
    text = text[:at] + "    # a new line above app_5\n" + text[at:]  # every line after it moves
    analyzer.set_text(path, text)
    analysis = analyzer.check(path)
    # types written after the edit would move: they are built again then, and nothing else is kept
    assert bool(analyzer._reuse[analysis.path].counts["vertex"]) is types_first
    lines = text.split("\n")
    type_line = lines.index("  my.nodes.App:")
    use = max(i for i, line in enumerate(lines) if "type: my.nodes.App" in line)
    place = definition([analysis], cursor_at(text, use, lines[use].index("my.nodes.App") + 2))
    assert (place.path, place.line) == (path, type_line)
    peer = lines.index("    app_6:") + 4
    assert lines[peer].startswith("        peer_port: { get_property")
    shown = hover([analysis], cursor_at(text, peer, lines[peer].index("get_property") + 3))
    assert "`8007`" in shown  # app_6's value, read from app_7 by get_property
    host = next(i for i, line in enumerate(lines) if line == "    server_6:") + 4  # under its host's properties:
    typing = "\n".join(lines[:host + 1] + ["            "] + lines[host + 1:])
    offered = {item.label for item in complete([analysis], cursor_at(typing, host + 1, 12))}
    assert "disk_size" in offered and "num_cpus" not in offered


def test_an_edit_of_an_imported_file_open_in_the_editor_rebuilds_everything(tmp_path):
    text = template(True).replace("    app_3:\n      type: my.nodes.App", "    app_3:\n      type: lib.nodes.Thing")
    analyzer, path = setup(tmp_path, text)
    analyzer.set_text(path, text)
    assert "PT505" not in {f.rule for f in findings_of(analyzer.check(path))}
    library = str(tmp_path / "lib.yaml")
    analyzer.set_text(library, LIBRARY + "    properties:\n      size:\n        type: integer\n")
    found = analyzer.check(path)
    assert analyzer._reuse[found.path].counts == dict.fromkeys(["types", "render", "requirements", "vertex", "edges"], 0)
    assert findings_of(found) == fresh_findings(path, analyzer)
    assert "PT505" in {f.rule for f in findings_of(found)}  # app_3 lacks the size its type now requires


def test_a_kept_node_whose_finding_moved_on_its_line_is_checked_again(tmp_path):
    text = template(True).replace("    app_4:\n      type: my.nodes.App", "    app_4:\n      type: my.nodes.Ap")
    analyzer, path = setup(tmp_path, text)
    analyzer.set_text(path, text)
    before = [f for f in findings_of(analyzer.check(path)) if f.rule == "PT310"]
    spaced = text.replace("      type: my.nodes.Ap\n", "      type:    my.nodes.Ap\n")  # the same value, further right
    analyzer.set_text(path, spaced)
    found = analyzer.check(path)
    after = [f for f in findings_of(found) if f.rule == "PT310"]
    assert [f.column + 3 for f in before] == [f.column for f in after]
    assert findings_of(found) == fresh_findings(path, analyzer)
    assert analyzer._reuse[found.path].counts["render"] == 2 * COUNT - 1  # all but app_4


def test_a_document_with_other_line_breaks_is_checked_whole(tmp_path):
    # a lone carriage return breaks a line for YAML: lines counted by newlines would be off by one
    text = template(True).replace("imports:\n", "imports:\r", 1)
    analyzer, path = setup(tmp_path, text)
    analyzer.set_text(path, text)
    analyzer.check(path)
    at = text.index("    app_5:")
    analyzer.set_text(path, text[:at] + "\n" + text[at:].replace("port: 8007", "port: x8007"))
    found = analyzer.check(path)
    assert not any(analyzer._reuse[found.path].counts.values())
    assert findings_of(found) == fresh_findings(path, analyzer)
    assert "PT503" in {f.rule for f in findings_of(found)}  # the port that is not an integer
