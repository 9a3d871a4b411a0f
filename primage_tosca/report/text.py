"""The human format: one line per diagnostic, details indented below it,
and a closing summary line."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Mapping, TextIO

from ..diagnostics import Diagnostic, Severity
from .common import count, position

if TYPE_CHECKING:  # only for annotations: formatting needs no checker loaded
    from ..validation import Report

RESET = "\x1b[0m"
DIM = "\x1b[2m"
SEVERITY_COLORS = {
    Severity.ERROR: "\x1b[1;31m",  # bold red
    Severity.WARNING: "\x1b[33m",  # yellow
    Severity.INFO: "\x1b[36m",  # cyan
}

# Control characters other than newline and tab, which a template's keys or
# values may carry into a message; printed raw they could drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CONTINUATION = "    "


def should_color(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """``--color auto``: colour only for a terminal, never when NO_COLOR is
    set to a non-empty value (https://no-color.org) or TERM is ``dumb``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def render_text(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    for diagnostic in report.diagnostics:
        lines.extend(diagnostic_lines(diagnostic, color))
    lines.append(summary_line(report))
    return "\n".join(lines)


def diagnostic_lines(diagnostic: Diagnostic, color: bool) -> list[str]:
    severity = paint(diagnostic.severity.value, SEVERITY_COLORS[diagnostic.severity], color)
    rule = paint(diagnostic.rule, DIM, color)
    line, column = position(diagnostic)
    place = f"{clean(diagnostic.file)}:{line}:{column}"
    lines = [f"{place}: {severity} {rule} {indent_rest(diagnostic.message)}"]
    if diagnostic.path:
        lines.append(f"  path: {indent_rest(diagnostic.dotted_path)}")
    if diagnostic.hint:
        lines.append(f"  hint: {indent_rest(diagnostic.hint)}")
    return lines


def summary_line(report: Report) -> str:
    files = plural(len(report.files), "file")
    found = [
        plural(count(report.diagnostics, Severity.ERROR), "error"),
        plural(count(report.diagnostics, Severity.WARNING), "warning"),
        plural(count(report.diagnostics, Severity.INFO), "info"),
    ]
    # Name only the severities that occur; errors and warnings always, since
    # "0 errors" is what a reader looks for first.
    shown = found[:2] + ([found[2]] if not found[2].startswith("0 ") else [])
    problems = ", ".join(shown) if report.diagnostics else "no problems"
    return f"{files} checked: {problems}"


def plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color else text


def clean(text: str) -> str:
    """Show control characters as escapes, so output is plain text."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def indent_rest(text: str) -> str:
    """Keep a multi-line message under its diagnostic: indent its later lines."""
    return clean(text).replace("\n", "\n" + CONTINUATION)
