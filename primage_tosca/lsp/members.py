"""Capabilities and requirements by name: every place a file names one, and
the definition each place means, for find references and go to definition.

A capability or requirement is known by the type that first defines it along
its owner's derivation: ``host`` of ``tosca.nodes.Compute`` is the same one
in a node type that refines it, in a node template of a derived type and in
``get_property: [server, host, num_cpus]``; ``host`` of an unrelated type is
another. That definition's file and path make a key that stays the same in
the analysis of every open document, so places found in other documents
(which load their own copies of the types) can be compared.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..records import record
from .analysis import Analysis
from .lookup import Place, place_of, value_place
from .names2 import entries

SECTIONS = ("capabilities", "requirements")
TOPOLOGIES = ("topology_template", "service_template")
VALUE_CALLS = ("get_property", "get_attribute", "$get_property", "$get_attribute")
PATH_WORDS = ("CAPABILITY", "RELATIONSHIP", "REQUIREMENT", "TARGET", "SOURCE")


@record
class Mention:
    """One place that names a capability or requirement."""

    section: str  # "capabilities" or "requirements"
    name: str
    key: tuple  # the definition meant: (section, name, file and path of the type that first defines it)
    place: Place
    definition: Any  # its nearest definition along the owner's derivation (for go to definition)
    declaration: Place | None  # where the type that first defines it writes it


@record
class _Meaning:
    key: tuple
    definition: Any
    declaration: Place | None


def mentions(analysis: Analysis, only: str | None = None) -> list[Mention]:
    """Every place the local files of ``analysis`` name a capability or requirement
    (only in the file whose real path is ``only``, when given)."""
    template = analysis.compilation.template if analysis.compilation is not None else None
    types = analysis.types
    if template is None or types is None:
        return []
    scan = _Scan(types)
    for document in template.all_documents():
        if document.url is None and document.ok and isinstance(document.data, dict) \
                and (only is None or document.real_path == only):
            scan.document(document)
    return scan.found


def mention_at(analysis: Analysis, line: int, column: int, word: str) -> Mention | None:
    """The mention under the cursor, in the document ``analysis`` checked."""
    best = None
    for found in mentions(analysis, analysis.path):
        place = found.place
        if place.line == line and found.name == word and place.column <= column <= place.end_column + 1:
            if best is None or place.column > best.place.column:
                best = found
    return best


def origin(owner: Any, section: str, name: str) -> tuple[Any, tuple] | None:
    """The type farthest up ``owner``'s derivation that writes ``name`` in
    ``section``, and the path of that writing below the type."""
    found = None
    for ancestor in owner.ancestry:
        below = _written(ancestor.raw, section, name)
        if below is not None:
            found = (ancestor, below)
    return found


def _written(raw: Any, section: str, name: str) -> tuple | None:
    items = raw.get(section) if isinstance(raw, dict) else None
    for found, _, path in entries(items, (section,)):
        if found == name:
            return path
    return None


def _file_of(document: Any) -> Any:
    return getattr(document, "real_path", None) or getattr(document, "file", None) or id(document)


class _Scan:
    """One walk over the files of a template, collecting mentions."""

    def __init__(self, types: Any) -> None:
        self.types = types
        self.found: list[Mention] = []
        self.meanings: dict[tuple, _Meaning | None] = {}
        self.file: Any = None  # the document being read
        self.templates: dict = {}  # its node templates, by name
        self.owners: dict = {}  # their types, by name

    # -- what a name means ------------------------------------------------------------------------
    def find(self, kind: str, name: Any) -> Any:
        if not isinstance(name, str):
            return None
        if hasattr(self.types, "means"):  # TOSCA 2.0: a name means what it means in its own file
            return self.types.find(kind, name, self.file)
        return self.types.find(kind, name)

    def table(self, owner: Any, section: str) -> dict:
        return getattr(self.types.definitions, section)(owner) if owner is not None else {}

    def meaning(self, owner: Any, section: str, name: Any) -> _Meaning | None:
        if owner is None or not isinstance(name, str):
            return None
        memo = (id(owner.document), tuple(owner.path), owner.name, section, name)
        if memo not in self.meanings:
            self.meanings[memo] = self._meaning(owner, section, name)
        return self.meanings[memo]

    def _meaning(self, owner: Any, section: str, name: str) -> _Meaning | None:
        definition = self.table(owner, section).get(name)
        first = origin(owner, section, name)
        if definition is None or first is None:
            return None
        ancestor, below = first
        key = (section, name, _file_of(ancestor.document), tuple(ancestor.path))
        return _Meaning(key, definition, place_of(ancestor.document, tuple(ancestor.path) + below))

    def add(self, owner: Any, section: str, name: Any, path: tuple, key: bool = False) -> None:
        meaning = self.meaning(owner, section, name)
        if meaning is None:
            return
        place = place_of(self.file, path) if key else value_place(self.file, path, name)
        if place is not None and place.path:
            self.found.append(Mention(section, name, meaning.key, place, meaning.definition, meaning.declaration))

    # -- the files ---------------------------------------------------------------------------------
    def document(self, document: Any) -> None:
        self.file, self.templates, self.owners = document, {}, {}
        data = document.data
        for name, raw, path in entries(data.get("node_types"), ("node_types",)):
            self.node_type(path, raw, self.find("node_types", name))
        for keyname in TOPOLOGIES:
            topology = data.get(keyname)
            if isinstance(topology, dict):
                self.topology((keyname,), topology)

    def node_type(self, path: tuple, raw: Any, owner: Any) -> None:
        if not isinstance(raw, dict) or owner is None:
            return
        for name, _, where in entries(raw.get("capabilities"), path + ("capabilities",)):
            self.add(owner, "capabilities", name, where, key=True)
        requirements = self.table(owner, "requirements")
        for name, value, where in entries(raw.get("requirements"), path + ("requirements",)):
            self.add(owner, "requirements", name, where, key=True)
            if isinstance(value, dict) and name in requirements:  # `capability:` may name the target's capability
                target = self.find("node_types", value.get("node")) or requirements[name].node
                self.add(target, "capabilities", value.get("capability"), where + ("capability",))
        self.calls(path, raw, owner, None)

    def topology(self, path: tuple, topology: dict) -> None:
        nodes = topology.get("node_templates")
        self.templates = {name: raw for name, raw in nodes.items() if isinstance(raw, dict)} \
            if isinstance(nodes, dict) else {}
        self.owners = {name: self.find("node_types", raw.get("type")) for name, raw in self.templates.items()}
        for name, raw, where in entries(self.templates, path + ("node_templates",)):
            if self.owners.get(name) is not None:
                self.node_template(where, raw, self.owners[name])
        for keyname, value in topology.items():
            if keyname != "node_templates":
                self.calls(path + (keyname,), value, None, None)
        self.substitution(path + ("substitution_mappings",), topology.get("substitution_mappings"))

    def node_template(self, path: tuple, raw: dict, owner: Any) -> None:
        for name, _, where in entries(raw.get("capabilities"), path + ("capabilities",)):
            self.add(owner, "capabilities", name, where, key=True)
        requirements = self.table(owner, "requirements")
        for name, value, where in entries(raw.get("requirements"), path + ("requirements",)):
            self.add(owner, "requirements", name, where, key=True)
            if isinstance(value, dict) and name in requirements:
                target = self.target(value.get("node")) or requirements[name].node
                self.add(target, "capabilities", value.get("capability"), where + ("capability",))
        self.calls(path, raw, owner, raw)

    def target(self, node: Any) -> Any:
        """The type of the node a requirement assignment names: a template's, or a type."""
        node = node[0] if isinstance(node, list) and node else node  # TOSCA 2.0: [template, index]
        if isinstance(node, str) and node in self.owners:
            return self.owners[node]
        return self.find("node_types", node)

    def substitution(self, path: tuple, raw: Any) -> None:
        """``capabilities: {exposed: [node, capability]}`` and the same for requirements: the
        exposed name is the substituted type's, the mapped one the node template's."""
        if not isinstance(raw, dict):
            return
        substituted = self.find("node_types", raw.get("node_type"))
        for section in SECTIONS:
            for name, value, where in entries(raw.get(section), path + (section,)):
                self.add(substituted, section, name, where, key=True)
                if isinstance(value, dict) and isinstance(value.get("mapping"), list):
                    value, where = value["mapping"], where + ("mapping",)
                if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                    self.add(self.owners.get(value[0]), section, value[1], where + (1,))

    # -- functions ---------------------------------------------------------------------------------
    def calls(self, path: tuple, value: Any, own: Any, template: Any) -> None:
        """The capability and requirement names in ``get_property`` and ``get_attribute``
        paths under ``value``; SELF is ``own`` (a node template's type, or the node type)
        and ``template`` (the node template as written, if any)."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key in VALUE_CALLS and len(value) == 1 and isinstance(item, list) and len(item) >= 3:
                    self.call(path + (key,), key.lstrip("$"), item, own, template)
                inner = None if key in ("relationship", "node_filter") else own  # SELF is something else there
                self.calls(path + (key,), item, inner, template)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.calls(path + (index,), item, own, template)

    def call(self, path: tuple, function: str, arguments: list, own: Any, template: Any) -> None:
        entity, second = arguments[0], arguments[1]
        if entity != "SELF":
            own = self.owners.get(entity) if isinstance(entity, str) else None
            template = self.templates.get(entity) if isinstance(entity, str) else None
        if own is None or not isinstance(second, str):
            return
        if second == "CAPABILITY":  # TOSCA 2.0: [node, CAPABILITY, name, ...]
            self.add(own, "capabilities", arguments[2], path + (2,))
        elif second in ("RELATIONSHIP", "REQUIREMENT"):  # [node, RELATIONSHIP, name, (index,) TARGET, ...]
            self.add(own, "requirements", arguments[2], path + (2,))
            self.through(path, arguments, own, template)
        elif second not in PATH_WORDS and not self.is_value(own, function, second):
            # [node, requirement or capability, property, ...]: a requirement first, as the compiler reads it
            section = "requirements" if second in self.table(own, "requirements") else "capabilities"
            self.add(own, section, second, path + (1,))

    def is_value(self, owner: Any, function: str, name: str) -> bool:
        """``name`` is a property (or for get_attribute an attribute) of ``owner``'s type."""
        sections = ("properties",) if function == "get_property" else ("attributes", "properties")
        return any(name in self.table(owner, section) for section in sections)

    def through(self, path: tuple, arguments: list, owner: Any, template: Any) -> None:
        """``..., TARGET, CAPABILITY, name, ...`` after a requirement: a capability of the node
        the requirement's assignment names (or of the node type its definition asks for)."""
        index = 4 if len(arguments) > 3 and isinstance(arguments[3], int) else 3
        if arguments[index:index + 2] != ["TARGET", "CAPABILITY"] or len(arguments) <= index + 2:
            return
        requirement, which = arguments[2], arguments[3] if index == 4 else 0
        written = template.get("requirements") if isinstance(template, dict) else None
        assigned = [value for name, value, _ in entries(written, ()) if name == requirement]
        target = None
        if 0 <= which < len(assigned):
            target = self.target(assigned[which].get("node") if isinstance(assigned[which], dict) else assigned[which])
        definition = self.table(owner, "requirements").get(requirement) if isinstance(requirement, str) else None
        if target is None and definition is not None:
            target = definition.node
        self.add(target, "capabilities", arguments[index + 2], path + (index + 2,))
