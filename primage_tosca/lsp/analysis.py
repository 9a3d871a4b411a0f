"""Checking the editor's text with the very pipeline ``validate`` runs.

The text of every open document is an overlay on the files: the loader
reads it instead of the file, so an import of an unsaved file sees the
unsaved text. Loading options and rule settings are worked out once per
folder (config file, import map, roots, ignore/only), as ``validate`` would
for a file there; the parse cache and the type libraries' findings are the
process's own, so an edit re-reads only the edited document, and each
document's :class:`~.reuse.Reuse` hands the phases what the edit did not change.
"""

from __future__ import annotations

import logging
import os
import traceback
from typing import Any

from .. import catalog
from ..config import ConfigError
from ..diagnostics import Diagnostic, Location
from ..imports.policy import ImportMapError
from ..imports.template import LoadOptions
from ..options import load_options
from ..pipeline import Compilation, run
from ..records import field, record, replace
from ..rulesettings import RuleSettings, RuleSettingsError
from ..source.document import PARSE_CACHE, ParseCache
from ..source.reader import Limits, ParsedYaml
from ..topology.build import gc_paused
from ..validation import check_file, rule_settings
from .names2 import View2, is_tosca_2
from .reparse import key_places, reparse
from .reuse import Reuse

log = logging.getLogger(__name__)


@record
class Flags:
    """The server's own settings: the loading and rule flags of ``validate``."""

    loader: dict = field(default_factory=dict)  # keyword arguments of load_options
    ignore: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    show_library_findings: bool | None = None


@record
class Analysis:
    """One check of one open document."""

    path: str  # the document's real path
    compilation: Compilation | None = None
    findings: dict[str, list[Diagnostic]] = field(default_factory=dict)  # real path -> its findings
    files: set[str] = field(default_factory=set)  # real paths of every local file read
    view: Any = None  # a TOSCA 2.0 template's names as its files write them (names2.View2)
    options: LoadOptions | None = None  # what it was loaded with, to build a 2.0 template's products
    lowered: Compilation | None = None  # those products, once asked for

    @property
    def types(self) -> Any:
        """The types the features read: a 2.0 template's view, else the 1.x types."""
        if self.view is not None:
            return self.view
        return self.compilation.types if self.compilation is not None else None

    def topology(self) -> Any:
        """The topology, with values of functions worked out. ``validate`` builds none for
        TOSCA 2.0: the template lowered to the 1.x model gives one (when it has no errors
        of its own), built on the first question and kept."""
        if self.compilation is None or self.compilation.topology is not None or self.view is None:
            return self.compilation.topology if self.compilation is not None else None
        if self.lowered is None and self.options is not None:
            try:
                self.lowered = run(self.path, self.options, None, products=True)
            except Exception:  # noqa: BLE001 - a feature goes without, the server keeps serving
                log.error("building the products of %s failed\n%s", self.path, traceback.format_exc())
                self.options = None
                return None
        return self.lowered.topology if self.lowered is not None else None


