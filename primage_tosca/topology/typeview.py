"""Type lookups memoized for one topology: every node of a type asks the
same questions, so each is answered once (a 10,000-node template has a
handful of types)."""

from __future__ import annotations

from typing import Any, Callable

from ..imports.template import ServiceTemplate
from ..model.types import TypeDef, TypeRegistry, normative_types


def registry_for(template: ServiceTemplate) -> TypeRegistry:
    """The template's types, above its TOSCA profile's (NFV, MEC) when it is
    written in one, above the normative types."""
    from ..checks.types import profile_types  # the profile files are read by the checks stage

    data = template.data
    version = data.get("tosca_definitions_version") if isinstance(data, dict) else None
    profile = profile_types(version) if isinstance(version, str) else None
    if profile is None:
        return template.types
    profile_layer = TypeRegistry(base=normative_types())
    profile_layer.by_kind = profile.by_kind  # shared, read only
    combined = TypeRegistry(base=profile_layer)
    combined.by_kind = template.types.by_kind
    return combined


class TypeView:
    """The lookups of :class:`~primage_tosca.model.types.TypeRegistry` the
    topology and emitters use, cached. Results are shared: do not mutate."""

    def __init__(self, registry: TypeRegistry):
        self.registry = registry
        self._find: dict = {}
        self._ancestry: dict = {}
        self._chain: dict = {}
        self._derived: dict = {}
        self._memo: dict = {}

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key: for facts about a type that every
        node of the type would otherwise work out again."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def find(self, kind: str, name: Any) -> TypeDef | None:
        if not isinstance(name, str):
            return None
        key = (kind, name)
        if key not in self._find:
            self._find[key] = self.registry.find(kind, name)
        return self._find[key]

    def ancestry(self, kind: str, name: Any) -> list[TypeDef]:
        if not isinstance(name, str):
            return []
        key = (kind, name)
        if key not in self._ancestry:
            self._ancestry[key] = self.registry.ancestry(kind, name)
        return self._ancestry[key]

    def lookup_in_chain(self, kind: str, name: Any, section: str) -> dict:
        if not isinstance(name, str):
            return {}
        key = (kind, name, section)
        if key not in self._chain:
            self._chain[key] = self.registry.lookup_in_chain(kind, name, section)
        return self._chain[key]

    def is_derived_from(self, kind: str, name: Any, base: str) -> bool:
        if not isinstance(name, str):
            return False
        key = (kind, name, base)
        if key not in self._derived:
            self._derived[key] = self.registry.is_derived_from(kind, name, base)
        return self._derived[key]
