"""The names a template can use for types, and the types they name.

A :class:`TypeSystem` is a stack of layers: the primitive data types, then a
packaged profile's normative types, then the types of every document the
template reads. A type is found by its full name, by a short name for
normative types (``Compute`` and ``tosca:Compute`` for
``tosca.nodes.Compute``), or by an import's namespace prefix
(``mylib:WebApp`` for ``WebApp`` imported with ``namespace_prefix: mylib``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..diagnostics import close_matches
from .model import KIND_WORD, KINDS, NORMATIVE_PREFIX, Type
from .primitives import PRIMITIVES
from .quirks import RENAMED
from ..versions import Version

Report = Callable[..., None]

# The rule reporting an unknown name of each kind.
UNKNOWN_RULE = {
    "node_types": "PT310", "capability_types": "PT311", "relationship_types": "PT312", "data_types": "PT313",
    "artifact_types": "PT314", "interface_types": "PT315", "group_types": "PT316", "policy_types": "PT317",
}
# Names other processors accept for a primitive ("number" in tosca-parser).
PRIMITIVE_ALIASES = {"number": "float"}


def primitive_layer() -> "TypeSystem":
    layer = TypeSystem()
    for name in sorted(PRIMITIVES):
        layer.tables["data_types"][name] = Type("data_types", name, {}, builtin=True, primitive=name)
    for alias, name in PRIMITIVE_ALIASES.items():
        layer.aliases["data_types"][alias] = name
    return layer


class TypeSystem:
    """Types by kind and name, over an optional base layer."""

    def __init__(self, base: "TypeSystem | None" = None):
        self.base = base
        self.tables: dict[str, dict[str, Type]] = {kind: {} for kind in KINDS}
        self.aliases: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self._found: dict[tuple[str, str], Type | None] = {}

    # -- building --------------------------------------------------------------------------

    def add_document(self, document: Any, version: Version | None, prefix: str | None = None,
                     builtin: bool = False, report: Report | None = None) -> list[Type]:
        """Register every type a document defines; returns them."""
        data = document.data if isinstance(document.data, dict) else {}
        added = []
        for kind in KINDS:
            section = data.get(kind)
            if not isinstance(section, dict):
                continue
            for name, raw in section.items():
                if not isinstance(name, str):
                    continue
                full = f"{prefix}:{name}" if prefix else name
                found = self._register(Type(kind, full, raw if isinstance(raw, dict) else {}, document,
                                            (kind, name), version, builtin), report)
                if found is not None:
                    added.append(found)
                    if prefix:
                        self._prefixed_aliases(kind, prefix, name, full)
        self._found.clear()
        return added

    def _prefixed_aliases(self, kind: str, prefix: str, name: str, full: str) -> None:
        """Other names of a type imported with a namespace prefix: tosca-parser's
        ``prefix.Name`` (a named leniency), and its own unprefixed name, which the
        file that defines it uses for its own types; the unprefixed name only
        while no other type has it, so it never shadows one."""
        self.aliases[kind].setdefault(f"{prefix}.{name}", full)
        if self._lookup(kind, name) is None:
            self.aliases[kind].setdefault(name, full)

    def _register(self, new: Type, report: Report | None) -> Type | None:
        table = self.tables[new.kind]
        old = table.get(new.name)
        if old is None:
            normative = self._in_base(new.kind, new.name)
            if normative is not None and normative.raw != new.raw and report is not None:
                report("PT331", f"{KIND_WORD[new.kind]} {new.name!r} redefines the normative type of that name; "
                       "this definition is used for every file of the template", new.document, new.path, key=True,
                       hint="give your type a name of your own and derive it from the normative one")
            table[new.name] = new
            return new
        if old.raw == new.raw:  # the same definition reached twice (a library imported by two files)
            return None
        if report is not None and not new.builtin:
            where = f"{old.document.file}" if old.document is not None else "a profile"
            report("PT331", f"{KIND_WORD[new.kind]} {new.name!r} is defined again, differently (first in {where}); "
                   "the later definition is used", new.document, new.path, key=True,
                   hint="rename one of them, or import the library that defines it only once")
        table[new.name] = new
        return new

    def _in_base(self, kind: str, name: str) -> Type | None:
        layer = self.base
        while layer is not None:
            found = layer.tables[kind].get(name)
            if found is not None:
                return found if found.builtin and found.primitive is None else None
            layer = layer.base
        return None

    def add_short_names(self) -> None:
        """Short names for a profile's normative types: ``Compute``,
        ``tosca:Compute``, and the last part of a dotted name when no other
        type of the kind ends the same way (``LinksTo``, ``PortSpec``)."""
        for kind, table in self.tables.items():
            prefix = NORMATIVE_PREFIX[kind]
            last_parts: dict[str, list[str]] = {}
            for name in table:
                if not name.startswith(prefix):
                    continue
                short = name[len(prefix):]
                self.aliases[kind].setdefault(short, name)
                self.aliases[kind].setdefault("tosca:" + short, name)
                last_parts.setdefault(short.rsplit(".", 1)[-1], []).append(name)
            for last, names in last_parts.items():
                if len(names) == 1:
                    self.aliases[kind].setdefault(last, names[0])
                    self.aliases[kind].setdefault("tosca:" + last, names[0])
        for old, new in RENAMED.items():
            if new in self.tables["node_types"] and old not in self.tables["node_types"]:
                self.aliases["node_types"].setdefault(old, new)
        self._found.clear()

    # -- finding ---------------------------------------------------------------------------

    def find(self, kind: str, name: Any) -> Type | None:
        if not isinstance(name, str):
            return None
        key = (kind, name)
        try:
            return self._found[key]
        except KeyError:
            pass
        found = self._lookup(kind, name)
        self._found[key] = found
        return found

    def _lookup(self, kind: str, name: str) -> Type | None:
        layer: TypeSystem | None = self
        while layer is not None:
            found = layer.tables[kind].get(name)
            if found is None:
                alias = layer.aliases[kind].get(name)
                if alias is not None:
                    found = self.find(kind, alias)
            if found is not None:
                return found
            layer = layer.base
        return None

    def own(self, kind: str) -> dict[str, Type]:
        return self.tables[kind]

    def all(self, kind: str) -> Iterator[Type]:
        seen: set[str] = set()
        layer: TypeSystem | None = self
        while layer is not None:
            for name, found in layer.tables[kind].items():
                if name not in seen:
                    seen.add(name)
                    yield found
            layer = layer.base

    def names(self, kind: str) -> list[str]:
        """Every name of a kind, aliases included, for suggestions."""
        found: list[str] = []
        layer: TypeSystem | None = self
        while layer is not None:
            found.extend(layer.tables[kind])
            found.extend(layer.aliases[kind])
            layer = layer.base
        return found

    def kinds_of(self, name: Any) -> list[str]:
        """The kinds that have a type of this name (to explain a name used as the wrong kind)."""
        return [kind for kind in KINDS if self.find(kind, name) is not None]

    def suggestion(self, kind: str, name: str) -> str:
        """A hint for an unknown name: a close name of the kind, or the kind it really is."""
        others = [KIND_WORD[k] for k in self.kinds_of(name) if k != kind]
        if others:
            return f"{name!r} is a {others[0]}, not a {KIND_WORD[kind]}"
        close = close_matches(name, self.names(kind), cutoff=0.75)
        if close:
            return f"did you mean {close[0]!r}?"
        return "define it, or import the type library that defines it"

    # -- linking ---------------------------------------------------------------------------

    def link(self, report: Report | None, checked: Callable[[Type], bool]) -> None:
        """Connect each of this layer's types to its parent; report unknown
        parents and derivation cycles for the types ``checked`` says are ours to report."""
        for kind, table in self.tables.items():
            for found in table.values():
                self._link_one(found, report if checked(found) else None)
        cyclic = [t for table in self.tables.values() for t in table.values() if _in_cycle(t)]
        for found in cyclic:
            self._report_cycle(found, report if checked(found) else None)
        for found in cyclic:  # broken only once all are known, so every member is reported
            found.cyclic = True
            found.parent = None
            found.memo.clear()

    def _link_one(self, found: Type, report: Report | None) -> None:
        written = found.raw.get("derived_from")
        if written is None or found.primitive is not None:
            return
        found.parent_name = written if isinstance(written, str) else None
        if not isinstance(written, str):
            if report:
                report("PT306", f"derived_from of {KIND_WORD[found.kind]} {found.name!r} must name a type",
                       found.document, found.path + ("derived_from",))
            return
        parent = self.find(found.kind, written)
        if parent is None and found.kind == "data_types":
            parent = self.find("data_types", PRIMITIVE_ALIASES.get(written, written))
        if parent is None:
            if report:
                report(UNKNOWN_RULE[found.kind], f"{KIND_WORD[found.kind]} {found.name!r} derives from "
                       f"{written!r}, which is not a known {KIND_WORD[found.kind]}", found.document,
                       found.path + ("derived_from",), hint=self.suggestion(found.kind, written))
            return
        found.parent = parent
        found.memo.clear()

    @staticmethod
    def _report_cycle(found: Type, report: Report | None) -> None:
        if report is None:
            return
        loop = [found]
        current = found.parent
        while current is not None and current is not found:
            loop.append(current)
            current = current.parent
        text = " -> ".join(t.name for t in [*loop, found])
        report("PT318", f"{KIND_WORD[found.kind]} {found.name!r} derives from itself: {text}",
               found.document, found.path + ("derived_from",),
               hint="a type cannot be its own ancestor; derive one of them from another type")


def _in_cycle(found: Type) -> bool:
    seen: set[int] = set()
    current = found.parent
    while current is not None and id(current) not in seen:
        if current is found:
            return True
        seen.add(id(current))
        current = current.parent
    return False
