"""The outline of a document: its inputs, node templates, outputs and types, each under its section."""

from __future__ import annotations

from typing import Any

from ..records import record
from .analysis import Analysis
from .lookup import SECTIONS, section, written_path


@record
class Symbol:
    name: str
    kind: str  # the section: "inputs", "node_templates", "node_types", ...
    detail: str
    line: int
    column: int
    end_line: int
    children: list["Symbol"]


def symbols(analysis: Analysis | None) -> list[Symbol]:
    """Inputs, node templates, outputs, types... of the document, each under its section."""
    template = analysis.compilation.template if analysis and analysis.compilation else None
    if template is None or not isinstance(template.data, dict):
        return []
    parsed = template.sources.root.parsed
    last = _last_lines(parsed)
    found = []
    for title, canonical_path in SECTIONS:
        path = written_path(template.data, canonical_path)
        entries = section(template.data, path)
        if path not in parsed.keys or not entries:
            continue
        children = []
        for name, value in entries.items():
            line, column = parsed.keys.get(path + (name,), (0, 0))
            detail = value.get("type", "") if isinstance(value, dict) else ""
            end = last.get(path + (name,), line)
            children.append(Symbol(str(name), title, str(detail or ""), line - 1, column - 1, end - 1, []))
        line, column = parsed.keys[path]
        found.append(Symbol(title, title, "", line - 1, column - 1, last.get(path, line) - 1, children))
    return found


def _last_lines(parsed: Any) -> dict[tuple, int]:
    """The last line written under each path of up to three keys."""
    last: dict[tuple, int] = {}
    for table in (parsed.values, parsed.keys):
        for path, (line, _) in table.items():
            for size in (1, 2, 3):
                if len(path) >= size and last.get(path[:size], 0) < line:
                    last[path[:size]] = line
    return last
