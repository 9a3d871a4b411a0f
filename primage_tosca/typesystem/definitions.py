"""What a type defines once inheritance is applied: its properties,
attributes, capabilities, requirements, interfaces and artifacts, each
refined along the derivation chain (TOSCA 1.3, 3.6.x "refinement").

Each answer is worked out once per type and kept in the type's memo. The
refinement rules are checked on the way: a derived type may narrow what it
inherits, never change it into something else (a property's type into an
unrelated one, a required property into an optional one).
"""

from __future__ import annotations

from typing import Any, Callable

from .constraints import read_constraints
from .grammar import INTERFACE_KEYWORDS
from .model import (CapabilityDef, Constraint, InterfaceDef, OperationDef, PropertyDef, RequirementDef, Schema,
                    Type, occurrences_of)
from .namespace import TypeSystem
from ..diagnostics import Severity
from .primitives import BadValue, coerce, type_word

Report = Callable[..., None]
ANY_OCCURRENCES = (0, float("inf"))
CAPABILITY_OCCURRENCES = (1, float("inf"))
REQUIREMENT_OCCURRENCES = (1, 1)
IMPLEMENTATION_KEYS = frozenset({"primary", "dependencies", "timeout", "operation_host"})
# The keynames of a property, attribute or parameter definition: a map with none of them is a value.
DEFINITION_KEYNAMES = frozenset({"type", "description", "required", "default", "status", "constraints",
                                 "key_schema", "entry_schema", "external-schema", "metadata", "value"})
_SINGULAR = {"properties": "property", "attributes": "attribute", "inputs": "input"}


def _as_schema_map(raw: Any) -> dict | None:
    """``entry_schema: string`` is short for ``entry_schema: {type: string}``."""
    if isinstance(raw, str):
        return {"type": raw}
    return raw if isinstance(raw, dict) else None


