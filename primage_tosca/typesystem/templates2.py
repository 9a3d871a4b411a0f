"""The service template of a TOSCA 2.0 file (6.9): inputs, node and
relationship templates, groups, policies, outputs, substitution mappings."""

from __future__ import annotations

from typing import Any

from ..diagnostics import Severity
from ..source.reader import ComplexKey
from ..versions import V2_0
from .filters2 import NodeFilters
from .functions2 import calls
from .keynames import check_keys
from .primitives import type_word
from .scope2 import Found

ROOT = ("service_template",)
ENTITIES = {"SELF", "SOURCE", "TARGET"}
ACTIVITIES = {"delegate", "set_state", "call_operation", "inline"}
PATH_KEYWORDS = {"CAPABILITY", "RELATIONSHIP", "REQUIREMENT", "TARGET", "SOURCE", "ALL"}  # ALL: every index (10.3)


class ServiceTemplateChecker:
    def __init__(self, types: Any, document: Any) -> None:
        self.types, self.document = types, document
        self.report = types.report
        self.raw = document.data["service_template"]
        nodes = self.raw.get("node_templates")
        self.nodes = nodes if isinstance(nodes, dict) else {}
        relationships = self.raw.get("relationship_templates")
        self.relationships = relationships if isinstance(relationships, dict) else {}
        self.filters = NodeFilters(self)

    def run(self) -> None:
        check_keys("topology_template", self.raw, V2_0, self.document, ROOT, self.report)
        for section in ("inputs", "outputs"):
            self.types.definitions(self.document, self.raw.get(section), ROOT + (section,),
                                   grammar="parameter_definition")
        for name, raw in self.nodes.items():
            self.node_template(name, raw)
        for name, raw in self.relationships.items():
            self.relationship_template(name, raw)
        self.groups()
        self.policies()
        self.substitution_mappings()
        self.workflows()
        self.references()

    def workflows(self) -> None:
        """Imperative workflows (13.2): steps on templates or groups, known activities, steps that exist."""
        section = self.raw.get("workflows")
        groups = self.raw.get("groups") if isinstance(self.raw.get("groups"), dict) else {}
        for name, raw in section.items() if isinstance(section, dict) else ():
            path = ROOT + ("workflows", name)
            if not check_keys("workflow", raw, V2_0, self.document, path, self.report):
                self.report("PT306", f"workflow {name!r} is a map of keynames", self.document, path)
                continue
            steps = raw.get("steps") if isinstance(raw.get("steps"), dict) else {}
            for step, definition in steps.items():
                self.workflow_step(section, steps, groups, definition, path + ("steps", step))

    def workflow_step(self, workflows: dict, steps: dict, groups: dict, raw: Any, path: tuple) -> None:
        if not check_keys("workflow_step", raw, V2_0, self.document, path, self.report):
            self.report("PT335", "a workflow step is a map with target and activities", self.document, path)
            return
        target = raw.get("target")
        if isinstance(target, str) and target not in self.nodes and target not in groups:
            self.report("PT335", f"step target {target!r} is neither a node template nor a group", self.document,
                        path + ("target",))
        for key in ("on_success", "on_failure"):
            names = raw.get(key) if isinstance(raw.get(key), list) else [raw.get(key)]
            for name in names:
                if name is not None and (not isinstance(name, str) or name not in steps):
                    self.report("PT335", f"{key} names {name!r}, which is not a step of this workflow", self.document,
                                path + (key,))
        for index, activity in enumerate(raw.get("activities") if isinstance(raw.get("activities"), list) else ()):
            kind = next(iter(activity)) if isinstance(activity, dict) and len(activity) == 1 else None
            if kind not in ACTIVITIES:
                self.report("PT335", "an activity is one of " + ", ".join(sorted(ACTIVITIES)), self.document,
                            path + ("activities", index))
            elif kind == "inline" and isinstance(_inlined(activity[kind]), str) \
                    and _inlined(activity[kind]) not in workflows:
                # a delegate names a workflow the orchestrator provides for the target (13.2.3.1): not checked
                self.report("PT335", f"inline names {_inlined(activity[kind])!r}, which is not a workflow of this "
                            "service template", self.document, path + ("activities", index, kind))

    def references(self) -> None:
        """$get_input names a declared input; $get_property and $get_attribute a template or SELF..."""
        inputs = self.raw.get("inputs") if isinstance(self.raw.get("inputs"), dict) else {}
        for call in calls(self.raw, ROOT):
            first = call.arguments[0] if call.arguments else None
            where = call.path + ("$" + call.name,)
            if call.name == "get_input" and isinstance(first, str) and first not in inputs:
                self.report("PT400", f"$get_input names {first!r}, which is not an input of the service template",
                            self.document, where, hint="declare it under service_template.inputs")
            elif call.name in ("get_property", "get_attribute", "get_artifact") and isinstance(first, str) \
                    and first not in ENTITIES and first not in self.nodes and first not in self.relationships:
                self.report("PT421", f"${call.name} names {first!r}, which is neither SELF, SOURCE, TARGET nor a "
                            "node or relationship template", self.document, where)
            elif call.name in ("get_property", "get_attribute") and len(call.arguments) >= 2:
                self.named_value(call, where)

    def named_value(self, call: Any, where: tuple) -> None:
        """[SELF or a node template, name, ...]: the name is a property (or, for
        $get_attribute, an attribute) of that node's type (10.2.1.2)."""
        first, name = call.arguments[0], call.arguments[1]
        node = first
        if first == "SELF" and call.path[1:2] == ("node_templates",) and len(call.path) > 2:
            node = call.path[2]
        raw = self.nodes.get(node) if isinstance(node, str) and first in ("SELF", node) else None
        if not isinstance(raw, dict) or not isinstance(name, str) or name in PATH_KEYWORDS:
            return
        found = self.types.scopes.find(self.document, "node_types", raw.get("type"))
        if found is None:
            return
        if "node_filter" in call.path:  # SELF there is the relationship or the candidate node (8.6)
            return
        sections = ("properties", "requirements", "capabilities") if call.name == "get_property" else \
            ("attributes", "properties", "requirements", "capabilities")  # a name may start a path through them
        if not any(name in self.types.scopes.merged("node_types", found, section) for section in sections):
            what = "property" if call.name == "get_property" else "attribute"
            self.report("PT422", f"${call.name}: {found.name!r} has no {what} {name!r}", self.document, where)

    def find(self, kind: str, name: Any, where: tuple) -> Found | None:
        return self.types.type_ref(self.document, kind, name, where)

    # -- node templates ------------------------------------------------------------------------
    def node_template(self, name: Any, raw: Any) -> None:
        path = ROOT + ("node_templates", name)
        if not self.types.good_name(name, self.document, path, "node template"):
            return
        if not isinstance(raw, dict):
            self.report("PT306", f"node template {name!r} is a map of keynames, not {type_word(raw)}",
                        self.document, path)
            return
        raw = self.copied(name, raw, self.nodes, "node template", path)
        if raw is None:
            return
        check_keys("node_template", raw, V2_0, self.document, path, self.report,
                   inherited={"type"} if "copy" in raw else frozenset())
        directives = raw.get("directives")
        if isinstance(directives, list):
            for index, directive in enumerate(directives):
                if directive not in ("create", "select", "substitute"):
                    self.report("PT306", f"unknown node template directive {directive!r}", self.document,
                                path + ("directives", index), hint="directives: create, select, substitute")
        count = raw.get("count")
        if count is not None and not _call(count) and _assigned_count({"count": count}) is None:
            self.report("PT306", "a node template's count is a non-negative integer", self.document,
                        path + ("count",))
        found = self.find("node_types", raw.get("type"), path + ("type",)) if "type" in raw else None
        if found is None:
            return
        self.assignments(found, "node_types", raw, path)
        if "select" not in (directives if isinstance(directives, list) else ()):
            self.required(found, "node_types", raw, path)
        self.requirements(found, raw.get("requirements"), path + ("requirements",))
        self.capabilities(found, raw.get("capabilities"), path + ("capabilities",))
        self.interfaces(found, "node_types", raw.get("interfaces"), path + ("interfaces",))

    def interfaces(self, found: Found, kind: str, value: Any, path: tuple) -> None:
        """Interfaces and operations a template assigns must be defined by its type."""
        defined = self.types.scopes.merged(kind, found, "interfaces")
        for name, raw in value.items() if isinstance(value, dict) else ():
            where = path + (name,)
            if name not in defined:
                self.report("PT336", f"{found.name!r} defines no interface {name!r}", self.document, where, key=True)
                continue
            operations = raw.get("operations") if isinstance(raw, dict) else None
            known = self.operations_of(*defined[name])
            for operation in operations if isinstance(operations, dict) and known is not None else ():
                if operation not in known:
                    self.report("PT336", f"interface {name!r} has no operation {operation!r}", self.document,
                                where + ("operations", operation), key=True)

    def operations_of(self, owner: Any, definition: Any) -> set | None:
        """The operations an interface definition has (its type's and its own); None when unknown."""
        if not isinstance(definition, dict):
            return None
        names = set(definition.get("operations") or ()) if isinstance(definition.get("operations"), dict) else set()
        interface = self.types.scopes.find(owner, "interface_types", definition.get("type"))
        if interface is None:
            return None
        return names | set(self.types.scopes.merged("interface_types", interface, "operations"))

    def copied(self, name: Any, raw: dict, templates: dict, what: str, path: tuple) -> dict | None:
        """A template with ``copy``: the source's keynames under its own (7.2: the
        source must not copy another); None when the source is not such a template."""
        source = raw.get("copy")
        if source is None:
            return raw
        copied = templates.get(source) if isinstance(source, str) else None
        if not isinstance(copied, dict) or "copy" in copied or source == name:
            self.report("PT332", f"{what} {name!r} copies {source!r}, which is not a {what} that does not copy "
                        "another", self.document, path + ("copy",))
            return None
        return {**copied, **raw}

    def assignments(self, found: Found, kind: str, raw: dict, path: tuple) -> None:
        """Property and attribute values against the type's definitions."""
        for section in ("properties", "attributes"):
            values = raw.get(section)
            if not isinstance(values, dict):
                continue
            defined = self.types.scopes.merged(kind, found, section)
            if section == "attributes":
                # 9.6: every property has an attribute of its name, which a template may assign (9.7)
                defined = {**self.types.scopes.merged(kind, found, "properties"), **defined}
            for key, value in values.items():
                where = path + (section, key)
                if key not in defined:
                    what = "property" if section == "properties" else "attribute"
                    self.report("PT506", f"{found.name!r} defines no {what} {key!r}", self.document, where, key=True)
                    continue
                owner, definition = defined[key]
                fixed = _fixed(definition) if section == "properties" else None
                if fixed is not None and fixed[0] != value:
                    # 9.5: a property whose definition fixes its value (value, or a one-line refinement)
                    self.report("PT340", f"property {key!r} of {found.name!r} has the fixed value {fixed[0]!r}: "
                                "it cannot be assigned another", self.document, where, severity=Severity.ERROR)
                if isinstance(definition, dict):
                    self.types.value(self.document, definition.get("type"), value, where, definition, scope=owner)
                    self.types.clause(self.document, definition.get("validation"), value, where,
                                      definition.get("type"), owner)

    def required(self, found: Found, kind: str, raw: dict, path: tuple) -> None:
        """Required properties without a default must be given a value (9.4)."""
        values = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
        for key, (_, definition) in self.types.scopes.merged(kind, found, "properties").items():
            if isinstance(definition, dict) and key not in values and definition.get("required", True) is True \
                    and "default" not in definition and "value" not in definition:
                self.report("PT505", f"{found.name!r} needs a value for property {key!r}", self.document,
                            path + ("properties",) if "properties" in raw else path, key=True)

    def requirements(self, found: Found, value: Any, path: tuple) -> None:
        if not isinstance(value, list):
            return
        defined = self.types.scopes.merged("node_types", found, "requirements")
        self.count_ranges(found, defined, value, path)
        for index, item in enumerate(value):
            where = path + (index,)
            if not isinstance(item, dict) or len(item) != 1:
                self.report("PT306", "a requirement assignment is a map of one name to its assignment",
                            self.document, where)
                continue
            name, raw = next(iter(item.items()))
            where = where + (name,)
            if name not in defined:
                self.report("PT322", f"{found.name!r} defines no requirement {name!r}", self.document, where,
                            key=True)
                continue
            wanted = defined[name]
            if isinstance(raw, (str, list)):
                self.target(raw, where, wanted)
                self.filters.check(path[2], name, raw, wanted, where)
                continue
            if not check_keys("requirement_assignment", raw, V2_0, self.document, where, self.report):
                self.report("PT306", f"requirement {name!r} is assigned a node template name or a map of "
                            "keynames", self.document, where)
                continue
            if "node" in raw:
                self.target(raw["node"], where + ("node",), wanted)
            self.narrowed(raw, wanted, where)
            self.directives(raw.get("directives"), where + ("directives",))
            if isinstance(raw.get("allocation"), dict):
                self.allocation(raw, wanted, where)
            self.filters.check(path[2], name, raw, wanted, where)
            relationship = raw.get("relationship")
            kind = relationship.get("type") if isinstance(relationship, dict) else relationship
            if isinstance(kind, str) and kind not in self.relationships:
                self.find("relationship_types", kind, where + ("relationship",)
                          + (("type",) if isinstance(relationship, dict) else ()))
            count = raw.get("count")
            if count is not None and not _call(count) and not (
                    isinstance(count, int) and not isinstance(count, bool) and count >= 0):
                self.report("PT306", "a requirement's count is a non-negative integer", self.document,
                            where + ("count",))

    def narrowed(self, raw: dict, wanted: tuple, where: tuple) -> None:
        """8.5.2: the capability an assignment names (a type, or a capability of the named node
        template) and its relationship (a type, or a relationship template's type) are the
        definition's or derive from them."""
        owner, definition = wanted
        if not isinstance(definition, dict):
            return
        capability = raw.get("capability")
        wanted_capability = self.types.scopes.find(owner, "capability_types", definition.get("capability"))
        if isinstance(capability, str) and wanted_capability is not None:
            given = self.types.scopes.find(self.document, "capability_types", capability) \
                or self.capability_of(raw.get("node"), capability)
            if given is not None and not self.derives("capability_types", given, wanted_capability):
                self.report("PT323", f"capability {capability!r} is a {given.name}, not a "
                            f"{wanted_capability.name} as the requirement's definition asks", self.document,
                            where + ("capability",), severity=Severity.ERROR)
        relationship = raw.get("relationship")
        written = relationship.get("type") if isinstance(relationship, dict) else relationship
        template = self.relationships.get(written) if isinstance(written, str) else None
        if isinstance(template, dict) and self.types.scopes.find(self.document, "relationship_types", written) is None:
            written = template.get("type")
        wanted_relationship = definition.get("relationship")
        wanted_relationship = wanted_relationship.get("type") if isinstance(wanted_relationship, dict) \
            else wanted_relationship
        given = self.types.scopes.find(self.document, "relationship_types", written)
        parent = self.types.scopes.find(owner, "relationship_types", wanted_relationship)
        if given is not None and parent is not None and not self.derives("relationship_types", given, parent):
            self.report("PT323", f"relationship {given.name!r} does not derive from {parent.name!r}, the "
                        "relationship of the requirement's definition", self.document, where + ("relationship",),
                        severity=Severity.ERROR)

    def capability_of(self, node: Any, name: str) -> Found | None:
        """The type of the capability ``name`` of the node template ``node``."""
        raw = self.nodes.get(node) if isinstance(node, str) else None
        found = self.types.scopes.find(self.document, "node_types", raw.get("type")) if isinstance(raw, dict) else None
        if found is None:
            return None
        owner, definition = self.types.scopes.merged("node_types", found, "capabilities").get(name, (None, None))
        kind = definition.get("type") if isinstance(definition, dict) else definition
        return self.types.scopes.find(owner, "capability_types", kind) if owner is not None else None

    def derives(self, kind: str, found: Found, parent: Found) -> bool:
        return any((id(c.document), c.name) == (id(parent.document), parent.name)
                   for c in self.types.scopes.chain(kind, found))

    def directives(self, value: Any, where: tuple) -> None:
        """Requirement and capability directives: internal or external (8.3, 8.5.2)."""
        for index, directive in enumerate(value if isinstance(value, list) else ()):
            if directive not in ("internal", "external"):
                self.report("PT306", f"unknown directive {directive!r}", self.document, where + (index,),
                            hint="directives here: internal, external")

    def count_ranges(self, found: Found, defined: dict, value: list, path: tuple) -> None:
        """A requirement whose assignments' counts add up to more than the upper bound of
        its count_range (8.5.4: each assignment counts 1 unless it says otherwise); a count
        known only at deployment (an input) leaves the sum undecided."""
        seen: dict[Any, list[int]] = {}
        for index, item in enumerate(value):
            if isinstance(item, dict) and len(item) == 1:
                seen.setdefault(next(iter(item)), []).append(index)
        for name, indexes in seen.items():
            definition = defined.get(name, (None, None))[1]
            bounds = definition.get("count_range") if isinstance(definition, dict) else None
            upper = bounds[1] if isinstance(bounds, list) and len(bounds) == 2 else None
            if not isinstance(upper, int) or isinstance(upper, bool):
                continue
            total = 0
            for index in indexes:
                count = _assigned_count(value[index][name])
                if count is None:
                    break
                total += count
                if total > upper:
                    self.report("PT327", f"requirement {name!r} of {found.name!r} is assigned {total} times; its "
                                f"count_range allows at most {upper}", self.document, path + (index, name), key=True)
                    break

    def target(self, value: Any, where: tuple, wanted: tuple = (None, None)) -> None:
        """A requirement's node: a node template, [template, index], or a node type;
        a template's type must be the node type the definition asks for (8.4: node)."""
        name = value[0] if isinstance(value, list) and len(value) == 2 else value
        if not isinstance(name, str):
            self.report("PT306", "a requirement's node is a node template or type name, or [template, index]",
                        self.document, where)
            return
        if name in self.nodes:
            self.target_type(self.nodes[name], wanted, where)
        elif self.types.scopes.find(self.document, "node_types", name) is None:
            self.report("PT320", f"no node template or node type {name!r}", self.document, where)

    def target_type(self, template: Any, wanted: tuple, where: tuple) -> None:
        owner, definition = wanted
        node = definition.get("node") if isinstance(definition, dict) else None
        required = self.types.scopes.find(owner, "node_types", node) if owner is not None else None
        found = self.types.scopes.find(self.document, "node_types", template.get("type")) \
            if isinstance(template, dict) else None
        if required is None or found is None:
            return
        if not any(c.document is required.document and c.name == required.name
                   for c in self.types.scopes.chain("node_types", found)):
            self.report("PT323", f"the target is a {found.name!r}; the requirement asks for a {node!r}",
                        self.document, where, severity=Severity.ERROR)

    def allocation(self, raw: dict, wanted: tuple, where: tuple) -> None:
        """Each allocated name is a property of the target capability, of a type that can be summed (8.5.5)."""
        capabilities = self.target_capabilities(raw, wanted)
        if not capabilities:
            return  # the target or its capability is not known here: other rules say so
        for name in raw["allocation"]:
            kinds = [self.property_kind(capability, name) for capability in capabilities]
            if all(kind is None for kind in kinds):
                names = ", ".join(sorted({c[0] for c in capabilities}))
                # 8.5.5 calls such an allocation statement invalid: it cannot be honoured. The
                # standard's own conformance cases accept templates that hold one, so it warns.
                self.report("PT341", f"allocation {name!r}: the target capability ({names}) has no property "
                            f"{name!r}, so this allocation cannot be honoured", self.document,
                            where + ("allocation", name), key=True, severity=Severity.WARNING,
                            hint="allocate only properties of the target capability (8.5.5)")
            elif not any(kind in ("integer", "float", "scalar") for kind in kinds):
                self.report("PT341", f"allocation {name!r}: the property is not an integer, float or scalar, "
                            "so nothing can be allocated from it", self.document, where + ("allocation", name),
                            key=True)

    def target_capabilities(self, raw: dict, wanted: tuple) -> list[tuple[str, Any, Any]]:
        """(name, definition's file, definition) of each capability of the target node that can
        serve the requirement: the one named, or those of the capability type asked for."""
        owner, definition = wanted
        definition = definition if isinstance(definition, dict) else {"capability": definition}
        node = raw.get("node", definition.get("node"))
        node = node[0] if isinstance(node, list) and node else node
        where_named = self.document if "node" in raw else owner
        if isinstance(node, str) and node in self.nodes and isinstance(self.nodes[node], dict):
            node, where_named = self.nodes[node].get("type"), self.document
        target = self.types.scopes.find(where_named, "node_types", node) if where_named is not None else None
        asked = raw.get("capability", definition.get("capability"))
        if target is None or not isinstance(asked, str):
            return []
        offered = self.types.scopes.merged("node_types", target, "capabilities")
        if asked in offered:
            return [(asked, *offered[asked])]
        wanted_type = self.types.scopes.find(self.document if "capability" in raw else owner, "capability_types",
                                             asked)
        if wanted_type is None:
            return []
        return [(name, document, found) for name, (document, found) in offered.items()
                if self.capability_is(document, found, wanted_type)]

    def capability_is(self, document: Any, definition: Any, wanted: Found) -> bool:
        kind = definition.get("type") if isinstance(definition, dict) else definition
        found = self.types.scopes.find(document, "capability_types", kind)
        return found is not None and any(c.document is wanted.document and c.name == wanted.name
                                         for c in self.types.scopes.chain("capability_types", found))

    def property_kind(self, capability: tuple, name: str) -> str | None:
        """The built-in type a capability's property comes down to ("" when it is none of
        integer, float, scalar), or None when the capability has no such property."""
        properties = self.capability_properties(capability)
        if name not in properties:
            return None
        owner, prop = properties[name]
        data = prop.get("type") if isinstance(prop, dict) else None
        found = self.types.scopes.find(owner, "data_types", data)
        base = self.types.scopes.parent_name("data_types", found) if found is not None else data
        return base if base in ("integer", "float", "scalar") else ""

    def capability_properties(self, capability: tuple) -> dict[str, tuple[Any, Any]]:
        """A node type's capability's property definitions: its type's, refined by the capability
        definition (name -> (file, merged definition))."""
        _, document, definition = capability
        kind = definition.get("type") if isinstance(definition, dict) else definition
        found = self.types.scopes.find(document, "capability_types", kind)
        defined = dict(self.types.scopes.merged("capability_types", found, "properties")) if found else {}
        refined = definition.get("properties") if isinstance(definition, dict) else None
        for name, refinement in refined.items() if isinstance(refined, dict) else ():
            refinement = refinement if isinstance(refinement, dict) else {"value": refinement}
            before = defined.get(name, (document, {}))[1]
            defined[name] = (document, {**before, **refinement} if isinstance(before, dict) else refinement)
        return defined

    def capabilities(self, found: Found, value: Any, path: tuple) -> None:
        if not isinstance(value, dict):
            return
        defined = self.types.scopes.merged("node_types", found, "capabilities")
        for name, raw in value.items():
            where = path + (name,)
            if name not in defined:
                self.report("PT337", f"{found.name!r} defines no capability {name!r}", self.document, where,
                            key=True)
                continue
            if not check_keys("capability_assignment", raw, V2_0, self.document, where, self.report):
                continue
            self.directives(raw.get("directives"), where + ("directives",))
            owner, definition = defined[name]
            kind = definition.get("type") if isinstance(definition, dict) else definition
            capability = self.types.scopes.find(owner, "capability_types", kind)
            if capability is not None:
                self.assignments(capability, "capability_types", raw, where)

    # -- other templates -----------------------------------------------------------------------
    def relationship_template(self, name: Any, raw: Any) -> None:
        path = ROOT + ("relationship_templates", name)
        if not isinstance(raw, dict):
            self.report("PT306", f"relationship template {name!r} is a map of keynames", self.document, path)
            return
        raw = self.copied(name, raw, self.relationships, "relationship template", path)
        if raw is None:
            return
        check_keys("relationship_template", raw, V2_0, self.document, path, self.report,
                   inherited={"type"} if "copy" in raw else frozenset())
        found = self.find("relationship_types", raw.get("type"), path + ("type",)) if "type" in raw else None
        if found is not None:
            self.assignments(found, "relationship_types", raw, path)

    def groups(self) -> None:
        section = self.raw.get("groups")
        if not isinstance(section, dict):
            return
        for name, raw in section.items():
            path = ROOT + ("groups", name)
            if not check_keys("group", raw, V2_0, self.document, path, self.report):
                self.report("PT306", f"group {name!r} is a map of keynames", self.document, path)
                continue
            group_type = self.find("group_types", raw.get("type"), path + ("type",))
            # 16.2: members are node templates or (other) groups of the service template
            self.members(raw.get("members"), path + ("members",), {g: v for g, v in section.items() if g != name})
            if group_type is not None:
                self.member_types(group_type, raw.get("members"), path + ("members",))

    def policies(self) -> None:
        section = self.raw.get("policies")
        if not isinstance(section, list):
            return
        for index, item in enumerate(section):
            path = ROOT + ("policies", index)
            if not isinstance(item, dict) or len(item) != 1:
                self.report("PT306", "a policy is a map of one name to its definition", self.document, path)
                continue
            name, raw = next(iter(item.items()))
            path = path + (name,)
            if any(isinstance(i, dict) and name in i for i in section[:index]):  # 6.9.1: template names are unique
                self.report("PT338", f"a policy named {name!r} is defined above", self.document, path, key=True)
            if not check_keys("policy", raw, V2_0, self.document, path, self.report):
                self.report("PT306", f"policy {name!r} is a map of keynames", self.document, path)
                continue
            self.find("policy_types", raw.get("type"), path + ("type",))
            self.types.triggers(self.document, raw.get("triggers"), path + ("triggers",))
            groups = self.raw.get("groups") if isinstance(self.raw.get("groups"), dict) else {}
            self.members(raw.get("targets"), path + ("targets",), groups)

    def members(self, value: Any, path: tuple, groups: dict | None = None) -> None:
        if not isinstance(value, list):
            return
        for index, member in enumerate(value):
            if not isinstance(member, str) or member not in self.nodes and member not in (groups or {}):
                self.report("PT333", f"{member!r} is not a node template{' or group' if groups is not None else ''}",
                            self.document, path + (index,))

    def member_types(self, group_type: Found, members: Any, path: tuple) -> None:
        """Each member's node type derives from one of the group type's members (16.2)."""
        allowed = next((e.raw["members"] for e in self.types.scopes.chain("group_types", group_type)
                        if isinstance(e.raw, dict) and isinstance(e.raw.get("members"), list)), None)
        if not allowed or not isinstance(members, list):
            return
        wanted = [self.types.scopes.find(group_type.document, "node_types", name) for name in allowed]
        for index, member in enumerate(members):
            raw = self.nodes.get(member) if isinstance(member, str) else None
            found = self.types.scopes.find(self.document, "node_types", raw.get("type")) \
                if isinstance(raw, dict) else None
            if found is None:
                continue
            chain = {(id(c.document), c.name) for c in self.types.scopes.chain("node_types", found)}
            if not any(w is not None and (id(w.document), w.name) in chain for w in wanted):
                self.report("PT333", f"{member!r} is a {found.name!r}, not one of the group type's members "
                            f"({', '.join(map(str, allowed))})", self.document, path + (index,))

    def substitution_mappings(self) -> None:
        if "substitution_mappings" not in self.raw:
            return
        raw = self.raw["substitution_mappings"]
        path = ROOT + ("substitution_mappings",)
        if raw is None:
            return  # reported as a value of the wrong shape
        if not check_keys("substitution_mappings", raw, V2_0, self.document, path, self.report):
            return
        found = self.find("node_types", raw.get("node_type"), path + ("node_type",)) if "node_type" in raw else None
        inputs = self.raw.get("inputs") if isinstance(self.raw.get("inputs"), dict) else {}
        properties = raw.get("properties")
        for name, value in properties.items() if isinstance(properties, dict) else ():
            target = value[0] if isinstance(value, list) and len(value) == 1 else value
            if isinstance(target, str) and target not in inputs:
                self.report("PT334", f"property {name!r} is mapped to {target!r}, which is not an input",
                            self.document, path + ("properties", name))
        capabilities = raw.get("capabilities")
        for name, value in capabilities.items() if isinstance(capabilities, dict) else ():
            self.mapped(value, "capabilities", path + ("capabilities", name))
        requirements = raw.get("requirements")
        for index, item in enumerate(requirements if isinstance(requirements, list) else ()):
            if isinstance(item, dict) and len(item) == 1:
                key, value = next(iter(item.items()))
                pairs = requirement_targets(value, self.nodes)
                for position, pair in enumerate(pairs):
                    self.mapped(pair, "requirements", path + ("requirements", index, key)
                                + ((position,) if len(pairs) > 1 else ()))
        if found is not None:
            self.mapped_names(found, raw, path)

    def mapped_names(self, found: Found, raw: dict, path: tuple) -> None:
        """What a mapping maps must be a property, capability or requirement of its node_type."""
        for section in ("properties", "capabilities", "requirements"):
            defined = self.types.scopes.merged("node_types", found, section)
            written = raw.get(section)
            if isinstance(written, dict):
                names = [(name, (section, name)) for name in written]
            elif isinstance(written, list):
                names = [(next(iter(i)), (section, index, next(iter(i)))) for index, i in enumerate(written)
                         if isinstance(i, dict) and len(i) == 1]
            else:
                continue
            for name, where in names:
                if isinstance(name, ComplexKey) and isinstance(name.value, list) and name.value:
                    if section == "properties" and name.value[0] in ("CAPABILITY", "RELATIONSHIP"):
                        self.mapped_through(found, name.value, path + where)  # 15.2
                        continue
                    name = name.value[0]  # [ name, UNBOUNDED ] or [ name, 2 ] as a key (15.5.1, 15.5.5)
                if name not in defined:
                    what = {"properties": "property", "capabilities": "capability"}.get(section, "requirement")
                    self.report("PT334", f"node type {found.name!r} has no {what} {name!r}", self.document,
                                path + where, key=True)

    def mapped_through(self, found: Found, key: list, where: tuple) -> None:
        """A property mapped through a capability or a requirement's relationship (15.2):
        ``[CAPABILITY, capability, property]`` or ``[RELATIONSHIP, requirement, (index,) property]``."""
        section = "capabilities" if key[0] == "CAPABILITY" else "requirements"
        if len(key) < 3 or not isinstance(key[1], str):
            self.report("PT334", f"a property mapped through a {section[:-1]} is [{key[0]}, name, ..., property]",
                        self.document, where, key=True)
        elif key[1] not in self.types.scopes.merged("node_types", found, section):
            what = "capability" if section == "capabilities" else "requirement"
            self.report("PT334", f"node type {found.name!r} has no {what} {key[1]!r}", self.document, where,
                        key=True)

    def mapped(self, value: Any, section: str, where: tuple) -> None:
        """A [node template, capability or requirement] mapping target; a requirement may also
        be mapped to a selectable node template by its name (15.5)."""
        if section == "requirements" and isinstance(value, str):
            if value not in self.nodes:
                self.report("PT334", f"{value!r} is not a node template of the service template", self.document,
                            where)
            return
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            self.report("PT334", f"a mapping of {section} is [node template, name]", self.document, where)
            return
        node, name = value
        raw = self.nodes.get(node)
        if not isinstance(raw, dict):
            self.report("PT334", f"{node!r} is not a node template of the service template", self.document, where)
            return
        found = self.types.scopes.find(self.document, "node_types", raw.get("type"))
        if found is not None and name not in self.types.scopes.merged("node_types", found, section):
            self.report("PT334", f"node template {node!r} has no {section[:-1]} {name!r}", self.document, where)


