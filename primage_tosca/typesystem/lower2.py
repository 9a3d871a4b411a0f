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

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

import yaml

from ..diagnostics import Diagnostic
from ..imports.loader import ImportEdge, SourceSet
from ..imports.template import ServiceTemplate
from ..profiles import EQUIVALENTS_2_0
from ..source.document import Document
from ..source.reader import ParsedYaml
from ..versions import DIALECTS, V2_0
from .functions2 import arguments_of, call_name, calls
from .grammar import FUNCTIONS_1, is_call_1
from .scope2 import TYPE_KINDS, Found, Scopes

LOWERED_DIALECT = DIALECTS["tosca_simple_yaml_1_3"]
# The comparisons on $value a 1.x constraint says the same way; $matches is 1.x's pattern.
CONSTRAINTS = {"equal": "equal", "greater_than": "greater_than", "greater_or_equal": "greater_or_equal",
               "less_than": "less_than", "less_or_equal": "less_or_equal", "valid_values": "valid_values",
               "matches": "pattern"}
# 2.0 keynames with no 1.x counterpart the shared phases would read: dropped (already checked).
DROPPED = frozenset({"node_filter", "mapping", "data_type", "units", "prefixes", "canonical_unit",
                     "valid_relationship_types", "valid_target_node_types", "valid_source_node_types"})


