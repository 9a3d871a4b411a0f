"""The language server end to end: a real LSP client (pytest-lsp) starts
`primage-tosca lsp` over stdio, opens and edits templates, and reads back
diagnostics, hover, definitions, completions and the outline."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from pygls.uris import from_fs_path

from conftest import ROOT

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIBRARY = """\
tosca_definitions_version: tosca_simple_yaml_1_3

node_types:
  my.nodes.App:
    derived_from: tosca.nodes.SoftwareComponent
    description: A web application.
    properties:
      port:
        type: integer
        description: The port the application listens on.
        default: 8080
        constraints:
          - in_range: [1, 65535]
      admin:
        type: string
        required: false
"""

APP = """\
tosca_definitions_version: tosca_simple_yaml_1_3

imports:
  - lib.yaml

topology_template:
  inputs:
    cpus:
      type: integer
      description: How many CPUs the server has.
      default: 2

  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: { get_input: cpus }

    app:
      type: my.nodes.App
      properties:
        prot: 80
      requirements:
        - host: server

  outputs:
    address:
      value: { get_attribute: [server, public_address] }
"""



@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    found = tmp_path_factory.mktemp("lsp")
    (found / "lib.yaml").write_text(LIBRARY)
    (found / "app.yaml").write_text(APP)
    return found


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "primage_tosca", "lsp"], server_env={"PYTHONPATH": str(ROOT)}))
async def client(lsp_client: LanguageClient, folder: Path):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=from_fs_path(str(folder))))
    yield
    await lsp_client.shutdown_session()


def uri_of(path: Path) -> str:
    return from_fs_path(str(path))


async def diagnostics_after(client: LanguageClient, uri: str, action) -> list[lsp.Diagnostic]:
    """Do ``action`` and wait for the next diagnostics published for ``uri``."""
    client.diagnostics.pop(uri, None)
    action()
    for _ in range(200):
        if uri in client.diagnostics:
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics were published for {uri}")


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="yaml", version=version, text=text)))


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [lsp.TextDocumentContentChangeWholeDocument(text=text)]))


def position_of(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of ``needle`` in ``text`` (plus ``offset`` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line, index - (text.rfind("\n", 0, index) + 1))


async def open_app(client: LanguageClient, folder: Path, text: str = APP) -> tuple[str, list[lsp.Diagnostic]]:
    uri = uri_of(folder / "app.yaml")
    found = await diagnostics_after(client, uri, lambda: open_document(client, uri, text))
    return uri, found


# -- diagnostics ---------------------------------------------------------------------------------

async def test_an_error_is_published_at_its_place_with_its_rule_and_cleared_when_fixed(client: LanguageClient,
                                                                                         folder: Path):
    uri, found = await open_app(client, folder)
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in found] == \
        [("PT506", 23, 8, 12)]  # validate: app.yaml:24:9 error PT506, on `prot`
    assert found[0].severity == lsp.DiagnosticSeverity.Error
    assert "did you mean 'port'" in found[0].message and found[0].source == "primage-tosca"
    fixed = await diagnostics_after(client, uri, lambda: replace_all(client, uri, APP.replace("prot:", "port:"), 2))
    assert fixed == []
    broken = await diagnostics_after(client, uri, lambda: replace_all(client, uri, APP, 3))
    assert [d.code for d in broken] == ["PT506"]


async def test_an_incremental_edit_is_checked_on_the_unsaved_text(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder, APP.replace("prot:", "port:"))
    where = position_of(APP, "default: 2", len("default: "))
    edit = lsp.TextDocumentContentChangePartial(
        range=lsp.Range(where, lsp.Position(where.line, where.character + 1)), text="two")

    def change() -> None:
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=5), [edit]))

    found = await diagnostics_after(client, uri, change)
    assert found and found[0].range.start.line == where.line
    assert (folder / "app.yaml").read_text() == APP  # nothing written to disk


async def test_suppression_comments_apply_to_the_editor_text(client: LanguageClient, folder: Path):
    text = APP.replace("prot: 80", "prot: 80  # primage-tosca: ignore PT506")
    _, found = await open_app(client, folder, text)
    assert found == []


async def test_findings_of_an_imported_file_are_published_for_that_file(client: LanguageClient, folder: Path):
    library = folder / "lib.yaml"
    broken = LIBRARY.replace("default: 8080", "default: eighty")
    library.write_text(broken)
    try:
        uri = uri_of(library)
        client.diagnostics.pop(uri, None)
        await open_app(client, folder, APP.replace("prot:", "port:"))
        for _ in range(100):
            if client.diagnostics.get(uri):
                break
            await asyncio.sleep(0.05)
        found = client.diagnostics.get(uri)
        assert found and found[0].range.start.line == position_of(broken, "eighty").line
    finally:
        library.write_text(LIBRARY)


async def test_broken_documents_are_findings_and_the_server_keeps_serving(client: LanguageClient, folder: Path):
    uri = uri_of(folder / "broken.yaml")
    found = await diagnostics_after(client, uri, lambda: open_document(
        client, uri, "tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template: [unclosed\n"))
    assert found and found[0].code.startswith("PT1")
    half = APP.replace("        prot: 80\n", "        por\n")  # a half-typed property name
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, half, 2))
    assert found
    missing = APP.replace("lib.yaml", "no-such-library.yaml")
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, missing, 3))
    assert any(d.code == "PT201" or "no-such-library" in d.message for d in found)
    huge = "tosca_definitions_version: tosca_simple_yaml_1_3\n" + "# padding\n" * 1_200_000
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, huge, 4))
    assert [d.code for d in found] == ["PT104"]
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, "tosca_definitions_version: \x00\x01\n\t- : :", 5))
    assert found
    # still serving: a hover past the end of a document and a normal request both answer
    await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(999, 999)))
    app, _ = await open_app(client, folder)
    answer = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(app), position_of(APP, "my.nodes.App", 3)))
    assert answer is not None and "my.nodes.App" in answer.contents.value


async def test_a_yaml_file_that_is_not_tosca_gets_no_findings(client: LanguageClient, folder: Path):
    uri = uri_of(folder / "compose.yaml")
    found = await diagnostics_after(client, uri, lambda: open_document(client, uri, "services:\n  web: {}\n"))
    assert found == []


# -- hover, definition, symbols, completion ---------------------------------------------------------

async def hover_at(client: LanguageClient, uri: str, position: lsp.Position) -> str:
    answer = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), position))
    assert answer is not None
    return answer.contents.value


async def test_hover_on_a_type_shows_its_derivation_and_description(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    shown = await hover_at(client, uri, position_of(APP, "my.nodes.App", 4))
    assert "`my.nodes.App` → `tosca.nodes.SoftwareComponent` → `tosca.nodes.Root`" in shown
    assert "A web application." in shown and "lib.yaml:4" in shown


async def test_hover_on_a_property_shows_type_constraints_default_and_place(client: LanguageClient, folder: Path):
    text = APP.replace("prot:", "port:")
    uri, _ = await open_app(client, folder, text)
    shown = await hover_at(client, uri, position_of(text, "port: 80", 1))
    assert "type: `integer`" in shown and "default: `8080`" in shown and "in_range" in shown
    assert "The port the application listens on." in shown and "lib.yaml:8" in shown
    shown = await hover_at(client, uri, position_of(text, "num_cpus", 2))
    assert "type: `integer`" in shown and "greater_or_equal" in shown
    shown = await hover_at(client, uri, position_of(text, "- host", 3))
    assert "requirement" in shown and "tosca.capabilities.Compute" in shown
    shown = await hover_at(client, uri, position_of(text, "get_input: cpus", len("get_input: ")))
    assert "(input)" in shown and "default: `2`" in shown and "How many CPUs" in shown


async def test_hover_on_a_function_call_shows_its_value_when_compile_time(client: LanguageClient, folder: Path):
    text = APP.replace("prot:", "port:").replace("port: 80", "port: { get_property: [server, host, num_cpus] }")
    uri, _ = await open_app(client, folder, text)
    shown = await hover_at(client, uri, position_of(text, "get_input: cpus", 2))
    assert "value: `2`" in shown
    shown = await hover_at(client, uri, position_of(text, "get_property", 2))
    assert "value: `2`" in shown
    shown = await hover_at(client, uri, position_of(text, "get_attribute", 2))
    assert "(function)" in shown and "value" not in shown.split("\n", 1)[0]


async def definition_at(client: LanguageClient, uri: str, position: lsp.Position) -> lsp.Location:
    found = await client.text_document_definition_async(lsp.DefinitionParams(
        lsp.TextDocumentIdentifier(uri), position))
    assert found is not None
    return found[0] if isinstance(found, list) else found


async def test_definition_of_types_nodes_and_inputs(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    found = await definition_at(client, uri, position_of(APP, "my.nodes.App", 2))
    assert found.uri == uri_of(folder / "lib.yaml") and found.range.start.line == 3
    found = await definition_at(client, uri, position_of(APP, "host: server", len("host: ")))
    assert found.uri == uri and found.range.start.line == position_of(APP, "    server:").line
    found = await definition_at(client, uri, position_of(APP, "[server", 2))
    assert found.range.start.line == position_of(APP, "    server:").line
    found = await definition_at(client, uri, position_of(APP, "get_input: cpus", len("get_input: ")))
    assert found.range.start == lsp.Position(position_of(APP, "    cpus:").line, 4)
    found = await definition_at(client, uri, position_of(APP, "tosca.nodes.Compute", 13))
    assert found.uri.endswith(".yaml") and "profiles" in found.uri


async def test_document_symbols_outline_the_template(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    found = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(uri)))
    outline = {s.name: [(c.name, c.detail) for c in s.children or []] for s in found}
    assert outline == {"inputs": [("cpus", "integer")],
                       "node_templates": [("server", "tosca.nodes.Compute"), ("app", "my.nodes.App")],
                       "outputs": [("address", None)]}
    nodes = next(s for s in found if s.name == "node_templates")
    assert nodes.children[1].range.start.line == position_of(APP, "    app:").line
    assert nodes.children[1].range.end.line == position_of(APP, "        - host: server").line


async def completions(client: LanguageClient, uri: str, position: lsp.Position) -> dict[str, lsp.CompletionItem]:
    found = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(uri), position))
    items = found.items if isinstance(found, lsp.CompletionList) else found
    return {item.label: item for item in items}


async def test_completion_of_node_types_properties_and_requirements(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    found = await completions(client, uri, position_of(APP, "type: my.nodes.App", len("type: ")))
    assert {"my.nodes.App", "tosca.nodes.Compute", "tosca.nodes.SoftwareComponent"} <= set(found)
    assert "tosca.datatypes.Credential" not in found
    # a half-typed property name: the YAML is broken, the last good reading answers
    half = APP.replace("        prot: 80\n", "        prot: 80\n        ad\n")
    replace_all(client, uri, half, 10)
    found = await completions(client, uri, position_of(half, "        ad\n", 10))
    assert "admin" in found and "port" in found and "prot" not in found
    assert found["port"].detail == "integer" and "listens on" in found["port"].documentation.value
    found = await completions(client, uri, position_of(half, "- host: server", 2))
    assert {"host", "dependency"} <= set(found)
    found = await completions(client, uri, position_of(half, "- host: server", len("- host: ")))
    assert set(found) == {"server"}  # app itself cannot host app


async def test_completion_of_inputs_functions_and_versions(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    found = await completions(client, uri, position_of(APP, "get_input: cpus", len("get_input: ")))
    assert set(found) == {"cpus"} and found["cpus"].detail == "integer"
    found = await completions(client, uri, position_of(APP, "{ get_attribute", 2))
    assert {"get_input", "get_property", "get_attribute", "concat"} <= set(found)
    found = await completions(client, uri, position_of(APP, "tosca_simple_yaml_1_3"))
    assert {"tosca_simple_yaml_1_3", "tosca_simple_yaml_1_0"} <= set(found)
    text = APP.replace("    cpus:\n      type: integer", "    cpus:\n      type: ")
    replace_all(client, uri, text, 20)
    found = await completions(client, uri, position_of(text, "      type: \n", len("      type: ")))
    assert {"integer", "string", "tosca.datatypes.Credential"} <= set(found) and "tosca.nodes.Compute" not in found


# -- quick fixes --------------------------------------------------------------------------------

def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.split("\n")
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = sum(len(line) + 1 for line in lines[:edit.range.start.line]) + edit.range.start.character
        end = sum(len(line) + 1 for line in lines[:edit.range.end.line]) + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
        lines = text.split("\n")
    return text


async def fixes_for(client: LanguageClient, uri: str, line: int) -> dict[str, list[lsp.TextEdit]]:
    found = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(line, 0), lsp.Position(line, 0)),
        lsp.CodeActionContext(diagnostics=[])))
    return {action.title: action.edit.changes[uri] for action in found or []}


async def test_quick_fixes_rename_add_and_declare(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    found = await fixes_for(client, uri, position_of(APP, "prot:").line)
    assert list(found) == ["Rename 'prot' to 'port'"]
    renamed = apply_edits(APP, found["Rename 'prot' to 'port'"])
    assert "        port: 80\n" in renamed
    assert await diagnostics_after(client, uri, lambda: replace_all(client, uri, renamed, 30)) == []

    required = LIBRARY.replace("required: false", "required: true")
    (folder / "lib.yaml").write_text(required)
    try:
        text = renamed + "    extra:\n      value: { get_input: flavour }\n"
        found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 31))
        assert sorted(d.code for d in found) == ["PT400", "PT505"]
        edits = []
        for finding in found:
            actions = await fixes_for(client, uri, finding.range.start.line)
            assert len(actions) == 1, actions
            edits.extend(next(iter(actions.values())))
        fixed = apply_edits(text, edits)
        assert "        admin: \"\"\n        port: 80\n" in fixed
        assert "  inputs:\n    flavour:\n      type: string\n    cpus:" in fixed
        assert await diagnostics_after(client, uri, lambda: replace_all(client, uri, fixed, 32)) == []
    finally:
        (folder / "lib.yaml").write_text(LIBRARY)


async def test_no_fix_when_the_suggestion_is_more_than_one_edit_away(client: LanguageClient, folder: Path):
    text = APP.replace("prot:", "pot_number:")
    uri, found = await open_app(client, folder, text)
    assert [d.code for d in found] == ["PT506"]
    assert await fixes_for(client, uri, position_of(text, "pot_number").line) == {}


TOSCA_2 = """\
tosca_definitions_version: tosca_2_0

