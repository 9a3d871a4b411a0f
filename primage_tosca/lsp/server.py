"""The language server over stdio, with pygls.

Each open document is checked when it is opened, changed and saved, with
the findings ``validate`` would give (same rules, positions and settings),
published per file and cleared when they are gone. The open documents that
import a changed one are checked again too. Every handler is guarded: a bug
of ours or a document we cannot read becomes a finding or a log line, and
the server keeps serving.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import traceback
from typing import Any, Callable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from .. import __version__, catalog
from ..diagnostics import Diagnostic, Location, Severity
from ..records import replace
from .actions import Fix, fixes
from .analysis import Analysis, Analyzer, Flags
from .context import cursor_at
from .completion import Item, complete
from .hover import hover
from .lookup import Place
from .navigation import definition, references
from .outline import Symbol, symbols

SOURCE = "primage-tosca"
SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
            Severity.INFO: lsp.DiagnosticSeverity.Information}
ITEM_KIND = {"type": lsp.CompletionItemKind.Class, "property": lsp.CompletionItemKind.Property,
             "attribute": lsp.CompletionItemKind.Field, "requirement": lsp.CompletionItemKind.Reference,
             "capability": lsp.CompletionItemKind.Interface, "input": lsp.CompletionItemKind.Variable,
             "function": lsp.CompletionItemKind.Function, "keyword": lsp.CompletionItemKind.Keyword,
             "node": lsp.CompletionItemKind.Module, "value": lsp.CompletionItemKind.Value}
SYMBOL_KIND = {"inputs": lsp.SymbolKind.Variable, "outputs": lsp.SymbolKind.Property,
               "node_templates": lsp.SymbolKind.Object, "functions": lsp.SymbolKind.Function}
# A document is TOSCA when one of these keynames starts a line: other YAML files are left alone.
_TOSCA_TEXT = re.compile(r"^(tosca_definitions_version|topology_template|service_template|node_types|data_types|capability_types|"
                         r"relationship_types|interface_types|artifact_types|group_types|policy_types)\s*:",
                         re.MULTILINE)
_TOKEN_END = re.compile(r"[^\s,\[\]{}]*")
CONFIG_NAMES = (".primage-tosca.yaml", ".primage-tosca.yml")

log = logging.getLogger(__name__)


def guarded(handler: Callable) -> Callable:
    """A handler that never raises: the error is logged, the request answered with nothing."""
    @functools.wraps(handler)
    def run(*args: Any) -> Any:
        try:
            return handler(*args)
        except Exception:  # noqa: BLE001 - one failing request must not stop the server
            log.error("primage-tosca language server: %s failed\n%s", handler.__name__, traceback.format_exc())
            return None
    return run


class ToscaServer(LanguageServer):
    def __init__(self, flags: Flags):
        super().__init__("primage-tosca", __version__)
        self.analyzer = Analyzer(flags)
        self.published: dict[str, set[str]] = {}  # an open document -> the files it published findings for
        self.uris: dict[str, str] = {}  # real path -> the URI the editor opened it by (a symbolic link's, say)

    # -- checking and publishing ------------------------------------------------------------------
    def check(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        path = document.path
        text = document.source
        self.uris[os.path.realpath(path)] = uri
        if not _TOSCA_TEXT.search(text):
            self.analyzer.close(path)
            self.publish(path, Analysis(os.path.realpath(path), files={os.path.realpath(path)},
                                        findings={os.path.realpath(path): []}))
            return
        self.analyzer.set_text(path, text)
        try:
            analysis = self.analyzer.check(path)
        except Exception as exc:  # noqa: BLE001 - the document gets a finding, the server goes on
            log.error("checking %s failed\n%s", path, traceback.format_exc())
            real = os.path.realpath(path)
            finding = catalog.make("PT900", f"the check failed: {exc.__class__.__name__}: {exc}", Location(real),
                                   hint="this is a bug in primage_tosca; please report it with the template")
            analysis = Analysis(real, findings={real: [finding]}, files={real})
        self.publish(path, analysis)

    def check_with_dependents(self, uri: str) -> None:
        self.check(uri)
        for other in self.analyzer.dependents(self.workspace.get_text_document(uri).path):
            guarded(self.check)(self.uri_of(other))

    def publish(self, path: str, analysis: Analysis) -> None:
        root = os.path.realpath(path)
        sent = set()
        for real, findings in analysis.findings.items():
            if real != root and real in self.analyzer.overlay:
                continue  # an open file publishes its own findings
            self.send(real, findings)
            sent.add(real)
        for real in self.published.get(root, set()) - sent:
            if real not in self.analyzer.overlay or real == root:
                self.send(real, [])
        self.published[root] = sent

    def send(self, real: str, findings: list[Diagnostic]) -> None:
        lines = self.lines_of(real) if findings else []
        items = [self.to_lsp(finding, lines) for finding in findings]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=self.uri_of(real), diagnostics=items))

    def uri_of(self, real: str) -> str:
        return self.uris.get(real) or from_fs_path(real)

    def lines_of(self, real: str) -> list[str]:
        raw = self.analyzer.overlay.get(real)
        if raw is None:
            try:
                with open(real, "rb") as handle:
                    raw = handle.read(10 * 1024 * 1024)
            except OSError:
                return []
        return raw.decode("utf-8", errors="replace").split("\n")

    def to_lsp(self, finding: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
        line, column = max(finding.line - 1, 0), max(finding.column - 1, 0)
        text = lines[line] if line < len(lines) else ""
        end = _TOKEN_END.match(text, min(column, len(text))).end()
        if end > column and text[end - 1] == ":":
            end -= 1
        message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
        where = lsp.Range(lsp.Position(line, column), lsp.Position(line, max(end, column)))
        return lsp.Diagnostic(range=self.to_client(lines, where), message=message,
                              severity=SEVERITY.get(finding.severity, lsp.DiagnosticSeverity.Information),
                              code=finding.rule, source=SOURCE)

    def to_client(self, lines: list[str], where: lsp.Range) -> lsp.Range:
        return self.workspace.position_codec.range_to_client_units(lines, where)

    def forget_settings_and_recheck(self) -> None:
        self.analyzer.forget_settings()
        for uri in list(self.workspace.text_documents):
            guarded(self.check)(uri)

    # -- answering --------------------------------------------------------------------------------
    def cursor(self, uri: str, position: lsp.Position):
        document = self.workspace.get_text_document(uri)
        at = self.workspace.position_codec.position_from_client_units(document.lines, position)
        real = os.path.realpath(document.path)
        analyses = [a for a in (self.analyzer.latest.get(real), self.analyzer.last_typed.get(real)) if a]
        return cursor_at(document.source, at.line, at.character), analyses, document


def build_server(flags: Flags | None = None) -> ToscaServer:
    """The server with every feature registered."""
    server = ToscaServer(flags or Flags())

    @server.feature(lsp.INITIALIZE)
    @guarded
    def initialize(ls: ToscaServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            ls.analyzer.flags = flags_from_editor(ls.analyzer.flags, options)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @guarded
    def did_open(ls: ToscaServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.check_with_dependents(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @guarded
    def did_change(ls: ToscaServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.check_with_dependents(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @guarded
    def did_save(ls: ToscaServer, params: lsp.DidSaveTextDocumentParams) -> None:
        if os.path.basename(ls.workspace.get_text_document(params.text_document.uri).path) in CONFIG_NAMES:
            ls.forget_settings_and_recheck()
        else:
            ls.check_with_dependents(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @guarded
    def did_close(ls: ToscaServer, params: lsp.DidCloseTextDocumentParams) -> None:
        path = os.path.realpath(ls.workspace.get_text_document(params.text_document.uri).path)
        ls.analyzer.close(path)
        for real in ls.published.pop(path, set()):
            ls.send(real, [])
        ls.uris.pop(path, None)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded
    def watched_files_changed(ls: ToscaServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.forget_settings_and_recheck()

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded
    def document_symbols(ls: ToscaServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        analysis = ls.analyzer.latest.get(os.path.realpath(document.path))
        return [_symbol(ls, document.lines, s) for s in symbols(analysis)]

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @guarded
    def on_hover(ls: ToscaServer, params: lsp.HoverParams) -> lsp.Hover | None:
        cursor, analyses, _ = ls.cursor(params.text_document.uri, params.position)
        found = hover(analyses, cursor)
        if found is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @guarded
    def on_definition(ls: ToscaServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        cursor, analyses, document = ls.cursor(params.text_document.uri, params.position)
        found = definition(analyses, cursor)
        return _location(ls, found) if found is not None and found.path else None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @guarded
    def on_references(ls: ToscaServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        cursor, analyses, document = ls.cursor(params.text_document.uri, params.position)
        real = os.path.realpath(document.path)
        others = [a for path, a in ls.analyzer.latest.items() if path != real]
        found = references(analyses, cursor, params.context.include_declaration, others)
        return [_location(ls, place) for place in found]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[":", " ", "."]))
    @guarded
    def on_completion(ls: ToscaServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        cursor, analyses, _ = ls.cursor(params.text_document.uri, params.position)
        return lsp.CompletionList(is_incomplete=False, items=[_item(i) for i in complete(analyses, cursor)])

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @guarded
    def on_code_action(ls: ToscaServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        real = os.path.realpath(document.path)
        analysis = ls.analyzer.latest.get(real)
        if analysis is None or analysis.types is None:
            return []
        first, last = params.range.start.line, params.range.end.line
        findings = [f for f in analysis.findings.get(real, []) if first <= f.line - 1 <= last]
        return [_action(ls, document, fix) for fix in fixes(analysis, findings)]

    return server


def _action(ls: ToscaServer, document: Any, fix: Fix) -> lsp.CodeAction:
    lines = document.lines
    edits = [lsp.TextEdit(range=ls.to_client(lines, lsp.Range(lsp.Position(e.line, e.column),
                                                              lsp.Position(e.end_line, e.end_column))),
                          new_text=e.text) for e in fix.edits]
    return lsp.CodeAction(title=fix.title, kind=lsp.CodeActionKind.QuickFix, is_preferred=True,
                          diagnostics=[ls.to_lsp(fix.finding, lines)],
                          edit=lsp.WorkspaceEdit(changes={document.uri: edits}))


def _symbol(ls: ToscaServer, lines: list[str], found: Symbol) -> lsp.DocumentSymbol:
    end_line = min(found.end_line, max(len(lines) - 1, 0))
    end_text = lines[end_line] if end_line < len(lines) else ""
    whole = ls.to_client(lines, lsp.Range(lsp.Position(found.line, found.column),
                                          lsp.Position(end_line, len(end_text.rstrip("\r\n")))))
    name = ls.to_client(lines, lsp.Range(lsp.Position(found.line, found.column),
                                         lsp.Position(found.line, found.column + len(found.name))))
    if name.start.line > whole.end.line or (name.start.line == whole.end.line and name.end.character > whole.end.character):
        whole = name
    kind = SYMBOL_KIND.get(found.kind, lsp.SymbolKind.Class if found.kind.endswith("_types") else lsp.SymbolKind.Namespace)
    if found.kind == found.name:
        kind = lsp.SymbolKind.Namespace
    return lsp.DocumentSymbol(name=found.name, kind=kind, range=whole, selection_range=name,
                              detail=found.detail or None, children=[_symbol(ls, lines, c) for c in found.children])


def _location(ls: ToscaServer, place: Place) -> lsp.Location:
    lines = ls.lines_of(place.path)
    text = lines[place.line] if 0 <= place.line < len(lines) else ""
    if text[place.column:place.column + 1] in ("'", '"'):  # a quoted name: the name, not its quote
        place = replace(place, column=place.column + 1, end_column=place.end_column + 1)
    where = ls.to_client(lines, lsp.Range(lsp.Position(place.line, place.column),
                                          lsp.Position(place.line, place.end_column)))
    return lsp.Location(uri=ls.uri_of(place.path), range=where)


def _item(found: Item) -> lsp.CompletionItem:
    documentation = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found.documentation) \
        if found.documentation else None
    return lsp.CompletionItem(label=found.label, kind=ITEM_KIND.get(found.kind), detail=found.detail or None,
                              documentation=documentation, insert_text=found.insert)


# Editor settings (initializationOptions) -> the flags of `validate`.
_EDITOR_LOADER = {"importMap": "import_map", "roots": "roots", "online": "online",
                  "allowOutsideRoots": "allow_outside_roots", "allowFileUrls": "allow_file_urls",
                  "allowHttp": "allow_http", "maxFileSize": "max_file_size"}


def flags_from_editor(flags: Flags, options: dict) -> Flags:
    """The editor's settings over the command line's: ``importMap``, ``roots``,
    ``online``, ``ignore``, ``only``, ``showLibraryFindings``..."""
    loader = dict(flags.loader)
    for name, keyword in _EDITOR_LOADER.items():
        if options.get(name) is not None:
            loader[keyword] = options[name]
    words = {name: tuple(str(v) for v in options[name]) if isinstance(options.get(name), list)
             else getattr(flags, name) for name in ("ignore", "only", "checks")}
    show = options.get("showLibraryFindings")
    return Flags(loader, words["ignore"], words["only"], words["checks"],
                 show if isinstance(show, bool) else flags.show_library_findings)


def serve(*, loader: dict | None = None, ignore: tuple[str, ...] = (), only: tuple[str, ...] = (),
          checks: tuple[str, ...] = (), show_library_findings: bool | None = None) -> None:
    """Serve the language server protocol on stdin and stdout until the editor stops it.
    ``loader`` holds the keyword arguments of :func:`load_options` (``import_map``, ``roots``...)."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol stream
    flags = Flags(dict(loader or {}), tuple(ignore), tuple(only), tuple(checks), show_library_findings)
    build_server(flags).start_io(sys.stdin.buffer, out)
