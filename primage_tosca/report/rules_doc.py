"""docs/rules.md, generated from the rule catalogue."""

from __future__ import annotations

from ..catalog import RULES
from .common import rule_anchor

REGENERATE = "python -m primage_tosca rules --markdown > docs/rules.md"

INTRO = f"""\
# Rules

<!-- Generated from primage_tosca/catalog.py; do not edit by hand.
     Regenerate with: {REGENERATE} -->

Every diagnostic names one of these rules. Ids are stable: a rule may be
reworded or retired, never renumbered. The severity is the rule's default.

| family | what |
|---|---|
| PT1xx | reading a file (YAML, encoding, limits) |
| PT2xx | imports (local files, URLs, the import map and cache) |
| PT3xx | template structure and types |
| PT4xx | inputs and functions |
| PT5xx | property values (scalar units, ports) |
| PT6xx | artifacts (Ansible Galaxy specs) |
| PT8xx | findings of tosca-parser, mapped back to a position |
| PT9xx | internal errors (a bug of ours or of a library, never the user's) |
"""


def rules_markdown() -> str:
    """The catalogue as markdown, one table row and one anchor per rule
    (``#pt100``): the whole text of docs/rules.md, final newline included."""
    rows = ["| id | name | severity | summary |", "|---|---|---|---|"]
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        anchor = f'<a id="{rule_anchor(rule.id)}"></a>'
        cells = [f"{anchor}{rule.id}", f"`{rule.name}`", rule.severity.value, cell(rule.summary)]
        rows.append("| " + " | ".join(cells) + " |")
    return INTRO + "\n## Catalogue\n\n" + "\n".join(rows) + "\n"


def cell(text: str) -> str:
    """A table cell: a '|' would split it, a newline would end the row."""
    return text.replace("|", "\\|").replace("\n", " ")
