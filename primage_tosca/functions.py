"""TOSCA functions evaluated at compile time.

``get_input``, ``get_property``, ``concat``, ``join``, ``token`` and
``get_artifact`` are known before anything is deployed, so the compiler
replaces them by their values. ``get_attribute`` and
``get_operation_output`` name run-time facts (addresses, ids, credentials):
they stay *symbolic*, written exactly as in the template, so the outputs and
the Ansible variables can carry them for IM to fill in.

A function that cannot be evaluated (an undeclared input, a missing node or
property, a bad index) is reported as PT701 where it is written and left
symbolic too; evaluation never raises for a problem in the template.

The evaluator does not know the topology: it asks a :class:`Scope` (the
topology builder implements one), so this module sits before the topology in
the one-way flow of stages.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol

from . import catalog
from .diagnostics import Diagnostic, Location, Severity
from .records import record
from .source.reader import ComplexKey

# Every function name TOSCA 1.0-1.3 defines; a one-key map with another key is data.
FUNCTION_NAMES = frozenset({
    "get_input", "get_property", "get_attribute", "get_operation_output", "get_nodes_of_type",
    "get_artifact", "concat", "join", "token",
})
RUNTIME_FUNCTIONS = frozenset({"get_attribute", "get_operation_output", "get_nodes_of_type"})

# Attributes every node has at run time, whatever its type declares.
RUNTIME_ATTRIBUTES = frozenset({
    "tosca_id", "tosca_name", "state", "public_address", "private_address", "ip_address",
    "networks", "ports", "endpoint", "credential", "ctxt_log", "ansible_output", "tls_certificates",
    "endpoints",
})

KEYWORDS = frozenset({"SELF", "HOST", "SOURCE", "TARGET"})

MISSING = object()  # "no value", distinct from a null value


def function_name(value: Any) -> str | None:
    """The function a value calls (``{get_input: x}`` -> ``get_input``), else None."""
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if key in FUNCTION_NAMES:
            return key
    return None


def is_function(value: Any) -> bool:
    return function_name(value) is not None


def is_symbolic(value: Any) -> bool:
    """True when a function is left anywhere inside ``value``."""
    if isinstance(value, dict):
        return is_function(value) or any(is_symbolic(v) for v in value.values())
    if isinstance(value, list):
        return any(is_symbolic(v) for v in value)
    return False


@record(frozen=True)
class Context:
    """Where a value is evaluated: who SELF, SOURCE and TARGET are, and the
    template path the value is written at (for locating diagnostics).
    ``relationship`` holds a relationship's own properties when SELF is one."""

    node: str | None = None
    source: str | None = None
    target: str | None = None
    relationship: dict | None = None
    path: tuple = ()

    def at(self, *more: Any) -> "Context":
        # this runs for every function call and nested value evaluated: the fields are copied at once, past
        # the frozen constructor's one guarded assignment per field (the copy is as frozen as the original)
        made = _new_object(Context)
        fields = made.__dict__
        fields.update(self.__dict__)
        fields["path"] = self.path + more
        return made


_new_object = object.__new__


class Scope(Protocol):
    """What evaluation needs to know about the template."""

    def input_value(self, name: str) -> Any:
        """The input's value (supplied, else default), MISSING when it has none,
        or raise KeyError when it is not declared."""

    def has_node(self, name: str) -> bool: ...

    def property_value(self, node: str, name: str) -> Any:
        """The evaluated property, MISSING when the node has no such property."""

    def capability_value(self, node: str, capability: str, name: str) -> Any:
        """The evaluated capability property, MISSING when absent."""

    def has_capability(self, node: str, capability: str) -> bool: ...

    def requirement_target(self, node: str, requirement: str) -> str | None: ...

    def has_requirement(self, node: str, requirement: str) -> bool: ...

    def hosts(self, node: str) -> Iterable[str]:
        """The nodes ``node`` is hosted on, nearest first."""

    def declares_property(self, node: str, name: str) -> bool: ...

    def declares_attribute(self, node: str, name: str) -> bool: ...

    def attribute_primitive(self, node: str, name: str) -> str | None:
        """The primitive type of a node's attribute (or property), None when complex or unknown."""

    def hosted_later(self, node: str) -> bool:
        """The node's type has a hosting requirement no node template fulfils yet (the orchestrator will)."""

    def artifact(self, node: str, name: str) -> dict | None: ...

    def attribute_value(self, node: str, path: list) -> Any:
        """``[attribute, nested keys or index...]`` of a node as deployed, or
        MISSING: at compile time every attribute is; a run-time scope (the
        lifecycle's, from the deployed VMs) knows some."""

    def locate(self, path: tuple) -> Location: ...


