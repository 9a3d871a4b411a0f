"""SARIF 2.1.0, in the shape GitHub code scanning accepts
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..catalog import RULES
from ..diagnostics import Diagnostic, Severity
from .common import (
    PROJECT_URL,
    TOOL_NAME,
    absolute_file_uri,
    is_url,
    position,
    relative_to_cwd,
    rule_help_url,
    rule_name,
)

if TYPE_CHECKING:  # only for annotations: formatting needs no checker loaded
    from ..validation import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
# GitHub rejects a run with more results than this.
MAX_RESULTS = 25_000
FINGERPRINT_KEY = "primageTosca/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: Report, *, tool_version: str, max_results: int = MAX_RESULTS) -> str:
    return json.dumps(sarif_log(report, tool_version, max_results), indent=2, ensure_ascii=False)


def sarif_log(report: Report, tool_version: str, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    kept = keep(report.diagnostics, max_results)
    rule_ids = sorted({d.rule for d in kept})
    index = {rule_id: number for number, rule_id in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {"driver": driver(rule_ids, tool_version)},
        "invocations": [invocation(len(report.diagnostics), len(kept))],
        "columnKind": "unicodeCodePoints",
        "results": results(kept, index),
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def keep(diagnostics: list[Diagnostic], limit: int) -> list[Diagnostic]:
    """At most ``limit`` results; when some must go, errors stay first."""
    if len(diagnostics) <= limit:
        return list(diagnostics)
    ranked = sorted(diagnostics, key=lambda d: d.severity.rank)  # stable: place order within a rank
    return sorted(ranked[:limit], key=Diagnostic.sort_key)


def driver(rule_ids: list[str], tool_version: str) -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "informationUri": PROJECT_URL,
        "version": tool_version,
        "rules": [rule_descriptor(rule_id) for rule_id in rule_ids],
    }


def rule_descriptor(rule_id: str) -> dict[str, Any]:
    entry = RULES.get(rule_id)
    if entry is None:  # not catalogued: still describe it, so ruleIndex holds
        return {"id": rule_id, "name": rule_name(rule_id), "helpUri": rule_help_url(rule_id)}
    return {
        "id": entry.id,
        "name": entry.name,
        "shortDescription": {"text": entry.summary},
        "fullDescription": {"text": f"{entry.id} {entry.name}: {entry.summary}"},
        "defaultConfiguration": {"level": LEVELS[entry.severity]},
        "helpUri": rule_help_url(entry.id),
    }


def invocation(total: int, kept: int) -> dict[str, Any]:
    """Say so when results were cut to GitHub's limit, rather than drop them silently."""
    entry: dict[str, Any] = {"executionSuccessful": True}
    if kept < total:
        text = f"{total - kept} of {total} results omitted: GitHub accepts at most {kept} per run."
        entry["toolExecutionNotifications"] = [{"level": "warning", "message": {"text": text}}]
    return entry


def results(diagnostics: list[Diagnostic], index: dict[str, int]) -> list[dict[str, Any]]:
    seen: Counter[str] = Counter()
    out = []
    for diagnostic in diagnostics:
        digest = fingerprint(diagnostic)
        seen[digest] += 1
        out.append(result(diagnostic, index[diagnostic.rule], f"{digest}:{seen[digest]}"))
    return out


def result(diagnostic: Diagnostic, rule_index: int, fingerprint_value: str) -> dict[str, Any]:
    return {
        "ruleId": diagnostic.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[diagnostic.severity],
        "message": {"text": message_text(diagnostic)},
        "locations": [location(diagnostic)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint_value},
    }


def message_text(diagnostic: Diagnostic) -> str:
    if diagnostic.hint:
        return f"{diagnostic.message}\nHint: {diagnostic.hint}"
    return diagnostic.message


def location(diagnostic: Diagnostic) -> dict[str, Any]:
    line, column = position(diagnostic)
    physical = {
        "artifactLocation": artifact_location(diagnostic.file),
        "region": {"startLine": line, "startColumn": column},
    }
    entry: dict[str, Any] = {"physicalLocation": physical}
    if diagnostic.path:
        entry["logicalLocations"] = [logical_location(diagnostic)]
    return entry


def logical_location(diagnostic: Diagnostic) -> dict[str, Any]:
    last = diagnostic.path[-1]
    name = f"[{last}]" if isinstance(last, int) and not isinstance(last, bool) else str(last)
    return {"name": name, "fullyQualifiedName": diagnostic.dotted_path}


def artifact_location(file: str) -> dict[str, str]:
    """Relative to %SRCROOT% when under the current directory (GitHub takes
    that for the checkout root, so run from there); a URL or an outside file
    stays absolute, since a uri with a uriBaseId must be relative."""
    if is_url(file):
        return {"uri": file}
    relative = relative_to_cwd(file)
    if relative is None:
        return {"uri": absolute_file_uri(file)}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def fingerprint(diagnostic: Diagnostic) -> str:
    """Stable across commits: no line numbers, only what identifies the
    problem. The caller appends an occurrence count, so equal problems at
    different lines stay distinct alerts."""
    file = artifact_location(diagnostic.file)["uri"]
    fields = [diagnostic.rule, file, diagnostic.dotted_path, diagnostic.message]
    return hashlib.sha256("\x00".join(fields).encode("utf-8")).hexdigest()
