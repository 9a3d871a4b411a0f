"""Diagnostics: what every stage reports, as plain data.

A diagnostic stays data (rule id, severity, location, template path, message,
hint) until a formatter in :mod:`primage_tosca.report` prints it. Stages never
raise for a problem in the user's template; they append a diagnostic and go on,
so one run reports every problem it can find.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Sequence

TemplatePath = tuple  # keys (str) and list indexes (int) from the document root


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column count from 1."""

    file: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Diagnostic:
    rule: str
    severity: Severity
    message: str
    location: Location
    path: TemplatePath = ()
    hint: str | None = None

    @property
    def file(self) -> str:
        return self.location.file

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def column(self) -> int:
        return self.location.column

    @property
    def dotted_path(self) -> str:
        return format_path(self.path)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.severity.rank, self.rule, self.message)

    def with_location(self, location: Location) -> "Diagnostic":
        return replace(self, location=location)


def format_path(path: Sequence) -> str:
    """``('topology_template', 'node_templates', 'a', 'requirements', 0)`` ->
    ``topology_template.node_templates.a.requirements[0]``."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        else:
            text = str(part)
            if out:
                out.append(".")
            out.append(text)
    return "".join(out)


@dataclass
class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set = field(default_factory=set, repr=False)

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.rule, diagnostic.location, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)
