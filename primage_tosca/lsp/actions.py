"""Quick fixes for findings whose fix is unambiguous:

    PT506  an unknown property one edit away from a known one: rename it
    PT505  a required property without a value: add it under ``properties:``
    PT400  get_input of an undeclared input: declare it under ``inputs:``

Each fix is a list of text edits on the document the finding is in, worked
out from the positions of the reading that produced the finding.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic
from ..records import record
from .analysis import Analysis
from .lookup import INPUTS, NODES, canonical_path, node_type, written_path

_SUGGESTION = re.compile(r"did you mean '([^']+)'")
_REQUIRED = re.compile(r"property '([^']+)' is required|needs a value for property '([^']+)'")
_UNDECLARED = re.compile(r"input '([^']+)'|names '([^']+)', which is not an input")
PLACEHOLDER = {"string": '""', "integer": "0", "float": "0.0", "boolean": "false", "list": "[]", "map": "{}"}


@record
class Edit:
    line: int  # from 0
    column: int
    end_line: int
    end_column: int
    text: str


@record
class Fix:
    title: str
    finding: Diagnostic
    edits: list[Edit]


def fixes(analysis: Analysis, findings: list[Diagnostic]) -> list[Fix]:
    """The quick fixes for ``findings`` (of ``analysis``'s own document)."""
    found = []
    for finding in findings:
        fix = {"PT506": _rename, "PT505": _add_property, "PT400": _declare_input}.get(finding.rule)
        made = fix(analysis, finding) if fix is not None else None
        if made is not None:
            found.append(made)
    return found


def one_edit_apart(one: str, other: str) -> bool:
    """One character inserted, removed, replaced, or two neighbours swapped."""
    if one == other or abs(len(one) - len(other)) > 1:
        return False
    if len(one) == len(other):
        differ = [i for i, (a, b) in enumerate(zip(one, other)) if a != b]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and one[differ[0]] == other[differ[1]] and one[differ[1]] == other[differ[0]])
    short, long = sorted((one, other), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _rename(analysis: Analysis, finding: Diagnostic) -> Fix | None:
    suggested = _SUGGESTION.search(finding.hint or "")
    written = finding.path[-1] if finding.path else None
    if not isinstance(written, str):
        return None
    name = suggested.group(1) if suggested is not None else _one_near(analysis, finding, written)
    if name is None or not one_edit_apart(written, name):
        return None
    line, column = finding.line - 1, finding.column - 1
    edit = Edit(line, column, line, column + len(written), name)
    return Fix(f"Rename '{written}' to '{name}'", finding, [edit])


def _one_near(analysis: Analysis, finding: Diagnostic, written: str) -> str | None:
    """The one property of the node's type one edit away from ``written`` (a finding
    without a suggestion: TOSCA 2.0's); None when there is none, or several."""
    path = canonical_path(finding.path)
    if len(path) != 5 or path[:2] != NODES or path[3] != "properties":
        return None
    owner = node_type([analysis], path[2])
    names = analysis.types.definitions.properties(owner) if owner is not None else {}
    near = [name for name in names if one_edit_apart(written, name)]
    return near[0] if len(near) == 1 else None




def _add_property(analysis: Analysis, finding: Diagnostic) -> Fix | None:
    named = _REQUIRED.search(finding.message)
    path = canonical_path(finding.path)
    if named is None or len(path) not in (3, 4) or path[:2] != NODES or path[3:] not in ((), ("properties",)):
        return None
    node, name = path[2], named.group(1) or named.group(2)
    owner = node_type([analysis], node)
    definition = analysis.types.definitions.properties(owner).get(name) if owner is not None else None
    if definition is None:
        return None
    value = PLACEHOLDER.get(definition.schema.primitive or "", '""')
    edits = _insert_entry(analysis, NODES + (node,), "properties", f"{name}: {value}")
    return Fix(f"Add the required property '{name}'", finding, edits) if edits else None


def _declare_input(analysis: Analysis, finding: Diagnostic) -> Fix | None:
    named = _UNDECLARED.search(finding.message)
    if named is None or not {"get_input", "$get_input"} & set(finding.path):
        return None
    name = named.group(1) or named.group(2)
    edits = _insert_entry(analysis, INPUTS[:1], "inputs", f"{name}:", "type: string")
    return Fix(f"Declare the input '{name}'", finding, edits) if edits else None


def _insert_entry(analysis: Analysis, owner: tuple, section: str, *lines: str) -> list[Edit]:
    """Edits that add ``lines`` (an entry and what nests under it) to
    ``owner``'s ``section`` mapping, writing the section when it is missing.
    A section written in flow style (``properties: {}``) is left to the author."""
    root = analysis.compilation.template.sources.root
    parsed = root.parsed
    keys, values = parsed.keys, parsed.values
    owner = written_path(root.data, owner)
    where = owner + (section,)
    if where in keys:
        line, column = keys[where]
        if values.get(where, (line, 0))[0] == line:
            return []
        children = [keys[p][1] for p in keys if len(p) == len(where) + 1 and p[:-1] == where]
        indent = (min(children) if children else column + 2) - 1
        return [Edit(line, 0, line, 0, _block(lines, indent))]
    siblings = [keys[p][1] for p in keys if len(p) == len(owner) + 1 and p[:-1] == owner]
    if not siblings:
        return []
    last = max(position[0] for table in (keys, values) for path, position in table.items()
               if path[:len(owner)] == owner)
    indent = min(siblings) - 1
    return [Edit(last, 0, last, 0, " " * indent + f"{section}:\n" + _block(lines, indent + 2))]


def _block(lines: tuple[str, ...], indent: int) -> str:
    return "".join(" " * (indent + 2 * depth) + line + "\n" for depth, line in enumerate(lines))