class Unresolved(Exception):
    """Raised inside the evaluator only: the function stays symbolic.
    ``rule`` says what it means: PT701 (a compile-time value is missing, left
    symbolic), PT421 or PT422 (the call names what does not exist: an error),
    or None (known at run time, or already reported as written)."""

    def __init__(self, message: str, rule: str | None = "PT701", severity: Any = None):
        super().__init__(message)
        self.rule = rule
        self.severity = severity


class Evaluator:
    """Evaluates values against a scope; diagnostics go to ``report``."""

    def __init__(self, scope: Scope, report: Callable[[Diagnostic], None]):
        self.scope = scope
        self.report = report
        self._inputs_busy: set[str] = set()  # a default that (indirectly) reads itself
        self._silent = 0  # >0 while re-evaluating the arguments of a function already reported

    # -- walking values ------------------------------------------------------------

    def evaluate(self, value: Any, context: Context) -> Any:
        """``value`` with every compile-time function replaced by its result."""
        name = function_name(value)
        if name is not None:
            return self._call(name, value[name], context.at(name))
        # plain values are most of a template: they need neither a context nor a call
        if isinstance(value, dict):
            return {self._key(k, context) if type(k) is ComplexKey else k:
                    self.evaluate(v, context.at(k)) if isinstance(v, (dict, list)) else v
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.evaluate(v, context.at(i)) if isinstance(v, (dict, list)) else v
                    for i, v in enumerate(value)]
        return value

    def _key(self, key: ComplexKey, context: Context) -> Any:
        """A map key written as a function call (TOSCA 1.3): its value when it
        gives a plain one, else the key as written."""
        value = self.evaluate(key.value, context)
        return value if isinstance(value, (str, int, float, bool)) else key

    def _call(self, name: str, args: Any, context: Context) -> Any:
        handler = getattr(self, "_" + name)
        try:
            return handler(args, context)
        except Unresolved as problem:
            if problem.rule is not None:
                self._unresolved(name, str(problem), context, problem.rule, problem.severity)
            return {name: self._partial(args, context)}

    def _partial(self, args: Any, context: Context) -> Any:
        """The arguments with what can be evaluated evaluated, for a function
        that stays symbolic (``concat`` of an address and a port, say). Their
        problems were reported when the function itself was tried."""
        if not isinstance(args, list):
            return args
        self._silent += 1
        try:
            return [self._quiet(a, context.at(i)) for i, a in enumerate(args)]
        finally:
            self._silent -= 1

    def _quiet(self, value: Any, context: Context) -> Any:
        if not is_function(value):
            return value
        return self.evaluate(value, context)

    def _unresolved(self, name: str, message: str, context: Context, rule: str, severity: Any = None) -> None:
        if self._silent:
            return
        path = context.path[:-1] if context.path else ()
        text = f"{name}: {message}; left symbolic" if rule == "PT701" else f"{name}: {message}"
        self.report(catalog.make(rule, text, self.scope.locate(path), path, severity=severity))

    def _argument(self, value: Any, context: Context) -> Any:
        """An argument that may itself be a function: it must resolve."""
        result = self.evaluate(value, context)
        if is_symbolic(result):
            raise Unresolved("an argument is only known at run time", rule=None)
        return result

    # -- get_input -------------------------------------------------------------------

    def _get_input(self, args: Any, context: Context) -> Any:
        parts = args if isinstance(args, list) else [args]
        if not parts or not isinstance(parts[0], str):
            raise Unresolved("expects an input name", rule=None)
        try:
            value = self.scope.input_value(parts[0])
        except KeyError:
            raise Unresolved(f"input {parts[0]!r} is not declared", rule=None) from None
        if value is MISSING:
            raise Unresolved(f"input {parts[0]!r} has no value and no default")
        if is_symbolic(value):  # a default may call functions too
            if parts[0] in self._inputs_busy:
                raise Unresolved(f"input {parts[0]!r} refers back to itself")
            self._inputs_busy.add(parts[0])
            try:
                value = self.evaluate(value, context)
            finally:
                self._inputs_busy.discard(parts[0])
        try:
            return descend(value, parts[1:], f"input {parts[0]!r}")
        except Unresolved as exc:
            # a field the input's type declares, which its value (a default) leaves out: no value yet
            declares = getattr(self.scope, "input_declares", None)
            if exc.rule == "PT422" and len(parts) == 2 and declares is not None and declares(parts[0], parts[1]):
                raise Unresolved(f"input {parts[0]!r} gives no {parts[1]!r}", rule=None) from None
            raise

    # -- get_property ----------------------------------------------------------------

    def _get_property(self, args: Any, context: Context) -> Any:
        if not isinstance(args, list) or len(args) < 2 or not all(isinstance(a, (str, int)) for a in args):
            raise Unresolved("expects [entity, optional capability or requirement, property, ...]", rule=None)
        entity, rest = args[0], list(args[1:])
        if entity == "SELF" and context.relationship is not None and context.node is None:
            return self._relationship_property(rest, context)
        if entity == "HOST":
            return self._host_property(rest, context)
        node = self._entity(entity, context)
        return self._node_property(node, rest)

    def _entity(self, entity: Any, context: Context) -> str:
        if entity == "SELF":
            if context.node is None:
                raise Unresolved("SELF is not defined here", rule=None)  # reported as written, by the render phase
            return context.node
        if entity == "HOST":
            if context.node is None:
                raise Unresolved("HOST is not defined here", rule=None)
            host = next(iter(self.scope.hosts(context.node)), None)
            if host is None:
                self._no_host(context.node)
            return host
        if entity in ("SOURCE", "TARGET"):
            node = context.source if entity == "SOURCE" else context.target
            if node is None:
                raise Unresolved(f"{entity} is only defined in a relationship", rule=None)
            return node
        if not isinstance(entity, str) or not self.scope.has_node(entity):
            raise Unresolved(f"node template {entity!r} does not exist", rule="PT421")
        return entity

    def _node_property(self, node: str, rest: list) -> Any:
        first = rest[0]
        value = self.scope.property_value(node, first) if isinstance(first, str) else MISSING
        if value is not MISSING:
            return descend(self.rebase(value, node), rest[1:], f"property {first!r} of {node!r}")
        if len(rest) >= 2 and isinstance(first, str):
            found = self._capability_property(node, first, rest[1])
            if found is not MISSING:
                return descend(self.rebase(found, node), rest[2:], f"property {rest[1]!r} of {first!r}")
        if self.scope.declares_property(node, first):
            raise Unresolved(f"property {first!r} of node {node!r} has no value")
        raise Unresolved(f"node {node!r} has no property {first!r}", rule="PT422")

    def rebase(self, value: Any, owner: str) -> Any:
        """A symbolic value read from another node's property: its SELF and
        HOST meant that node, so name it (and its host) explicitly."""
        name = function_name(value)
        if name is not None:
            args = value[name]
            if isinstance(args, list) and args and args[0] in ("SELF", "HOST"):
                entity = owner if args[0] == "SELF" else next(iter(self.scope.hosts(owner)), "HOST")
                return {name: [entity, *args[1:]]}
            if name in ("concat", "join", "token") and isinstance(args, list):
                return {name: [self.rebase(a, owner) for a in args]}
            return value
        if isinstance(value, dict):
            return {k: self.rebase(v, owner) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rebase(v, owner) for v in value]
        return value

    def _capability_property(self, node: str, name: str, prop: Any) -> Any:
        """``[node, req_or_cap, prop]``: a requirement leads to the node it
        targets (and its capability of the same name, as tosca-parser reads
        it); otherwise ``name`` is one of ``node``'s own capabilities."""
        if not isinstance(prop, str):
            return MISSING
        if self.scope.has_requirement(node, name):
            target = self.scope.requirement_target(node, name)
            if target is not None:
                found = self.scope.capability_value(target, name, prop)
                if found is not MISSING:
                    return found
                return self.scope.property_value(target, prop)
        return self.scope.capability_value(node, name, prop)

    def _host_property(self, rest: list, context: Context) -> Any:
        if context.node is None:
            raise Unresolved("HOST is not defined here", rule=None)
        if not list(self.scope.hosts(context.node)):
            self._no_host(context.node)
        for host in self.scope.hosts(context.node):
            first = rest[0]
            if isinstance(first, str) and self.scope.declares_property(host, first):
                return self._node_property(host, rest)
            if len(rest) >= 2 and isinstance(first, str) and self.scope.has_capability(host, first):
                found = self.scope.capability_value(host, first, rest[1])
                if found is not MISSING:
                    return descend(found, rest[2:], f"property {rest[1]!r} of {first!r}")
        raise Unresolved(f"no host of {context.node!r} has property {'.'.join(map(str, rest))!r}", rule="PT422")

    def _relationship_property(self, rest: list, context: Context) -> Any:
        properties = context.relationship or {}
        if rest[0] not in properties:
            raise Unresolved(f"the relationship has no property {rest[0]!r}", rule="PT422")
        value = self.evaluate(properties[rest[0]], context)
        return descend(value, rest[1:], f"property {rest[0]!r}")

    # -- get_attribute and friends: run time -------------------------------------------

    def _get_attribute(self, args: Any, context: Context) -> Any:
        if not isinstance(args, list) or len(args) < 2:
            raise Unresolved("expects [entity, optional capability or requirement, attribute, ...]", rule=None)
        entity = args[0]
        if entity == "SELF" and context.node is None and context.relationship is not None:
            raise Unresolved("known at run time", rule=None)
        if entity == "HOST":
            node = self._attribute_host(args, context)
        else:
            node = self._entity(entity, context)
        name = args[1]
        if name == "tosca_name":
            return node
        if not self._attribute_known(node, args[1:]):
            raise Unresolved(f"node {node!r} has no attribute {name!r}", rule="PT422",
                             severity=_nested_severity(context))
        self._attribute_index(node, args, context)
        value = self.scope.attribute_value(node, list(args[1:]))
        if value is MISSING:
            raise Unresolved("known at run time", rule=None)
        return value

    def _attribute_host(self, args: list, context: Context) -> str:
        if context.node is None:  # reported where it is written, by the render phase
            raise Unresolved("HOST is not defined here", rule=None)
        hosts = list(self.scope.hosts(context.node))
        if not hosts:
            self._no_host(context.node)
        found = next((host for host in hosts if self._attribute_known(host, args[1:])), None)
        if found is None:
            raise Unresolved(f"no host of {context.node!r} has attribute {args[1]!r}", rule="PT422")
        return found

    def _no_host(self, node: str) -> None:
        """HOST names nothing: an error, unless the node has a hosting
        requirement the orchestrator is left to fulfil (then it is known at run time)."""
        if self.scope.hosted_later(node):
            raise Unresolved("the host is chosen at deployment", rule="PT701")
        raise Unresolved("HOST is not defined here (the node is hosted on nothing)", rule="PT421")

    def _attribute_index(self, node: str, args: list, context: Context) -> None:
        """``[node, attribute, index]`` on an attribute whose type has no entries."""
        if len(args) < 3 or not isinstance(args[1], str) or self.scope.has_capability(node, args[1]) \
                or self.scope.has_requirement(node, args[1]):
            return
        primitive = self.scope.attribute_primitive(node, args[1])
        if primitive is not None and primitive not in ("list", "map"):
            raise Unresolved(f"attribute {args[1]!r} of {node!r} is a {primitive}; it has no entry {args[2]!r}",
                             rule="PT422", severity=_nested_severity(context))

    def _attribute_known(self, node: str, rest: list) -> bool:
        name = rest[0]
        if not isinstance(name, str):
            return False
        if name in RUNTIME_ATTRIBUTES or self.scope.declares_attribute(node, name):
            return True
        if self.scope.declares_property(node, name):  # every property is an attribute too
            return True
        # [node, capability_or_requirement, attribute, ...]
        return len(rest) >= 2 and (self.scope.has_capability(node, name) or self.scope.has_requirement(node, name))

    def _get_operation_output(self, args: Any, context: Context) -> Any:
        raise Unresolved("known at run time", rule=None)

    def _get_nodes_of_type(self, args: Any, context: Context) -> Any:
        raise Unresolved("known at run time", rule=None)

    # -- get_artifact -------------------------------------------------------------------

    def _get_artifact(self, args: Any, context: Context) -> Any:
        if not isinstance(args, list) or len(args) < 2:
            raise Unresolved("expects [entity, artifact name, optional location, optional remove]", rule=None)
        node = self._entity(args[0], context)
        artifact = self.scope.artifact(node, args[1])
        if artifact is None:
            raise Unresolved(f"node {node!r} has no artifact {args[1]!r}", rule="PT422")
        if len(args) >= 3 and isinstance(args[2], str) and args[2] != "LOCAL_FILE":
            return args[2]  # the caller says where the artifact will be
        file = artifact.get("file")
        if not isinstance(file, str):
            raise Unresolved(f"artifact {args[1]!r} of {node!r} has no file")
        return file

    # -- string functions -------------------------------------------------------------

    def _concat(self, args: Any, context: Context) -> Any:
        if not isinstance(args, list):
            raise Unresolved("expects a list of values", rule=None)
        parts = [self._argument(a, context.at(i)) for i, a in enumerate(args)]
        return "".join(text(p) for p in parts)

    def _join(self, args: Any, context: Context) -> Any:
        """TOSCA 1.3: ``join: [ [values...], delimiter ]``, delimiter optional."""
        if not isinstance(args, list) or not args or len(args) > 2:
            raise Unresolved("expects [list of values, optional delimiter]", rule=None)
        values = self._argument(args[0], context.at(0))
        delimiter = self._argument(args[1], context.at(1)) if len(args) == 2 else ""
        if not isinstance(values, list) or not isinstance(delimiter, str):
            raise Unresolved("expects [list of values, optional delimiter]", rule=None)
        return delimiter.join(text(v) for v in values)

    def _token(self, args: Any, context: Context) -> Any:
        """``token: [string, separator, index]``. The separator is split on as
        a whole string, as IM does (TOSCA's "string of token chars" with one
        character, the common case, means the same)."""
        if not isinstance(args, list) or len(args) != 3:
            raise Unresolved("expects [string, separator, index]", rule=None)
        subject = self._argument(args[0], context.at(0))
        separator = self._argument(args[1], context.at(1))
        index = self._argument(args[2], context.at(2))
        if not isinstance(subject, str) or not isinstance(separator, str) or not separator:
            raise Unresolved("expects a string and a non-empty separator")
        if isinstance(index, bool) or not isinstance(index, int):
            raise Unresolved("the index must be an integer")
        parts = subject.split(separator)
        if not 0 <= index < len(parts):
            raise Unresolved(f"index {index} is out of range for {len(parts)} tokens")
        return parts[index]


