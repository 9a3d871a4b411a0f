"""The type system as objects: types linked to their parents, and the
definitions (properties, capabilities, requirements, interfaces) a type has
once inheritance and refinement are applied.

Every object remembers the document and path it was written at, so a finding
about it can point there and an editor can jump to it.
"""

from __future__ import annotations

from typing import Any

from ..records import field, record
from ..versions import Version
from .primitives import PRIMITIVES

# The sections of a service template that define types, and the word for one of each.
KINDS = ("artifact_types", "data_types", "capability_types", "interface_types", "relationship_types",
         "node_types", "group_types", "policy_types")
KIND_WORD = {
    "artifact_types": "artifact type", "data_types": "data type", "capability_types": "capability type",
    "interface_types": "interface type", "relationship_types": "relationship type", "node_types": "node type",
    "group_types": "group type", "policy_types": "policy type",
}
KIND_GRAMMAR = {kind: kind[:-1] for kind in KINDS}  # "node_types" -> "node_type"
# The normative name prefix of each kind, for short names ("Compute" is tosca.nodes.Compute).
NORMATIVE_PREFIX = {
    "artifact_types": "tosca.artifacts.", "data_types": "tosca.datatypes.", "capability_types": "tosca.capabilities.",
    "interface_types": "tosca.interfaces.", "relationship_types": "tosca.relationships.",
    "node_types": "tosca.nodes.", "group_types": "tosca.groups.", "policy_types": "tosca.policies.",
}


@record(eq=False)
class Type:
    """One type definition, linked to its parent once every type is known."""

    kind: str
    name: str  # the full name it is known by (a namespace prefix included)
    raw: dict  # the definition as written ({} when it is not a mapping)
    document: Any = field(default=None, repr=False)  # the Document it is written in (None for primitives)
    path: tuple = ()
    version: Version | None = None
    builtin: bool = False  # a primitive or a type of a packaged profile
    primitive: str | None = None  # for the primitive data types themselves
    parent: "Type | None" = None
    parent_name: str | None = None  # derived_from as written
    cyclic: bool = False  # its derived_from chain loops
    memo: dict = field(default_factory=dict, repr=False)  # facts worked out once (merged definitions)

    @property
    def ancestry(self) -> tuple["Type", ...]:
        """The type and its ancestors, nearest first."""
        found = self.memo.get("ancestry")
        if found is None:
            chain: list[Type] = []
            current: Type | None = self
            while current is not None and current not in chain:
                chain.append(current)
                current = current.parent
            found = self.memo["ancestry"] = tuple(chain)
        return found

    @property
    def names(self) -> frozenset[str]:
        found = self.memo.get("names")
        if found is None:
            found = self.memo["names"] = frozenset(t.name for t in self.ancestry)
        return found

    def is_a(self, other: "Type | str | None") -> bool:
        """True when this type is ``other`` or derives from it."""
        if other is None:
            return False
        if isinstance(other, Type):
            return other in self.ancestry
        return other in self.names

    @property
    def root_primitive(self) -> str | None:
        """For a data type, the primitive it derives from (None for a complex type)."""
        found = self.memo.get("primitive", False)
        if found is False:
            found = self.memo["primitive"] = self._root_primitive()
        return found

    def _root_primitive(self) -> str | None:
        for ancestor in self.ancestry:
            if ancestor.primitive is not None:
                return ancestor.primitive
            written = ancestor.raw.get("type")
            if ancestor.kind == "data_types" and isinstance(written, str) and written in PRIMITIVES:
                return written  # tosca-parser's spelling: derived from tosca.datatypes.Root, with `type:`
        return None

    @property
    def status(self) -> str | None:
        value = self.raw.get("status")
        return value if isinstance(value, str) else None

    @property
    def description(self) -> str | None:
        value = self.raw.get("description")
        return value if isinstance(value, str) else None

    def __repr__(self) -> str:
        return f"<{self.kind[:-1]} {self.name}>"


@record(eq=False)
class Constraint:
    """One constraint clause: ``operator: argument``, the argument read as
    the constrained type (``comparable`` holds it ready to compare)."""

    operator: str
    argument: Any
    comparable: Any
    document: Any = field(default=None, repr=False)
    path: tuple = ()


@record(eq=False)
class Schema:
    """What a value must be: its type, the schemas of a list's or map's
    entries and a map's keys, and every constraint along the way."""

    type: Type | None  # None when the type is unknown (reported where it is named)
    type_name: Any
    entry: "Schema | None" = None
    key: "Schema | None" = None
    constraints: tuple[Constraint, ...] = ()
    memo: dict = field(default_factory=dict, repr=False)

    @property
    def primitive(self) -> str | None:
        return self.type.root_primitive if self.type is not None else None


@record(eq=False)
class PropertyDef:
    """A property, attribute or parameter definition, after refinement."""

    name: str
    schema: Schema
    required: bool = True
    has_default: bool = False
    default: Any = None
    status: str | None = None
    description: str | None = None
    raw: dict = field(default_factory=dict, repr=False)
    document: Any = field(default=None, repr=False)
    path: tuple = ()
    owner: Type | None = None


@record(eq=False)
class CapabilityDef:
    name: str
    type: Type | None
    type_name: Any
    properties: dict[str, PropertyDef]
    attributes: dict[str, PropertyDef]
    valid_source_types: tuple[str, ...] | None  # None: any source
    occurrences: tuple[int, float]
    document: Any = field(default=None, repr=False)
    path: tuple = ()
    description: str | None = None


@record(eq=False)
class RequirementDef:
    name: str
    capability: Type | None  # the capability type asked for
    capability_name: Any  # as written (a type, or in some templates a capability's name)
    node: Type | None
    node_name: Any
    relationship: Type | None
    relationship_name: Any
    relationship_interfaces: dict
    occurrences: tuple[int, float]
    occurrences_written: bool
    document: Any = field(default=None, repr=False)
    path: tuple = ()
    description: str | None = None


@record(eq=False)
class OperationDef:
    name: str
    implementation: Any  # as written: a string or {primary, dependencies, ...}
    inputs: dict  # name -> PropertyDef (a definition) or a value (an assignment in a type)
    outputs: dict
    description: str | None = None
    document: Any = field(default=None, repr=False)
    path: tuple = ()
    notification: bool = False


@record(eq=False)
class InterfaceDef:
    name: str
    type: Type | None
    type_name: Any
    inputs: dict
    operations: dict[str, OperationDef]
    document: Any = field(default=None, repr=False)
    path: tuple = ()


def occurrences_of(value: Any, default: tuple[int, float]) -> tuple[int, float]:
    """``[min, max]`` with UNBOUNDED as infinity; the default when malformed
    (the grammar checks report that)."""
    if not isinstance(value, list) or len(value) != 2:
        return default
    low, high = value
    if isinstance(low, bool) or not isinstance(low, int):
        return default
    if high == "UNBOUNDED":
        return (low, float("inf"))
    if isinstance(high, bool) or not isinstance(high, int):
        return default
    return (low, high)
