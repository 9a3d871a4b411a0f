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
