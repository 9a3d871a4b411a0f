"""What the user says about rules, applied to a run's findings at its end:

* ``--ignore RULE`` / ``--only RULE`` (also ``ignore:`` and ``only:`` in the config file);
* suppression inside a template, for findings the author has judged:
  - ``metadata: { primage-tosca-ignore: "PT402, PT700" }`` at the top of a
    template silences those rules in that file; in a node template's
    metadata, for findings about that node template;
  - a comment ``# primage-tosca: ignore PT402`` on the line of a finding, or
    alone on the line above it, silences those rules on that line;
* findings in type libraries imported by URL (served from the import map or
  the cache: files the template's author did not write) are folded into one
  warning per library, unless ``--show-library-findings`` asks for each.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable

from . import catalog
from .diagnostics import Diagnostic, Severity
from .records import record, replace

METADATA_KEY = "primage-tosca-ignore"
COMMENT = re.compile(r"#\s*primage-tosca:\s*ignore\s+((?:PT\d{3}[\s,]*)+)", re.IGNORECASE)
RULE_ID = re.compile(r"PT\d{3}", re.IGNORECASE)
READ_RULES = ("PT1", "PT2")  # what stops a library being read is never folded: nothing else could be checked


class RuleSettingsError(ValueError):
    """An unknown rule id or check name in the rule settings."""


@record(frozen=True)
class RuleSettings:
    ignore: frozenset[str] = frozenset()
    only: frozenset[str] = frozenset()
    show_library_findings: bool = False
    checks: frozenset[str] = frozenset()  # optional checks to run, by name ("toscaparser")

    def unknown_rules(self) -> list[str]:
        return sorted(r for r in self.ignore | self.only if r not in catalog.RULES)

    def wants(self, rule: str) -> bool:
        if rule in self.ignore:
            return False
        return not self.only or rule in self.only


def rule_ids(text: Any) -> set[str]:
    """The rule ids a metadata value or comment names (``"PT402, PT700"``)."""
    if isinstance(text, list):
        text = " ".join(str(t) for t in text)
    return {match.upper() for match in RULE_ID.findall(str(text))} if text is not None else set()


class Suppressions:
    """In-template suppressions of one template's files, read when needed."""

    def __init__(self, template: Any):
        self.template = template
        self._lines: dict[str, dict[int, set[str]]] = {}
        self.file_rules: set[str] = set()
        self.node_rules: dict[tuple, set[str]] = {}
        data = template.data if template is not None and isinstance(template.data, dict) else {}
        metadata = data.get("metadata")
        if isinstance(metadata, dict):
            self.file_rules = rule_ids(metadata.get(METADATA_KEY))
        nodes = data.get("topology_template", {}).get("node_templates") \
            if isinstance(data.get("topology_template"), dict) else None
        if isinstance(nodes, dict):
            for name, node in nodes.items():
                node_metadata = node.get("metadata") if isinstance(node, dict) else None
                if isinstance(node_metadata, dict) and node_metadata.get(METADATA_KEY) is not None:
                    path = ("topology_template", "node_templates", name)
                    self.node_rules[path] = rule_ids(node_metadata[METADATA_KEY])

    def suppressed(self, diagnostic: Diagnostic) -> bool:
        if self.template is None:
            return False
        if diagnostic.file == self.template.file and diagnostic.rule in self.file_rules:
            return True
        for path, rules in self.node_rules.items():
            if diagnostic.rule in rules and tuple(diagnostic.path[:len(path)]) == path:
                return True
        lines = self._comments(diagnostic.file)
        return diagnostic.rule in lines.get(diagnostic.line, ()) or \
            diagnostic.rule in lines.get(-(diagnostic.line - 1), ())

    def _comments(self, file: str) -> dict[int, set[str]]:
        """Line -> rules silenced on it; a comment alone on its line is filed
        under the negative line number, to apply to the line after it."""
        found = self._lines.get(file)
        if found is None:
            found = self._lines[file] = _read_comments(self._path_of(file), self._overlay())
        return found

    def _overlay(self) -> dict:
        options = getattr(self.template, "options", None)
        return getattr(options, "overlay", None) or {}

    def _path_of(self, file: str) -> str | None:
        for document in self.template.all_documents():
            if document.file == file and document.url is None and document.ok:  # never open what was refused
                return document.real_path
        return None


def _read_comments(path: str | None, overlay: dict | None = None) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    if path is None:
        return found
    raw = (overlay or {}).get(path)
    try:
        if raw is None:
            with open(path, "rb") as handle:
                raw = handle.read(10 * 1024 * 1024)
    except OSError:
        return found
    text = raw[:10 * 1024 * 1024].decode("utf-8", errors="replace")
    if "primage-tosca" not in text.lower():
        return found
    for number, line in enumerate(text.split("\n"), start=1):
        match = COMMENT.search(line)
        if match:
            rules = rule_ids(match.group(1))
            found[-number if line.lstrip().startswith("#") else number] = rules
    return found


def apply(diagnostics: Iterable[Diagnostic], settings: RuleSettings, template: Any = None) -> list[Diagnostic]:
    """The findings the user wants to see, library findings folded, sorted by place."""
    suppressions = Suppressions(template)
    kept = [d for d in diagnostics if settings.wants(d.rule) and not suppressions.suppressed(d)]
    kept = _libraries(kept, template, settings)
    return sorted(kept, key=Diagnostic.sort_key)


def _libraries(found: list[Diagnostic], template: Any, settings: RuleSettings) -> list[Diagnostic]:
    libraries = _url_libraries(template)
    if not libraries:
        return found
    kept, folded = [], {}
    for diagnostic in found:
        url = diagnostic.file if diagnostic.file in libraries else None
        if url is None or (diagnostic.rule.startswith(READ_RULES) and diagnostic.severity is Severity.ERROR):
            kept.append(diagnostic)
        elif settings.show_library_findings:
            kept.append(_as_library(diagnostic))
        else:
            folded.setdefault(url, []).append(diagnostic)
    for url, items in folded.items():
        kept.append(_folded(url, items, libraries[url]))
    return kept


def _url_libraries(template: Any) -> dict[str, Any]:
    """Display name -> where the template imports it (location, path), for every document imported by URL."""
    if template is None:
        return {}
    found: dict[str, Any] = {}
    for source in [template.sources, *template.parent_sources]:
        for edge in source.edges:
            if edge.target is not None and edge.target.url:
                found.setdefault(edge.target.file, (edge.importer.locate(edge.path), tuple(edge.path)))
    for document in template.all_documents():
        if document.url and document.file not in found:
            found[document.file] = (template.locate(("imports",)), ("imports",))
    return found


def _as_library(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.severity is not Severity.ERROR:
        return diagnostic
    return replace(diagnostic, severity=Severity.WARNING, message=diagnostic.message + " (in an imported library)")


def _folded(url: str, items: list[Diagnostic], where: tuple[Any, tuple]) -> Diagnostic:
    counts = Counter(d.rule for d in items)
    summary = ", ".join(f"{rule} x{count}" if count > 1 else rule for rule, count in sorted(counts.items()))
    return catalog.make("PT390", f"the imported library {url} has {len(items)} finding"
                        f"{'s' if len(items) != 1 else ''} ({summary}); they are the library's, not this template's",
                        where[0], where[1], hint="pass --show-library-findings to list them")
