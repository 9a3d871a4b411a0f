"""Node filters of TOSCA 2.0 requirements (8.6), evaluated where the values are static.

A requirement's node filter (in its definition, its assignment or both) is a
condition clause on the relationship that fulfilling the requirement would
create: ``[SELF, CAPABILITY, prop]`` reads the target capability's property,
``[SELF, TARGET, prop]`` (or ``[TARGET, prop]``) the target node's. Each node
template that could be the target is tried with the values the template
writes (or its type's defaults). When every candidate makes the filter false,
no node of the template can fulfil the requirement: that is reported. A value
known only at deployment (an input, an attribute, a node to be selected or
substituted) leaves the filter undecided, and nothing is reported.
"""

from __future__ import annotations

from typing import Any

from .functions2 import arguments_of, call_name, holds

_UNKNOWN = object()
_ELSEWHERE = {"select", "substitute"}  # the node's values come from outside the template


class NodeFilters:
    """The node filters of one service template's requirement assignments."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.scopes = service.types.scopes
        self.document = service.document

    def check(self, source: str, name: str, raw: Any, wanted: tuple, where: tuple) -> None:
        """Requirement ``name`` of node template ``source``, assigned ``raw`` (a name, a pair or a
        map), defined by ``wanted`` (file, definition)."""
        definition = wanted[1] if isinstance(wanted[1], dict) else {}
        assigned = raw if isinstance(raw, dict) else {"node": raw}
        filters = [f for f in (definition.get("node_filter"), assigned.get("node_filter")) if f is not None]
        if not filters:
            return
        named, candidates = self.candidates(source, assigned, wanted)
        verdicts = [self.verdict(filters, candidate, assigned, wanted) for candidate in candidates]
        if not candidates or any(v is not False for v in verdicts):
            return
        at = where + ("node_filter",) if "node_filter" in assigned else where
        if named:
            message = f"node template {candidates[0]!r} does not meet the node_filter of requirement {name!r}"
        else:
            message = (f"no node template meets the node_filter of requirement {name!r} (tried "
                       f"{', '.join(repr(c) for c in candidates)})")
        self.service.report("PT329", message, self.document, at,
                            hint="the filter is false with the values these node templates write (8.6)")

    def candidates(self, source: str, assigned: dict, wanted: tuple) -> tuple[bool, list[str]]:
        """Whether the assignment names its target, and the node templates that could be it."""
        node = assigned.get("node")
        node = node[0] if isinstance(node, list) and node else node
        nodes = self.service.nodes
        if isinstance(node, str) and node in nodes:
            return True, [node]
        directives = assigned.get("directives")
        if isinstance(directives, list) and "external" in directives or assigned.get("optional") is True:
            return False, []  # 8.5.2: a target from outside this template may fulfil it; or none need
        definition = wanted[1] if isinstance(wanted[1], dict) else {}
        kind, scope = (node, self.document) if node is not None else (definition.get("node"), wanted[0])
        required = self.scopes.find(scope, "node_types", kind) if isinstance(kind, str) and scope else None
        if kind is not None and required is None:
            return False, []
        found = []
        for name, template in nodes.items():
            if name == source or not isinstance(template, dict):
                continue
            node_type = self.scopes.find(self.document, "node_types", template.get("type"))
            if node_type is None or required is not None and not any(
                    c.document is required.document and c.name == required.name
                    for c in self.scopes.chain("node_types", node_type)):
                continue
            if self.service.target_capabilities({**assigned, "node": name}, wanted):
                found.append(name)
        return False, found

    def verdict(self, filters: list, candidate: str, assigned: dict, wanted: tuple) -> bool | None:
        """The filters on ``candidate`` as the target: False when one is false, None when undecided."""
        template = self.service.nodes[candidate]
        directives = template.get("directives")
        if isinstance(directives, list) and _ELSEWHERE & set(d for d in directives if isinstance(d, str)):
            return None
        capabilities = self.service.target_capabilities({**assigned, "node": candidate}, wanted)
        target = _Target(self, candidate, template, capabilities)
        results = [holds(target.substitute(f), None, convert=target.convert) for f in filters]
        if False in results:
            return False
        return True if all(r is True for r in results) else None


class _Target:
    """One candidate target node: the static values a filter's paths read from it."""

    def __init__(self, filters: NodeFilters, name: str, template: dict, capabilities: list) -> None:
        self.filters, self.scopes, self.name, self.template = filters, filters.scopes, name, template
        self.node_type = self.scopes.find(filters.document, "node_types", template.get("type"))
        self.capabilities = capabilities  # (name, file, definition) of those that can serve the requirement
        self.converters: list = []

    def convert(self, value: Any) -> Any:
        """A scalar's text in its canonical unit, by the scalar types the filter's values have."""
        for converter in self.converters:
            number = converter(value)
            if number is not None:
                return number
        return None

    def substitute(self, clause: Any, depth: int = 0) -> Any:
        """The clause with each path it can read here replaced by the value."""
        if depth > 50:
            return clause
        if isinstance(clause, list):
            return [self.substitute(c, depth + 1) for c in clause]
        if not isinstance(clause, dict):
            return clause
        name = call_name(clause)
        if name is None:
            return {k: self.substitute(v, depth + 1) for k, v in clause.items()}
        key = next(iter(clause))
        if name == "get_property":
            value = self.read(arguments_of(clause[key]))
            return clause if value is _UNKNOWN else value
        return {key: self.substitute(clause[key], depth + 1)}

    def read(self, path: list) -> Any:
        if not all(isinstance(step, (str, int)) and not isinstance(step, bool) for step in path):
            return _UNKNOWN  # a malformed path: the function checks report it
        if path[:1] == ["SELF"]:
            path = path[1:]
            if path[:1] == ["CAPABILITY"] and len(path) >= 2:
                if len(self.capabilities) != 1:
                    return _UNKNOWN
                capability, *rest = path[1:]
                return self.capability_value(self.capabilities[0], capability, rest)
            if path[:1] != ["TARGET"]:
                return _UNKNOWN  # the relationship's own properties
        if path[:1] != ["TARGET"] or len(path) < 2:
            return _UNKNOWN
        path = path[1:]
        if path[0] == "CAPABILITY" and len(path) >= 3:
            offered = self.scopes.merged("node_types", self.node_type, "capabilities") if self.node_type else {}
            if path[1] not in offered:
                return _UNKNOWN
            return self.capability_value((path[1], *offered[path[1]]), path[2], path[3:])
        return self.node_value(path[0], path[1:])

    def node_value(self, name: Any, rest: list) -> Any:
        assigned = self.template.get("properties")
        defined = self.scopes.merged("node_types", self.node_type, "properties") if self.node_type else {}
        return self.value(assigned, defined.get(name), name, rest)

    def capability_value(self, capability: tuple, name: Any, rest: list) -> Any:
        defined = self.filters.service.capability_properties(capability)
        capabilities = self.template.get("capabilities")
        assignment = capabilities.get(capability[0]) if isinstance(capabilities, dict) else None
        assigned = assignment.get("properties") if isinstance(assignment, dict) else None
        return self.value(assigned, defined.get(name), name, rest)

    def value(self, assigned: Any, defined: tuple | None, name: Any, rest: list) -> Any:
        """An assigned value, else the definition's fixed value or default; then the nested keys."""
        if defined is None or not isinstance(defined[1], dict):
            return _UNKNOWN
        owner, definition = defined
        if isinstance(assigned, dict) and name in assigned:
            value = assigned[name]
        elif "value" in definition:
            value = definition["value"]
        elif "default" in definition:
            value = definition["default"]
        else:
            return _UNKNOWN
        for step in rest:
            if isinstance(value, dict) and step in value or isinstance(value, list) and isinstance(step, int) \
                    and 0 <= step < len(value):
                value = value[step]
            else:
                return _UNKNOWN
        if call_name(value) is not None:
            return _UNKNOWN
        converter = self.filters.service.types.canonical(owner, definition.get("type")) if not rest else None
        if converter is not None:
            self.converters.append(converter)
        return value
