"""Capabilities and requirements in the language server, end to end through a real
LSP client: find references and go to definition of a capability or requirement
name wherever a template names it (type definitions and their refinements, node
templates, requirement assignments, get_property and get_attribute paths, TOSCA
2.0 paths, substitution mappings), in TOSCA 1.x and 2.0, across the files a
template reads and the other open documents; and hover on a function call in an
operation's inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from pygls.uris import to_fs_path

from test_lsp import client  # noqa: F401 - the server, started in this module's folder
from test_lsp import definition_at, diagnostics_after, hover_at, open_document, uri_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIB = """\
tosca_definitions_version: tosca_simple_yaml_1_3

node_types:
  shop.nodes.Server:
    derived_from: tosca.nodes.Compute
    capabilities:
      host:
        type: tosca.capabilities.Compute
        properties:
          num_cpus:
            type: integer
            default: 4
  shop.nodes.App:
    derived_from: tosca.nodes.SoftwareComponent
    capabilities:
      api:
        type: tosca.capabilities.Endpoint
    requirements:
      - host:
          capability: tosca.capabilities.Compute
          node: shop.nodes.Server
          relationship: tosca.relationships.HostedOn
      - store:
          capability: tosca.capabilities.Endpoint.Database
          node: tosca.nodes.Database
          occurrences: [0, 1]
"""

# `host` is three things here: the capability of Compute (server), another capability of
# WebServer (web), and the requirement of SoftwareComponent (web's and app's).
SHOP = """\
tosca_definitions_version: tosca_simple_yaml_1_3

imports:
  - lib.yaml

topology_template:
  inputs:
    cpus:
      type: integer
      default: 2
  substitution_mappings:
    node_type: shop.nodes.App
    capabilities:
      api: [app, api]
    requirements:
      store: [app, store]
  node_templates:
    server:
      type: shop.nodes.Server
      capabilities:
        host:
          properties:
            num_cpus: { get_input: cpus }
    web:
      type: tosca.nodes.WebServer
      capabilities:
        host:
          properties: {}
      requirements:
        - host:
            node: server
            relationship: web_hosted
    app:
      type: shop.nodes.App
      requirements:
        - host:
            node: server
            capability: host
      interfaces:
        Standard:
          inputs:
            cores: { get_property: [server, host, num_cpus] }
          start:
            implementation: start.sh
          configure:
            inputs:
              cpus: { get_property: [server, host, num_cpus] }
              cores: 7
              hosted: { get_property: [SELF, host, num_cpus] }
              protocol: { get_property: [SELF, api, protocol] }
  relationship_templates:
    web_hosted:
      type: tosca.relationships.HostedOn
      interfaces:
        Configure:
          pre_configure_source:
            inputs:
              cores: { get_property: [TARGET, host, num_cpus] }
  outputs:
    cores:
      value: { get_property: [server, host, num_cpus] }
"""

# Another open document reading the same library.
OTHER = """\
tosca_definitions_version: tosca_simple_yaml_1_3

imports:
  - lib.yaml

topology_template:
  node_templates:
    big:
      type: shop.nodes.Server
      capabilities:
        host:
          properties:
            num_cpus: 8
"""

LIB_2 = """\
tosca_definitions_version: tosca_2_0

imports:
  - profile: org.oasis-open.simple:2.0
    namespace: simple

node_types:
  Server:
    derived_from: simple:Compute
    capabilities:
      host:
        type: simple:Compute
        properties:
          num_cpus:
            type: integer
            default: 4
  App:
    derived_from: simple:SoftwareComponent
    capabilities:
      api:
        type: simple:Endpoint
    requirements:
      - host:
          capability: simple:Compute
          node: simple:Compute
          relationship: simple:HostedOn
"""

SHOP_2 = """\
tosca_definitions_version: tosca_2_0

imports:
  - profile: org.oasis-open.simple:2.0
    namespace: simple
  - url: lib.yaml
    namespace: lib

service_template:
  inputs:
    cpus:
      type: integer
      default: 2
  substitution_mappings:
    node_type: lib:App
    capabilities:
      api: [app, api]
  node_templates:
    server:
      type: lib:Server
      capabilities:
        host:
          properties:
            num_cpus: { $get_input: cpus }
    web:
      type: simple:WebServer
      requirements:
        - host: server
    app:
      type: lib:App
      requirements:
        - host:
            node: server
            capability: host
      interfaces:
        Standard:
          inputs:
            cores: { $get_property: [ server, CAPABILITY, host, num_cpus ] }
          operations:
            configure:
              inputs:
                cpus: { $get_property: [ server, CAPABILITY, host, num_cpus ] }
                hosted: { $get_property: [ SELF, RELATIONSHIP, host, TARGET, CAPABILITY, host, num_cpus ] }
  outputs:
    cores:
      value: { $get_property: [ server, CAPABILITY, host, num_cpus ] }
    reached:
      value: { $get_property: [ app, RELATIONSHIP, host, TARGET, CAPABILITY, host, num_cpus ] }
