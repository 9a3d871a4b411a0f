"""Diagnostics: what every stage reports, as plain data.

A diagnostic stays data (rule id, severity, location, template path, message,
hint) until a formatter in :mod:`primage_tosca.report` prints it. Stages never
raise for a problem in the user's template; they append a diagnostic and go on,
so one run reports every problem it can find.
"""

from __future__ import annotations

import enum
from typing import Callable, Iterable, Iterator, Sequence

from .records import field, record, replace

TemplatePath = tuple  # keys (str) and list indexes (int) from the document root


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@record(frozen=True)
class Location:
    """A place in a source file; line and column count from 1."""

    file: str
    line: int = 1
    column: int = 1


@record(frozen=True)
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


def close_matches(word: str, candidates: Iterable[str], cutoff: float = 0.7) -> list[str]:
    """The candidate closest to a misspelt ``word``, in a list, or an empty
    list when none is close enough: the "did you mean" of a hint."""
    import difflib  # loaded only when a name is wrong: a clean run does not pay for it

    return difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)


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


# A more specific rule supersedes a general one reported at the same place:
# a secret input left without a value is PT411, not also PT401.
SUPERSEDES = {"PT411": frozenset({"PT401"})}


class Collector:
    """The one problem collector of a run: every phase reports here. It keeps
    findings in the order they came, once each (the same rule, place and
    message), and drops one that a more specific finding at the same place
    supersedes. The user's rule settings (ignore, only, suppressions, folding
    of library findings) are applied by :func:`primage_tosca.rulesettings.apply`
    when the run ends, so phases never need to know them."""

    def __init__(self) -> None:
        self._items: dict[tuple, Diagnostic] = {}

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.rule, diagnostic.location, diagnostic.message)
        if key not in self._items:
            self._items[key] = diagnostic

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def mark(self) -> int:
        """A point in the run, for :meth:`drop_since`."""
        return len(self._items)

    def drop_since(self, mark: int, unwanted: Callable[[Diagnostic], bool]) -> None:
        """Forget the findings added after ``mark`` that ``unwanted`` picks
        (a copy's findings that its source already has)."""
        for key in list(self._items)[mark:]:
            if unwanted(self._items[key]):
                del self._items[key]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[Diagnostic]:
        covered = {(rule, d.location) for d in self._items.values() for rule in SUPERSEDES.get(d.rule, ())}
        if not covered:
            return list(self._items.values())
        return [d for d in self._items.values() if (d.rule, d.location) not in covered]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items.values())

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]


# The name the emitters and older callers use.
Diagnostics = Collector
