"""The language server on TOSCA 2.0 files, end to end through a real LSP client:
hover, definition, references, completion, outline and quick fixes with 2.0's own
names (profiles, namespaces, `$`-functions, user-defined functions), on a template
importing the OASIS simple profile by URL through an import map, one importing a
file into a namespace, and documents with errors of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

import primage_tosca
from conftest import IMPORT_MAP, needs_corpus
from test_lsp import client  # noqa: F401 - the server, started in this module's folder
from test_lsp import (apply_edits, completions, definition_at, diagnostics_after, fixes_for, hover_at, open_document,
                      position_of, references_at, replace_all, uri_of)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SIMPLE_URL = ("https://raw.githubusercontent.com/xDaryamo/tosca-community-contributions/refs/heads/master/"
              "profiles/org/oasis-open/simple/2.0/profile.yaml")
SIMPLE_FILES = IMPORT_MAP.parent / "raw.githubusercontent.com" / SIMPLE_URL.split("raw.githubusercontent.com/")[1]

# The simple profile by its URL (served by the corpus's import map), into the file's own namespace.
WEB = f"""\
tosca_definitions_version: tosca_2_0

imports:
  - url: {SIMPLE_URL}

service_template:
  inputs:
    cpus:
      type: integer
      default: 2
      validation: {{ $greater_or_equal: [ $value, 1 ] }}
    site:
      type: string
      default: example.org

  node_templates:
    server:
      type: Compute
      capabilities:
        host:
          properties:
            num_cpus: {{ $get_input: cpus }}
    database:
      type: DBMS
      requirements:
        - host: server
    app:
      type: SoftwareComponent
      requirements:
        - host: server

  outputs:
    url:
      value: {{ $concat: [ "https://", {{ $get_input: site }}, "/app" ] }}
    cores:
      value: {{ $get_property: [ server, CAPABILITY, host, num_cpus ] }}
"""

# A library of the template's own, imported into the namespace `lib`; the simple profile by its name.
LIB = """\
tosca_definitions_version: tosca_2_0

imports:
  - profile: org.oasis-open.simple:2.0
    namespace: simple

functions:
  half:
    signatures:
      - arguments: [ { type: integer } ]
        result: { type: integer }

node_types:
  Base:
    derived_from: simple:SoftwareComponent
    description: What every box is.
  Box:
    derived_from: Base
    description: A box that holds things.
    properties:
      size:
        type: integer
        description: How much it holds.
        default: 1
        validation: { $less_or_equal: [ $value, 100 ] }
      label:
        type: string
"""

STORE = """\
tosca_definitions_version: tosca_2_0

imports:
  - profile: org.oasis-open.simple:2.0
    namespace: simple
  - url: lib.yaml
    namespace: lib

functions:
  twice:
    description: Twice a number.
    signatures:
      - arguments: [ { type: integer } ]
        result: { type: integer }

node_types:
  Crate:
    derived_from: lib:Box

service_template:
  inputs:
    count:
      type: integer
      default: 3
  node_templates:
    vm:
      type: simple:Compute
    box:
      type: lib:Box
      properties:
        size: { $twice: [ { $get_input: count } ] }
        label: books
      requirements:
        - host: vm
  outputs:
    size:
      value: { $get_property: [ box, size ] }
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    found = tmp_path_factory.mktemp("lsp2")
    (found / "web").mkdir()
    (found / "web" / ".primage-tosca.yaml").write_text(f"import_map: {IMPORT_MAP}\n")
    (found / "web" / "web.yaml").write_text(WEB)
    (found / "lib.yaml").write_text(LIB)
    (found / "store.yaml").write_text(STORE)
    return found


async def opened(client: LanguageClient, path: Path, text: str) -> tuple[str, list[lsp.Diagnostic]]:
    uri = uri_of(path)
    found = await diagnostics_after(client, uri, lambda: open_document(client, uri, text))
    return uri, found


def errors(found: list[lsp.Diagnostic]) -> list:
    return [(d.code, d.range.start.line) for d in found if d.severity == lsp.DiagnosticSeverity.Error]


# -- the simple profile by URL, through an import map ------------------------------------------------

@needs_corpus()
async def test_findings_are_those_of_validate(client: LanguageClient, folder: Path):
    uri, found = await opened(client, folder / "web" / "web.yaml", WEB)
    report = primage_tosca.validate(str(folder / "web" / "web.yaml"), import_map=str(IMPORT_MAP))
    assert errors(found) == [] and not report.errors
    assert sorted(d.code for d in found) == sorted(d.rule for d in report.diagnostics)


@needs_corpus()
async def test_hover_on_a_profile_type_shows_the_profiles_derivation(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "web" / "web.yaml", WEB)
    shown = await hover_at(client, uri, position_of(WEB, "type: Compute", 7))
    assert "**Compute** (node type)" in shown
    assert "`Compute` → `Abstract.Compute` → `Root`" in shown and "processors" in shown
    assert "/simple/2.0/node_types.yaml:" in shown


