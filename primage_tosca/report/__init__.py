"""Output formatters: a :class:`~primage_tosca.validation.Report` as text for
people, JSON for scripts, SARIF for code scanning, or GitHub Actions
annotations. The checks never format; these functions never check."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: formatting needs no checker loaded
    from ..validation import Report

FORMATS = ("text", "json", "sarif", "github")

# Each format's module is imported when it is used: a text report loads no SARIF writer.
_EXPORTS = {
    "escape_data": "github", "escape_property": "github", "render_github": "github",
    "SCHEMA_NAME": "json_format", "SCHEMA_VERSION": "json_format", "json_document": "json_format",
    "render_json": "json_format", "REGENERATE": "rules_doc", "rules_markdown": "rules_doc",
    "MAX_RESULTS": "sarif", "render_sarif": "sarif", "sarif_log": "sarif",
    "render_text": "text", "should_color": "text",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def render(report: Report, fmt: str, *, color: bool = False, tool_version: str | None = None) -> str:
    """The report in format ``fmt`` (one of :data:`FORMATS`), without a
    trailing newline. ``color`` applies to ``text`` only; the CLI passes
    :func:`should_color` of its output stream. ``tool_version`` defaults to
    this package's version.

    Raises ValueError for an unknown format."""
    from .common import tool_version as installed_version

    version = tool_version or installed_version()
    if fmt == "text":
        from .text import render_text
        return render_text(report, color=color)
    if fmt == "json":
        from .json_format import render_json
        return render_json(report, tool_version=version)
    if fmt == "sarif":
        from .sarif import render_sarif
        return render_sarif(report, tool_version=version)
    if fmt == "github":
        from .github import render_github
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