service_template:
  inputs:
    cpus:
      type: integer
  node_templates:
    vm:
      type: Compute
      properties:
        name: { $get_input: cpus }
"""


async def test_a_tosca_2_file_has_its_outline_and_dollar_functions(client: LanguageClient, folder: Path):
    uri = uri_of(folder / "two.yaml")
    await diagnostics_after(client, uri, lambda: open_document(client, uri, TOSCA_2))
    found = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(uri)))
    assert {s.name: [c.name for c in s.children] for s in found} == {"inputs": ["cpus"], "node_templates": ["vm"]}
    found = await completions(client, uri, position_of(TOSCA_2, "{ $get_input", 2))
    assert "$get_input" in found and "get_input" not in found


async def references_at(client: LanguageClient, uri: str, position: lsp.Position) -> list[tuple[str, int, int]]:
    found = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=position,
        context=lsp.ReferenceContext(include_declaration=True)))
    return sorted((Path(f.uri).name, f.range.start.line, f.range.start.character) for f in found or [])


async def test_references_of_nodes_inputs_and_types(client: LanguageClient, folder: Path):
    uri, _ = await open_app(client, folder)
    server = position_of(APP, "    server:")
    found = await references_at(client, uri, lsp.Position(server.line, 5))
    assert found == [("app.yaml", server.line, 4), ("app.yaml", *_line_column(APP, "host: server", 6)),
                     ("app.yaml", *_line_column(APP, "[server", 1))]
    found = await references_at(client, uri, position_of(APP, "    cpus:", 5))
    assert found == [("app.yaml", position_of(APP, "    cpus:").line, 4),
                     ("app.yaml", *_line_column(APP, "get_input: cpus", len("get_input: ")))]
    found = await references_at(client, uri, position_of(APP, "my.nodes.App", 3))
    assert found == [("app.yaml", *_line_column(APP, "my.nodes.App", 0)), ("lib.yaml", 3, 2)]


def _line_column(text: str, needle: str, offset: int) -> tuple[int, int]:
    found = position_of(text, needle, offset)
    return found.line, found.character


async def test_an_unsaved_change_to_an_open_library_rechecks_the_templates_importing_it(client: LanguageClient,
                                                                                      folder: Path):
    text = APP.replace("prot:", "port:")
    uri, found = await open_app(client, folder, text)
    assert found == []
    library = uri_of(folder / "lib.yaml")
    await diagnostics_after(client, library, lambda: open_document(client, library, LIBRARY))
    renamed = LIBRARY.replace("      port:", "      listen_port:")
    found = await diagnostics_after(client, uri, lambda: replace_all(client, library, renamed, 2))
    assert [(d.code, d.range.start.line) for d in found] == [("PT506", position_of(text, "port: 80").line)]
    assert (folder / "lib.yaml").read_text() == LIBRARY
    found = await diagnostics_after(client, uri, lambda: replace_all(client, library, LIBRARY, 3))
    assert found == []
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(library)))


async def test_the_config_file_nearest_the_document_sets_the_rules(client: LanguageClient, folder: Path):
    project = folder / "project"
    project.mkdir()
    (project / "lib.yaml").write_text(LIBRARY)
    (project / ".primage-tosca.yaml").write_text("ignore: [PT506]\n")
    uri = uri_of(project / "app.yaml")
    found = await diagnostics_after(client, uri, lambda: open_document(client, uri, APP))
    assert found == []
    config = uri_of(project / ".primage-tosca.yaml")
    (project / ".primage-tosca.yaml").write_text("only: [PT506]\n")
    open_document(client, config, "only: [PT506]\n")
    found = await diagnostics_after(client, uri, lambda: client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(config))))
    assert [d.code for d in found] == ["PT506"]


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "primage_tosca", "lsp", "--ignore", "PT402"],
    server_env={"PYTHONPATH": str(ROOT)}))
async def configured(lsp_client: LanguageClient, folder: Path):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("neovim"), root_uri=from_fs_path(str(folder)),
        initialization_options={"ignore": ["PT506"]}))
    yield
    await lsp_client.shutdown_session()


async def test_the_editors_initialization_options_set_the_rules(configured: LanguageClient, folder: Path):
    uri = uri_of(folder / "app.yaml")
    found = await diagnostics_after(configured, uri, lambda: open_document(configured, uri, APP))
    assert found == []
    unused = APP.replace("    cpus:\n", "    unused:\n      type: string\n    cpus:\n")
    found = await diagnostics_after(configured, uri, lambda: replace_all(configured, uri, unused, 2))
    assert [d.code for d in found] == ["PT402"]  # the editor's ignore list replaces the command line's


async def test_columns_are_in_the_clients_units_after_wide_characters(client: LanguageClient, folder: Path):
    wide = '      properties: { admin: "\U0001F600 é", prot: 80 }\n'
    text = APP.replace("      properties:\n        prot: 80\n", wide)
    uri, found = await open_app(client, folder, text)
    line = position_of(text, wide).line
    column = wide.encode("utf-16-le").index("prot".encode("utf-16-le")) // 2  # the emoji is two UTF-16 units
    assert column == wide.index("prot") + 1
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [("PT506", line, column)]


async def test_a_document_opened_through_a_symbolic_link_gets_its_findings_by_that_name(client: LanguageClient,
                                                                                       folder: Path):
    link = folder / "linked"
    link.mkdir()
    (link / "lib.yaml").write_text(LIBRARY)
    (link / "real.yaml").write_text(APP)
    (link / "alias.yaml").symlink_to(link / "real.yaml")
    uri = uri_of(link / "alias.yaml")
    found = await diagnostics_after(client, uri, lambda: open_document(client, uri, APP))
    assert [d.code for d in found] == ["PT506"]
    assert uri_of(link / "real.yaml") not in client.diagnostics
