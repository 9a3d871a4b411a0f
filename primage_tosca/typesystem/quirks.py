"""Named leniencies: where the Infrastructure Manager's parser (tosca-parser
2.15, which IM 2.0 runs) accepts what the TOSCA specification does not, a
template written for IM still validates here, with a warning where the
specification is broken. Each is listed in docs/relaxations.md.

* ``REQUIRED_RELAXED``: properties a TOSCA version requires that
  tosca-parser's definitions leave optional; a value missing is a warning.
* ``RENAMED``: normative types renamed in a later version, still found by
  their old name (tosca-parser knows only the old ones).
"""

from __future__ import annotations

REQUIRED_RELAXED = frozenset({
    ("tosca.nodes.Database", "name"),  # required in every 1.x version; optional in tosca-parser
    ("tosca.nodes.Abstract.Storage", "name"),  # required from 1.2; tosca-parser's BlockStorage has no name
})

RENAMED = {
    "tosca.nodes.BlockStorage": "tosca.nodes.Storage.BlockStorage",  # renamed in 1.2
    "tosca.nodes.ObjectStorage": "tosca.nodes.Storage.ObjectStorage",  # renamed in 1.1
}


def required_relaxed(owner_names: frozenset[str], name: str) -> bool:
    """True when a missing value of property ``name`` of a type with these
    ancestors is one tosca-parser lets pass."""
    return any((owner, name) in REQUIRED_RELAXED for owner in owner_names)