def _nested_severity(context: Context) -> Any:
    """A warning for a run-time attribute named inside concat, join or token:
    tosca-parser (and so IM) checks attributes only in a call of their own,
    and IM gives such values as it finds them at run time."""
    if any(part in ("concat", "join", "token") for part in context.path if isinstance(part, str)):
        return Severity.WARNING
    return None


def descend(value: Any, keys: list, what: str) -> Any:
    """Follow nested keys and list indexes into a value."""
    for key in keys:
        if isinstance(value, list):
            if isinstance(key, bool) or not isinstance(key, int) and not (isinstance(key, str) and key.isdigit()):
                raise Unresolved(f"{what} is a list; {key!r} is not an index", rule="PT422")
            position = int(key)
            if not 0 <= position < len(value):
                raise Unresolved(f"index {position} is out of range in {what} ({len(value)} items)", rule="PT422")
            value = value[position]
        elif isinstance(value, dict):
            if key not in value:
                raise Unresolved(f"{what} has no key {key!r}", rule="PT422")
            value = value[key]
        elif is_function(value):
            raise Unresolved(f"{what} is only known at run time", rule=None)
        else:
            raise Unresolved(f"{what} is not a list or map; cannot take {key!r}", rule="PT422")
        what = f"{what}[{key!r}]"
    return value


def text(value: Any) -> str:
    """A value as concat and join write it: YAML's spelling for booleans and null."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)