@needs_corpus()
async def test_definition_of_a_profile_type_opens_the_profiles_file(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "web" / "web.yaml", WEB)
    found = await definition_at(client, uri, position_of(WEB, "type: DBMS", 7))
    assert found.uri == uri_of(SIMPLE_FILES.parent / "node_types.yaml")
    lines = (SIMPLE_FILES.parent / "node_types.yaml").read_text().split("\n")
    assert lines[found.range.start.line].strip() == "DBMS:"
    found = await definition_at(client, uri, position_of(WEB, "num_cpus", 2))  # the capability type's property
    assert found.uri == uri_of(SIMPLE_FILES.parent / "capability_types.yaml")
    found = await definition_at(client, uri, position_of(WEB, "[ server", 3))
    assert found.uri == uri and found.range.start.line == position_of(WEB, "    server:").line
    found = await definition_at(client, uri, position_of(WEB, "$get_input: site", 13))
    assert found.range.start == lsp.Position(position_of(WEB, "    site:").line, 4)


@needs_corpus()
async def test_hover_on_properties_and_requirements_of_profile_types(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "web" / "web.yaml", WEB)
    shown = await hover_at(client, uri, position_of(WEB, "num_cpus", 2))
    assert "**num_cpus** (property of `Compute.host`)" in shown and "type: `integer`" in shown
    assert "validation: `{ $greater_or_equal: [ $value, 1 ] }`" in shown
    assert "/simple/2.0/capability_types.yaml:" in shown
    shown = await hover_at(client, uri, position_of(WEB, "- host: server", 3))
    assert "(requirement of `DBMS`)" in shown and "capability: `Compute`" in shown
    shown = await hover_at(client, uri, position_of(WEB, "$get_input: cpus", 12))
    assert "**cpus** (input)" in shown and "default: `2`" in shown and "$greater_or_equal" in shown


@needs_corpus()
async def test_hover_on_dollar_functions_shows_their_compile_time_value(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "web" / "web.yaml", WEB)
    shown = await hover_at(client, uri, position_of(WEB, "$get_input: cpus", 2))
    assert "value: `2`" in shown
    shown = await hover_at(client, uri, position_of(WEB, "$concat", 2))
    assert "value: `https://example.org/app`" in shown
    shown = await hover_at(client, uri, position_of(WEB, "$get_property", 2))
    assert "value: `2`" in shown


@needs_corpus()
async def test_completion_offers_profile_types_and_compatible_targets(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "web" / "web.yaml", WEB)
    found = await completions(client, uri, position_of(WEB, "type: DBMS", 6))
    assert {"Compute", "DBMS", "SoftwareComponent"} <= set(found) and "Endpoint" not in found
    text = WEB.replace("        - host: server\n    app:", "        - host: \n    app:")
    await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 2))
    found = await completions(client, uri, position_of(text, "- host: \n", 8))
    assert set(found) == {"server"}  # the only node offering a Compute capability
    text = WEB.replace("    server:\n", "    server:\n      \n", 1)
    await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 3))
    found = await completions(client, uri, position_of(text, "    server:\n      ", 18))
    assert {"type", "properties", "requirements", "capabilities", "count", "directives"} <= set(found)


# -- namespaces, a library of one's own, user-defined functions -------------------------------------

async def test_a_namespaced_type_has_hover_definition_and_references(client: LanguageClient, folder: Path):
    uri, found = await opened(client, folder / "store.yaml", STORE)
    assert errors(found) == []
    shown = await hover_at(client, uri, position_of(STORE, "type: lib:Box", 10))
    assert "**lib:Box** (node type)" in shown and "`lib:Box` → `Base` → `SoftwareComponent` → `Root`" in shown
    assert "A box that holds things." in shown and "lib.yaml:17" in shown
    found = await definition_at(client, uri, position_of(STORE, "type: lib:Box", 10))
    assert found.uri == uri_of(folder / "lib.yaml") and found.range.start == lsp.Position(16, 2)
    found = await references_at(client, uri, position_of(STORE, "type: lib:Box", 10))
    # its definition, and wherever a file names it, by the name it has there
    assert found == [("lib.yaml", 16, 2), ("store.yaml", 17, 18), ("store.yaml", 28, 12)]
    found = await references_at(client, uri, position_of(STORE, "    count:", 4))
    use = position_of(STORE, "$get_input: count", 12)
    assert found == [("store.yaml", 21, 4), ("store.yaml", use.line, use.character)]


