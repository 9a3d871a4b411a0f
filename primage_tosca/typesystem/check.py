"""Checking type definitions: each one a template's documents write, by its
version's grammar and TOSCA's rules for what a definition may say (TOSCA 1.3,
3.7). Inheritance is checked as the merged definitions are worked out (see
:mod:`.definitions`); this module walks what is written."""

from __future__ import annotations

from typing import Any, Callable

from .constraints import read_constraints
from .definitions import DEFINITION_KEYNAMES, Definitions, artifact_entries, operation_entries
from .keynames import check_keys
from .model import KIND_GRAMMAR, KIND_WORD, PropertyDef, Type
from .namespace import UNKNOWN_RULE, TypeSystem
from .values import ValueChecker

Report = Callable[..., None]
_SINGULAR = {"properties": "property", "attributes": "attribute"}


class TypeChecker:
    def __init__(self, types: TypeSystem, definitions: Definitions, values: ValueChecker, report: Report):
        self.types = types
        self.definitions = definitions
        self.values = values
        self.report = report

    def check(self, found: Type) -> None:
        version = found.version
        if version is None:
            return
        if not isinstance(found.document.data.get(found.kind, {}).get(found.path[-1]), dict):
            self.report("PT306", f"{KIND_WORD[found.kind]} {found.name!r} must be a map of keynames",
                        found.document, found.path)
            return
        skip = {name for name, _r, _p, _n in operation_entries(found.raw, found.path)} \
            if found.kind == "interface_types" else frozenset()
        check_keys(KIND_GRAMMAR[found.kind], found.raw, version, found.document, found.path, self.report, skip=skip)
        getattr(self, "_" + found.kind)(found)

    # -- shared ---------------------------------------------------------------------------------

    def _definitions(self, found: Type, section: str) -> None:
        """Property or attribute definitions: keynames, and defaults of their types."""
        written = found.raw.get(section)
        if not isinstance(written, dict):
            return
        merged = self.definitions.properties(found) if section == "properties" else \
            self.definitions.attributes(found)
        parent = {} if found.parent is None else (self.definitions.properties(found.parent) if section == "properties"
                                                  else self.definitions.attributes(found.parent))
        grammar = "property_definition" if section == "properties" else "attribute_definition"
        for name, raw in written.items():
            path = found.path + (section, name)
            if isinstance(raw, dict) and DEFINITION_KEYNAMES & set(raw):
                check_keys(grammar, raw, found.version, found.document, path, self.report,
                           inherited={"type"} if name in parent else frozenset())
                self._schema_keys(raw, found, path)
            definition = merged.get(name)
            if definition is not None:
                self.default(definition, f"default of {_SINGULAR[section]} {name!r}")

    def _schema_keys(self, raw: dict, found: Type, path: tuple) -> None:
        for key in ("entry_schema", "key_schema"):
            schema = raw.get(key)
            if isinstance(schema, dict):
                check_keys("schema_definition", schema, found.version, found.document, path + (key,), self.report)
                self._schema_keys(schema, found, path + (key,))

    def default(self, definition: PropertyDef, label: str) -> None:
        if definition.has_default and "default" in definition.raw and definition.default is not None:
            self.values.check(definition.default, definition.schema, definition.document,
                              definition.path + ("default",), label)
        status = definition.status
        if status is not None and status not in ("supported", "unsupported", "experimental", "deprecated"):
            self.report("PT303", f"status {status!r} is not one of supported, unsupported, experimental, "
                        "deprecated", definition.document, definition.path + ("status",))

    def _type_list(self, found: Type, key: str, kinds: tuple[str, ...]) -> None:
        names = found.raw.get(key)
        if not isinstance(names, list):
            return
        for index, name in enumerate(names):
            if not isinstance(name, str):
                self.report("PT306", f"{key} lists type names, not {type(name).__name__}s", found.document,
                            found.path + (key, index))
            elif not any(self.types.find(kind, name) is not None for kind in kinds):
                words = " or ".join(KIND_WORD[k] for k in kinds)
                self.report(UNKNOWN_RULE[kinds[0]], f"{key} names {name!r}, which is not a known {words}",
                            found.document, found.path + (key, index), hint=self.types.suggestion(kinds[0], name))

    # -- one method per kind --------------------------------------------------------------------------

    def _artifact_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        extensions = found.raw.get("file_ext")
        if isinstance(extensions, list) and not all(isinstance(e, str) for e in extensions):
            self.report("PT306", "file_ext lists file extensions (strings)", found.document, found.path + ("file_ext",))

    def _data_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        if found.raw.get("constraints") is not None and found.root_primitive is not None:
            read_constraints(found.raw["constraints"], found.root_primitive, found.document,
                             found.path + ("constraints",), self.report)
        if found.root_primitive is not None and isinstance(found.raw.get("properties"), dict) \
                and found.raw["properties"]:
            self.report("PT340", f"data type {found.name!r} derives from the primitive {found.root_primitive} "
                        "and so cannot define properties", found.document, found.path + ("properties",), key=True)
        if found.root_primitive is None and found.raw.get("constraints"):
            self.report("PT507", f"data type {found.name!r} is complex: constraints apply to types derived from a "
                        "primitive", found.document, found.path + ("constraints",), key=True)
        for key in ("entry_schema", "key_schema"):
            schema = found.raw.get(key)
            if schema is not None and found.root_primitive not in ("list", "map"):
                self.report("PT340", f"{key} applies to data types derived from list or map", found.document,
                            found.path + (key,), key=True)

    def _capability_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        self._definitions(found, "attributes")
        self._type_list(found, "valid_source_types", ("node_types",))

    def _interface_types(self, found: Type) -> None:
        self.definitions.interface_operations(found)
        for name, raw, path, notification in operation_entries(found.raw, found.path, type_level=True):
            if isinstance(raw, dict):
                grammar = "notification_definition" if notification else "operation_definition"
                check_keys(grammar, raw, found.version, found.document, path, self.report)
            elif raw is not None and not isinstance(raw, str):
                self.report("PT306", f"operation {name!r} must be a definition or an implementation",
                            found.document, path)

    def _relationship_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        self._definitions(found, "attributes")
        self._type_list(found, "valid_target_types", ("capability_types", "node_types"))
        self._interfaces(found)

    def _node_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        self._definitions(found, "attributes")
        capabilities = self.definitions.capabilities(found)
        written = found.raw.get("capabilities")
        if isinstance(written, dict):
            for name, raw in written.items():
                path = found.path + ("capabilities", name)
                if isinstance(raw, dict):
                    check_keys("capability_definition", raw, found.version, found.document, path, self.report)
                    self._occurrences(raw, found, path)
                    sources = raw.get("valid_source_types")
                    if isinstance(sources, list):
                        for index, source in enumerate(sources):
                            if isinstance(source, str) and self.types.find("node_types", source) is None:
                                self.report("PT310", f"valid_source_types names {source!r}, which is not a known "
                                            "node type", found.document, path + ("valid_source_types", index),
                                            hint=self.types.suggestion("node_types", source))
                definition = capabilities.get(name)
                if definition is not None:
                    for prop in definition.properties.values():
                        if prop.document is found.document and prop.path[:len(path)] == path:
                            self.default(prop, f"default of property {prop.name!r} of capability {name!r}")
        requirements = found.raw.get("requirements")
        self.definitions.requirements(found)
        if isinstance(requirements, list):
            for index, item in enumerate(requirements):
                if isinstance(item, dict) and len(item) == 1:
                    name, raw = next(iter(item.items()))
                    path = found.path + ("requirements", index, name)
                    if isinstance(raw, dict):
                        check_keys("requirement_definition", raw, found.version, found.document, path, self.report)
                        self._occurrences(raw, found, path)
                        relationship = raw.get("relationship")
                        if isinstance(relationship, dict):
                            check_keys("requirement_relationship", relationship, found.version, found.document,
                                       path + ("relationship",), self.report)
        self._interfaces(found)
        self._artifacts(found)

    def _group_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        self._definitions(found, "attributes")
        self._type_list(found, "members", ("node_types", "group_types"))
        self._interfaces(found)

    def _policy_types(self, found: Type) -> None:
        self._definitions(found, "properties")
        self._type_list(found, "targets", ("node_types", "group_types"))

    # -- parts ------------------------------------------------------------------------------------------

    def _occurrences(self, raw: dict, found: Type, path: tuple) -> None:
        value = raw.get("occurrences")
        if value is None:
            return
        problem = occurrences_problem(value)
        if problem:
            self.report("PT306", f"occurrences: {problem}", found.document, path + ("occurrences",))

    def _interfaces(self, found: Type) -> None:
        self.definitions.interfaces(found)
        written = found.raw.get("interfaces")
        if not isinstance(written, dict):
            return
        for name, raw in written.items():
            path = found.path + ("interfaces", name)
            if not isinstance(raw, dict):
                continue
            operations = {op for op, _raw, _path, _n in operation_entries(raw, path)}
            check_keys("interface_definition", raw, found.version, found.document, path, self.report,
                       skip=operations)
            for op, op_raw, op_path, notification in operation_entries(raw, path):
                if isinstance(op_raw, dict):
                    check_keys("notification_definition" if notification else "operation_definition", op_raw,
                               found.version, found.document, op_path, self.report)
                    self._implementation(op_raw.get("implementation"), found, op_path + ("implementation",))
                elif op_raw is not None and not isinstance(op_raw, str):
                    self.report("PT306", f"operation {op!r} must be a definition or an implementation",
                                found.document, op_path)

    def _implementation(self, value: Any, found: Type, path: tuple) -> None:
        if isinstance(value, dict):
            check_keys("implementation", value, found.version, found.document, path, self.report)

    def _artifacts(self, found: Type) -> None:
        for name, raw, path in artifact_entries(found.raw.get("artifacts"), found.path + ("artifacts",)):
            if isinstance(raw, dict):
                check_keys("artifact_definition", raw, found.version, found.document, path, self.report)
                artifact_type = raw.get("type")
                if isinstance(artifact_type, str) and self.types.find("artifact_types", artifact_type) is None:
                    self.report("PT314", f"unknown artifact type {artifact_type!r}", found.document,
                                path + ("type",), hint=self.types.suggestion("artifact_types", artifact_type))


