"""TOSCA 2.0 lowered to the model the shared phases read.

A 2.0 template that its own checks (:mod:`.check2`) passed is written again,
file by file, in the 1.x model that ``build_types``, ``render`` and
``build_topology`` read, so every check and compiler after them works on a
2.0 template unchanged:

- every type name is resolved through the file's namespaces (:mod:`.scope2`)
  to one canonical name: the type's own name, or, for a profile type that
  ``profiles/equivalents-2.0.yaml`` lists, the TOSCA 1.3 normative type it
  stands for (the simple profile's ``Compute`` is ``tosca.nodes.Compute``);
- ``service_template`` is ``topology_template``, and the keynames 2.0 renamed
  take their 1.x spelling (``count_range`` is ``occurrences``...);
- ``{$get_input: x}`` is ``{get_input: x}`` (the functions 1.x has; other
  calls stay as written), a TOSCA path ``[SELF, CAPABILITY, host, p]`` is
  ``[SELF, host, p]``, and ``$$`` escapes are plain keys;
- a ``validation`` clause made of comparisons on ``$value`` is the same list
  of constraints; one 1.x cannot say was checked by the 2.0 checks already.

Each lowered value keeps the line and column it is written at in the 2.0 file,
so a finding of a later phase points into the 2.0 file;
:meth:`LoweredTemplate.written_path` gives it back its 2.0 path.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any, Iterable

import yaml

from ..diagnostics import Diagnostic, Severity
from ..imports.loader import ImportEdge, SourceSet
from ..imports.template import ServiceTemplate
from ..profiles import EQUIVALENTS_2_0
from ..records import field, record, replace
from ..source.document import Document
from ..source.reader import ParsedYaml
from ..versions import DIALECTS, V2_0
from .functions2 import arguments_of, call_name, calls, python_pattern, string_call
from .grammar import FUNCTIONS_1, is_call_1
from .scope2 import TYPE_KINDS, Found, Scopes
from .templates2 import requirement_targets
from .values2 import yaml_1_2_octal

LOWERED_DIALECT = DIALECTS["tosca_simple_yaml_1_3"]
# The comparisons on $value a 1.x constraint says the same way; $matches is 1.x's pattern.
CONSTRAINTS = {"equal": "equal", "greater_than": "greater_than", "greater_or_equal": "greater_or_equal",
               "less_than": "less_than", "less_or_equal": "less_or_equal", "valid_values": "valid_values",
               "matches": "pattern"}
# The keywords of a TOSCA path that step to another node, relationship or capability (10.3).
_PATH_STEPS = frozenset({"RELATIONSHIP", "REQUIREMENT", "SOURCE", "TARGET", "CAPABILITY"})
# 2.0 keynames that 1.x spells otherwise.
TYPE_RENAMES = {"valid_source_node_types": "valid_source_types", "valid_capability_types": "valid_target_types",
                "count_range": "occurrences", "validation": "constraints"}
# 2.0 keynames with no 1.x counterpart the shared phases would read: dropped (already checked).
DROPPED = frozenset({"node_filter", "mapping", "precondition", "data_type", "units", "prefixes", "canonical_unit",
                     "valid_relationship_types", "valid_target_node_types", "valid_source_node_types"})


@lru_cache(maxsize=1)
def equivalents() -> dict:
    """The equivalence table of ``profiles/equivalents-2.0.yaml``: profile -> kind -> 2.0 name -> 1.x name."""
    with open(EQUIVALENTS_2_0, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


@record
class _Writer:
    """One lowered file: its data's positions, and each lowered path's 2.0 path."""

    source: ParsedYaml
    values: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)

    def place(self, old: tuple, new: tuple) -> None:
        found = self.source.values.get(old)
        if found is not None:
            self.values[new] = found
        found = self.source.keys.get(old)
        if found is not None:
            self.keys[new] = found
        if old != new:
            self.origin[new] = old


@record
class LoweredTemplate(ServiceTemplate):
    """A 2.0 template in the 1.x model: what the shared phases read, and the way
    back from a lowered path to the path written in the 2.0 file."""

    origins: dict[str, dict[tuple, tuple]] = field(default_factory=dict)  # file -> lowered path -> 2.0 path
    inputs_read: set = field(default_factory=set)  # every input a $get_input of the service template names

    def written_path(self, file: str, path: tuple) -> tuple:
        origin = self.origins.get(file)
        path = tuple(path)
        for cut in range(len(path), 0, -1) if origin else ():
            if path[:cut] in origin:
                return origin[path[:cut]] + path[cut:]
        return path

    def new_findings(self, findings: Iterable[Diagnostic], known: Iterable[Diagnostic]) -> list[Diagnostic]:
        """The shared phases' findings, less those the 2.0 checks made already (the
        same rule at the same place) and unused inputs that a 2.0 keyname 1.x
        lacks reads (a node template's ``count``)."""
        seen = {(d.rule, d.location) for d in known}
        return [_spelt_2(d) for d in findings if (d.rule, d.location) not in seen
                and not (d.rule == "PT402" and tuple(d.path[:2]) == ("topology_template", "inputs")
                         and len(d.path) == 3 and d.path[2] in self.inputs_read)]


def lower(template: ServiceTemplate) -> LoweredTemplate:
    """A readable 2.0 template, checked without errors, in the 1.x model."""
    return _Lowering(template).run()


DROP = object()  # a handler's answer for a keyname the lowered file leaves out


class _Lowering:
    """Lowers the 2.0 files of one template, one file at a time (``self.document``, written by ``self.w``)."""

    def __init__(self, template: ServiceTemplate) -> None:
        self.template = template
        self.documents = [d for d in template.all_documents() if d.ok and isinstance(d.data, dict)
                          and getattr(template.dialects.get(id(d)), "version", None) == V2_0]
        self.edges = [e for s in [template.sources, *template.parent_sources] for e in s.edges]
        self.scopes = Scopes(self.documents, self.edges)
        self.table = equivalents()
        self.node_templates: dict = {}
        self.node_names: set = set()
        self.relationship_names: set = set()
        self.node: Any = None  # the node template whose values are being lowered
        self.template_type: Any = None  # and its type name
        self.shared = _shared_names(self.documents, self.scopes, self.table, self.profile)
        self.labels = {id(e.target): e.namespace_prefix for e in self.edges if e.namespace_prefix}
        self.document: Any = None
        self.w = _Writer(ParsedYaml())

    def run(self) -> LoweredTemplate:
        root = self.template.sources.root
        topology = root.data.get("service_template")
        if isinstance(topology, dict):
            self.node_templates = _map(topology.get("node_templates"))
            self.node_names = set(self.node_templates)
            self.relationship_names = set(_map(topology.get("relationship_templates")))
        lowered: dict[int, Document] = {}
        origins: dict[str, dict] = {}
        for document in self.documents:
            lowered[id(document)], origins[document.file] = self.lower_file(document)
        sources = self.template.sources
        edges = [ImportEdge(lowered[id(e.importer)], e.path, e.reference, name=e.name,
                            target=lowered.get(id(e.target))) for e in sources.edges if id(e.importer) in lowered]
        mapped = SourceSet(lowered[id(sources.root)], documents=[lowered[id(d)] for d in sources.documents
                                                                 if id(d) in lowered],
                           edges=edges, complete=sources.complete)
        reads = {c.arguments[0] for c in calls(topology) if c.name == "get_input" and c.arguments
                 and isinstance(c.arguments[0], str)} if isinstance(topology, dict) else set()
        reads |= _mapped_inputs(topology)
        return LoweredTemplate(mapped.root, mapped, [], self.template.options,
                               dialects={id(d): LOWERED_DIALECT for d in lowered.values()}, origins=origins,
                               inputs_read=reads)

    # -- names ------------------------------------------------------------------------------------
    def profile(self, document: Any) -> Any:
        """The profile name a file declares, or the one of the profile it is a part of."""
        owner = document if "profile" in document.data else self.scopes.profile_of.get(id(document))
        return owner.data.get("profile") if owner is not None else None

    def equivalent(self, kind: str, found: Found) -> str | None:
        return self.table.get(self.profile(found.document), {}).get(kind, {}).get(found.name)

    def name(self, kind: str, name: Any) -> Any:
        """The canonical name of the type ``name`` names in the file being lowered."""
        if not isinstance(name, str):
            return name
        found = self.scopes.find(self.document, kind, name)
        if found is None:
            if kind == "data_types" and name == "scalar":  # a scalar type 1.x has no units for: its text
                return "string"
            return self.table.get("builtin", {}).get(kind, {}).get(name, name)
        return self.equivalent(kind, found) or self.unique(kind, found)

    def unique(self, kind: str, found: Found) -> str:
        """A type's own name; qualified when other files define the same name (2.0 scopes
        keep them apart, 1.x has one table), outside the template itself."""
        if (kind, found.name) not in self.shared or found.document is self.template.sources.root:
            return found.name
        label = self.labels.get(id(found.document)) or os.path.splitext(os.path.basename(found.document.file))[0]
        return f"{label}:{found.name}"

    def names(self, kind: str):
        """A handler: the canonical names of a type name or a list of them."""
        def lower(value: Any, old: tuple, new: tuple) -> Any:
            self.w.place(old, new)
            if not isinstance(value, list):
                return self.name(kind, value)
            for index in range(len(value)):
                self.w.place(old + (index,), new + (index,))
            return [self.name(kind, v) for v in value]
        return lower

    # -- the shape of the lowering ------------------------------------------------------------------
    def fields(self, raw: Any, old: tuple, new: tuple, handlers: dict, rename: dict | None = None,
               others: bool = True) -> Any:
        """A map of keynames, each lowered by its handler (``handler(value, old path, new path)``,
        DROP to leave it out), under its 1.x name (``rename``); a keyname without a handler is a
        value as written (``others``), unless 1.x has nothing that reads it."""
        self.w.place(old, new)
        if not isinstance(raw, dict):
            return self.value(raw, old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            handler = handlers.get(key)
            if handler is None and (not others or key in DROPPED):
                continue
            target = rename.get(key, key) if rename else key
            lowered = (handler or self.value)(value, old + (key,), new + (target,))
            if lowered is not DROP:
                out[target] = lowered
        return out

    def each(self, lower_one):
        """A handler: a map of named entries, each lowered by ``lower_one``."""
        def lower(section: Any, old: tuple, new: tuple) -> Any:
            self.w.place(old, new)
            if not isinstance(section, dict):
                return section
            return {name: lower_one(raw, old + (name,), new + (name,)) for name, raw in section.items()}
        return lower

    def each_named(self, lower_one):
        """A handler: a list of one-entry maps (requirements, policies), each entry lowered."""
        def lower(section: Any, old: tuple, new: tuple) -> Any:
            self.w.place(old, new)
            if not isinstance(section, list):
                return section
            out = []
            for index, item in enumerate(section):
                self.w.place(old + (index,), new + (index,))
                if isinstance(item, dict) and len(item) == 1:
                    [(name, raw)] = item.items()
                    out.append({name: lower_one(raw, old + (index, name), new + (index, name))})
                else:
                    out.append(item)
            return out
        return lower

    # -- files ------------------------------------------------------------------------------------
    def lower_file(self, document: Document) -> tuple[Document, dict]:
        self.document, self.w = document, _Writer(document.parsed)
        handlers: dict[str, Any] = {kind: self.types(kind) for kind in TYPE_KINDS}
        handlers.update({
            "tosca_definitions_version": lambda v, o, n: LOWERED_DIALECT.name,
            "repositories": self.each(lambda v, o, n: self.fields(v, o, n, {"description": self.value,
                                                                            "url": self.value}, others=False)),
            "service_template": self.service,
            "description": self.value, "metadata": self.value})
        self.value(document.data.get("imports"), ("imports",), ("imports",))  # where findings about a library go
        out = self.fields(document.data, (), (), handlers, {"service_template": "topology_template"}, others=False)
        out["tosca_definitions_version"] = LOWERED_DIALECT.name
        parsed = ParsedYaml(data=out, values=self.w.values, keys=self.w.keys, problems=[])
        # a file's lowering depends on the names other files share: its findings are kept per both
        digest = hashlib.sha256(f"{document.sha256}{sorted(self.shared)}".encode()).hexdigest()
        return Document(document.file, parsed, real_path=document.real_path, url=document.url,
                        sha256="2.0:" + digest), self.w.origin

    # -- types ------------------------------------------------------------------------------------
    def types(self, kind: str):
        def lower(section: Any, old: tuple, new: tuple) -> Any:
            if not isinstance(section, dict):
                return DROP
            out = {}
            for name, raw in section.items():
                if not isinstance(name, str) or self.equivalent(kind, Found(name, self.document, (kind, name), raw)):
                    continue  # a profile type the 1.x normative types stand for
                canonical = self.name(kind, name)
                handlers = self.type_handlers(kind)
                if kind == "data_types" and self.is_unitless_scalar(self.document, name):
                    handlers["validation"] = _drop
                out[canonical] = self.fields(raw, (kind, name), (kind, canonical), handlers,
                                             TYPE_RENAMES) if isinstance(raw, dict) else {}
            return out
        return lower

    def type_handlers(self, kind: str) -> dict:
        """How each keyname of a type definition of ``kind`` (or a capability definition) is lowered."""
        return {
            "derived_from": self.names(kind),
            "properties": self.definitions("property"),
            "attributes": self.definitions("attribute"),
            "inputs": self.definitions("parameter"),
            "validation": self.constraints,
            "key_schema": self.schema, "entry_schema": self.schema,
            "requirements": self.each_named(self.requirement_definition),
            "capabilities": self.each(self.capability_definition),
            "interfaces": self.each(lambda v, o, n: self.interface(v, o, n, True)),
            "artifacts": self.each(self.artifact),
            "operations": self.each(lambda v, o, n: self.operation(v, o, n, True)),
            "notifications": self.each(self.notification),
            "valid_source_node_types": self.names("node_types") if kind == "capability_types" else _drop,
            "valid_capability_types": self.names("capability_types"),
            "members": self.names("node_types"),
            "targets": self.targets,
        }

    def targets(self, value: Any, old: tuple, new: tuple) -> Any:
        """A policy type's targets: node types or group types."""
        self.w.place(old, new)
        if not isinstance(value, list):
            return value
        return [self.name("node_types" if self.scopes.find(self.document, "node_types", t) else "group_types", t)
                for t in value]

    def definitions(self, what: str):
        """A handler: property, attribute or parameter definitions, by name."""
        return self.each(lambda v, o, n: self.definition(v, o, n, what))

    def definition(self, raw: Any, old: tuple, new: tuple, what: str) -> Any:
        if what == "property" and (not isinstance(raw, dict) or call_name(raw) is not None):
            self.w.place(old, new)  # a refinement that fixes the value
            return {"default": self.value(raw, old, new + ("default",))}
        if call_name(raw) is not None:
            return self.value(raw, old, new)
        unitless = isinstance(raw, dict) and self.is_unitless_scalar(self.document, raw.get("type"))
        handlers = {"type": self.names("data_types"), "key_schema": self.typed_schema,
                    "entry_schema": self.typed_schema, "status": self.status,
                    "validation": _drop if what == "attribute" or unitless else self.constraints}
        if what == "schema":
            handlers["metadata"] = _drop  # 9.3's grammar has it; 1.x schemas do not
        lowered = self.fields(raw, old, new, handlers, {**TYPE_RENAMES, "value": "default"} if what == "property"
                              else TYPE_RENAMES)
        if isinstance(lowered, dict) and "default" in lowered and self.is_integer(self.document, raw.get("type")):
            lowered["default"] = _integer_1(lowered["default"])
        return lowered

    def is_unitless_scalar(self, document: Any, type_name: Any) -> bool:
        """Whether a data type is a scalar type of the file's own, which 1.x reads as text
        (no scalar-unit type stands for it): 1.x cannot compare its values, the 2.0 checks did."""
        found = self.scopes.find(document, "data_types", type_name)
        if found is None or self.scopes.parent_name("data_types", found) != "scalar":
            return False
        return not any(self.equivalent("data_types", f) for f in self.scopes.chain("data_types", found))

    def is_integer(self, document: Any, type_name: Any) -> bool:
        """Whether a data type name, read in ``document``, is integer or derives from it."""
        found = self.scopes.find(document, "data_types", type_name)
        return (self.scopes.parent_name("data_types", found) if found is not None else type_name) == "integer"

    def typed_values(self, kind: str, section: str):
        """A handler: a template's property values; an integer property's YAML 1.2 octal is its number."""
        def lower(raw: Any, old: tuple, new: tuple) -> Any:
            lowered = self.value(raw, old, new)
            found = self.scopes.find(self.document, kind, self.template_type)
            if not isinstance(lowered, dict) or found is None:
                return lowered
            for name, (document, definition) in self.scopes.merged(kind, found, section).items():
                if name in lowered and isinstance(definition, dict) and self.is_integer(document, definition.get("type")):
                    lowered[name] = _integer_1(lowered[name])
            return lowered
        return lower

    def status(self, value: Any, old: tuple, new: tuple) -> Any:
        self.w.place(old, new)
        return value.lower() if isinstance(value, str) else value  # 2.0 reads it in any case

    def schema(self, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return self.names("data_types")(raw, old, new)
        return self.definition(raw, old, new, "schema")

    def typed_schema(self, raw: Any, old: tuple, new: tuple) -> Any:
        """A schema; a refinement of one without a type keeps the parent's (1.x needs the type)."""
        return DROP if isinstance(raw, dict) and "type" not in raw else self.schema(raw, old, new)

    def constraints(self, clause: Any, old: tuple, new: tuple) -> Any:
        found = self.clause(clause, old, new, [])
        return found or DROP

    def clause(self, clause: Any, old: tuple, new: tuple, found: list) -> list:
        """The 1.x constraints a validation clause amounts to: comparisons of $value, joined by $and."""
        name = call_name(clause)
        if name is None:
            return found
        key = next(iter(clause))
        arguments = arguments_of(clause[key])
        if name == "and":
            for index, part in enumerate(arguments):
                self.clause(part, old + (key, index), new, found)
        elif name in CONSTRAINTS and len(arguments) == 2 and _is_value(arguments[0]) \
                and not any(True for _ in calls(arguments[1])):  # a 1.x constraint compares with a value, not a call
            where = new + (len(found),)
            self.w.place(old, where)
            argument = self.value(arguments[1], old + (key, 1), where + (CONSTRAINTS[name],))
            if name == "matches" and isinstance(argument, str):
                # 2.0 matches anywhere (10.2.2.2.7); a 1.x pattern matches the whole text
                argument = python_pattern(argument)
                if argument is None:
                    return found  # a class Python has no spelling for: the 2.0 checks left it undecided
                argument = f"(?s:.*?)(?:{argument})(?s:.*)"
            found.append({CONSTRAINTS[name]: argument})
        return found

    def requirement_definition(self, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return self.names("capability_types")(raw, old, new)
        lowered = self.fields(raw, old, new, {
            "capability": lambda v, o, n: self.required_capability(v, o, n, raw.get("node")),
            "node": self.names("node_types"),
            "relationship": lambda v, o, n: self.relationship(v, o, n, False),
            "count_range": self.value, "description": self.value}, TYPE_RENAMES, others=False)
        # a refinement may leave out what the parent's definition says (6.4.2); 1.x needs it written
        for key, kind in (("capability", "capability_types"), ("relationship", "relationship_types")):
            if key not in lowered:
                inherited = self.inherited_name(old, "requirements", key, kind)
                if inherited is not None:
                    lowered[key] = inherited
        return lowered

    def inherited_name(self, old: tuple, section: str, key: str, kind: str) -> str | None:
        """The 1.x name of the type the parent of the node type at ``old`` gives the capability or
        requirement definition of that name under ``key`` (its type, capability or relationship)."""
        node_type = self.scopes.find(self.document, "node_types", old[1]) if old[:1] == ("node_types",) else None
        parent = node_type.raw.get("derived_from") if node_type is not None and isinstance(node_type.raw, dict) \
            else None
        target = self.scopes.find(node_type.document, "node_types", parent) if isinstance(parent, str) else None
        document, definition = self.scopes.merged("node_types", target, section).get(old[-1], (None, None)) \
            if target is not None else (None, None)
        written = definition.get(key) if isinstance(definition, dict) else definition if key == "type" else None
        written = written.get("type") if isinstance(written, dict) else written
        found = self.scopes.find(document, kind, written) if isinstance(written, str) else None
        return None if found is None else self.equivalent(kind, found) or self.unique(kind, found)

    def required_capability(self, value: Any, old: tuple, new: tuple, node: Any) -> Any:
        """A requirement definition's capability: a capability type, or (8.4) the name of a
        capability the target node type defines, which 1.x says by that capability's type."""
        if self.scopes.find(self.document, "capability_types", value) is None:
            node_type = self.scopes.find(self.document, "node_types", node)
            named = self.scopes.merged("node_types", node_type, "capabilities").get(value) if node_type else None
            if named is not None:
                document, definition = named
                written = definition.get("type") if isinstance(definition, dict) else definition
                found = self.scopes.find(document, "capability_types", written)
                if found is not None:
                    self.w.place(old, new)
                    return self.equivalent("capability_types", found) or self.unique("capability_types", found)
        return self.names("capability_types")(value, old, new)

    def relationship(self, raw: Any, old: tuple, new: tuple, assigned: bool) -> Any:
        """A requirement's relationship: a type (or, assigned, a relationship template) or a map with one."""
        self.w.place(old, new)
        if isinstance(raw, str):
            return raw if assigned and raw in self.relationship_names else self.name("relationship_types", raw)
        if not isinstance(raw, dict):
            return raw
        return self.fields(raw, old, new, {
            "type": self.names("relationship_types"), "description": self.value,
            "interfaces": self.each(lambda v, o, n: self.interface(v, o, n, not assigned)),
            # a definition's property refinements (8.4): 1.x has none there, the 2.0 checks read them
            "properties": self.value if assigned else _drop}, others=False)

    def capability_definition(self, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return self.names("capability_types")(raw, old, new)
        handlers = {**self.type_handlers("capability_types"), "type": self.names("capability_types"),
                    "metadata": _drop, "occurrences": _drop}
        lowered = self.fields(raw, old, new, handlers, TYPE_RENAMES)
        if isinstance(lowered, dict) and "type" not in lowered:  # a refinement keeps its parent's type (8.2.1)
            inherited = self.inherited_name(old, "capabilities", "type", "capability_types")
            if inherited is not None:
                lowered["type"] = inherited
        return lowered

    def interface(self, raw: Any, old: tuple, new: tuple, defined: bool) -> Any:
        """An interface definition (``defined``) or assignment."""
        operations = self.each(lambda v, o, n: self.operation(v, o, n, defined))
        # 1.x interface definitions have no metadata: the 2.0 checks read it
        return self.fields(raw, old, new, {
            "type": self.names("interface_types"), "operations": operations,
            "notifications": self.each(self.notification),
            "inputs": self.definitions("parameter") if defined else self.value, "metadata": _drop})

    def notification(self, raw: Any, old: tuple, new: tuple) -> Any:
        """A notification: 1.x ones have no inputs (11.6 gives them some; the 2.0 checks read them)."""
        return self.fields(raw, old, new, {"inputs": _drop})

    def operation(self, raw: Any, old: tuple, new: tuple, defined: bool) -> Any:
        # inputs of a definition: definitions, or values written where definitions may be
        inputs = self.each(lambda v, o, n: self.definition(v, o, n, "parameter") if isinstance(v, dict) and "type" in v
                           else self.value(v, o, n))
        return self.fields(raw, old, new, {"inputs": inputs} if defined else {})

    def artifact(self, raw: Any, old: tuple, new: tuple) -> Any:
        return self.fields(raw, old, new, {"type": self.names("artifact_types"), "metadata": _drop})

    # -- the service template ----------------------------------------------------------------------
    def service(self, raw: Any, old: tuple, new: tuple) -> Any:
        return self.fields(raw, old, new, {
            "inputs": self.definitions("parameter"), "outputs": self.definitions("parameter"),
            "node_templates": lambda v, o, n: self.each(self.node_template)(_typed_copies(v), o, n),
            "relationship_templates": lambda v, o, n: self.each(self.entity("relationship_types"))(
                _typed_copies(v, whole=True), o, n),
            "groups": lambda v, o, n: self.each(self.entity("group_types", {"attributes": _drop}))(
                _node_members(v), o, n),  # 1.x groups have no attributes (2.0's are checked already)
            "policies": self.each_named(self.entity("policy_types")),
            "substitution_mappings": self.substitution, "metadata": _drop, "functions": _drop,
            # 2.0 workflows are checked by the 2.0 rules: 1.x reads them otherwise (its node states,
            # a delegate to a workflow of the template), so they are not lowered
            "workflows": _drop})

    def entity(self, kind: str, more: dict | None = None):
        """A handler: a template of a type (relationship template, group, policy)."""
        interfaces = self.each(lambda v, o, n: self.interface(v, o, n, False))
        return lambda raw, old, new: raw if not isinstance(raw, dict) else \
            self.fields(raw, old, new, {"type": self.names(kind), "interfaces": interfaces, **(more or {})})

    def node_template(self, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return raw
        keep = {"properties": self.value, "attributes": self.value}
        self.template_type = raw.get("type")
        handlers = {"properties": self.typed_values("node_types", "properties"),
                    "attributes": self.typed_values("node_types", "attributes"),
            "type": self.names("node_types"), "requirements": self.each_named(self.requirement),
            "capabilities": self.each(lambda v, o, n: self.fields(v, o, n, keep, others=False)),
            "interfaces": self.each(lambda v, o, n: self.interface(v, o, n, False)),
            "artifacts": self.each(self.artifact), "count": _drop}
        self.node = old[-1]  # SELF, for the TOSCA paths of its values
        try:
            return self.fields(raw, old, new, handlers)
        finally:
            self.node = None

    def requirement(self, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return self.target(raw, old, new)
        return self.fields(raw, old, new, {
            "node": self.target, "capability": self.capability_name,
            "relationship": lambda v, o, n: self.relationship(v, o, n, True)}, others=False)

    def capability_name(self, value: Any, old: tuple, new: tuple) -> Any:
        """An assigned requirement's capability: a capability type, else a capability's name."""
        self.w.place(old, new)
        return self.name("capability_types", value) \
            if self.scopes.find(self.document, "capability_types", value) is not None else value

    def target(self, value: Any, old: tuple, new: tuple) -> Any:
        """A requirement's node: a template (``[template, index]`` is the template) or a node type."""
        self.w.place(old, new)
        if isinstance(value, list) and value:
            self.w.place(old + (0,), new)
            value = value[0]
        if isinstance(value, str) and value not in self.node_names:
            return self.name("node_types", value)
        return value

    def substitution(self, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return raw
        # 2.0 maps a property to an input by its name; 1.x to [input]. A property of a capability
        # or relationship ([CAPABILITY, c, p] as the key, 15.2) has no 1.x form: checked by 2.0 only
        def by_name(section: Any, o: tuple, n: tuple) -> Any:
            named = {k: v for k, v in section.items() if isinstance(k, str)} if isinstance(section, dict) else section
            return self.each(lambda v, o2, n2: [v] if isinstance(v, str) else self.value(v, o2, n2))(named, o, n)
        return self.fields(raw, old, new, {
            "node_type": self.names("node_types"), "properties": by_name, "attributes": by_name,
            "requirements": self.mapped_requirements, "substitution_filter": _drop})

    def mapped_requirements(self, value: Any, old: tuple, new: tuple) -> Any:
        """2.0's list of mapped requirements as 1.x's map; a requirement mapped several
        times keeps its first [node template, requirement] pair."""
        if not isinstance(value, list):
            return self.value(value, old, new)
        self.w.place(old, new)
        out: dict[str, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict) or len(item) != 1:
                continue
            [(name, pair)] = item.items()
            if not isinstance(name, str):
                continue
            where = old + (index, name)
            targets = requirement_targets(pair, self.node_templates)
            if targets is pair:  # a list of targets: its first pair, if any
                position = next((i for i, p in enumerate(pair) if isinstance(p, list)), None)
                if position is None:
                    continue
                pair, where = pair[position], where + (position,)
            if not isinstance(pair, list):
                continue  # a selectable node template (15.5): 1.x maps requirements to requirements only
            if name not in out:
                out[name] = self.value(pair, where, new + (name,))
        return out

    # -- values -----------------------------------------------------------------------------------
    def value(self, value: Any, old: tuple, new: tuple) -> Any:
        """A value: 1.x functions for the 2.0 calls 1.x has, ``$$`` escapes unescaped."""
        self.w.place(old, new)
        if isinstance(value, dict):
            name = call_name(value)
            if name is not None:
                return self.call(value, name, old, new)
            out = {}
            for key, item in value.items():
                plain = key[1:] if isinstance(key, str) and key.startswith("$$") else key
                out[plain] = self.value(item, old + (key,), new + (plain,))
            return out
        if isinstance(value, list):
            return [self.value(item, old + (index,), new + (index,)) for index, item in enumerate(value)]
        if string_call(value) is not None and not _inside_call(old):
            # "$node_index" as a whole value: a call without arguments (10.1), left as written; an
            # argument of another call stays text, which the 1.x functions take as a key or index
            return self.call({value: []}, string_call(value), old, new)
        if isinstance(value, str) and value.startswith("$$"):
            return value[1:]
        return value

    def call(self, value: dict, name: str, old: tuple, new: tuple) -> dict:
        key = next(iter(value))
        arguments = value[key]
        path = self.path_1(arguments) if name in ("get_property", "get_attribute") else None
        if name == "get_artifact" and isinstance(arguments, list) and any(a in _PATH_STEPS for a in arguments
                                                                          if isinstance(a, str)):
            path = []  # 1.x reads [entity, artifact, location, remove]: a 2.0 path stays as written
        # a path 1.x cannot say stays as written, and so does a $concat of lists (1.x joins strings only)
        # and a value read at an index a call gives ($node_index, 10.2.1.1)
        lowered_name = name if name in FUNCTIONS_1 and path != [] and not _joins_lists(name, arguments) \
            and not _computed_index(name, arguments) else key
        o, n = old + (key,), new + (lowered_name,)
        if path:
            self.w.place(o, n)
            return {lowered_name: [self.value(arguments[i], o + (i,), n + (j,)) if isinstance(i, int) else i
                                   for j, i in enumerate(path)]}
        return {lowered_name: self.value(arguments, o, n)}

    def path_1(self, arguments: Any) -> list | None:
        """A 2.0 TOSCA path in its 1.x form, as the indexes of the arguments kept (or a node
        template's name put in): ``[SELF, CAPABILITY, host, p]`` is ``[SELF, host, p]``;
        ``[SELF, RELATIONSHIP, r, (index,) TARGET, ...]`` names r's target template (HOST for
        ``host`` in a type); [] when 1.x has no form for it; None when it needs none."""
        if not isinstance(arguments, list) or len(arguments) < 3:
            return None
        if isinstance(arguments[1], int) or arguments[1] == "ALL":
            return []  # [node, index, ...]: one of a template's several nodes (10.3)
        if arguments[1] == "CAPABILITY":
            further = any(a in _PATH_STEPS for a in arguments[2:] if isinstance(a, str))
            return [] if further else [0, *range(2, len(arguments))]
        if arguments[1] not in ("RELATIONSHIP", "REQUIREMENT"):
            return None
        rest = 4 if len(arguments) > 3 and isinstance(arguments[3], int) else 3
        if rest >= len(arguments) or arguments[rest] != "TARGET" or arguments[0] != "SELF":
            return []
        rest += 2 if rest + 1 < len(arguments) and arguments[rest + 1] == "CAPABILITY" else 1
        if rest < len(arguments) and arguments[rest] in _PATH_STEPS:
            return []  # a further step from the target node (10.3): 1.x has no form for it
        target = self.requirement_target(arguments[2], arguments[3] if rest > 4 and isinstance(arguments[3], int)
                                         else 0)
        return [target, *range(rest, len(arguments))] if target is not None and rest < len(arguments) else []

    def requirement_target(self, requirement: Any, index: int) -> str | None:
        """The node template the SELF node's requirement names (its index-th assignment);
        HOST for the ``host`` requirement of a node type's definitions."""
        if self.node is None:
            return "HOST" if requirement == "host" else None
        raw = self.node_templates.get(self.node)
        assigned = [next(iter(item.values())) for item in _list(raw.get("requirements") if isinstance(raw, dict)
                                                                else None)
                    if isinstance(item, dict) and len(item) == 1 and next(iter(item)) == requirement]
        if not 0 <= index < len(assigned):
            return None
        target = assigned[index].get("node") if isinstance(assigned[index], dict) else assigned[index]
        target = target[0] if isinstance(target, list) and target else target
        return target if isinstance(target, str) and target in self.node_templates else None


def _node_members(groups: Any) -> Any:
    """Groups whose members are node templates only: 1.x has no group of groups (2.0 does, 16.2)."""
    if not isinstance(groups, dict):
        return groups
    out = {}
    for name, raw in groups.items():
        members = raw.get("members") if isinstance(raw, dict) else None
        if isinstance(members, list) and any(isinstance(m, str) and m in groups for m in members):
            raw = {**raw, "members": [m for m in members if not (isinstance(m, str) and m in groups)]}
        out[name] = raw
    return out


def _computed_index(name: str, arguments: Any) -> bool:
    """A ``$get_input``, ``$get_property`` or ``$get_attribute`` whose names, keys or indexes
    after the first include a call (``$node_index``): 1.x reads them as text."""
    return name in ("get_input", "get_property", "get_attribute") and isinstance(arguments, list) and any(
        call_name(a) is not None or string_call(a) is not None for a in arguments[1:])


def _joins_lists(name: str, arguments: Any) -> bool:
    """A ``$concat`` of lists (10.2.3.2), which 1.x's ``concat`` of strings cannot say."""
    return name == "concat" and isinstance(arguments, list) and any(isinstance(a, list) for a in arguments)


def _inside_call(path: tuple) -> bool:
    """Whether a 2.0 path runs through a call's arguments (a ``$name`` key on the way)."""
    return any(call_name({part: None}) is not None for part in path if isinstance(part, str))


def _spelt_2(diagnostic: Diagnostic) -> Diagnostic:
    """An unused input's finding with the 2.0 spelling of the function that reads an input;
    a refinement that does not narrow what it inherits is an error in 2.0, whose derivation
    rules say MUST where 1.x processors (and IM) let it pass (6.4.2, 9.2, 9.4, 8.2.1)."""
    if diagnostic.rule == "PT340":
        return replace(diagnostic, severity=Severity.ERROR)
    if diagnostic.rule != "PT402":
        return diagnostic
    hint = diagnostic.hint.replace("{ get_input:", "{ $get_input:") if diagnostic.hint else diagnostic.hint
    return replace(diagnostic, message=diagnostic.message.replace("with get_input", "with $get_input"), hint=hint)


def _integer_1(value: Any) -> Any:
    """A value of an integer type as 1.x reads it: a YAML 1.2 octal is its number."""
    number = yaml_1_2_octal(value)
    return value if number is None else number


def _mapped_inputs(topology: Any) -> set:
    """The inputs properties of a capability or relationship are mapped to (15.2), which 1.x
    cannot say: they are read as the others mapped are."""
    mapping = topology.get("substitution_mappings") if isinstance(topology, dict) else None
    properties = mapping.get("properties") if isinstance(mapping, dict) else None
    return {v for k, v in properties.items() if not isinstance(k, str) and isinstance(v, str)} \
        if isinstance(properties, dict) else set()


def _drop(_value: Any, _old: tuple, _new: tuple) -> Any:
    return DROP


def _shared_names(documents: list, scopes: Scopes, table: dict, profile) -> set:
    """(kind, name) of the types more than one file defines (a profile's equivalents aside)."""
    seen: dict[tuple, int] = {}
    for document in documents:
        listed = table.get(profile(document), {})
        for kind in TYPE_KINDS:
            for name in scopes.defined.get(id(document), {}).get(kind, {}):
                if name not in listed.get(kind, {}):
                    seen[(kind, name)] = seen.get((kind, name), 0) + 1
    return {key for key, count in seen.items() if count > 1}


def is_lowered_call(value: Any) -> bool:
    """A function call of a lowered template: a 1.x one, or a 2.0 call 1.x has no
    function for (a user-defined function, $node_index...), left as written and so
    symbolic, like a run-time value. (A ``$$`` key lowered to ``$`` reads as one too:
    its value then goes unchecked here, as the 2.0 checks had checked it.)"""
    return is_call_1(value) or call_name(value) is not None


def _is_value(argument: Any) -> bool:
    return argument == "$value" or call_name(argument) == "value"


def _typed_copies(templates: Any, whole: bool = False) -> Any:
    """Templates, where one that copies another and writes no type has the copied one's
    (2.0 needs no type there, 1.x does); ``whole``: every keyname the copy does not write
    (1.x copies no relationship template)."""
    if not isinstance(templates, dict):
        return templates
    out = dict(templates)
    for name, raw in templates.items():
        source = templates.get(raw.get("copy")) if isinstance(raw, dict) and isinstance(raw.get("copy"), str) else None
        if not isinstance(source, dict) or source is raw:
            continue
        if whole:
            out[name] = {**{k: v for k, v in source.items() if k != "copy"},
                         **{k: v for k, v in raw.items() if k != "copy"}}
        elif "type" not in raw and "type" in source:
            out[name] = {"type": source["type"], **raw}
    return out


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