@lru_cache(maxsize=1)
def equivalents() -> dict:
    """The equivalence table of ``profiles/equivalents-2.0.yaml``: profile -> kind -> 2.0 name -> 1.x name."""
    with open(EQUIVALENTS_2_0, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


@dataclass
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


@dataclass
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
        return [d for d in findings if (d.rule, d.location) not in seen
                and not (d.rule == "PT402" and len(d.path) == 3 and d.path[2] in self.inputs_read)]


def lower(template: ServiceTemplate) -> LoweredTemplate:
    """A readable 2.0 template, checked without errors, in the 1.x model."""
    return _Lowering(template).run()


class _Lowering:
    def __init__(self, template: ServiceTemplate) -> None:
        self.template = template
        self.documents = [d for d in template.all_documents() if d.ok and isinstance(d.data, dict)
                          and getattr(template.dialects.get(id(d)), "version", None) == V2_0]
        self.edges = [e for s in [template.sources, *template.parent_sources] for e in s.edges]
        self.scopes = Scopes(self.documents, self.edges)
        self.table = equivalents()
        self.node_names: set = set()
        self.relationship_names: set = set()
        self.shared = _shared_names(self.documents, self.scopes, self.table, self.profile)
        self.labels = {id(e.target): e.namespace_prefix for e in self.edges if e.namespace_prefix}

    def run(self) -> LoweredTemplate:
        root = self.template.sources.root
        topology = root.data.get("service_template")
        if isinstance(topology, dict):
            self.node_names = set(_map(topology.get("node_templates")))
            self.relationship_names = set(_map(topology.get("relationship_templates")))
        lowered: dict[int, Document] = {}
        origins: dict[str, dict] = {}
        for document in self.documents:
            lowered[id(document)], origins[document.file] = self.document(document)
        sources = self.template.sources
        edges = [ImportEdge(lowered[id(e.importer)], e.path, e.reference, e.name, None, lowered.get(id(e.target)))
                 for e in sources.edges if id(e.importer) in lowered]
        mapped = SourceSet(lowered[id(sources.root)], [lowered[id(d)] for d in sources.documents if id(d) in lowered],
                           edges, [], sources.complete)
        reads = {c.arguments[0] for c in calls(topology) if c.name == "get_input" and c.arguments
                 and isinstance(c.arguments[0], str)} if isinstance(topology, dict) else set()
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

    def name(self, document: Any, kind: str, name: Any) -> Any:
        """The canonical name of the type ``name`` names in ``document``."""
        if not isinstance(name, str):
            return name
        found = self.scopes.find(document, kind, name)
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

    def names(self, document: Any, kind: str, value: Any, w: _Writer, old: tuple, new: tuple) -> Any:
        w.place(old, new)
        if not isinstance(value, list):
            return self.name(document, kind, value)
        for index in range(len(value)):
            w.place(old + (index,), new + (index,))
        return [self.name(document, kind, v) for v in value]

    # -- files ------------------------------------------------------------------------------------
    def document(self, document: Document) -> tuple[Document, dict]:
        w = _Writer(document.parsed)
        w.place((), ())
        out: dict[str, Any] = {"tosca_definitions_version": LOWERED_DIALECT.name}
        w.place(("tosca_definitions_version",), ("tosca_definitions_version",))
        self.value(w, document.data.get("imports"), ("imports",), ("imports",))  # where findings about a library go
        for key, value in document.data.items():
            if key in ("description", "metadata"):
                out[key] = self.value(w, value, (key,), (key,))
            elif key == "repositories" and isinstance(value, dict):
                out[key] = {name: self.keep(w, raw, ("repositories", name), ("repositories", name),
                                            ("description", "url")) for name, raw in value.items()}
            elif key in TYPE_KINDS and isinstance(value, dict):
                out[key] = self.types(document, w, key, value)
            elif key == "service_template" and isinstance(value, dict):
                out["topology_template"] = self.service(document, w, value)
        parsed = ParsedYaml(out, w.values, w.keys, [])
        return Document(document.file, parsed, document.real_path, document.url, "2.0:" + document.sha256), w.origin

    def keep(self, w: _Writer, raw: Any, old: tuple, new: tuple, keys: tuple) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return self.value(w, raw, old, new)
        return {k: self.value(w, v, old + (k,), new + (k,)) for k, v in raw.items() if k in keys}

    # -- types ------------------------------------------------------------------------------------
    def types(self, document: Any, w: _Writer, kind: str, section: dict) -> dict:
        out = {}
        for name, raw in section.items():
            if not isinstance(name, str) or self.equivalent(kind, Found(name, document, (kind, name), raw)):
                continue  # a profile type the 1.x normative types stand for
            canonical = self.name(document, kind, name)
            old, new = (kind, name), (kind, canonical)
            w.place(old, new)
            out[canonical] = self.type_definition(document, w, kind, raw, old, new) if isinstance(raw, dict) else {}
        return out

    def type_definition(self, document: Any, w: _Writer, kind: str, raw: dict, old: tuple, new: tuple) -> dict:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "derived_from":
                out[key] = self.names(document, kind, value, w, o, n)
            elif key in ("properties", "attributes"):
                out[key] = self.definitions(document, w, value, o, n, "property" if key == "properties" else "attribute")
            elif key == "validation":
                self.constraints_into(out, w, value, o, new)
            elif key in ("key_schema", "entry_schema"):
                out[key] = self.schema(document, w, value, o, n)
            elif key == "requirements":
                out[key] = self.each_named(value, w, o, n, lambda v, a, b: self.requirement_definition(
                    document, w, v, a, b))
            elif key == "capabilities":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.capability_definition(document, w, v, a, b))
            elif key == "interfaces":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.interface(document, w, v, a, b, True))
            elif key == "artifacts":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.artifact(document, w, v, a, b))
            elif key == "operations" or key == "notifications":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.operation(document, w, v, a, b, True))
            elif key == "inputs":
                out[key] = self.definitions(document, w, value, o, n, "parameter")
            elif key == "valid_source_node_types" and kind == "capability_types":
                out["valid_source_types"] = self.names(document, "node_types", value, w, o, new + ("valid_source_types",))
            elif key == "valid_capability_types":
                out["valid_target_types"] = self.names(document, "capability_types", value, w, o,
                                                       new + ("valid_target_types",))
            elif key == "members":
                out[key] = self.names(document, "node_types", value, w, o, n)
            elif key == "targets":
                out[key] = [self.node_or_group_type(document, t) for t in value] if isinstance(value, list) else value
                w.place(o, n)
            elif key not in DROPPED:
                out[key] = self.value(w, value, o, n)
        return out

    def node_or_group_type(self, document: Any, name: Any) -> Any:
        found = self.scopes.find(document, "node_types", name)
        return self.name(document, "node_types" if found is not None else "group_types", name)

    def definitions(self, document: Any, w: _Writer, section: Any, old: tuple, new: tuple, what: str) -> Any:
        """Property, attribute or parameter definitions, by name."""
        return self.each(section, w, old, new, lambda v, a, b: self.definition(document, w, v, a, b, what))

    def definition(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple, what: str) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict) or call_name(raw) is not None:
            if what == "property":  # a refinement that fixes the value
                return {"default": self.value(w, raw, old, new + ("default",))}
            return self.value(w, raw, old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "type":
                out[key] = self.names(document, "data_types", value, w, o, n)
            elif key in ("key_schema", "entry_schema"):
                if not isinstance(value, dict) or "type" in value:  # a refinement without a type keeps the parent's
                    out[key] = self.schema(document, w, value, o, n)
            elif key == "validation":
                if what != "attribute":
                    self.constraints_into(out, w, value, o, new)
            elif key == "value" and what == "property":  # a fixed value: 1.x has only the default
                out["default"] = self.value(w, value, o, new + ("default",))
            elif key == "status" and isinstance(value, str):  # 2.0 reads it in any case
                out[key] = value.lower()
                w.place(o, n)
            elif key not in DROPPED:
                out[key] = self.value(w, value, o, n)
        return out

    def schema(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return self.names(document, "data_types", raw, w, old, new)
        return self.definition(document, w, raw, old, new, "schema")

    def constraints_into(self, out: dict, w: _Writer, clause: Any, old: tuple, new: tuple) -> None:
        found = self.constraints(w, clause, old, new + ("constraints",), [])
        if found:
            out["constraints"] = found

    def constraints(self, w: _Writer, clause: Any, old: tuple, new: tuple, found: list) -> list:
        """The 1.x constraints a validation clause amounts to: comparisons of $value, joined by $and."""
        name = call_name(clause)
        if name is None:
            return found
        key = next(iter(clause))
        arguments = arguments_of(clause[key])
        if name == "and":
            for index, part in enumerate(arguments):
                self.constraints(w, part, old + (key, index), new, found)
        elif name in CONSTRAINTS and len(arguments) == 2 and _is_value(arguments[0]):
            where = new + (len(found),)
            w.place(old, where)
            found.append({CONSTRAINTS[name]: self.value(w, arguments[1], old + (key, 1), where + (CONSTRAINTS[name],))})
        return found

    def requirement_definition(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return self.names(document, "capability_types", raw, w, old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "capability":
                out[key] = self.names(document, "capability_types", value, w, o, n)
            elif key == "node":
                out[key] = self.names(document, "node_types", value, w, o, n)
            elif key == "relationship":
                out[key] = self.relationship(document, w, value, o, n, False)
            elif key == "count_range":
                out["occurrences"] = self.value(w, value, o, new + ("occurrences",))
            elif key == "description":
                out[key] = self.value(w, value, o, n)
        return out

    def relationship(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple, assigned: bool) -> Any:
        """A requirement's relationship: a type (or, assigned, a relationship template) or a map with one."""
        w.place(old, new)
        if isinstance(raw, str):
            return raw if assigned and raw in self.relationship_names else \
                self.name(document, "relationship_types", raw)
        if not isinstance(raw, dict):
            return raw
        out = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "type":
                out[key] = self.names(document, "relationship_types", value, w, o, n)
            elif key == "interfaces":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.interface(document, w, v, a, b, not assigned))
            elif key == "properties" and assigned:
                out[key] = self.value(w, value, o, n)
            elif key == "description" or (key == "properties" and not assigned):
                out[key] = self.value(w, value, o, n) if key == "description" else \
                    self.definitions(document, w, value, o, n, "property")
        return out

    def capability_definition(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        if not isinstance(raw, dict):
            return self.names(document, "capability_types", raw, w, old, new)
        w.place(old, new)
        out = self.type_definition(document, w, "capability_types", {k: v for k, v in raw.items()
                                                                     if k not in ("type", "metadata", "occurrences")},
                                   old, new)
        if "type" in raw:
            out["type"] = self.names(document, "capability_types", raw["type"], w, old + ("type",), new + ("type",))
        return out

    def interface(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple, defined: bool) -> Any:
        """An interface definition (``defined``) or assignment."""
        w.place(old, new)
        if not isinstance(raw, dict):
            return self.value(w, raw, old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "type":
                out[key] = self.names(document, "interface_types", value, w, o, n)
            elif key in ("operations", "notifications"):
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.operation(document, w, v, a, b, defined))
            elif key == "inputs" and defined:
                out[key] = self.definitions(document, w, value, o, n, "parameter")
            else:
                out[key] = self.value(w, value, o, n)
        return out

    def operation(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple, defined: bool) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return self.value(w, raw, old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "inputs" and defined:  # definitions, or values written where definitions may be
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.definition(document, w, v, a, b, "parameter")
                                     if isinstance(v, dict) and "type" in v else self.value(w, v, a, b))
            else:
                out[key] = self.value(w, value, o, n)
        return out

    def artifact(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return self.value(w, raw, old, new)
        out = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "type":
                out[key] = self.names(document, "artifact_types", value, w, o, n)
            elif key != "metadata":
                out[key] = self.value(w, value, o, n)
        return out

    # -- the service template ----------------------------------------------------------------------
    def service(self, document: Any, w: _Writer, raw: dict) -> dict:
        old, new = ("service_template",), ("topology_template",)
        w.place(old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key in ("inputs", "outputs"):
                out[key] = self.definitions(document, w, value, o, n, "parameter")
            elif key == "node_templates":
                out[key] = self.each(_typed_copies(value), w, o, n, lambda v, a, b: self.node_template(
                    document, w, v, a, b))
            elif key == "relationship_templates":
                out[key] = self.each(_typed_copies(value, whole=True), w, o, n, lambda v, a, b: self.entity(
                    document, w, v, a, b, "relationship_types"))
            elif key == "groups":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.entity(document, w, v, a, b, "group_types"))
            elif key == "policies":
                out[key] = self.each_named(value, w, o, n, lambda v, a, b: self.entity(document, w, v, a, b,
                                                                                         "policy_types"))
            elif key == "substitution_mappings":
                out[key] = self.substitution(document, w, value, o, n)
            elif key != "metadata":
                out[key] = self.value(w, value, o, n)
        return out

    def entity(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple, kind: str) -> Any:
        """A template of a type (relationship template, group, policy): its type resolved, its values lowered."""
        w.place(old, new)
        if not isinstance(raw, dict):
            return raw
        out = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "type":
                out[key] = self.names(document, kind, value, w, o, n)
            elif key == "interfaces":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.interface(document, w, v, a, b, False))
            else:
                out[key] = self.value(w, value, o, n)
        return out

    def node_template(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return raw
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "type":
                out[key] = self.names(document, "node_types", value, w, o, n)
            elif key == "requirements":
                out[key] = self.each_named(value, w, o, n, lambda v, a, b: self.requirement(document, w, v, a, b))
            elif key == "capabilities":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.keep(w, v, a, b, ("properties", "attributes")))
            elif key == "interfaces":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.interface(document, w, v, a, b, False))
            elif key == "artifacts":
                out[key] = self.each(value, w, o, n, lambda v, a, b: self.artifact(document, w, v, a, b))
            elif key not in ("count", "node_filter"):
                out[key] = self.value(w, value, o, n)
        return out

    def requirement(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return self.target(document, w, raw, old, new)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "node":
                out[key] = self.target(document, w, value, o, n)
            elif key == "capability":
                w.place(o, n)
                found = self.scopes.find(document, "capability_types", value)
                out[key] = self.name(document, "capability_types", value) if found is not None else value
            elif key == "relationship":
                out[key] = self.relationship(document, w, value, o, n, True)
        return out

    def target(self, document: Any, w: _Writer, value: Any, old: tuple, new: tuple) -> Any:
        """A requirement's node: a template (``[template, index]`` is the template) or a node type."""
        w.place(old, new)
        if isinstance(value, list) and value:
            w.place(old + (0,), new)
            value = value[0]
        if isinstance(value, str) and value not in self.node_names:
            return self.name(document, "node_types", value)
        return value

    def substitution(self, document: Any, w: _Writer, raw: Any, old: tuple, new: tuple) -> Any:
        w.place(old, new)
        if not isinstance(raw, dict):
            return raw
        out = {}
        for key, value in raw.items():
            o, n = old + (key,), new + (key,)
            if key == "node_type":
                out[key] = self.names(document, "node_types", value, w, o, n)
            elif key == "properties" and isinstance(value, dict):  # 2.0 maps a property to an input by its name
                out[key] = self.each(value, w, o, n, lambda v, a, b: [v] if isinstance(v, str) else self.value(w, v, a, b))
            elif key == "requirements" and isinstance(value, list):  # a list of one-entry maps in 2.0
                out[key] = self.mapped_requirements(w, value, o, n)
            elif key != "substitution_filter":
                out[key] = self.value(w, value, o, n)
        return out

    def mapped_requirements(self, w: _Writer, value: list, old: tuple, new: tuple) -> dict:
        """2.0's list of mapped requirements as 1.x's map; a requirement mapped several
        times keeps its first [node template, requirement] pair."""
        w.place(old, new)
        out: dict[str, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict) or len(item) != 1:
                continue
            [(name, pair)] = item.items()
            if not isinstance(name, str):
                continue
            o = old + (index, name)
            if isinstance(pair, list) and pair and isinstance(pair[0], list):
                pair, o = pair[0], o + (0,)
            if name not in out:
                out[name] = self.value(w, pair, o, new + (name,))
        return out

    # -- values -----------------------------------------------------------------------------------
    def value(self, w: _Writer, value: Any, old: tuple, new: tuple) -> Any:
        """A value: 1.x functions for the 2.0 calls 1.x has, ``$$`` escapes unescaped."""
        w.place(old, new)
        if isinstance(value, dict):
            name = call_name(value)
            if name is not None:
                return self.call(w, value, name, old, new)
            out = {}
            for key, item in value.items():
                plain = key[1:] if isinstance(key, str) and key.startswith("$$") else key
                out[plain] = self.value(w, item, old + (key,), new + (plain,))
            return out
        if isinstance(value, list):
            return [self.value(w, item, old + (index,), new + (index,)) for index, item in enumerate(value)]
        return value

    def call(self, w: _Writer, value: dict, name: str, old: tuple, new: tuple) -> dict:
        key = next(iter(value))
        arguments = value[key]
        lowered_name = name if name in FUNCTIONS_1 else key
        o, n = old + (key,), new + (lowered_name,)
        if name in ("get_property", "get_attribute") and isinstance(arguments, list):
            w.place(o, n)
            kept = _path_1(arguments)
            return {lowered_name: [self.value(w, arguments[i], o + (i,), n + (j,)) for j, i in enumerate(kept)]}
        return {lowered_name: self.value(w, arguments, o, n)}

    # -- sections ---------------------------------------------------------------------------------
    @staticmethod
    def each(section: Any, w: _Writer, old: tuple, new: tuple, lower_one) -> Any:
        """A map of named entries, each lowered by ``lower_one(value, old path, new path)``."""
        w.place(old, new)
        if not isinstance(section, dict):
            return section
        return {name: lower_one(raw, old + (name,), new + (name,)) for name, raw in section.items()}

    @staticmethod
    def each_named(section: Any, w: _Writer, old: tuple, new: tuple, lower_one) -> Any:
        """A list of one-entry maps (requirements, policies), each entry lowered."""
        w.place(old, new)
        if not isinstance(section, list):
            return section
        out = []
        for index, item in enumerate(section):
            w.place(old + (index,), new + (index,))
            if isinstance(item, dict) and len(item) == 1:
                [(name, raw)] = item.items()
                out.append({name: lower_one(raw, old + (index, name), new + (index, name))})
            else:
                out.append(item)
        return out


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


def _path_1(arguments: list) -> list[int]:
    """The arguments of a 2.0 TOSCA path that make its 1.x form:
    ``[SELF, CAPABILITY, host, p]`` -> ``[SELF, host, p]``,
    ``[SELF, RELATIONSHIP, host, (index,) TARGET, p]`` -> ``[SELF, host, p]`` (the target's property)."""
    if len(arguments) < 3:
        return list(range(len(arguments)))
    if arguments[1] == "CAPABILITY":
        return [0, *range(2, len(arguments))]
    if arguments[1] in ("RELATIONSHIP", "REQUIREMENT"):
        rest = 3
        if rest < len(arguments) and isinstance(arguments[rest], int):
            rest += 1
        if rest < len(arguments) and arguments[rest] == "TARGET":
            rest += 1
            if rest < len(arguments) and arguments[rest] == "CAPABILITY":
                rest += 1
            return [0, 2, *range(rest, len(arguments))]
    return list(range(len(arguments)))


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


def _map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
