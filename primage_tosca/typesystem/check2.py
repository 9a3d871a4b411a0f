"""The TOSCA 2.0 grammar: a 2.0 template's files, types, functions and service template.

The keyname tables are those of :mod:`.grammar` for 2.0; names resolve
through :mod:`.scope2` (namespaces, no implicit normative types); values are
checked by :mod:`.values2`; function calls by :mod:`.functions2`.
"""

from __future__ import annotations

import os
from typing import Any

from ..catalog import Reporter
from ..diagnostics import Severity, close_matches
from ..versions import V2_0
from .functions2 import (BUILT_INS, GONE_IN_2, arity_problem, calls, concat_problem, holds, malformed_call_keys,
                         signatures_of, string_call)
from .keynames import check_keys
from .primitives import type_word
from .scope2 import KINDS, TYPE_KINDS, Found, Scopes
from .values2 import (ABSTRACT, BUILT_IN_TYPES, PRIMITIVES, scalar_number, scalar_problem, timestamp_key,
                      to_canonical, version_key)

UNKNOWN_TYPE_RULE = {"artifact_types": "PT314", "data_types": "PT313", "capability_types": "PT311",
                     "interface_types": "PT315", "relationship_types": "PT312", "node_types": "PT310",
                     "group_types": "PT316", "policy_types": "PT317"}
GRAMMAR = {"artifact_types": "artifact_type", "data_types": "data_type", "capability_types": "capability_type",
           "interface_types": "interface_type", "relationship_types": "relationship_type",
           "node_types": "node_type", "group_types": "group_type", "policy_types": "policy_type"}
LISTS = ("valid_source_node_types", "valid_relationship_types", "valid_capability_types",
         "valid_target_node_types", "members", "targets")
DIRECTIVES = {"node": {"create", "select", "substitute"}, "other": {"internal", "external"}}
_MAX_DEPTH = 50  # nesting of data types and schemas a value is checked through


