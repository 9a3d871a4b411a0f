"""The sections of a topology template besides node templates, rendered:
inputs (with supplied values), outputs, relationship templates, groups,
policies, substitution mappings and workflows (TOSCA 1.3, 3.9)."""

from __future__ import annotations

from typing import Any, Callable

from ..diagnostics import close_matches
from ..records import field, record
from ..typesystem import Types
from ..typesystem.keynames import check_keys
from ..typesystem.model import PropertyDef, Type
from .nodes import INTERFACE_ALIASES, NodeRenderer, NodeTemplate, Operation

Report = Callable[..., None]
TOPOLOGY = ("topology_template",)
INPUTS = TOPOLOGY + ("inputs",)
MISSING = object()
ACTIVITIES = frozenset({"delegate", "set_state", "call_operation", "inline"})


@record
class InputParameter:
    name: str
    definition: PropertyDef | None
    path: tuple
    document: Any
    supplied: bool = False
    value: Any = MISSING  # the supplied value, else the default, else MISSING


@record
class RelationshipTemplate:
    name: str
    type: str | None
    type_def: Type | None
    properties: dict
    written: set
    interfaces: dict[str, dict[str, Operation]]
    path: tuple
    raw: dict


@record
class Group:
    name: str
    type: str | None
    type_def: Type | None
    members: list[str]
    properties: dict
    path: tuple


@record
class PolicyTemplate:
    name: str
    type: str | None
    type_def: Type | None
    targets: list[str]  # as written: node templates and groups
    properties: dict  # defaults, then the written values (unevaluated)
    written: set
    path: tuple
    raw: dict = field(default_factory=dict)