"""

# A requirement definition may name the capability of its target node type it wants.
BY_NAME_2 = """\
tosca_definitions_version: tosca_2_0

imports:
  - profile: org.oasis-open.simple:2.0

node_types:
  Machine:
    derived_from: Compute
  Program:
    derived_from: SoftwareComponent
    requirements:
      - runs_on:
          capability: host
          node: Machine
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    found = tmp_path_factory.mktemp("lsp-members")
    for name, text in (("lib.yaml", LIB), ("shop.yaml", SHOP), ("other.yaml", OTHER)):
        (found / name).write_text(text)
    (found / "two").mkdir()
    for name, text in (("lib.yaml", LIB_2), ("shop.yaml", SHOP_2), ("by-name.yaml", BY_NAME_2)):
        (found / "two" / name).write_text(text)
    return found


async def opened(client: LanguageClient, path: Path, text: str) -> str:
    uri = uri_of(path)
    found = await diagnostics_after(client, uri, lambda: open_document(client, uri, text))
    assert [d for d in found if d.severity == lsp.DiagnosticSeverity.Error] == []
    return uri


async def references(client: LanguageClient, uri: str, position: lsp.Position,
                     declaration: bool = True) -> list[tuple[str, int, int]]:
    found = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=position,
        context=lsp.ReferenceContext(include_declaration=declaration)))
    return sorted((Path(to_fs_path(f.uri)).name, f.range.start.line, f.range.start.character) for f in found or [])