class Checker2:
    """Every 2.0 finding of one template, into one collector."""

    def __init__(self, template: Any, collector: Any) -> None:
        self.template = template
        self.report = Reporter(collector)
        documents = [d for d in template.all_documents()
                     if d.ok and isinstance(d.data, dict) and _is_2(template, d)]
        edges = [e for s in [template.sources, *template.parent_sources] for e in s.edges]
        self.documents = documents
        self.scopes = Scopes(documents, edges)

    def run(self) -> None:
        for document in self.documents:
            self.file_level(document)
            for kind in TYPE_KINDS:
                self.types_section(document, kind)
            self.functions_section(document)
            self.duplicate_names(document)
            self.repositories(document)
            self.function_calls(document)
        root = self.template.sources.root
        if root in self.documents and isinstance(root.data.get("service_template"), dict):
            from .templates2 import ServiceTemplateChecker

            ServiceTemplateChecker(self, root).run()

    # -- file level ---------------------------------------------------------------------------
    def file_level(self, document: Any) -> None:
        data = document.data
        first = next(iter(data))
        if first != "tosca_definitions_version":
            self.report("PT307", "tosca_definitions_version must be the first keyname of a TOSCA 2.0 file",
                        document, ("tosca_definitions_version",), key=True,
                        hint=f"move it above {first!r}")
        check_keys("service_template", data, V2_0, document, (), self.report)
        if "profile" in data and "service_template" in data:
            self.report("PT308", "a TOSCA file that declares a profile cannot define a service_template",
                        document, ("service_template",), key=True,
                        hint="keep the profile's types in one file and the service template in another")
        imports = data.get("imports")
        for index, entry in enumerate(imports if isinstance(imports, list) else ()):
            if isinstance(entry, dict):  # 1.x spellings (file, namespace_prefix) named with their 2.0 ones
                check_keys("import", entry, V2_0, document, ("imports", index), self.report)
        dsl = data.get("dsl_definitions")
        for name, block in dsl.items() if isinstance(dsl, dict) else ():
            if not isinstance(block, (dict, list)):
                self.report("PT306", f"dsl definition {name!r} is an anchored block (&anchor with a map), not "
                            f"{type_word(block)}", document, ("dsl_definitions", name))
        if "profile" in data and not (isinstance(data["profile"], str) and data["profile"]):
            self.report("PT306", "'profile' is a non-empty profile name", document, ("profile",))

    # -- types --------------------------------------------------------------------------------
    def types_section(self, document: Any, kind: str) -> None:
        section = document.data.get(kind)
        if not isinstance(section, dict):
            return
        for name, raw in section.items():
            path = (kind, name)
            if not self.good_name(name, document, path, kind.replace("_", " ")[:-1]):
                continue
            if not isinstance(raw, dict):
                if raw is not None:
                    self.report("PT306", f"{kind[:-1].replace('_', ' ')} {name!r} is a map of keynames, "
                                f"not {type_word(raw)}", document, path)
                continue
            check_keys(GRAMMAR[kind], raw, V2_0, document, path, self.report)
            self.type_definition(document, kind, Found(name, document, path, raw))

    def duplicate_names(self, document: Any) -> None:
        """A name two files define in one namespace (6.8.4: names in a namespace are unique). Only a
        repeat within one file is an error there (a duplicate key, PT102); across files the
        lookup takes the first, so a warning."""
        for kind in KINDS:
            for used, other, where in self.scopes.duplicates(document, kind):
                what = "repository" if kind == "repositories" else kind.replace("_", " ")[:-1]
                here = used.path if used.document is document else where
                self.report("PT338", f"{what} {used.name!r} is defined in {_file(used.document)} and in "
                            f"{_file(other.document)}, in the same namespace; {_file(used.document)}'s is used",
                            document, here, key=used.document is document, severity=Severity.WARNING,
                            hint="import one of the files with a namespace (namespace: ns) and write ns:"
                                 f"{used.name}, or rename one definition")

    def good_name(self, name: Any, document: Any, path: tuple, what: str) -> bool:
        if isinstance(name, str) and name.strip():
            return True
        article = "an" if what[0] in "aeiou" else "a"
        self.report("PT306", f"{article} {what} name is a non-empty string, not {name!r}", document, path, key=True)
        return False

    def type_definition(self, document: Any, kind: str, found: Found) -> None:
        raw, path = found.raw, found.path
        parent = raw.get("derived_from")
        if isinstance(parent, str):
            self.parent(document, kind, found, parent)
        elif kind == "data_types" and "properties" not in raw and not _built_in(found.name):
            self.report("PT305", f"data type {found.name!r} needs 'derived_from' or 'properties'", document, path,
                        key=True)
        for key in LISTS:
            self.names_list(document, raw.get(key), path + (key,), key)
            self.narrowed_list(document, kind, found, key)
        if isinstance(raw.get("version"), str) and PRIMITIVES["version"](raw["version"]):
            self.report("PT306", f"the version of a type is <major>.<minor>[.<fix>[.<qualifier>[-<build>]]], "
                        f"not {raw['version']!r}", document, path + ("version",))
        for section in ("properties", "attributes"):
            self.definitions(document, raw.get(section), path + (section,), refinement=self.inherits(
                kind, found, section))
        if kind == "data_types" and _built_in(found.name):
            self.report("PT306", f"{found.name!r} is a built-in type name, reserved (9.1): a data type of "
                        "your own needs another name", document, path, key=True)
        if kind == "data_types":
            self.schemas(document, raw, path, owner=found.name)
            self.scalar_type(document, found)
        if "validation" in raw:
            self.validation_shape(document, raw["validation"], path + ("validation",))
        if kind == "node_types":
            self.requirement_definitions(document, raw.get("requirements"), path + ("requirements",))
            self.count_ranges_refined(document, found)
            self.capability_definitions(document, raw.get("capabilities"), path + ("capabilities",),
                                        self.inherits(kind, found, "capabilities"))
        if kind in ("node_types", "relationship_types", "group_types"):
            self.interface_definitions(document, raw.get("interfaces"), path + ("interfaces",))
        if kind == "interface_types":
            self.operations(document, raw, path, in_type=True)
        if kind == "policy_types":
            self.triggers(document, raw.get("triggers"), path + ("triggers",))
        if kind == "node_types":
            self.artifact_definitions(document, raw.get("artifacts"), path + ("artifacts",))

    def parent(self, document: Any, kind: str, found: Found, parent: str) -> None:
        where = found.path + ("derived_from",)
        if kind == "data_types" and _built_in(parent):
            return
        target = self.scopes.find(document, kind, parent)
        if target is None:
            self.unknown_type(document, kind, parent, where)
            return
        chain = self.scopes.chain(kind, target)
        if any(c.document is document and c.name == found.name for c in chain):
            self.report("PT318", f"{found.name!r} derives from itself", document, where)

    def inherits(self, kind: str, found: Found, section: str) -> dict:
        """The definitions the type's ancestors give a section: refining them needs no type."""
        parent = found.raw.get("derived_from")
        target = self.scopes.find(found.document, kind, parent) if isinstance(parent, str) else None
        merged = self.scopes.merged(kind, target, section) if target is not None else {}
        return {name: definition for name, (_, definition) in merged.items()}

    def unknown_type(self, document: Any, kind: str, name: Any, where: tuple) -> None:
        what = kind.replace("_", " ")[:-1]
        self.report(UNKNOWN_TYPE_RULE[kind], f"unknown {what} {name!r}", document, where,
                    hint="TOSCA 2.0 has no implicit types: import the profile or file that defines it")

    def type_ref(self, document: Any, kind: str, name: Any, where: tuple) -> Found | None:
        if kind == "data_types" and _built_in(name):
            return None
        if not isinstance(name, str) or not name:
            self.report("PT306", f"a type name is a non-empty string, not {type_word(name)}", document, where)
            return None
        found = self.scopes.find(document, kind, name)
        if found is None:
            self.unknown_type(document, kind, name, where)
        return found

    def narrowed_list(self, document: Any, kind: str, found: Found, key: str) -> None:
        """A derived type may only restrict valid_*_types, members and targets: each name is in
        its parent's list or derives from one there (7.3, 8.1, 16.1, 16.3)."""
        mine = found.raw.get(key)
        parents = self.scopes.chain(kind, found)[1:]
        before = next((p for p in parents if isinstance(p.raw, dict) and isinstance(p.raw.get(key), list)), None)
        if not isinstance(mine, list) or before is None:
            return
        kinds = _LISTED.get(key, ("node_types",))
        allowed = {(id(f.document), f.name) for n in before.raw[key]
                   for _, f in [self.listed_type(before.document, kinds, n)] if f is not None}
        for index, name in enumerate(mine):
            kind_of, listed = self.listed_type(document, kinds, name)
            if listed is None:
                continue
            if not any((id(c.document), c.name) in allowed for c in self.scopes.chain(kind_of, listed)):
                self.report("PT340", f"{name!r} is not in the {key} of {before.name!r} nor derived from one of "
                            "them: a derived type may only narrow the list", document,
                            found.path + (key, index), severity=Severity.ERROR)

    def listed_type(self, document: Any, kinds: tuple, name: Any) -> tuple[str | None, Found | None]:
        """The kind and definition of a type named in a list of type names, or (None, None)."""
        for kind in kinds:
            found = self.scopes.find(document, kind, name)
            if found is not None:
                return kind, found
        return None, None

    def names_list(self, document: Any, value: Any, path: tuple, key: str) -> None:
        if isinstance(value, list) and not all(isinstance(v, str) and v for v in value):
            self.report("PT306", f"{key!r} is a list of names", document, path)

    # -- property, attribute and parameter definitions ----------------------------------------
    def definitions(self, document: Any, section: Any, path: tuple, refinement: dict | bool = False,
                    grammar: str = "property_definition") -> None:
        if not isinstance(section, dict):
            return
        for name, raw in section.items():
            where = path + (name,)
            if not self.good_name(name, document, where, "property"):
                continue
            refining = refinement is True or (isinstance(refinement, dict) and name in refinement)
            if not isinstance(raw, dict):
                if not refining:  # the single-line form fixes a refined property's value
                    self.report("PT306", f"definition {name!r} is a map of keynames, not {type_word(raw)}",
                                document, where)
                continue
            check_keys(grammar, raw, V2_0, document, where, self.report,
                       inherited={"type"} if refining else frozenset())
            if "validation" in raw:
                self.validation_shape(document, raw["validation"], where + ("validation",))
            self.schemas(document, raw, where, refining=refining, owner=raw.get("type"))
            if refining and isinstance(refinement, dict):
                self.fixed_value(document, refinement.get(name), raw, where)
            kind = raw.get("type")
            if kind is not None:
                self.type_ref(document, "data_types", kind, where + ("type",))
                for key in ("default", "value"):
                    if key in raw:
                        self.value(document, kind, raw[key], where + (key,), raw)
                        self.clause(document, raw.get("validation"), raw[key], where + (key,), kind)

    def validation_shape(self, document: Any, clause: Any, path: tuple) -> None:
        """9.11: a validation clause is a Boolean expression, a function call (1.x wrote a list
        of constraints)."""
        if not _is_call(clause) and not isinstance(clause, bool):
            self.report("PT306", "a validation clause is a Boolean function call such as "
                        "{ $greater_than: [ $value, 0 ] }", document, path)

    def count_ranges_refined(self, document: Any, found: Found) -> None:
        """8.4.1: a refined requirement's count_range lies within its parent's."""
        parent = self.scopes.chain("node_types", found)[1:2]
        if not parent:
            return
        inherited = self.scopes.merged("node_types", parent[0], "requirements")
        for index, item in enumerate(found.raw.get("requirements") or []
                                     if isinstance(found.raw.get("requirements"), list) else []):
            if not isinstance(item, dict) or len(item) != 1:
                continue
            name, raw = next(iter(item.items()))
            before = inherited.get(name, (None, None))[1]
            new = raw.get("count_range") if isinstance(raw, dict) else None
            old = before.get("count_range") if isinstance(before, dict) else None
            if _range_within(new, old) is False:
                self.report("PT340", f"requirement {name!r} widens the count_range {old} it inherits to {new}",
                            document, found.path + ("requirements", index, name, "count_range"),
                            severity=Severity.ERROR)

    def fixed_value(self, document: Any, inherited: Any, raw: dict, path: tuple) -> None:
        """A property whose definition fixes its value (``value``) cannot be refined to another."""
        if isinstance(inherited, dict) and "value" in inherited and "value" in raw \
                and raw["value"] != inherited["value"]:
            self.report("PT340", f"the inherited definition fixes the value to {_show(inherited['value'])}; a "
                        "refinement cannot change it", document, path + ("value",), severity=Severity.ERROR)

    def schemas(self, document: Any, raw: dict, path: tuple, depth: int = 0, refining: bool = False,
                owner: Any = None) -> None:
        """The entry and key schemas of a definition (or data type) of type ``owner``: an
        entry_schema only for a list or map, a key_schema only for a map (9.2, 9.3, 9.4)."""
        if depth > _MAX_DEPTH:
            return
        base = self.base(document, owner) if isinstance(owner, str) else None
        for key in ("entry_schema", "key_schema"):
            schema = raw.get(key)
            if schema is None:
                continue
            where = path + (key,)
            allowed = ("map",) if key == "key_schema" else ("list", "map")
            if base is not None and base not in allowed:
                self.report("PT306", f"{key} belongs to a {' or '.join(allowed)} type, not to {owner!r}", document,
                            where, key=True)
            kind = schema.get("type") if isinstance(schema, dict) else schema
            if isinstance(schema, dict):
                check_keys("schema_definition", schema, V2_0, document, where, self.report,
                           inherited={"type"} if refining else frozenset())
                self.schemas(document, schema, where, depth + 1, refining, owner=kind)
                if kind is None:
                    continue
            elif not isinstance(schema, str):
                self.report("PT306", f"{key!r} is a type name or a schema definition", document, where)
                continue
            self.type_ref(document, "data_types", kind, where + (("type",) if isinstance(schema, dict) else ()))
            if key == "key_schema" and isinstance(kind, str) and self.base(document, kind) != "string":
                self.report("PT503", f"key_schema must be string or derived from it, not {kind!r}", document,
                            where, hint="map keys are strings in TOSCA 2.0 (9.3)")

    def base(self, document: Any, name: Any) -> str | None:
        """The built-in type a data type derives from (its own name for a built-in type)."""
        if _built_in(name):
            return name
        found = self.scopes.find(document, "data_types", name)
        if found is None:
            return None
        parent = self.scopes.parent_name("data_types", found)
        return parent if _built_in(parent) else None

    def scalar_type(self, document: Any, found: Found) -> None:
        """A scalar type (9.1.2.2): its keynames only on a type derived from scalar; a concrete
        one has units (one multiplier 1, integers for an integer type), a data_type derived from
        float or integer, a canonical_unit among its units; a derived one keeps its parent's
        data_type and canonical_unit."""
        raw, where = found.raw, found.path
        scalar_keys = [k for k in ("units", "data_type", "canonical_unit", "prefixes") if k in raw]
        if self.base(document, found.name) != "scalar":
            for key in scalar_keys:
                self.report("PT306", f"{key} belongs to a scalar type (derived from scalar)", document,
                            where + (key,), key=True)
            return
        if "units" in raw and (not isinstance(raw["units"], dict) or not raw["units"]):
            self.report("PT306", "'units' of a scalar type is a map of unit names to multipliers", document,
                        where + ("units",))
            return
        self.scalar_units_rules(document, found)
        self.scalar_inherited(document, found)

    def scalar_units_rules(self, document: Any, found: Found) -> None:
        chain = self.scopes.chain("data_types", found)
        merged: dict = {}  # a derived scalar type adds to its parent's units (9.1.2.2)
        for entry in reversed(chain):
            if isinstance(entry.raw, dict) and isinstance(entry.raw.get("units"), dict):
                merged.update(entry.raw["units"])
        if not merged:
            self.report("PT305", f"scalar type {found.name!r} needs units", document, found.path, key=True)
            return
        ones = [u for u, m in merged.items() if m == 1]
        canonical = next((e.raw["canonical_unit"] for e in chain if isinstance(e.raw, dict)
                          and isinstance(e.raw.get("canonical_unit"), str)), None)  # another shape: PT306
        if not ones:
            self.report("PT306", "one unit of a scalar type has the multiplier 1", document,
                        found.path + ("units",))
        elif len(ones) > 1 and canonical is None:
            self.report("PT305", "several units have the multiplier 1: name one as canonical_unit", document,
                        found.path, key=True)
        units, integer = self.scalar_units(found)
        if canonical is not None and "canonical_unit" in found.raw and canonical not in units:
            self.report("PT306", f"canonical_unit {canonical!r} is not one of the type's units", document,
                        found.path + ("canonical_unit",))
        number = self.scalar_number_type(found)
        if number is not None and self.base(number.document, number.name) not in ("integer", "float"):
            self.report("PT306", f"the data_type of a scalar is float, integer or derived from them, not "
                        f"{number.name!r}", document, found.path + ("data_type",))
        if integer and isinstance(found.raw.get("units"), dict):
            for unit, multiplier in found.raw["units"].items():
                if not isinstance(multiplier, int) or isinstance(multiplier, bool):
                    self.report("PT306", f"unit {unit!r} of an integer scalar type has an integer multiplier",
                                document, found.path + ("units", unit))

    def scalar_inherited(self, document: Any, found: Found) -> None:
        """9.1.2.2: a derived scalar type keeps data_type, and adds no canonical_unit."""
        parents = self.scopes.chain("data_types", found)[1:]
        for key in ("data_type", "canonical_unit"):
            before = next((p.raw[key] for p in parents if isinstance(p.raw, dict) and key in p.raw), None)
            concrete = any(isinstance(p.raw, dict) and "units" in p.raw for p in parents)
            if key in found.raw and concrete and found.raw[key] != before:
                self.report("PT306", f"a type derived from a concrete scalar type keeps its {key}", document,
                            found.path + (key,), key=True)

    # -- values -------------------------------------------------------------------------------
    def value(self, document: Any, kind: Any, value: Any, path: tuple, definition: dict | None = None,
              depth: int = 0, scope: Any = None) -> None:
        """Check a value written in ``document`` against a type (and the definition's
        schemas) named in ``scope`` (the file of the definition; ``document`` when
        not given). Function calls are left alone."""
        scope = scope if scope is not None else document
        if depth > _MAX_DEPTH or _is_call(value) or not isinstance(kind, str):
            return
        if _built_in(kind) and kind in ABSTRACT:
            self.report("PT503", f"{kind} is abstract: a value needs a type derived from it", document, path)
            return
        base = self.base(scope, kind)
        found = None if _built_in(kind) else self.scopes.find(scope, "data_types", kind)
        if found is None and base is None:
            return  # an unknown type is reported where it is named
        if base == "scalar" and found is not None:
            self.scalar_value(document, found, value, path)
            return
        if base in PRIMITIVES:
            problem = PRIMITIVES[base](value)
            if problem:
                self.report("PT503", f"{_show(value)} is not {problem} (type {kind})", document, path)
                return
        if found is not None:
            self.type_clauses(document, found, value, path)
        schemas = self.schema_chain(scope, kind, definition)
        if base == "list" and isinstance(value, list):
            entry = schemas.get("entry_schema")
            for index, item in enumerate(value):
                self.entry(document, entry, item, path + (index,), depth, scope)
        elif base == "map" and isinstance(value, dict):
            entry, key_schema = schemas.get("entry_schema"), schemas.get("key_schema")
            for key, item in value.items():
                if not isinstance(key, str) and not _is_call(getattr(key, "value", None)):
                    # a key may be a call whose result is the key (10.1: { $keygen: [UUID] }: 34)
                    self.report("PT503", f"map key {key!r} is not a string", document, path + (key,), key=True)
                self.entry(document, entry, item, path + (key,), depth, scope)
                self.clause(document, _as_dict(key_schema) and key_schema.get("validation"), key, path + (key,))
        elif base is None and found is not None:
            self.complex_value(document, found, value, path, depth)

    def entry(self, document: Any, schema: Any, item: Any, path: tuple, depth: int, scope: Any) -> None:
        """One entry of a list or map against its entry_schema."""
        self.value(document, _schema_type(schema), item, path, _as_dict(schema), depth + 1, scope)
        self.clause(document, _as_dict(schema) and schema.get("validation"), item, path, _schema_type(schema),
                    scope)

    def clause(self, document: Any, validation: Any, value: Any, path: tuple, kind: Any = None,
               scope: Any = None) -> None:
        """A value that breaks a validation clause it can be checked against here;
        scalars of type ``kind`` (named in ``scope``) compare in their canonical unit."""
        if validation is None or _is_call(value):
            return
        convert = self.canonical(scope if scope is not None else document, kind)
        if holds(validation, value, convert=convert) is not False:
            return
        self.report("PT504", f"{_show(value)} does not meet the validation clause {_show(validation)}", document,
                    path)

    def type_clauses(self, document: Any, found: Found, value: Any, path: tuple) -> None:
        """The validation clauses of a data type and its ancestors."""
        for entry in self.scopes.chain("data_types", found):
            if isinstance(entry.raw, dict) and "validation" in entry.raw:
                self.clause(document, entry.raw["validation"], value, path, found.name, found.document)

    def schema_chain(self, document: Any, kind: str, definition: dict | None) -> dict:
        schemas: dict = {}
        found = None if _built_in(kind) else self.scopes.find(document, "data_types", kind)
        for entry in reversed(self.scopes.chain("data_types", found)) if found is not None else []:
            if isinstance(entry.raw, dict):  # a type that is not a map is reported where it is defined
                schemas.update({k: entry.raw[k] for k in ("entry_schema", "key_schema") if k in entry.raw})
        if isinstance(definition, dict):
            schemas.update({k: definition[k] for k in ("entry_schema", "key_schema") if k in definition})
        return schemas

    def complex_value(self, document: Any, found: Found, value: Any, path: tuple, depth: int) -> None:
        if not isinstance(value, dict):
            self.report("PT503", f"{_show(value)} is not a map of the properties of {found.name!r}", document,
                        path)
            return
        properties = self.scopes.merged("data_types", found, "properties")
        for key, item in value.items():
            if key not in properties:
                self.report("PT506", f"{found.name!r} has no property {key!r}", document, path + (key,), key=True)
                continue
            owner, definition = properties[key]
            if isinstance(definition, dict):
                self.value(document, definition.get("type"), item, path + (key,), definition, depth + 1, owner)
                self.clause(document, definition.get("validation"), item, path + (key,), definition.get("type"),
                            owner)
        for key, (_, definition) in properties.items():
            if isinstance(definition, dict) and key not in value and definition.get("required", True) is True \
                    and "default" not in definition and "value" not in definition:
                self.report("PT505", f"{found.name!r} needs a value for {key!r}", document, path)

    def scalar_units(self, found: Found) -> tuple[dict[str, float], bool]:
        """A scalar type's units with their multipliers (prefixed units included), and
        whether its numbers are integers. A derived type may add units and prefixes
        (9.1.2.2): the maps of the chain are merged, the nearest definition winning."""
        units: dict[str, float] = {}
        prefixes: dict[str, float] = {}
        for entry in reversed(self.scopes.chain("data_types", found)):
            raw = entry.raw if isinstance(entry.raw, dict) else {}
            if isinstance(raw.get("units"), dict):
                units.update({u: m for u, m in raw["units"].items() if isinstance(u, str) and _number(m)})
            if isinstance(raw.get("prefixes"), dict):
                prefixes.update({p: m for p, m in raw["prefixes"].items() if isinstance(p, str) and _number(m)})
        expanded = dict(units)
        for prefix, factor in prefixes.items():
            expanded.update({prefix + unit: factor * multiplier for unit, multiplier in units.items()})
        number = self.scalar_number_type(found)
        return expanded, number is not None and self.base(number.document, number.name) == "integer"

    def scalar_number_type(self, found: Found) -> Found | None:
        """The data type a scalar type's numbers have when it names one of its own
        (``data_type: PositiveInteger``); integer and float are found as built-ins."""
        for entry in self.scopes.chain("data_types", found):
            name = entry.raw.get("data_type") if isinstance(entry.raw, dict) else None
            if isinstance(name, str):
                if _built_in(name):
                    return Found(name, entry.document, (), {"derived_from": name})
                return self.scopes.find(entry.document, "data_types", name)
        return None

    def scalar_value(self, document: Any, found: Found, value: Any, path: tuple) -> None:
        units, integer = self.scalar_units(found)
        problem = scalar_problem(value, set(units), integer)
        if problem:
            self.report("PT500", f"{_show(value)} is not {problem} (type {found.name})", document, path)
            return
        number_type = self.scalar_number_type(found)
        if number_type is not None and not _built_in(number_type.name):
            # the number meets the clauses of the data type named by data_type (PositiveInteger)
            self.type_clauses(document, number_type, scalar_number(value), path)
        self.type_clauses(document, found, value, path)

    def canonical(self, scope: Any, kind: Any) -> Any:
        """For a scalar type: a function giving a '<number> <unit>' text its value
        in the canonical unit (None when the text is not one); else None."""
        base = self.base(scope, kind) if isinstance(kind, str) else None
        if base in _ORDERED:  # versions and timestamps compare as such, not as text (9.1.2.1, 9.1.2.3)
            return _ORDERED[base]
        found = self.scopes.find(scope, "data_types", kind) if isinstance(kind, str) else None
        if found is None or base != "scalar":
            return None
        units, _ = self.scalar_units(found)
        # a bare number in a scalar type's clause ($greater_or_equal: [$value, 0.0], 9.1.2.2.2) is
        # a number of the canonical unit
        return lambda text: text if _number(text) else to_canonical(text, units)

    # -- requirements, capabilities, interfaces in types ---------------------------------------
    def requirement_definitions(self, document: Any, value: Any, path: tuple) -> None:
        if not isinstance(value, list):
            return
        seen = set()
        for index, item in enumerate(value):
            where = path + (index,)
            if not isinstance(item, dict) or len(item) != 1:
                self.report("PT306", "a requirement definition is a map of one name to its definition", document,
                            where)
                continue
            name, raw = next(iter(item.items()))
            where = where + (name,)
            if name in seen:  # 8.4: requirement names are unique within a node type
                self.report("PT338", f"requirement {name!r} is defined twice in this node type", document, where,
                            key=True)
            seen.add(name) if isinstance(name, str) else None
            if isinstance(raw, str):  # the short form some examples of the standard use: a capability type
                self.wanted_capability(document, raw, None, where)
                continue
            if not isinstance(raw, dict):
                self.report("PT306", f"requirement {name!r} is a map of keynames", document, where)
                continue
            check_keys("requirement_definition", raw, V2_0, document, where, self.report)
            node = self.type_ref(document, "node_types", raw["node"], where + ("node",)) \
                if isinstance(raw.get("node"), str) else None
            if isinstance(raw.get("capability"), str):
                self.wanted_capability(document, raw["capability"], node, where + ("capability",))
            relationship = raw.get("relationship")
            if isinstance(relationship, dict):
                check_keys("requirement_relationship", relationship, V2_0, document, where + ("relationship",),
                           self.report)
                relationship = relationship.get("type")
            if isinstance(relationship, str):
                self.type_ref(document, "relationship_types", relationship, where + ("relationship",))
            self.count_range(document, raw.get("count_range"), where + ("count_range",))

    def wanted_capability(self, document: Any, name: str, node: Found | None, where: tuple) -> None:
        """A requirement's capability: a capability type, or a capability of its target node type (8.4)."""
        if self.scopes.find(document, "capability_types", name) is not None:
            return
        if node is not None and name in self.scopes.merged("node_types", node, "capabilities"):
            return
        self.report("PT311", f"{name!r} is neither a capability type nor a capability of the requirement's node",
                    document, where, hint="TOSCA 2.0 has no implicit types: import the profile or file that "
                    "defines it")

    def artifact_definitions(self, document: Any, value: Any, path: tuple) -> None:
        for name, raw in value.items() if isinstance(value, dict) else ():
            where = path + (name,)
            if not check_keys("artifact_definition", raw, V2_0, document, where, self.report):
                self.report("PT306", f"artifact {name!r} is a map of keynames", document, where)
            else:
                if isinstance(raw.get("type"), str):
                    self.type_ref(document, "artifact_types", raw["type"], where + ("type",))
                repository = raw.get("repository")
                if isinstance(repository, str) and self.scopes.find(document, "repositories", repository) is None:
                    self.report("PT306", f"repository {repository!r} is not defined (12.2: the name of a repository "
                                "definition)", document, where + ("repository",))

    def count_range(self, document: Any, value: Any, path: tuple) -> None:
        if value is None:
            return
        ok = isinstance(value, list) and len(value) == 2 and _count(value[0]) and (
            _count(value[1]) or value[1] == "UNBOUNDED")
        if ok and value[1] != "UNBOUNDED" and value[1] < value[0]:
            ok = False
        if not ok:
            self.report("PT306", "count_range is [lower, upper]: non-negative integers, upper may be UNBOUNDED",
                        document, path)

    def capability_definitions(self, document: Any, value: Any, path: tuple, inherited: Any = None) -> None:
        """``inherited``: the capabilities a parent type defines, which these may refine without
        naming the type again (8.2.1)."""
        if not isinstance(value, dict):
            return
        for name, raw in value.items():
            where = path + (name,)
            if isinstance(raw, str):
                self.type_ref(document, "capability_types", raw, where)
                continue
            if not isinstance(raw, dict):
                self.report("PT306", f"capability {name!r} is a type name or a capability definition", document,
                            where)
                continue
            check_keys("capability_definition", raw, V2_0, document, where, self.report,
                       inherited={"type"} if isinstance(inherited, dict) and name in inherited else frozenset())
            capability = self.type_ref(document, "capability_types", raw.get("type"), where + ("type",)) \
                if "type" in raw else None
            for section in ("properties", "attributes"):
                self.definitions(document, raw.get(section), where + (section,), refinement=True)
                if capability is not None and isinstance(raw.get(section), dict):
                    self.refined_only(capability, section, raw[section], document, where + (section,))
            for key in ("valid_source_node_types", "valid_relationship_types"):
                self.names_list(document, raw.get(key), where + (key,), key)

    def refined_only(self, capability: Found, section: str, written: dict, document: Any, path: tuple) -> None:
        """8.2: a capability definition refines its type's properties and attributes; new ones may not be added."""
        defined = self.scopes.merged("capability_types", capability, section)
        for name in written:
            if name not in defined:
                what = "property" if section == "properties" else "attribute"
                self.report("PT306", f"capability type {capability.name!r} has no {what} {name!r}: a capability "
                            f"definition refines its type's {section}, it cannot add one", document,
                            path + (name,), key=True)

    def interface_definitions(self, document: Any, value: Any, path: tuple) -> None:
        if not isinstance(value, dict):
            return
        for name, raw in value.items():
            where = path + (name,)
            if not isinstance(raw, dict):
                self.report("PT306", f"interface {name!r} is a map of keynames", document, where)
                continue
            check_keys("interface_definition", raw, V2_0, document, where, self.report)
            interface = self.type_ref(document, "interface_types", raw["type"], where + ("type",)) \
                if isinstance(raw.get("type"), str) else None
            self.operations(document, raw, where)
            if interface is not None:
                self.defined_operations(interface, raw, document, where)

    def defined_operations(self, interface: Found, raw: dict, document: Any, path: tuple) -> None:
        """11.2: an interface definition refines operations and notifications its type defines."""
        for section in ("operations", "notifications"):
            defined = self.scopes.merged("interface_types", interface, section)
            for name in raw.get(section) or () if isinstance(raw.get(section), dict) else ():
                if name not in defined:
                    self.report("PT336", f"interface type {interface.name!r} defines no {section[:-1]} {name!r}",
                                document, path + (section, name), key=True)

    def triggers(self, document: Any, value: Any, path: tuple) -> None:
        """A policy's (or policy type's) triggers: each names its event and lists its action (16.5)."""
        for name, raw in value.items() if isinstance(value, dict) else ():
            if not check_keys("trigger", raw, V2_0, document, path + (name,), self.report):
                self.report("PT306", f"trigger {name!r} is a map of keynames", document, path + (name,))

    def operations(self, document: Any, raw: dict, path: tuple, in_type: bool = False) -> None:
        """The operations and notifications of an interface type or definition; an interface
        type has no implementations (11.1: "the implementation keyname is invalid in this context")."""
        for section, grammar in (("operations", "operation_definition"), ("notifications", "notification_definition")):
            entries = raw.get(section)
            for name, operation in entries.items() if isinstance(entries, dict) else ():
                where = path + (section, name)
                if in_type and (isinstance(operation, str) or isinstance(operation, dict) and "implementation" in operation):
                    self.report("PT306", f"{section[:-1]} {name!r} of an interface type has an implementation: "
                                "implementations belong in node and relationship types and templates", document,
                                where + (("implementation",) if isinstance(operation, dict) else ()),
                                key=isinstance(operation, dict))
                if isinstance(operation, dict):
                    check_keys(grammar, operation, V2_0, document, where, self.report)
                elif operation is not None and not isinstance(operation, str):
                    self.report("PT306", f"operation {name!r} is a map of keynames or an implementation",
                                document, where)

    # -- functions and repositories -----------------------------------------------------------
    def functions_section(self, document: Any) -> None:
        self.function_definitions(document, document.data.get("functions"), ("functions",))
        topology = document.data.get("service_template")
        if isinstance(topology, dict):
            self.function_definitions(document, topology.get("functions"), ("service_template", "functions"))

    def function_definitions(self, document: Any, section: Any, path: tuple) -> None:
        if not isinstance(section, dict):
            return
        for name, raw in section.items():
            where = path + (name,)
            if not self.good_name(name, document, where, "function"):
                continue
            if not check_keys("function_definition", raw, V2_0, document, where, self.report):
                self.report("PT306", f"function {name!r} is a map with its signatures", document, where)
                continue
            signatures = raw.get("signatures")
            for index, signature in enumerate(signatures if isinstance(signatures, list) else []):
                at = where + ("signatures", index)
                if not check_keys("function_signature", signature, V2_0, document, at, self.report):
                    self.report("PT306", "a signature is a map of arguments, variadic, result, implementation",
                                document, at)
                    continue
                arguments = signature.get("arguments")
                for position, argument in enumerate(arguments if isinstance(arguments, list) else ()):
                    self.schema_or_type(document, argument, at + ("arguments", position))
                if "result" in signature:
                    self.schema_or_type(document, signature["result"], at + ("result",))

    def schema_or_type(self, document: Any, value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            check_keys("schema_definition", value, V2_0, document, path, self.report)
            self.type_ref(document, "data_types", value.get("type"), path + ("type",))
            self.schemas(document, value, path)
        else:
            self.type_ref(document, "data_types", value, path)

    def repositories(self, document: Any) -> None:
        section = document.data.get("repositories")
        if not isinstance(section, dict):
            return
        for name, raw in section.items():
            where = ("repositories", name)
            if not self.good_name(name, document, where, "repository"):
                continue
            if isinstance(raw, str):
                continue  # the single-line form: its url
            if not check_keys("repository", raw, V2_0, document, where, self.report):
                self.report("PT306", f"repository {name!r} is a url or a map with url", document, where)

    def function_calls(self, document: Any) -> None:
        self.malformed_calls(document, document.data, ())
        for call in calls(document.data):
            where = call.path if call.as_string else call.path + ("$" + call.name,)
            if self.user_function(document, call.name) is None and call.name not in BUILT_INS:
                self.unknown_function(document, call, where)
                continue
            user = self.user_function(document, call.name)
            problem = arity_problem(call, lambda n: self.user_function(document, n)) or \
                self.overload_problem(document, call) or (concat_problem(call) if call.name == "concat"
                                                          and user is None else None)
            if problem:
                self.report("PT420", problem, document, where)

    def unknown_function(self, document: Any, call: Any, where: tuple) -> None:
        """10.4 lets a template call a custom function the orchestrator provides without
        defining it: a warning. A 1.x function 2.0 dropped, or a near miss of a built-in
        function's name (``$get_inputs``), is an error."""
        gone = GONE_IN_2.get(call.name)
        close = [] if gone else close_matches(call.name, BUILT_INS, cutoff=0.8)
        if gone:
            hint = f"TOSCA 2.0 has no ${call.name}: {gone}"
        elif close:
            hint = f"did you mean ${close[0]}? (a custom function of that name would need a definition)"
        else:
            hint = "define it under 'functions', or import the file that does; write $$ for a plain '$'"
        self.report("PT423", f"unknown function ${call.name}", document, where, key=not call.as_string, hint=hint,
                    severity=None if gone or close else Severity.WARNING)

    def malformed_calls(self, document: Any, value: Any, path: tuple) -> None:
        """A map with a ``$name`` key beside other keys (10.1: "malformed function")."""
        stack = [(value, path)]
        while stack:
            node, where = stack.pop()
            if isinstance(node, dict):
                for key in malformed_call_keys(node):
                    self.report("PT420", f"malformed function: {key!r} is a call only as the single key of "
                                "its map (write '$' + key to mean a plain key)", document, where + (key,),
                                key=True)
                stack.extend((v, where + (k,)) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((v, where + (i,)) for i, v in enumerate(node))

    def overload_problem(self, document: Any, call: Any) -> str | None:
        """Why no signature of a user function takes the call's arguments by their types (6.6),
        or None. An argument that is itself a call, or a type we cannot decide, fits any."""
        found = self.scopes.find(document, "functions", call.name)
        definition = self.user_function(document, call.name)
        signatures = definition.get("signatures") if isinstance(definition, dict) else None
        if not isinstance(signatures, list):
            return None
        types_in = found.document if found is not None else document
        tried = []
        for signature in signatures:
            types = signature.get("arguments") if isinstance(signature, dict) else None
            if not isinstance(types, list):
                continue
            optional = signature.get("optional_arguments")
            optional = optional if isinstance(optional, list) else []
            accepted = signatures_of({"signatures": [signature]})
            if not accepted or not accepted[0].accepts(len(call.arguments)):
                continue
            types = types + optional
            if not types:
                return None  # a signature without arguments, called without any
            wanted = [types[min(i, len(types) - 1)] for i in range(len(call.arguments))]
            if all(self.fits(types_in, _schema_type(t), a) for t, a in zip(wanted, call.arguments)):
                return None
            more = ", ..." if signature.get("variadic") is True else ""
            tried.append("(" + ", ".join(str(_schema_type(t)) for t in types) + more + ")")
        if not tried:
            return None
        given = ", ".join(type_word(a) for a in call.arguments)
        return f"no signature of ${call.name} takes ({given}): its signatures take {' or '.join(tried)}"

    def fits(self, document: Any, type_name: Any, value: Any) -> bool:
        """Whether a written argument can be of a type, as far as the value alone says."""
        if _is_call(value) or value == "$value" or not isinstance(type_name, str):
            return True
        if type_name in PRIMITIVES:
            return PRIMITIVES[type_name](value) is None
        found = self.scopes.find(document, "data_types", type_name)
        if found is None:
            return type_name == "scalar" and isinstance(value, str) or type_name not in BUILT_IN_TYPES
        base = self.scopes.parent_name("data_types", found)
        if base in PRIMITIVES:
            return PRIMITIVES[base](value) is None
        if base == "scalar":
            return isinstance(value, str)
        return isinstance(value, dict) or base is not None

    def user_function(self, document: Any, name: str) -> Any:
        """A function's definition: the one outside the service template, refined by (or else) the
        one of that name inside it (10.4)."""
        found = self.scopes.find(document, "functions", name)
        topology = document.data.get("service_template") if isinstance(document.data, dict) else None
        local = topology.get("functions") if isinstance(topology, dict) else None
        local = local.get(name) if isinstance(local, dict) else None
        return _refined_function(found.raw if found is not None else None, local)


def _refined_function(outside: Any, inside: Any) -> Any:
    """10.4: a definition inside the service template refines the one outside: its first
    signatures change only the implementation of the outside one's, at the same place (an empty
    map leaves one as it is); the signatures after those are new."""
    if not isinstance(inside, dict):
        return outside
    if not isinstance(outside, dict):
        return inside
    theirs = outside.get("signatures") if isinstance(outside.get("signatures"), list) else []
    mine = inside.get("signatures") if isinstance(inside.get("signatures"), list) else []
    return {**outside, **inside, "signatures": theirs + mine[len(theirs):]}


_ORDERED = {"version": version_key, "timestamp": timestamp_key}
# The kinds of type each list of type names names.
_LISTED = {"valid_capability_types": ("capability_types",), "valid_relationship_types": ("relationship_types",),
           "targets": ("node_types", "group_types")}


def _range_within(new: Any, old: Any) -> bool | None:
    """Whether a count_range lies within another; None when either is not a plain range."""
    def bounds(value: Any) -> tuple | None:
        if not (isinstance(value, list) and len(value) == 2 and _count(value[0])
                and (_count(value[1]) or value[1] == "UNBOUNDED")):
            return None
        return value[0], float("inf") if value[1] == "UNBOUNDED" else value[1]
    new_bounds, old_bounds = bounds(new), bounds(old)
    if new_bounds is None or old_bounds is None:
        return None
    return old_bounds[0] <= new_bounds[0] and new_bounds[1] <= old_bounds[1]


def _is_2(template: Any, document: Any) -> bool:
    dialect = template.dialects.get(id(document))
    return dialect is not None and dialect.version >= V2_0


def _is_call(value: Any) -> bool:
    if string_call(value) is not None:
        return True
    if type(value) is not dict or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and key.startswith("$") and not key.startswith("$$")


def _built_in(name: Any) -> bool:
    """A built-in type's name (anything unhashable, a mapping written as a name, is none)."""
    return isinstance(name, str) and name in BUILT_IN_TYPES


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _schema_type(schema: Any) -> Any:
    return schema.get("type") if isinstance(schema, dict) else schema


def _as_dict(schema: Any) -> dict | None:
    return schema if isinstance(schema, dict) else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _file(document: Any) -> str:
    return os.path.basename(document.file) or document.file