class SectionRenderer:
    def __init__(self, types: Types, report: Report, document_of: Callable[[tuple], Any], nodes: NodeRenderer):
        self.types = types
        self.report = report
        self.document_of = document_of
        self.nodes = nodes
        self.version = types.version

    def _keys(self, construct: str, raw: Any, path: tuple, **kwargs: Any) -> bool:
        return check_keys(construct, raw, self.version, self.document_of(path), path, self.report, **kwargs)

    def _typed(self, kind: str, rule: str, written: Any, path: tuple) -> Type | None:
        if not isinstance(written, str):
            return None
        found = self.types.find(kind, written)
        if found is None:
            self.report(rule, f"unknown {kind[:-6].replace('_', ' ')} type {written!r}", self.document_of(path),
                        path + ("type",), hint=self.types.system.suggestion(kind, written))
        return found

    # -- inputs -------------------------------------------------------------------------------------

    def inputs(self, section: dict, supplied: dict | None) -> dict[str, InputParameter]:
        found: dict[str, InputParameter] = {}
        definitions = self.types.definitions
        for name, raw in section.items():
            if not isinstance(name, str):
                continue
            path = INPUTS + (name,)
            document = self.document_of(path)
            if isinstance(raw, dict):
                self._keys("parameter_definition", raw, path)
            definition = definitions.property_def(name, raw if isinstance(raw, dict) else {}, document, path,
                                                  None, self.report, None, "inputs") if isinstance(raw, dict) else None
            if not isinstance(raw, dict):
                self.report("PT306", f"input {name!r} must be a definition (a map with `type`)", document, path)
            parameter = InputParameter(name, definition, path, document)
            if definition is not None and definition.has_default and definition.default is not None:
                self.types.values.check(definition.default, definition.schema, document, path + ("default",),
                                        f"default of input {name!r}")
                parameter.value = definition.default
            if supplied is not None and name in supplied:
                parameter.supplied, parameter.value = True, supplied[name]
                if definition is not None:
                    self.types.values.check(supplied[name], definition.schema, _KeyPlace(document), path,
                                            f"supplied value of input {name!r}")
            found[name] = parameter
        if supplied is not None:
            self._supplied(found, supplied)
        return found

    def _supplied(self, found: dict[str, InputParameter], supplied: dict) -> None:
        """PT401 and PT403: only when values were supplied, since a template is
        normally validated before anyone picks its inputs."""
        document = self.document_of(INPUTS)
        for name, parameter in found.items():
            definition = parameter.definition
            if not parameter.supplied and (definition is None or definition.required) and (
                    definition is None or not definition.has_default or definition.default is None):
                self.report("PT401", f"required input {name!r} has no default and was not supplied",
                            parameter.document, parameter.path, key=True,
                            hint=f"supply it with -i {name}=VALUE or in an --inputs file")
        for name in supplied:
            if name not in found:
                close = close_matches(str(name), list(found))
                self.report("PT403", f"supplied input {name!r} is not declared by the template", document, INPUTS,
                            key=True, hint=f"did you mean {close[0]!r}?" if close else
                            "declared inputs: " + (", ".join(found) or "none"))

    # -- outputs ------------------------------------------------------------------------------------

    def outputs(self, section: dict) -> dict[str, dict]:
        found = {}
        for name, raw in section.items():
            path = TOPOLOGY + ("outputs", name)
            if not isinstance(raw, dict):
                self.report("PT306", f"output {name!r} must be a map with `value`", self.document_of(path), path)
                continue
            self._keys("parameter_definition", raw, path)
            if "value" not in raw:
                self.report("PT305", f"output {name!r} needs 'value'", self.document_of(path), path, key=True)
            if raw.get("type") is not None:
                definition = self.types.definitions.property_def(name, raw, self.document_of(path), path, None,
                                                                 self.report, None, "outputs")
                if "value" in raw:
                    self.types.values.check(raw["value"], definition.schema, self.document_of(path),
                                            path + ("value",), f"output {name!r}")
            found[name] = raw
        return found

    # -- relationship templates ------------------------------------------------------------------------

    def relationship_templates(self, section: dict) -> dict[str, RelationshipTemplate]:
        found = {}
        for name, raw in section.items():
            path = TOPOLOGY + ("relationship_templates", name)
            document = self.document_of(path)
            if not self._keys("relationship_template", raw, path):
                self.report("PT306", f"relationship template {name!r} must be a map", document, path)
                continue
            typedef = self._typed("relationship_types", "PT312", raw.get("type"), path)
            definitions = self.types.definitions.properties(typedef) if typedef else {}
            properties, written = self.nodes.assign(definitions, raw.get("properties"), document,
                                                    path + ("properties",), f"relationship template {name!r}: property",
                                                    typedef)
            interfaces = self.nodes.interfaces(typedef, raw.get("interfaces"), document, path,
                                               f"relationship template {name!r}")
            found[name] = RelationshipTemplate(name, typedef.name if typedef else raw.get("type"), typedef,
                                               properties, written, interfaces, path, raw)
        return found

    # -- groups and policies ----------------------------------------------------------------------------

    def groups(self, section: dict, nodes: dict[str, NodeTemplate]) -> dict[str, Group]:
        found = {}
        for name, raw in section.items():
            path = TOPOLOGY + ("groups", name)
            document = self.document_of(path)
            if not self._keys("group", raw, path):
                self.report("PT306", f"group {name!r} must be a map", document, path)
                continue
            typedef = self._typed("group_types", "PT316", raw.get("type"), path)
            members = [m for m in raw.get("members") or [] if isinstance(m, str)] \
                if isinstance(raw.get("members"), list) else []
            allowed = _type_list(typedef, "members")
            for index, member in enumerate(raw.get("members") or [] if isinstance(raw.get("members"), list) else []):
                self._member(member, nodes, allowed, document, path + ("members", index), f"group {name!r}", {})
            definitions = self.types.definitions.properties(typedef) if typedef else {}
            properties, _ = self.nodes.assign(definitions, raw.get("properties"), document, path + ("properties",),
                                              f"group {name!r}: property", typedef)
            found[name] = Group(name, typedef.name if typedef else raw.get("type"), typedef, members, properties, path)
        return found

    def _member(self, member: Any, nodes: dict[str, NodeTemplate], allowed: list[str] | None, document: Any,
                path: tuple, owner: str, groups: dict, what: str = "member") -> None:
        if not isinstance(member, str):
            self.report("PT306", f"a {what} is a node template's name", document, path)
            return
        node = nodes.get(member)
        if node is None and member not in groups:
            close = close_matches(member, list(nodes))
            self.report("PT333", f"{owner} names {what} {member!r}, which is not a node template"
                        + (" or group" if what == "target" else ""), document, path,
                        hint=f"did you mean {close[0]!r}?" if close else None)
            return
        member_type = node.type_def if node is not None else getattr(groups.get(member), "type_def", None)
        if allowed and member_type is not None and not any(member_type.is_a(self._resolve(t)) for t in allowed):
            self.report("PT333", f"{owner}: {what} {member!r} is a {member_type.name}, not one of "
                        f"{', '.join(allowed)}", document, path)

    def _resolve(self, name: str) -> Type | str:
        return self.types.find("node_types", name) or self.types.find("group_types", name) or name

    def policies(self, section: Any, nodes: dict[str, NodeTemplate], groups: dict[str, Group]) -> list[PolicyTemplate]:
        found = []
        for name, raw, path in policy_items(section):
            document = self.document_of(path)
            if not self._keys("policy", raw, path):
                self.report("PT306", f"policy {name!r} must be a map", document, path)
                continue
            typedef = self._typed("policy_types", "PT317", raw.get("type"), path)
            allowed = _type_list(typedef, "targets")
            targets = raw.get("targets") if isinstance(raw.get("targets"), list) else []
            for index, target in enumerate(targets):
                self._member(target, nodes, allowed, document, path + ("targets", index), f"policy {name!r}",
                             groups, "target")
            triggers = raw.get("triggers")
            if isinstance(triggers, dict):
                for trigger, body in triggers.items():
                    self._keys("trigger", body, path + ("triggers", trigger))
            definitions = self.types.definitions.properties(typedef) if typedef else {}
            properties, written = self.nodes.assign(definitions, raw.get("properties"), document,
                                                    path + ("properties",), f"policy {name!r}: property", typedef)
            found.append(PolicyTemplate(name, typedef.name if typedef else raw.get("type"), typedef,
                                        [t for t in targets if isinstance(t, str)], properties, written, path, raw))
        if section is not None and not isinstance(section, (list, dict)):
            path = TOPOLOGY + ("policies",)
            self.report("PT306", "policies must be a list of one-name maps", self.document_of(path), path)
        return found

    # -- substitution mappings and workflows ------------------------------------------------------------------

    def substitution(self, raw: Any, nodes: dict[str, NodeTemplate] | None, inputs: dict,
                     document: Any = None) -> None:
        """A substitution mapping: of the template (``nodes`` its rendered node
        templates) or of an imported template that implements a node type
        (``document`` that file; only what does not need its nodes is checked)."""
        path = TOPOLOGY + ("substitution_mappings",)
        if raw is None:
            return
        document = document or self.document_of(path)
        if not check_keys("substitution_mappings", raw, self.version, document, path, self.report):
            self.report("PT306", "substitution_mappings must be a map", document, path)
            return
        node_type = None
        if isinstance(raw.get("node_type"), str):
            node_type = self.types.find("node_types", raw["node_type"])
            if node_type is None:
                self.report("PT310", f"unknown node type {raw['node_type']!r}", document, path + ("node_type",),
                            hint=self.types.system.suggestion("node_types", raw["node_type"]))
        self._substitution_filter(raw.get("substitution_filter"), document, path + ("substitution_filter",))
        for section, kind in (("capabilities", "capability"), ("requirements", "requirement")):
            mapping = raw.get(section)
            if isinstance(mapping, dict) and nodes is not None:
                for name, target in mapping.items():
                    self._mapped(name, target, kind, node_type, nodes, document, path + (section, name))
        properties = raw.get("properties")
        if isinstance(properties, dict) and node_type is not None:
            self._mapped_properties(properties, node_type, inputs, document, path)
        elif properties is None and node_type is not None:
            self._implicit_properties(node_type, inputs, document, path)

    def _mapped_properties(self, properties: dict, node_type: Type, inputs: dict, document: Any, path: tuple) -> None:
        known = self.types.definitions.properties(node_type)
        for name, target in properties.items():
            where = path + ("properties", name)
            if name not in known:
                self.report("PT334", f"substitution maps property {name!r}, which {node_type.name} does not "
                            "define", document, where, key=True)
            elif isinstance(target, list) and len(target) == 1 and isinstance(target[0], str) \
                    and target[0] not in inputs:
                self.report("PT334", f"property {name!r} is mapped to input {target[0]!r}, which is not declared",
                            document, where)

    def _implicit_properties(self, node_type: Type, inputs: dict, document: Any, path: tuple) -> None:
        """Without ``properties``, the node type's properties are the
        template's inputs of the same names (TOSCA 1.0's convention, which
        tosca-parser enforces): a required one without a default needs an input."""
        for name, definition in self.types.definitions.properties(node_type).items():
            if definition.required and not definition.has_default and name not in inputs:
                self.report("PT334", f"{node_type.name} requires property {name!r}, and no input of that name "
                            "provides it to this substituting template", document, path + ("node_type",),
                            hint=f"declare input {name!r}, or map the property under `properties:`")

    def _substitution_filter(self, value: Any, document: Any, path: tuple) -> None:
        """A node filter (TOSCA 1.3, 3.8.10); tosca-parser's spelling wraps it
        in ``node_filter:``, which is read the same."""
        if isinstance(value, dict) and set(value) == {"node_filter"}:
            value, path = value["node_filter"], path + ("node_filter",)
        self.nodes.node_filter(value, document, path)

    def _mapped(self, name: Any, target: Any, kind: str, node_type: Type | None, nodes: dict[str, NodeTemplate],
                document: Any, path: tuple) -> None:
        if node_type is not None:
            owned = (self.types.definitions.capabilities(node_type) if kind == "capability"
                     else self.types.definitions.requirements(node_type))
            if name not in owned:
                self.report("PT334", f"substitution maps {kind} {name!r}, which {node_type.name} does not define",
                            document, path, key=True)
        if not (isinstance(target, list) and len(target) == 2 and all(isinstance(t, str) for t in target)):
            self.report("PT334", f"a mapped {kind} is [node template, {kind} name]", document, path)
            return
        node = nodes.get(target[0])
        if node is None:
            self.report("PT334", f"{target[0]!r} is not a node template", document, path + (0,))
            return
        names = node.capabilities if kind == "capability" else node.requirement_defs
        if node.type_def is not None and target[1] not in names:
            self.report("PT334", f"node template {target[0]!r} has no {kind} {target[1]!r}", document, path + (1,))

    def workflows(self, section: dict, nodes: dict[str, NodeTemplate], groups: dict) -> None:
        for name, raw in section.items():
            path = TOPOLOGY + ("workflows", name)
            document = self.document_of(path)
            if not self._keys("workflow", raw, path):
                self.report("PT306", f"workflow {name!r} must be a map", document, path)
                continue
            steps = raw.get("steps") if isinstance(raw.get("steps"), dict) else {}
            for step, body in steps.items():
                self._step(step, body, steps, nodes, groups, document, path + ("steps", step), section)

    def _step(self, name: Any, body: Any, steps: dict, nodes: dict, groups: dict, document: Any, path: tuple,
              workflows: dict) -> None:
        if not self._keys("workflow_step", body, path):
            self.report("PT335", f"workflow step {name!r} must be a map with target and activities", document, path)
            return
        target = body.get("target")
        if isinstance(target, str) and target not in nodes and target not in groups:
            self.report("PT335", f"step {name!r} targets {target!r}, which is not a node template or group",
                        document, path + ("target",))
        for key in ("on_success", "on_failure"):
            following = body.get(key)
            for index, other in enumerate(following if isinstance(following, list) else [following]):
                if isinstance(other, str) and other not in steps:
                    where = path + (key, index) if isinstance(following, list) else path + (key,)
                    self.report("PT335", f"{key} names step {other!r}, which the workflow does not have", document,
                                where)
        activities = body.get("activities")
        node = nodes.get(target) if isinstance(target, str) else None
        for index, activity in enumerate(activities if isinstance(activities, list) else []):
            where = path + ("activities", index)
            if not isinstance(activity, dict) or len(activity) != 1 or next(iter(activity)) not in ACTIVITIES:
                self.report("PT335", "an activity is one of " + ", ".join(sorted(ACTIVITIES)), document, where)
                continue
            kind, argument = next(iter(activity.items()))
            problem = _activity_problem(kind, argument, node, workflows)
            if problem:
                self.report("PT335", f"step {name!r}: {problem}", document, where + (kind,))