def at(name: str, text: str, needle: str, offset: int, occurrence: int = 0) -> tuple[str, int, int]:
    """(file, line, column) of the ``occurrence``-th ``needle`` in ``text``, plus ``offset``."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += offset
    return name, text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1)


def cursor(text: str, needle: str, offset: int, occurrence: int = 0) -> lsp.Position:
    _, line, column = at("", text, needle, offset, occurrence)
    return lsp.Position(line, column + 1)


def profile_entries(found: list[tuple[str, int, int]], folder: Path) -> list[tuple[str, int, int]]:
    return [f for f in found if not (folder / f[0]).exists() and not (folder / "two" / f[0]).exists()]


async def written_at(client: LanguageClient, uri: str, position: lsp.Position) -> str:
    """The word a location of a packaged profile points at, read from that file."""
    found = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=position,
        context=lsp.ReferenceContext(include_declaration=True)))
    outside = [f for f in found if "/profiles/" in f.uri]
    assert len(outside) == 1, outside
    line = Path(to_fs_path(outside[0].uri)).read_text().split("\n")[outside[0].range.start.line]
    return line[outside[0].range.start.character:outside[0].range.end.character]


# -- TOSCA 1.x ---------------------------------------------------------------------------------------

SERVER_HOST = [at("lib.yaml", LIB, "      host:\n        type: tosca.capabilities.Compute", 6),
               at("shop.yaml", SHOP, "        host:\n          properties:\n            num_cpus: {", 8),
               at("shop.yaml", SHOP, "capability: host", 12),
               *(at("shop.yaml", SHOP, "[server, host, num_cpus]", 9, n) for n in range(3)),
               at("other.yaml", OTHER, "        host:", 8)]
HOST_REQUIREMENT = [at("lib.yaml", LIB, "      - host:", 8),
                    at("shop.yaml", SHOP, "        - host:\n            node: server\n            relationship", 10),
                    at("shop.yaml", SHOP, "        - host:\n            node: server\n            capability", 10),
                    at("shop.yaml", SHOP, "[SELF, host, num_cpus]", 7)]


async def test_references_of_a_capability_are_those_of_its_definition(client: LanguageClient, folder: Path):
    await opened(client, folder / "other.yaml", OTHER)
    uri = await opened(client, folder / "shop.yaml", SHOP)
    from_template = await references(client, uri, cursor(SHOP, "        host:\n          properties:\n", 8))
    # Compute's `host`: not WebServer's capability of that name, nor the requirement `host`
    assert [f for f in from_template if f[0] != "tosca_simple_yaml_1_3.yaml"] == sorted(SERVER_HOST)
    assert [f[0] for f in profile_entries(from_template, folder)] == ["tosca_simple_yaml_1_3.yaml"]
    assert await written_at(client, uri, cursor(SHOP, "capability: host", 12)) == "host"
    # the same from each place that names it: a function's path, a requirement's `capability:`
    for needle, offset, occurrence in (("[server, host, num_cpus]", 9, 2), ("capability: host", 12, 0),
                                       ("[server, host, num_cpus]", 9, 0)):
        assert await references(client, uri, cursor(SHOP, needle, offset, occurrence)) == from_template
    without = await references(client, uri, cursor(SHOP, "capability: host", 12), declaration=False)
    assert without == sorted(SERVER_HOST)


async def test_references_of_a_requirement_are_its_definitions_and_assignments(client: LanguageClient,
                                                                               folder: Path):
    uri = await opened(client, folder / "shop.yaml", SHOP)
    found = await references(client, uri, cursor(SHOP, "        - host:\n            node: server\n            capability", 10))
    assert [f for f in found if f[0] != "tosca_simple_yaml_1_3.yaml"] == sorted(HOST_REQUIREMENT)
    assert len(profile_entries(found, folder)) == 1  # SoftwareComponent's, which the library refines
    assert await references(client, uri, cursor(SHOP, "[SELF, host, num_cpus]", 7)) == found
    assert await references(client, uri, cursor(SHOP, "- host:", 3), declaration=False) == sorted(HOST_REQUIREMENT)


async def test_references_through_substitution_mappings(client: LanguageClient, folder: Path):
    uri = await opened(client, folder / "shop.yaml", SHOP)
    api = [at("lib.yaml", LIB, "      api:", 6), at("shop.yaml", SHOP, "      api: [app, api]", 6),
           at("shop.yaml", SHOP, "[app, api]", 6), at("shop.yaml", SHOP, "[SELF, api, protocol]", 7)]
    assert await references(client, uri, cursor(SHOP, "[app, api]", 6)) == sorted(api)
    assert await references(client, uri, cursor(SHOP, "[SELF, api", 7), declaration=False) == sorted(api[1:])
    store = [at("lib.yaml", LIB, "      - store:", 8), at("shop.yaml", SHOP, "      store: [app, store]", 6),
             at("shop.yaml", SHOP, "[app, store]", 6)]
    assert await references(client, uri, cursor(SHOP, "      store:", 6)) == sorted(store)


async def test_definition_of_a_capability_or_requirement_named_in_a_value(client: LanguageClient, folder: Path):
    uri = await opened(client, folder / "shop.yaml", SHOP)
    found = await definition_at(client, uri, cursor(SHOP, "[server, host, num_cpus]", 9, 1))
    assert (Path(to_fs_path(found.uri)).name, found.range.start.line, found.range.start.character) == \
        SERVER_HOST[0]  # the nearest definition: the library refines Compute's
    found = await definition_at(client, uri, cursor(SHOP, "[app, store]", 6))
    assert (Path(to_fs_path(found.uri)).name, found.range.start.line) == at("lib.yaml", LIB, "      - store:", 8)[:2]


async def test_hover_on_a_function_in_an_operations_inputs_shows_its_value(client: LanguageClient, folder: Path):
    uri = await opened(client, folder / "shop.yaml", SHOP)
    # an input of the interface: its value in the operations that do not give it one of their own
    for needle in ("cpus: { get_property", "cores: { get_property", "hosted: { get_property"):
        shown = await hover_at(client, uri, cursor(SHOP, needle, needle.index("get_") + 1))
        assert "value: `2`" in shown, needle
    shown = await hover_at(client, uri, cursor(SHOP, "protocol: { get_property", 13))
    assert "value: `tcp`" in shown
    shown = await hover_at(client, uri, cursor(SHOP, "cores: { get_property: [TARGET", 10))  # a relationship's
    assert "value: `2`" in shown


# -- TOSCA 2.0 ---------------------------------------------------------------------------------------

SERVER_HOST_2 = [at("lib.yaml", LIB_2, "      host:\n        type: simple:Compute", 6),
                 at("shop.yaml", SHOP_2, "        host:\n          properties:", 8),
                 at("shop.yaml", SHOP_2, "capability: host", 12),
                 *(at("shop.yaml", SHOP_2, "CAPABILITY, host, num_cpus", 12, n) for n in range(5))]
HOST_REQUIREMENT_2 = [at("lib.yaml", LIB_2, "      - host:", 8),
                      at("shop.yaml", SHOP_2, "        - host: server", 10),
                      at("shop.yaml", SHOP_2, "        - host:\n            node: server", 10),
                      *(at("shop.yaml", SHOP_2, "RELATIONSHIP, host", 14, n) for n in range(2))]


async def test_references_in_a_2_0_file_follow_tosca_paths(client: LanguageClient, folder: Path):
    uri = await opened(client, folder / "two" / "shop.yaml", SHOP_2)
    found = await references(client, uri, cursor(SHOP_2, "CAPABILITY, host, num_cpus", 12, 3), declaration=False)
    assert found == sorted(SERVER_HOST_2)
    # past the requirement and its TARGET: a capability of the node the requirement names (SELF's or app's)
    for occurrence in (0, 1):
        assert await references(client, uri, cursor(SHOP_2, "TARGET, CAPABILITY, host", 20, occurrence)) == \
            await references(client, uri, cursor(SHOP_2, "        host:\n          properties:", 8))
    assert await written_at(client, uri, cursor(SHOP_2, "capability: host", 12)) == "host"
    found = await references(client, uri, cursor(SHOP_2, "RELATIONSHIP, host", 14), declaration=False)
    assert found == sorted(HOST_REQUIREMENT_2)
    api = [at("lib.yaml", LIB_2, "      api:", 6), at("shop.yaml", SHOP_2, "      api: [app, api]", 6),
           at("shop.yaml", SHOP_2, "[app, api]", 6)]
    assert await references(client, uri, cursor(SHOP_2, "[app, api]", 6)) == sorted(api)


async def test_definition_and_hover_in_a_2_0_file(client: LanguageClient, folder: Path):
    uri = await opened(client, folder / "two" / "shop.yaml", SHOP_2)
    found = await definition_at(client, uri, cursor(SHOP_2, "CAPABILITY, host, num_cpus", 12, 1))
    assert (Path(to_fs_path(found.uri)).name, found.range.start.line, found.range.start.character) == \
        SERVER_HOST_2[0]
    # the node the requirement's assignment names (server), not the type its definition asks for (Compute)
    found = await definition_at(client, uri, cursor(SHOP_2, "TARGET, CAPABILITY, host", 20, 1))
    assert (Path(to_fs_path(found.uri)).name, found.range.start.line) == SERVER_HOST_2[0][:2]
    for needle in ("cpus: { $get_property", "cores: { $get_property", "hosted: { $get_property"):
        shown = await hover_at(client, uri, cursor(SHOP_2, needle, needle.index("$get") + 1))
        assert "value: `2`" in shown, needle


async def test_a_requirement_definition_naming_a_capability_of_its_node(client: LanguageClient, folder: Path):
    uri = uri_of(folder / "two" / "by-name.yaml")
    await diagnostics_after(client, uri, lambda: open_document(client, uri, BY_NAME_2))
    found = await references(client, uri, cursor(BY_NAME_2, "capability: host", 12))
    assert found[0] == at("by-name.yaml", BY_NAME_2, "capability: host", 12)
    assert [f[0] for f in found] == ["by-name.yaml", "node_types.yaml"]  # Compute's `host`, in the profile


# -- odd shapes ---------------------------------------------------------------------------------------

ODD = """\
tosca_definitions_version: tosca_simple_yaml_1_3

