"""The JSON format: a versioned document described by
``primage_tosca/schemas/diagnostics-v1.json``.

Version policy: adding keys keeps version 1 (consumers ignore keys they do
not know); removing or renaming a key, or changing its type, bumps it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, Severity
from .common import TOOL_NAME, count, position, rule_name

if TYPE_CHECKING:  # only for annotations: formatting needs no checker loaded
    from ..validation import Report

SCHEMA_NAME = "primage-tosca/diagnostics"
SCHEMA_VERSION = 1


def render_json(report: Report, *, tool_version: str) -> str:
    return json.dumps(json_document(report, tool_version), indent=2, ensure_ascii=False)


def json_document(report: Report, tool_version: str) -> dict[str, Any]:
    """The document as Python data; keys are in their documented order."""
    return {
        "schema": SCHEMA_NAME,
        "version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "files": list(report.files),
        "summary": {
            "errors": count(report.diagnostics, Severity.ERROR),
            "warnings": count(report.diagnostics, Severity.WARNING),
            "infos": count(report.diagnostics, Severity.INFO),
        },
        "diagnostics": [diagnostic_entry(d) for d in report.diagnostics],
    }


def diagnostic_entry(diagnostic: Diagnostic) -> dict[str, Any]:
    line, column = position(diagnostic)
    return {
        "rule": diagnostic.rule,
        "name": rule_name(diagnostic.rule),
        "severity": diagnostic.severity.value,
        "file": diagnostic.file,
        "line": line,
        "column": column,
        "path": diagnostic.dotted_path,
        "path_parts": [plain_part(part) for part in diagnostic.path],
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def plain_part(part: Any) -> str | int:
    """Keys stay strings and list indexes integers; anything else (a YAML key
    that was a number or a date) becomes its string form."""
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    return str(part)