# The states a node can be set to (TOSCA 1.3, 3.4.1).
NODE_STATES = frozenset({"initial", "creating", "created", "configuring", "configured", "starting", "started",
                         "stopping", "deleting", "error"})


def _activity_problem(kind: str, argument: Any, node: NodeTemplate | None, workflows: dict) -> str | None:
    """What is wrong with a workflow activity's argument (TOSCA 1.3, 3.6.27), if anything."""
    if kind == "set_state":
        return None if argument in NODE_STATES else f"{argument!r} is not a node state ({', '.join(sorted(NODE_STATES))})"
    if kind == "inline":
        workflow = argument.get("workflow") if isinstance(argument, dict) else argument
        return None if workflow in workflows else f"inline names workflow {workflow!r}, which the template does not have"
    if kind == "call_operation" and node is not None and node.type_def is not None:
        operation = argument.get("operation") if isinstance(argument, dict) else argument
        if not isinstance(operation, str) or "." not in operation:
            return f"call_operation names {operation!r}; write it as Interface.operation"
        interface, _, name = operation.rpartition(".")
        operations = node.interfaces.get(INTERFACE_ALIASES.get(interface, interface))
        if operations is None or name not in operations and name not in _declared(node, interface):
            return f"node template {node.name!r} has no operation {operation!r}"
    return None