node_types:
  odd.Node:
    derived_from: tosca.nodes.Compute
    capabilities: [host]
    requirements:
      host: 3
      more: [1, 2]

topology_template:
  substitution_mappings: [server, host]
  node_templates:
    server:
      type: odd.Node
      capabilities:
        host: [1]
        7: {}
      requirements:
        - host: { node: [server], capability: [host] }
        - local_storage: { node: { a: b }, capability: 12 }
        - [server]
      interfaces:
        Standard:
          create:
            inputs:
              a: { get_property: [server, { x: 1 }, num_cpus] }
              b: { get_property: [SELF, RELATIONSHIP, [host], 9, TARGET, CAPABILITY] }
              c: { get_attribute: [SELF, REQUIREMENT, host, -4, TARGET, CAPABILITY, host, x] }
              d: { get_property: [[server], host, num_cpus] }
              e: { get_property: [server, host, num_cpus] }
              f: { get_property: [server, 'host', num_cpus] }
"""


async def test_odd_shapes_get_what_can_be_read_and_the_server_keeps_serving(client: LanguageClient,
                                                                            folder: Path):
    uri = uri_of(folder / "odd.yaml")
    await diagnostics_after(client, uri, lambda: open_document(client, uri, ODD))
    found = await references(client, uri, cursor(ODD, "[server, host, num_cpus]", 9))
    assert at("odd.yaml", ODD, "[server, host, num_cpus]", 9) in found
    assert at("odd.yaml", ODD, "[server, 'host', num_cpus]", 10) in found  # the name, not its quote
    for needle, offset in (("[host]", 1), ("host: 3", 0), ("[server, host]", 9), ("host: [1]", 0),
                           ("capability: [host]", 13), ("TARGET, CAPABILITY, host", 20), ("[[server]", 2)):
        answer = await client.text_document_references_async(lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(uri), position=cursor(ODD, needle, offset),
            context=lsp.ReferenceContext(include_declaration=True)))
        assert answer is not None, needle  # a failing handler answers None: an empty list is an answer
        await client.text_document_definition_async(lsp.DefinitionParams(
            lsp.TextDocumentIdentifier(uri), cursor(ODD, needle, offset)))
    shown = await hover_at(client, uri, cursor(ODD, "a: { get_property", 6))
    assert "get_property" in shown
