"""Output formatters: a :class:`~primage_tosca.validation.Report` as text for
people, JSON for scripts, SARIF for code scanning, or GitHub Actions
annotations. The checks never format; these functions never check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import tool_version as _installed_version
from .github import escape_data, escape_property, render_github
from .json_format import SCHEMA_NAME, SCHEMA_VERSION, json_document, render_json
from .rules_doc import REGENERATE, rules_markdown
from .sarif import MAX_RESULTS, render_sarif, sarif_log
from .text import render_text, should_color

if TYPE_CHECKING:  # only for annotations: formatting needs no checker loaded
    from ..validation import Report

FORMATS = ("text", "json", "sarif", "github")


def render(report: Report, fmt: str, *, color: bool = False, tool_version: str | None = None) -> str:
    """The report in format ``fmt`` (one of :data:`FORMATS`), without a
    trailing newline. ``color`` applies to ``text`` only; the CLI passes
    :func:`should_color` of its output stream. ``tool_version`` defaults to
    this package's version.

    Raises ValueError for an unknown format."""
    version = tool_version or _installed_version()
    if fmt == "text":
        return render_text(report, color=color)
    if fmt == "json":
        return render_json(report, tool_version=version)
    if fmt == "sarif":
        return render_sarif(report, tool_version=version)
    if fmt == "github":
        return render_github(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "MAX_RESULTS",
    "REGENERATE",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "escape_data",
    "escape_property",
    "json_document",
    "render",
    "rules_markdown",
    "sarif_log",
    "should_color",
]