def _declared(node: NodeTemplate, interface: str) -> set[str]:
    """The operations a node's type declares for an interface, implemented or not."""
    return {op for name, ops in node.declared_operations.items() if name == interface
            or INTERFACE_ALIASES.get(name) == INTERFACE_ALIASES.get(interface, interface) for op in ops}


class _KeyPlace:
    """A document whose places are the keys: a supplied input value is
    written nowhere, so its problems point at the input's name."""

    def __init__(self, document: Any):
        self.document = document

    def locate(self, path: tuple, key: bool = False) -> Any:
        return self.document.locate(path[:len(INPUTS) + 1], True)


def policy_items(section: Any) -> list[tuple[str, Any, tuple]]:
    """Policies are a list of one-name maps (or, loosely, a map)."""
    base = TOPOLOGY + ("policies",)
    found = []
    if isinstance(section, list):
        for index, item in enumerate(section):
            if isinstance(item, dict) and len(item) == 1:
                name, definition = next(iter(item.items()))
                found.append((str(name), definition, base + (index, name)))
    elif isinstance(section, dict):
        for name, definition in section.items():
            found.append((str(name), definition, base + (name,)))
    return found


def _type_list(typedef: Type | None, key: str) -> list[str] | None:
    """``members`` of a group type or ``targets`` of a policy type: a derived
    type adds to what it inherits. None when no type in the chain says."""
    if typedef is None:
        return None
    found: list[str] = []
    said = False
    for ancestor in typedef.ancestry:
        value = ancestor.raw.get(key)
        if isinstance(value, list):
            said = True
            found.extend(v for v in value if isinstance(v, str) and v not in found)
    return found if said else None
