"""GitHub Actions workflow commands: each diagnostic becomes an annotation
on the pull request (https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, Severity
from .common import is_url, position, relative_to_cwd, rule_name

if TYPE_CHECKING:  # only for annotations: formatting needs no checker loaded
    from ..validation import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: Report) -> str:
    return "\n".join(command(d) for d in report.diagnostics)


def command(diagnostic: Diagnostic) -> str:
    properties = location_properties(diagnostic)
    properties.append(("title", f"{diagnostic.rule} {rule_name(diagnostic.rule)}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[diagnostic.severity]} {joined}::{escape_data(annotation_text(diagnostic))}"


def location_properties(diagnostic: Diagnostic) -> list[tuple[str, str]]:
    """file/line/col for a file GitHub can place; a URL import cannot be
    annotated, so its address goes into the message instead."""
    if is_url(diagnostic.file):
        return []
    file = relative_to_cwd(diagnostic.file) or diagnostic.file
    line, column = position(diagnostic)
    return [("file", file), ("line", str(line)), ("col", str(column))]


def annotation_text(diagnostic: Diagnostic) -> str:
    lines = [diagnostic.message]
    if is_url(diagnostic.file):
        lines.append(f"in: {diagnostic.file}:{diagnostic.line}:{diagnostic.column}")
    if diagnostic.path:
        lines.append(f"path: {diagnostic.dotted_path}")
    if diagnostic.hint:
        lines.append(f"hint: {diagnostic.hint}")
    return "\n".join(lines)


def escape_data(text: str) -> str:
    """The message after '::'. '%' goes first, or the other escapes would be
    escaped again."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value, where ':' and ',' would also end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