def occurrences_problem(value: Any) -> str | None:
    """Why an ``occurrences`` range is malformed; None when it is fine."""
    if not isinstance(value, list) or len(value) != 2:
        return "expected [min, max] such as [1, 1] or [0, UNBOUNDED]"
    low, high = value
    if isinstance(low, bool) or not isinstance(low, int) or low < 0:
        return f"the minimum {low!r} is not a non-negative integer"
    if high == "UNBOUNDED":
        return None
    if isinstance(high, bool) or not isinstance(high, int):
        return f"the maximum {high!r} is not an integer or UNBOUNDED"
    if high < low:
        return f"the maximum {high} is below the minimum {low}"
    if high == 0:
        return "the maximum must be at least 1"
    return None


def check_document(document: Any, version: Any, report: Report) -> None:
    """A file's top-level keynames and its repository definitions (TOSCA 1.3, 3.10 and 3.6.6)."""
    # a missing version is the imports phase's to report (it reads every file's)
    check_keys("service_template", document.data, version, document, (), report, inherited={"tosca_definitions_version"})
    repositories = document.data.get("repositories") if isinstance(document.data, dict) else None
    if not isinstance(repositories, dict):
        return
    for name, definition in repositories.items():
        path = ("repositories", name)
        if isinstance(definition, str):
            continue  # the short form: the URL alone
        if not check_keys("repository", definition, version, document, path, report):
            report("PT306", f"repository {name!r} is a URL or a map with `url`", document, path)