class Definitions:
    """Merged definitions for the types of one type system. Problems are
    reported only for types ``checked`` accepts (a packaged profile's are not)."""

    def __init__(self, types: TypeSystem, report: Report, checked: Callable[[Type], bool]):
        self.types = types
        self._report = report
        self.checked = checked

    def report_for(self, owner: Type | None) -> Report | None:
        return self._report if owner is None or self.checked(owner) else None

    # -- schemas -----------------------------------------------------------------------------

    def schema(self, raw: dict, document: Any, path: tuple, report: Report | None,
               inherited: Schema | None = None) -> Schema:
        """The schema a property-like definition describes; ``inherited`` is
        the parent definition's, for a refinement that leaves out ``type``."""
        written = raw.get("type")
        if written is None and inherited is not None:
            dtype, type_name = inherited.type, inherited.type_name
        else:
            type_name = written
            dtype = self.find_data_type(written, document, path + ("type",), report)
        primitive = dtype.root_primitive if dtype is not None else None
        entry = key = None
        entry_raw = _as_schema_map(raw.get("entry_schema"))
        if entry_raw is not None:
            entry = self.schema(entry_raw, document, path + ("entry_schema",), report)
        elif inherited is not None and written is None:
            entry = inherited.entry
        elif dtype is not None:
            entry = self.type_entry(dtype)
        key_raw = _as_schema_map(raw.get("key_schema"))
        if key_raw is not None:
            key = self.schema(key_raw, document, path + ("key_schema",), report)
        elif inherited is not None and written is None:
            key = inherited.key
        constraints = read_constraints(raw.get("constraints"), primitive, document, path + ("constraints",), report)
        if dtype is not None:
            constraints = self.type_constraints(dtype) + constraints
        if inherited is not None and inherited.type is not None and dtype is not None and dtype.is_a(inherited.type):
            constraints = inherited.constraints + constraints
        schema = Schema(dtype, type_name, entry, key, constraints)
        schema.memo["primitive"] = primitive
        return schema

    def find_data_type(self, name: Any, document: Any, path: tuple, report: Report | None) -> Type | None:
        found = self.types.find("data_types", name)
        if found is None and report is not None:
            if name is None:
                return None  # the keyname check reports a missing `type`
            if not isinstance(name, str):
                report("PT306", "type must name a data type", document, path)
            else:
                report("PT313", f"unknown data type {name!r}", document, path,
                       hint=self.types.suggestion("data_types", name))
        return found

    def type_constraints(self, dtype: Type) -> tuple[Constraint, ...]:
        """The constraints a data type and its ancestors put on their values."""
        found = dtype.memo.get("constraints")
        if found is None:
            collected: list[Constraint] = []
            primitive = dtype.root_primitive
            for ancestor in reversed(dtype.ancestry):
                clauses = ancestor.raw.get("constraints")
                if clauses is not None:
                    collected.extend(read_constraints(clauses, primitive, ancestor.document,
                                                      ancestor.path + ("constraints",), None))
            found = dtype.memo["constraints"] = tuple(collected)
        return found

    def type_entry(self, dtype: Type) -> Schema | None:
        """The entry schema a list or map data type declares (TOSCA 1.3)."""
        if "entry" not in dtype.memo:
            dtype.memo["entry"] = None
            for ancestor in dtype.ancestry:
                raw = _as_schema_map(ancestor.raw.get("entry_schema"))
                if raw is not None:
                    dtype.memo["entry"] = self.schema(raw, ancestor.document, ancestor.path + ("entry_schema",),
                                                      None)
                    break
        return dtype.memo["entry"]

    # -- properties and attributes ---------------------------------------------------------------

    def properties(self, owner: Type) -> dict[str, PropertyDef]:
        return self._merged(owner, "properties")

    def attributes(self, owner: Type) -> dict[str, PropertyDef]:
        return self._merged(owner, "attributes")

    def _merged(self, owner: Type, section: str) -> dict[str, PropertyDef]:
        found = owner.memo.get(section)
        if found is None:
            parent = self._merged(owner.parent, section) if owner.parent is not None else {}
            found = dict(parent)
            written = owner.raw.get(section)
            if isinstance(written, dict):
                report = self.report_for(owner)
                for name, raw in written.items():
                    if isinstance(name, str):
                        found[name] = self.property_def(name, raw, owner.document, owner.path + (section, name),
                                                        parent.get(name), report, owner, section)
            owner.memo[section] = found
        return found

    def property_def(self, name: str, raw: Any, document: Any, path: tuple, inherited: PropertyDef | None,
                     report: Report | None, owner: Type | None = None, section: str = "properties") -> PropertyDef:
        """One property, attribute or parameter definition, refining ``inherited`` when given."""
        if not isinstance(raw, dict) or (raw and not DEFINITION_KEYNAMES & set(raw)):
            if inherited is not None:  # a bare value refining an inherited definition: tosca-parser reads a default
                if report is not None:
                    report("PT306", f"{_SINGULAR.get(section, section)} {name!r} refines {inherited.name!r} with a "
                           "bare value; write it as `default:`", document, path, severity=Severity.WARNING)
                return PropertyDef(name, inherited.schema, inherited.required, True, raw, inherited.status,
                                   inherited.description, {"default": raw}, document, path, owner)
            if report is not None:
                report("PT306", f"{_SINGULAR.get(section, section)} {name!r} must be a definition (a map with "
                       f"`type`), not {type_word(raw)}", document, path)
            raw = {}
        schema = self.schema(raw, document, path, report if raw else None,
                             inherited.schema if inherited is not None else None)
        if inherited is not None and report is not None:
            self._check_refinement(name, raw, schema, inherited, document, path, report)
        required = raw.get("required")
        if not isinstance(required, bool):
            required = inherited.required if inherited is not None else section != "attributes"
        has_default = "default" in raw
        default = raw.get("default")
        if not has_default and inherited is not None:
            has_default, default = inherited.has_default, inherited.default
        return PropertyDef(name, schema, required, has_default, default,
                           raw.get("status") if isinstance(raw.get("status"), str) else None,
                           raw.get("description") if isinstance(raw.get("description"), str) else None,
                           raw, document, path, owner)

    def _check_refinement(self, name: str, raw: dict, schema: Schema, inherited: PropertyDef, document: Any,
                          path: tuple, report: Report) -> None:
        old, new = inherited.schema.type, schema.type
        if old is not None and new is not None and not new.is_a(old) and "type" in raw:
            report("PT340", f"{name!r} changes its type from {old.name} to {new.name}, which does not derive "
                   f"from it; a refinement may only narrow the type", document, path + ("type",),
                   hint=f"use {old.name} or a type derived from it")
        if inherited.required and raw.get("required") is False:
            report("PT340", f"{name!r} is required in {inherited.owner.name if inherited.owner else 'the parent'}; "
                   "a refinement cannot make it optional", document, path + ("required",))

    # -- capabilities ---------------------------------------------------------------------------

    def capabilities(self, owner: Type) -> dict[str, CapabilityDef]:
        found = owner.memo.get("capabilities")
        if found is None:
            parent = self.capabilities(owner.parent) if owner.parent is not None else {}
            found = dict(parent)
            written = owner.raw.get("capabilities")
            if isinstance(written, dict):
                report = self.report_for(owner)
                for name, raw in written.items():
                    if isinstance(name, str):
                        found[name] = self.capability_def(name, raw, owner.document, owner.path + ("capabilities", name),
                                                          parent.get(name), report)
            owner.memo["capabilities"] = found
        return found

    def capability_def(self, name: str, raw: Any, document: Any, path: tuple, inherited: CapabilityDef | None,
                       report: Report | None) -> CapabilityDef:
        if isinstance(raw, str):
            raw = {"type": raw}
        elif not isinstance(raw, dict):
            if report is not None:
                report("PT306", f"capability {name!r} must be a capability type name or a definition",
                       document, path)
            raw = {}
        written = raw.get("type")
        captype = self.types.find("capability_types", written) if written is not None else (
            inherited.type if inherited is not None else None)
        if written is not None and captype is None and report is not None:
            report("PT311", f"unknown capability type {written!r}", document, path + ("type",),
                   hint=self.types.suggestion("capability_types", str(written)))
        elif written is None and inherited is None and report is not None and raw:
            report("PT305", f"capability {name!r} has no type", document, path, key=True)
        if inherited is not None and captype is not None and inherited.type is not None and report is not None \
                and not captype.is_a(inherited.type):
            report("PT340", f"capability {name!r} changes its type from {inherited.type.name} to {captype.name}, "
                   "which does not derive from it", document, path + ("type",))
        properties = dict(inherited.properties) if inherited is not None else {}
        attributes = dict(inherited.attributes) if inherited is not None else {}
        if captype is not None and (inherited is None or captype is not inherited.type):
            properties.update(self.properties(captype))  # a narrower type brings its own definitions
            attributes.update(self.attributes(captype))
        self._refine_into(properties, raw.get("properties"), document, path + ("properties",), report)
        self._refine_into(attributes, raw.get("attributes"), document, path + ("attributes",), report, "attributes")
        sources = raw.get("valid_source_types")
        if sources is None and captype is not None:
            sources = next((t.raw["valid_source_types"] for t in captype.ancestry
                            if isinstance(t.raw.get("valid_source_types"), list)), None)
        if sources is None and inherited is not None:
            valid_sources = inherited.valid_source_types
        else:
            valid_sources = tuple(s for s in sources if isinstance(s, str)) if isinstance(sources, list) else None
        occurrences = occurrences_of(raw.get("occurrences"),
                                     inherited.occurrences if inherited is not None else CAPABILITY_OCCURRENCES)
        return CapabilityDef(name, captype, written if written is not None else (
            inherited.type_name if inherited else None), properties, attributes, valid_sources, occurrences,
            document, path, raw.get("description") if isinstance(raw.get("description"), str) else None)

    def _refine_into(self, table: dict, written: Any, document: Any, path: tuple, report: Report | None,
                     section: str = "properties") -> None:
        """Property refinements written inside a capability or requirement
        definition. A bare value (not a definition) is read as a new default."""
        if not isinstance(written, dict):
            return
        for name, raw in written.items():
            if not isinstance(name, str):
                continue
            inherited = table.get(name)
            if not isinstance(raw, dict) or ("type" not in raw and inherited is None and "default" not in raw):
                if inherited is not None:
                    table[name] = PropertyDef(name, inherited.schema, inherited.required, True, raw,
                                              inherited.status, inherited.description, inherited.raw, document,
                                              path + (name,), inherited.owner)
                    continue
            table[name] = self.property_def(name, raw, document, path + (name,), inherited, report, None, section)

    # -- requirements ---------------------------------------------------------------------------

    def requirements(self, owner: Type) -> dict[str, RequirementDef]:
        found = owner.memo.get("requirements")
        if found is None:
            parent = self.requirements(owner.parent) if owner.parent is not None else {}
            found = dict(parent)
            written = owner.raw.get("requirements")
            if isinstance(written, list):
                report = self.report_for(owner)
                for index, item in enumerate(written):
                    if not isinstance(item, dict) or len(item) != 1:
                        if report is not None:
                            report("PT306", "a requirement definition is a map of one name to its definition",
                                   owner.document, owner.path + ("requirements", index))
                        continue
                    name, raw = next(iter(item.items()))
                    if isinstance(name, str):
                        found[name] = self.requirement_def(name, raw, owner.document,
                                                           owner.path + ("requirements", index, name),
                                                           parent.get(name), report)
            owner.memo["requirements"] = found
        return found

    def requirement_def(self, name: str, raw: Any, document: Any, path: tuple, inherited: RequirementDef | None,
                        report: Report | None) -> RequirementDef:
        if isinstance(raw, str):
            raw = {"capability": raw}
        elif not isinstance(raw, dict):
            if report is not None:
                report("PT306", f"requirement {name!r} must be a capability type name or a definition",
                       document, path)
            raw = {}
        base = inherited
        capability_name = raw.get("capability", base.capability_name if base else None)
        node_name = raw.get("node", base.node_name if base else None)
        relationship = raw.get("relationship")
        rel_name = relationship.get("type") if isinstance(relationship, dict) else relationship
        if relationship is None and base is not None:
            rel_name = base.relationship_name
        interfaces = relationship.get("interfaces") if isinstance(relationship, dict) else None
        if interfaces is None and base is not None and relationship is None:
            interfaces = base.relationship_interfaces
        capability = self.types.find("capability_types", capability_name)
        node = self.types.find("node_types", node_name)
        rel = self.types.find("relationship_types", rel_name)
        if report is not None:
            self._requirement_names(raw, capability_name, capability, node_name, node, rel_name, rel, document,
                                    path)
        written_occurrences = raw.get("occurrences")
        occurrences = occurrences_of(written_occurrences,
                                     base.occurrences if base is not None else REQUIREMENT_OCCURRENCES)
        return RequirementDef(name, capability, capability_name, node, node_name, rel, rel_name,
                              interfaces if isinstance(interfaces, dict) else {}, occurrences,
                              written_occurrences is not None or bool(base and base.occurrences_written),
                              document, path, raw.get("description") if isinstance(raw.get("description"), str)
                              else None)

    def _requirement_names(self, raw, capability_name, capability, node_name, node, rel_name, rel, document, path):
        report = self._report
        if capability_name is None and "capability" not in raw:
            report("PT305", "a requirement definition needs `capability`", document, path, key=True)
        elif capability is None and isinstance(capability_name, str) and "capability" in raw:
            report("PT311", f"unknown capability type {capability_name!r}", document, path + ("capability",),
                   hint=self.types.suggestion("capability_types", capability_name))
        if node is None and isinstance(node_name, str) and "node" in raw:
            report("PT310", f"unknown node type {node_name!r}", document, path + ("node",),
                   hint=self.types.suggestion("node_types", node_name))
        if rel is None and isinstance(rel_name, str) and "relationship" in raw:
            where = path + ("relationship",) + (("type",) if isinstance(raw.get("relationship"), dict) else ())
            report("PT312", f"unknown relationship type {rel_name!r}", document, where,
                   hint=self.types.suggestion("relationship_types", rel_name))

    # -- interfaces -----------------------------------------------------------------------------

    def interfaces(self, owner: Type) -> dict[str, InterfaceDef]:
        found = owner.memo.get("interfaces")
        if found is None:
            parent = self.interfaces(owner.parent) if owner.parent is not None else {}
            found = dict(parent)
            written = owner.raw.get("interfaces")
            if isinstance(written, dict):
                report = self.report_for(owner)
                for name, raw in written.items():
                    if isinstance(name, str):
                        found[name] = self.interface_def(name, raw, owner.document,
                                                         owner.path + ("interfaces", name), parent.get(name), report)
            owner.memo["interfaces"] = found
        return found

    def interface_type_of(self, name: str, raw: Any, inherited: InterfaceDef | None) -> tuple[Type | None, Any]:
        """The interface type a definition or assignment uses: its ``type``,
        else the inherited one, else the type its name is (``Standard``)."""
        written = raw.get("type") if isinstance(raw, dict) else None
        if written is not None:
            return self.types.find("interface_types", written), written
        if inherited is not None:
            return inherited.type, inherited.type_name
        found = self.types.find("interface_types", name)
        return found, name if found is not None else None

    def interface_def(self, name: str, raw: Any, document: Any, path: tuple, inherited: InterfaceDef | None,
                      report: Report | None) -> InterfaceDef:
        if not isinstance(raw, dict):
            if report is not None and raw is not None:
                report("PT306", f"interface {name!r} must be a map", document, path)
            raw = {}
        itype, type_name = self.interface_type_of(name, raw, inherited)
        if raw.get("type") is not None and itype is None and report is not None:
            report("PT315", f"unknown interface type {raw.get('type')!r}", document, path + ("type",),
                   hint=self.types.suggestion("interface_types", str(raw.get("type"))))
        operations = dict(inherited.operations) if inherited is not None else {}
        if itype is not None:
            for op_name, op in self.interface_operations(itype).items():
                operations.setdefault(op_name, op)
        declared = set(self.interface_operations(itype)) if itype is not None else None
        for op_name, op_raw, op_path, notification in operation_entries(raw, path):
            if declared is not None and op_name not in declared and report is not None and op_name not in (
                    inherited.operations if inherited else {}):
                report("PT336", f"interface type {itype.name} has no {'notification' if notification else 'operation'} "
                       f"{op_name!r}", document, op_path, key=True,
                       hint="operations of the type: " + (", ".join(sorted(declared)) or "none"),
                       severity=Severity.WARNING)  # in a type; tosca-parser checks only templates
            operations[op_name] = self.operation(op_name, op_raw, document, op_path, operations.get(op_name),
                                                 notification)
        inputs = dict(inherited.inputs) if inherited is not None else {}
        if isinstance(raw.get("inputs"), dict):
            inputs.update(raw["inputs"])
        return InterfaceDef(name, itype, type_name, inputs, operations, document, path)

    def interface_operations(self, itype: Type) -> dict[str, OperationDef]:
        """The operations (and notifications) an interface type declares, along its ancestry."""
        found = itype.memo.get("operations")
        if found is None:
            parent = self.interface_operations(itype.parent) if itype.parent is not None else {}
            found = dict(parent)
            for op_name, op_raw, op_path, notification in operation_entries(itype.raw, itype.path, type_level=True):
                found[op_name] = self.operation(op_name, op_raw, itype.document, op_path, parent.get(op_name),
                                                notification)
            itype.memo["operations"] = found
        return found

    @staticmethod
    def operation(name: str, raw: Any, document: Any, path: tuple, inherited: OperationDef | None,
                  notification: bool = False) -> OperationDef:
        implementation = inherited.implementation if inherited is not None else None
        inputs = dict(inherited.inputs) if inherited is not None else {}
        outputs = dict(inherited.outputs) if inherited is not None else {}
        description = inherited.description if inherited is not None else None
        if isinstance(raw, str):
            implementation = raw
        elif isinstance(raw, dict):
            if raw.get("implementation") is not None:
                implementation = raw["implementation"]
            if isinstance(raw.get("inputs"), dict):
                inputs.update(raw["inputs"])
            if isinstance(raw.get("outputs"), dict):
                outputs.update(raw["outputs"])
            if isinstance(raw.get("description"), str):
                description = raw["description"]
        return OperationDef(name, implementation, inputs, outputs, description, document, path, notification)

    # -- artifacts -------------------------------------------------------------------------------

    def artifacts(self, owner: Type) -> dict[str, dict]:
        found = owner.memo.get("artifacts")
        if found is None:
            found = dict(self.artifacts(owner.parent)) if owner.parent is not None else {}
            for name, raw, _path in artifact_entries(owner.raw.get("artifacts"), owner.path + ("artifacts",)):
                found[name] = {"file": raw} if isinstance(raw, str) else dict(raw) if isinstance(raw, dict) else {}
            owner.memo["artifacts"] = found
        return found

    # -- values in definitions ---------------------------------------------------------------------

    def default_problem(self, definition: PropertyDef) -> str | None:
        """A primitive default that is not of its type (complex ones are
        checked by the value checker)."""
        primitive = definition.schema.memo.get("primitive")
        if not definition.has_default or primitive is None or definition.default is None:
            return None
        try:
            coerce(primitive, definition.default)
        except BadValue as exc:
            return str(exc)
        return None


def operation_entries(raw: Any, path: tuple, type_level: bool = False):
    """(name, definition, path, is_notification) of every operation and
    notification an interface definition or assignment writes: under
    ``operations``/``notifications`` (TOSCA 1.3) or directly (before 1.3)."""
    if not isinstance(raw, dict):
        return
    for section, notification in (("operations", False), ("notifications", True)):
        table = raw.get(section)
        if isinstance(table, dict):
            for name, value in table.items():
                if isinstance(name, str):
                    yield name, value, path + (section, name), notification
    for name, value in raw.items():
        if isinstance(name, str) and name not in INTERFACE_KEYWORDS:
            yield name, value, path + (name,), False


def artifact_entries(section: Any, path: tuple):
    """Artifacts are a map, or (in some 1.0 templates) a list of one-key maps."""
    if isinstance(section, dict):
        for name, raw in section.items():
            if isinstance(name, str):
                yield name, raw, path + (name,)
    elif isinstance(section, list):
        for index, item in enumerate(section):
            if isinstance(item, dict) and len(item) == 1:
                name, raw = next(iter(item.items()))
                if isinstance(name, str):
                    yield name, raw, path + (index, name)