def requirement_targets(value: Any, nodes: dict) -> list:
    """The targets of one requirement mapping (15.5): a [node template, requirement] pair, a
    selectable node template's name, or a list of these. A list of names only is a list of
    selectable node templates unless it reads as a pair: two names of which the second is
    not a node template with the ``select`` directive."""
    if not isinstance(value, list):
        return [value]
    if any(isinstance(v, list) for v in value):
        return value
    names = all(isinstance(v, str) and v in nodes for v in value)
    if names and (len(value) != 2 or _selectable(nodes.get(value[1]))):
        return value
    return [value]


def _selectable(raw: Any) -> bool:
    directives = raw.get("directives") if isinstance(raw, dict) else None
    return isinstance(directives, list) and "select" in directives


def _call(value: Any) -> bool:
    return type(value) is dict and len(value) == 1 and str(next(iter(value))).startswith("$")


def _fixed(definition: Any) -> tuple | None:
    """(value,) when a merged property definition fixes the value; None otherwise."""
    if isinstance(definition, dict):
        return (definition["value"],) if "value" in definition else None
    return (definition,)


def _assigned_count(assignment: Any) -> int | None:
    """How many relationships a requirement assignment asks for: its count, 1 when it has
    none (8.5.1); None when the count is a call or not a count."""
    count = assignment.get("count", 1) if isinstance(assignment, dict) else 1
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def _inlined(activity: Any) -> Any:
    """The workflow an inline activity names: ``inline: w`` or ``inline: {workflow: w}`` (13.2.3.4)."""
    return activity.get("workflow") if isinstance(activity, dict) else activity
