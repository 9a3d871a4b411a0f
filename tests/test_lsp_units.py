"""The language server's pieces on their own: the cursor read from text,
the guard around handlers, the one-edit test of quick fixes."""

from __future__ import annotations

import logging

from primage_tosca.lsp.actions import one_edit_apart
from primage_tosca.lsp.context import cursor_at
from primage_tosca.lsp.server import guarded

TEXT = """\
topology_template:
  node_templates:
    app:
      type: my.nodes.App
      properties:
        por
      requirements:
        - host: server
        - database:
            node: db
"""


def test_the_cursor_path_is_read_by_indentation_even_in_broken_yaml():
    cursor = cursor_at(TEXT, 5, 11)  # after `por`, which is not valid YAML here
    assert cursor.path == ("topology_template", "node_templates", "app", "properties")
    assert cursor.key is None and cursor.word == "por" and cursor.prefix == "por"
    cursor = cursor_at(TEXT, 3, 14)
    assert cursor.full_path == ("topology_template", "node_templates", "app", "type")
    assert cursor.in_value and cursor.word == "my.nodes.App"
    cursor = cursor_at(TEXT, 7, 18)
    assert cursor.path == ("topology_template", "node_templates", "app", "requirements")
    assert cursor.key == "host" and cursor.in_value and cursor.word == "server" and cursor.list_item
    cursor = cursor_at(TEXT, 9, 19)
    assert cursor.path[-2:] == ("requirements", "database") and cursor.key == "node" and cursor.word == "db"


def test_a_cursor_outside_the_text_is_empty():
    cursor = cursor_at(TEXT, 400, 7)
    assert cursor.word == "" and cursor.key is None


def test_a_failing_handler_answers_nothing_and_is_logged(caplog):
    @guarded
    def broken(*_):
        raise KeyError("boom")

    with caplog.at_level(logging.ERROR):
        assert broken(1, 2) is None
    assert "broken failed" in caplog.text and "KeyError" in caplog.text


def test_one_edit_apart():
    assert one_edit_apart("prot", "port")  # neighbours swapped
    assert one_edit_apart("prt", "port") and one_edit_apart("ports", "port") and one_edit_apart("pert", "port")
    assert not one_edit_apart("port", "port") and not one_edit_apart("pot_number", "port")
    assert not one_edit_apart("tropo", "port")


def test_the_loader_reads_an_overlay_instead_of_the_file(tmp_path):
    from primage_tosca.imports.template import LoadOptions
    from primage_tosca.pipeline import run
    from primage_tosca.source.reader import Limits

    template = tmp_path / "t.yaml"
    template.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [lib.yaml]\n")
    (tmp_path / "lib.yaml").write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n")
    unsaved = {str(template.resolve()): b"tosca_definitions_version: tosca_simple_yaml_1_3\n",
               str((tmp_path / "lib.yaml").resolve()): b"tosca_definitions_version: tosca_simple_yaml_9\n"}
    result = run(str(template), LoadOptions(overlay=unsaved), ())
    assert [d.rule for d in result.diagnostics] == []  # the overlay's template imports nothing
    unsaved[str(template.resolve())] = template.read_bytes()
    result = run(str(template), LoadOptions(overlay=unsaved), ())
    assert [(d.rule, d.file.endswith("lib.yaml")) for d in result.diagnostics][:1] == [("PT301", True)]
    result = run(str(template), LoadOptions(overlay=unsaved, limits=Limits(max_bytes=20)), ())
    assert [d.rule for d in result.diagnostics] == ["PT104"]


def test_suppression_comments_are_read_from_the_overlay(tmp_path):
    from primage_tosca.imports.template import LoadOptions
    from primage_tosca.validation import check_file

    template = tmp_path / "t.yaml"
    text = ("tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n"
            "    s:\n      type: tosca.nodes.Compute\n      properties:\n        colour: blue{}\n")
    template.write_text(text.format(""))
    assert [d.rule for d in check_file(str(template), LoadOptions()).findings] == ["PT506"]
    unsaved = {str(template.resolve()): text.format("  # primage-tosca: ignore PT506").encode()}
    assert check_file(str(template), LoadOptions(overlay=unsaved)).findings == []


def test_an_editor_text_is_forgotten_by_the_parse_cache_once_replaced(tmp_path):
    from primage_tosca.lsp.analysis import Analyzer
    from primage_tosca.source.document import ParseCache

    cache = ParseCache()
    analyzer = Analyzer(cache=cache)
    path = str(tmp_path / "t.yaml")
    for version in range(5):
        analyzer.set_text(path, f"tosca_definitions_version: tosca_simple_yaml_1_3\ndescription: v{version}\n")
        analyzer.check(path)
    assert len(cache._parsed) == 1
    analyzer.close(path)
    assert len(cache._parsed) == 0


def test_an_unknown_rule_id_is_a_usage_error_before_serving(capsys):
    from primage_tosca.cli import main

    assert main(["lsp", "--ignore", "PT999"]) == 2
    assert "unknown rule id PT999" in capsys.readouterr().err
