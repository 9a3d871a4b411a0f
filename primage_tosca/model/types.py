"""Type definitions: the normative TOSCA types plus whatever a template imports.

Each definition remembers the document and path it was written at, so a check
can point at it. The normative types are read once per process from
tosca-parser's own definition file, so both tools agree on what they are.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

from ..source.document import Document, load_document

KINDS = (
    "node_types", "capability_types", "relationship_types", "data_types",
    "artifact_types", "interface_types", "policy_types", "group_types",
)

# The normative prefix of each kind, for the short names TOSCA allows
# ("Compute" and "tosca:Compute" both mean tosca.nodes.Compute).
PREFIXES = {
    "node_types": "tosca.nodes.",
    "capability_types": "tosca.capabilities.",
    "relationship_types": "tosca.relationships.",
    "data_types": "tosca.datatypes.",
    "artifact_types": "tosca.artifacts.",
    "interface_types": "tosca.interfaces.",
    "policy_types": "tosca.policies.",
    "group_types": "tosca.groups.",
}

PRIMITIVE_DATA_TYPES = frozenset({
    "string", "integer", "float", "boolean", "timestamp", "null", "list", "map",
    "range", "version", "scalar-unit.size", "scalar-unit.time", "scalar-unit.frequency",
    "scalar-unit.bitrate", "PortDef", "PortSpec",
})


@dataclass(frozen=True)
class TypeDef:
    name: str
    kind: str
    definition: Any
    document: Document | None
    path: tuple

    @property
    def parent_name(self) -> str | None:
        if isinstance(self.definition, dict):
            parent = self.definition.get("derived_from")
            return parent if isinstance(parent, str) else None
        return None

    def get(self, key: str, default: Any = None) -> Any:
        return self.definition.get(key, default) if isinstance(self.definition, dict) else default


def _refined(inherited: Any, definition: Any) -> Any:
    """A requirement definition a derived type writes again refines its
    parent's (TOSCA's refinement): what it leaves out, often the
    relationship, is inherited. Container.Application.Docker's ``host`` names
    a capability only, and stays the HostedOn of Container.Application."""
    if isinstance(inherited, dict) and isinstance(definition, dict):
        return {**inherited, **definition}
    return definition


def normative_definition_path() -> str:
    # find_spec locates the package without running its __init__ (which loads pbr: 10 ms)
    spec = importlib.util.find_spec("toscaparser")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("tosca-parser is not installed: its normative types are needed")
    return os.path.join(spec.submodule_search_locations[0], "elements", "TOSCA_definition.yaml")


@lru_cache(maxsize=1)
def normative_types() -> "TypeRegistry":
    document = load_document(normative_definition_path(), display="toscaparser:TOSCA_definition.yaml")
    registry = TypeRegistry()
    registry.add_document(document)
    return registry


class TypeRegistry:
    """Types by kind and name, looked up through an optional base registry."""

    def __init__(self, base: "TypeRegistry | None" = None):
        self.base = base
        self.by_kind: dict[str, dict[str, TypeDef]] = {kind: {} for kind in KINDS}
        # Compiling walks the same chains thousands of times: remember them
        # (emptied whenever a document adds types).
        self._ancestry: dict[tuple, list[TypeDef]] = {}
        self._merged: dict[tuple, dict] = {}

    def add_document(self, document: Document, namespace_prefix: str | None = None) -> None:
        self._ancestry.clear()
        self._merged.clear()
        data = document.data
        if not isinstance(data, dict):
            return
        for kind in KINDS:
            section = data.get(kind)
            if not isinstance(section, dict):
                continue
            table = self.by_kind[kind]
            for name, definition in section.items():
                if not isinstance(name, str):
                    continue
                full = f"{namespace_prefix}.{name}" if namespace_prefix else name
                table[full] = TypeDef(full, kind, definition, document, (kind, name))

    def own(self, kind: str) -> dict[str, TypeDef]:
        return self.by_kind[kind]

    def _exact(self, kind: str, name: str) -> TypeDef | None:
        found = self.by_kind[kind].get(name)
        if found is None and self.base is not None:
            return self.base._exact(kind, name)
        return found

    def find(self, kind: str, name: Any) -> TypeDef | None:
        if not isinstance(name, str):
            return None
        found = self._exact(kind, name)
        if found is not None:
            return found
        short = name[len("tosca:"):] if name.startswith("tosca:") else name
        if not short.startswith("tosca."):
            return self._exact(kind, PREFIXES[kind] + short)
        return None

    def find_any(self, name: Any) -> TypeDef | None:
        for kind in KINDS:
            found = self.find(kind, name)
            if found is not None:
                return found
        return None

    def ancestry(self, kind: str, name: str) -> list[TypeDef]:
        """The type and its ancestors, nearest first; stops at a loop or a gap."""
        if not isinstance(name, str):  # a malformed template: no such type
            return []
        key = (kind, name)
        if key not in self._ancestry:
            self._ancestry[key] = self._walk_ancestry(kind, name)
        return list(self._ancestry[key])

    def _walk_ancestry(self, kind: str, name: str) -> list[TypeDef]:
        chain: list[TypeDef] = []
        seen: set[str] = set()
        current = self.find(kind, name)
        while current is not None and current.name not in seen:
            seen.add(current.name)
            chain.append(current)
            current = self.find(kind, current.parent_name) if current.parent_name else None
        return chain

    def is_derived_from(self, kind: str, name: str, base: str) -> bool:
        target = self.find(kind, base)
        target_name = target.name if target else base
        return any(t.name == target_name for t in self.ancestry(kind, name))

    def lookup_in_chain(self, kind: str, name: str, section: str) -> dict:
        """A section (properties, capabilities, requirements...) merged along the
        ancestry, the nearest definition winning. A fresh dict each call: callers may change it."""
        if not isinstance(name, str):
            return {}
        key = (kind, name, section)
        if key not in self._merged:
            self._merged[key] = self._merge_chain(kind, name, section)
        return dict(self._merged[key])

    def _merge_chain(self, kind: str, name: str, section: str) -> dict:
        merged: dict = {}
        for typedef in reversed(self.ancestry(kind, name)):
            value = typedef.get(section)
            if isinstance(value, dict):
                merged.update(value)
            elif isinstance(value, list):  # requirements are a list of one-key maps
                for item in value:
                    if isinstance(item, dict):
                        for requirement, definition in item.items():
                            merged[requirement] = _refined(merged.get(requirement), definition)
        return merged

    def all(self, kind: str) -> Iterator[TypeDef]:
        seen = set()
        registry: TypeRegistry | None = self
        while registry is not None:
            for name, typedef in registry.by_kind[kind].items():
                if name not in seen:
                    seen.add(name)
                    yield typedef
            registry = registry.base


def is_known_data_type(registry: TypeRegistry, name: Any) -> bool:
    if not isinstance(name, str):
        return False
    return name in PRIMITIVE_DATA_TYPES or registry.find("data_types", name) is not None