class Analyzer:
    """The open documents, their latest analyses and the settings per folder."""

    def __init__(self, flags: Flags | None = None, cache: ParseCache = PARSE_CACHE):
        self.flags = flags or Flags()
        self.cache = cache
        self.overlay: dict[str, bytes] = {}
        self.latest: dict[str, Analysis] = {}
        self.last_typed: dict[str, Analysis] = {}  # the latest analysis whose types could be built
        self._options: dict[str, LoadOptions] = {}
        self._settings: dict[str, RuleSettings] = {}
        # real path -> the text last checked, its parse and that parse's key places: the next
        # edit's text is read again from it, only where it changed
        self._read: dict[str, tuple[bytes, ParsedYaml, dict]] = {}
        # real path -> what the last check built, for the next one to take what the edit did not change
        self._reuse: dict[str, Reuse] = {}

    # -- documents -------------------------------------------------------------------
    def set_text(self, path: str, text: str) -> None:
        real = os.path.realpath(path)
        self._forget_parse(real)
        self.overlay[real] = text.encode("utf-8", errors="surrogatepass")

    def close(self, path: str) -> None:
        real = os.path.realpath(path)
        self._forget_parse(real)
        self.overlay.pop(real, None)
        self.latest.pop(real, None)
        self.last_typed.pop(real, None)
        self._read.pop(real, None)
        self._reuse.pop(real, None)

    def _forget_parse(self, real: str) -> None:
        """Drop the parse of a document's superseded text: the parse cache keeps
        every content it reads, and an editor makes a new one per keystroke."""
        old = self.overlay.get(real)
        if old is not None and list(self.overlay.values()).count(old) == 1:
            self.cache.discard(self.cache.digest(old))

    def forget_settings(self) -> None:
        """A config file or import map changed: read them again."""
        self._options.clear()
        self._settings.clear()
        self._read.clear()  # the size and depth limits may have changed
        self._reuse.clear()

    def dependents(self, path: str) -> list[str]:
        """The other open documents that read ``path`` (import it, directly or not)."""
        real = os.path.realpath(path)
        return [p for p, found in self.latest.items() if p != real and real in found.files and p in self.overlay]

    # -- checking --------------------------------------------------------------------
    def check(self, path: str) -> Analysis:
        """Every finding of the open document ``path``, as ``validate`` gives them, by file."""
        real = os.path.realpath(path)
        analysis = Analysis(real)
        try:
            options, settings = self.options_for(real), self.settings_for(real)
        except (ConfigError, ImportMapError, RuleSettingsError) as exc:
            finding = catalog.make("PT900", f"the settings cannot be read: {exc}", Location(real),
                                   hint="fix the config file (.primage-tosca.yaml) or the server's settings")
            analysis.findings[real] = [finding]
            analysis.files = {real}
        else:
            with gc_paused():
                self._read_changes(real, options.limits)
                analysis.compilation = self._run(real, options, settings)
                self._keep_read(real, options.limits)
            self._sort(analysis)
            self._view(analysis, options)
        self.latest[real] = analysis
        if analysis.types is not None:
            self.last_typed[real] = analysis
        return analysis

    def _view(self, analysis: Analysis, options: LoadOptions) -> None:
        """A readable TOSCA 2.0 template's names, errors or not."""
        template = analysis.compilation.template
        if template is None or not template.readable or not is_tosca_2(template):
            return
        try:
            analysis.view, analysis.options = View2(template), options
        except Exception:  # noqa: BLE001 - the findings stand without the features
            log.error("reading the names of %s failed\n%s", analysis.path, traceback.format_exc())

    def _run(self, real: str, options: LoadOptions, settings: RuleSettings) -> Compilation:
        """``check_file`` on the document, taking from the last run what the edit did not change."""
        reuse = self._reuse.setdefault(real, Reuse())
        reuse.begin(self.overlay.get(real), self._options.get(os.path.dirname(real)))
        compilation = None
        try:
            compilation = check_file(real, options, settings, reuse)
        finally:
            reuse.end(compilation)
        if compilation.stopped_at in ("types", "render", "topology") and any(reuse.counts.values()):
            # a bug of ours met on the way: the fresh run says whether it was the reuse's
            reuse.forget()
            compilation = check_file(real, options, settings)
        return compilation

    def _read_changes(self, real: str, limits: Limits) -> None:
        """Parse the edited text from the last one's parse, reading only the block that
        changed, and leave it in the parse cache for the loader (which parses it all
        when that cannot be done)."""
        raw, last = self.overlay.get(real), self._read.get(real)
        if raw is None or last is None or last[0] == raw:
            return
        digest = self.cache.digest(raw)
        if self.cache.get(digest, limits) is None:
            found = reparse(last[0], last[1], raw, limits, last[2])
            if found is not None:
                self.cache.put(digest, found[0], limits)
                self._read[real] = (raw, *found)

    def _keep_read(self, real: str, limits: Limits) -> None:
        raw = self.overlay.get(real)
        last = self._read.get(real)
        if raw is None or last is not None and last[0] is raw:
            return  # read in part just now: kept with its key places
        parsed = self.cache.get(self.cache.digest(raw), limits)
        if parsed is None or not parsed.ok or parsed.problems:
            self._read.pop(real, None)  # a text that cannot be read again in part is parsed whole next time
        else:
            self._read[real] = (raw, parsed, key_places(parsed))

    def options_for(self, path: str) -> LoadOptions:
        folder = os.path.dirname(path)
        options = self._options.get(folder)
        if options is None:
            options = self._options[folder] = load_options(templates=[path], parse_cache=self.cache,
                                                                **self.flags.loader)
        return replace(options, overlay=self.overlay)

    def settings_for(self, path: str) -> RuleSettings:
        folder = os.path.dirname(path)
        settings = self._settings.get(folder)
        if settings is None:
            flags = self.flags
            settings = self._settings[folder] = rule_settings(
                ignore=flags.ignore, only=flags.only, checks=flags.checks,
                show_library_findings=flags.show_library_findings, template=path)
        return settings

    def _sort(self, analysis: Analysis) -> None:
        """Findings filed under the real path of the file they are in; one in a
        file that is not local (a profile) is shown at the top of the document."""
        template = analysis.compilation.template
        real_of = {analysis.path: analysis.path}
        if template is not None:
            real_of[template.file] = analysis.path
            for document in template.all_documents():
                if document.url is None and document.real_path:
                    real_of.setdefault(document.file, document.real_path)
        analysis.files = set(real_of.values())
        analysis.findings = {real: [] for real in analysis.files}
        for finding in analysis.compilation.diagnostics:
            real = real_of.get(finding.file)
            if real is None:
                finding = replace(finding, message=f"{finding.file}: {finding.message}",
                                  location=Location(analysis.path, 1, 1))
                real = analysis.path
            analysis.findings[real].append(finding)