async def test_namespaced_properties_have_hover_and_completion(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "store.yaml", STORE)
    shown = await hover_at(client, uri, position_of(STORE, "label: books", 1))
    assert "**label** (property of `lib:Box`)" in shown and "type: `string`" in shown and "lib.yaml:26" in shown
    shown = await hover_at(client, uri, position_of(STORE, "size: {", 1))
    assert "default: `1`" in shown and "validation: `{ $less_or_equal: [ $value, 100 ] }`" in shown
    assert "How much it holds." in shown
    found = await completions(client, uri, position_of(STORE, "type: simple:Compute", 6))
    assert {"simple:Compute", "lib:Box", "lib:Base", "Crate"} <= set(found) and "Box" not in found
    found = await completions(client, uri, position_of(STORE, "derived_from: lib:Box", 14))
    assert "lib:Box" in found and "simple:Compute" in found
    text = STORE.replace("        label: books\n", "        \n")
    await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 3))
    found = await completions(client, uri, position_of(text, "        \n", 8))
    assert set(found) == {"label", "component_version", "admin_credential"}  # `size` is set already
    assert found["label"].detail == "string (required)"


async def test_user_functions_are_completed_hovered_and_found(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "store.yaml", STORE)
    text = STORE.replace("        label: books\n", "        label: { $ }\n")
    await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 2))
    found = await completions(client, uri, position_of(text, "{ $ }", 3))
    assert {"$twice", "$lib:half", "$get_input", "$concat", "$union"} <= set(found) and "get_input" not in found
    assert found["$twice"].detail == "user-defined function"
    await diagnostics_after(client, uri, lambda: replace_all(client, uri, STORE, 3))
    shown = await hover_at(client, uri, position_of(STORE, "$twice", 2))
    assert "**$twice** (function)" in shown and "`(integer) -> integer`" in shown and "Twice a number." in shown
    found = await definition_at(client, uri, position_of(STORE, "$twice", 2))
    assert found.uri == uri and found.range.start == lsp.Position(position_of(STORE, "  twice:").line, 2)
    shown = await hover_at(client, uri, position_of(STORE, "$get_property", 2))  # a user function's value: unknown
    assert "known only once the application is deployed" in shown


async def test_the_outline_of_a_service_template(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "store.yaml", STORE)
    found = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(uri)))
    outline = {s.name: [(c.name, c.detail) for c in s.children or []] for s in found}
    assert outline == {"inputs": [("count", "integer")],
                       "node_templates": [("vm", "simple:Compute"), ("box", "lib:Box")],
                       "outputs": [("size", None)], "node_types": [("Crate", None)], "functions": [("twice", None)]}
    functions = next(s for s in found if s.name == "functions")
    assert functions.children[0].kind == lsp.SymbolKind.Function


# -- quick fixes, and documents with errors of their own ---------------------------------------------

async def test_quick_fixes_in_a_2_0_file(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "store.yaml", STORE)
    text = STORE.replace("        label: books\n", "        lable: books\n        extra: { $get_input: colour }\n")
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 2))
    assert sorted(d.code for d in found) == ["PT400", "PT505", "PT506", "PT506"]
    edits = {}
    for finding in found:
        edits.update(await fixes_for(client, uri, finding.range.start.line))
    assert set(edits) == {"Rename 'lable' to 'label'", "Add the required property 'label'",
                          "Declare the input 'colour'"}  # `extra` is near no property: no rename
    renamed = apply_edits(text, edits["Rename 'lable' to 'label'"])
    assert "        label: books\n" in renamed
    declared = apply_edits(text, edits["Declare the input 'colour'"])
    assert "  inputs:\n    colour:\n      type: string\n    count:" in declared
    added = apply_edits(text, edits["Add the required property 'label'"])
    assert "      properties:\n        label: \"\"\n        size:" in added


async def test_a_2_0_file_with_errors_still_has_hover_and_completion(client: LanguageClient, folder: Path):
    uri, _ = await opened(client, folder / "store.yaml", STORE)
    text = STORE.replace("        label: books\n", "        colour: red\n")
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, text, 2))
    assert {"PT505", "PT506"} <= {d.code for d in found}
    shown = await hover_at(client, uri, position_of(text, "type: lib:Box", 10))
    assert "`lib:Box` → `Base`" in shown
    found = await completions(client, uri, position_of(text, "        colour", 8))
    assert "label" in found
    # half typed: not YAML; the server keeps serving from the last reading that was
    broken = text.replace("      type: lib:Box\n", "      type: lib:Box\n      prop\n      [\n")
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, broken, 3))
    assert found and all(d.code for d in found)
    found = await completions(client, uri, position_of(broken, "      prop\n", 10))
    assert "properties" in found
    shown = await hover_at(client, uri, position_of(broken, "type: lib:Box", 10))
    assert "`lib:Box` → `Base`" in shown
    found = await diagnostics_after(client, uri, lambda: replace_all(client, uri, STORE, 4))
    assert errors(found) == []


async def test_an_unknown_profile_is_a_finding_and_types_still_hover(client: LanguageClient, folder: Path):
    text = STORE.replace("org.oasis-open.simple:2.0", "org.example.nowhere:1.0")
    uri, found = await opened(client, folder / "store.yaml", text)
    assert "PT200" in {d.code for d in found}
    shown = await hover_at(client, uri, position_of(text, "lib:Box", 4))
    assert "A box that holds things." in shown
    found = await completions(client, uri, position_of(text, "service_template", 0))
    assert "service_template" in found and "topology_template" not in found
