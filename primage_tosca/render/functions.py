"""Function calls as written (TOSCA 1.3, section 4): each call's arity and
argument shapes, the entity keywords it may use where it is written, and the
inputs it reads. What a call refers to (a node's property, a requirement's
target) is checked by the topology phase, which resolves it.

One walk of the topology template finds every call with its path; the path
tells the context: a node template, a relationship, an output, a group or a policy.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..records import record
from ..typesystem.grammar import FUNCTIONS_1, is_call_1
from ..versions import V1_3, Version

Report = Callable[..., None]
KEYWORDS = ("SELF", "SOURCE", "TARGET", "HOST")
TOPOLOGY = "topology_template"


@record(frozen=True)
class Call:
    name: str
    args: Any
    path: tuple  # of the map holding the call

    @property
    def args_path(self) -> tuple:
        return self.path + (self.name,)


_new = object.__new__


def new_call(name: str, args: Any, path: tuple) -> Call:
    """``Call(name, args, path)``, made without the frozen record's ``__init__``
    (an ``object.__setattr__`` per field): a large template has one per value
    read from an input, and this is half the cost."""
    call = _new(Call)
    fields = call.__dict__
    fields["name"], fields["args"], fields["path"] = name, args, path
    return call


def calls_in(value: Any, path: tuple, is_call: Callable[[Any], bool]) -> Iterator[Call]:
    """Every call in ``value``, outermost first, arguments included (a
    get_input inside a concat). Iterative: deep values cannot exhaust the stack."""
    stack = [(value, path)]
    while stack:
        current, where = stack.pop()
        # children are pushed last first, so that they come off the stack in document order
        if isinstance(current, dict):
            if is_call(current):
                name = next(iter(current))
                yield new_call(name, current[name], where)
            for key, child in reversed(current.items()):
                if isinstance(child, (dict, list)):
                    stack.append((child, where + (key,)))
        elif isinstance(current, list):
            for index in range(len(current) - 1, -1, -1):
                child = current[index]
                if isinstance(child, (dict, list)):
                    stack.append((child, where + (index,)))


def listed_calls(document: Any, topology: Any, is_call: Callable[[Any], bool]) -> list[Call] | None:
    """What ``calls_in(topology, (TOPOLOGY,), is_call)`` gives, found in the
    reader's table of keys (see :attr:`primage_tosca.source.reader.ParsedYaml.tree`),
    which lists every key in the order a walk meets it, rather than by a walk;
    None when the table cannot tell: the data is not a tree of the text, or
    the topology not the one read, or the calls not TOSCA 1.x's."""
    parsed = getattr(document, "parsed", None)
    data = parsed.data if getattr(parsed, "tree", False) else None
    if not isinstance(data, dict) or data.get(TOPOLOGY) is not topology or is_call is not is_call_1:
        return None
    found = []
    try:
        for path in parsed.keys:
            name = path[-1]
            if name in FUNCTIONS_1 and path[0] == TOPOLOGY:
                holder = data
                for step in path[:-1]:
                    holder = holder[step]
                if type(holder) is dict and len(holder) == 1:
                    found.append(new_call(name, holder[name], path[:-1]))
    except (KeyError, IndexError, TypeError):  # a table that does not match its data: walk it
        return None
    return found


def context_of(path: tuple) -> str:
    """Where a call is written: 'node', 'relationship', 'output', 'group',
    'policy', 'input' or 'other'."""
    if len(path) < 2 or path[0] != TOPOLOGY:
        return "other"
    section = path[1]
    if section == "node_templates":
        return "relationship" if len(path) > 6 and path[3] == "requirements" and path[6] == "relationship" else "node"
    return {"relationship_templates": "relationship", "outputs": "output", "groups": "group",
            "policies": "policy", "inputs": "input"}.get(section, "other")


class CallChecker:
    """Checks calls for one template; ``inputs`` are the declared input names."""

    def __init__(self, inputs: dict, report: Report, document_of: Callable[[tuple], Any], has_node_type,
                 version: Version = V1_3):
        self.version = version
        self.inputs = inputs
        self.report = report
        self.document_of = document_of
        self.has_node_type = has_node_type
        self.reads: list[tuple[Any, tuple]] = []  # (input name, path of the name) for every get_input

    def check(self, call: Call) -> None:
        checker = getattr(self, "_" + call.name, None)
        if checker is not None:
            checker(call, call.args, context_of(call.path))

    def _problem(self, call: Call, message: str, where: tuple = (), rule: str = "PT420", hint: str | None = None):
        path = call.args_path + where
        self.report(rule, f"{call.name}: {message}", self.document_of(path), path, hint=hint)

    def _entity(self, call: Call, entity: Any, context: str, allowed: tuple = KEYWORDS) -> None:
        if not isinstance(entity, str):
            self._problem(call, "the first argument names a node template or SELF, SOURCE, TARGET, HOST", (0,))
            return
        if entity not in KEYWORDS:
            return
        if entity not in allowed:
            self._problem(call, f"{entity} cannot be used with {call.name}", (0,), "PT421")
        elif context == "output":
            self._problem(call, f"{entity} means nothing in an output: name a node template", (0,), "PT421")
        elif entity in ("SOURCE", "TARGET") and context != "relationship":
            self._problem(call, f"{entity} is only defined in a relationship", (0,), "PT421")
        elif entity == "HOST" and context not in ("node", "other"):
            self._problem(call, "HOST is only defined for a node template", (0,), "PT421")

    # -- one method per function -------------------------------------------------------------

    def _get_input(self, call: Call, args: Any, context: str) -> None:
        if isinstance(args, list):
            if not args or not isinstance(args[0], str):
                self._problem(call, "expects an input name, optionally followed by keys and indexes")
                return
            if not all(isinstance(a, (str, int)) and not isinstance(a, bool) for a in args[1:]):
                self._problem(call, "keys and indexes after the input name are strings and integers")
            elif len(args) > 1 and self.version < V1_3:
                self._problem(call, f"takes one input name in TOSCA {self.version}; keys and indexes after it "
                              "came in TOSCA 1.3", hint="declare tosca_definitions_version: tosca_simple_yaml_1_3")
            name, where = args[0], call.args_path + (0,)
        elif isinstance(args, str):
            name, where = args, call.args_path
        else:
            self._problem(call, "expects an input name")
            return
        self.reads.append((name, where))

    def _properties_like(self, call: Call, args: Any, context: str) -> None:
        if not isinstance(args, list) or len(args) < 2:
            self._problem(call, "expects [entity, optional capability or requirement, name, optional keys...]",
                          hint=f"e.g. {{ {call.name}: [ SELF, port ] }}")
            return
        self._entity(call, args[0], context)
        for index, part in enumerate(args[1:], start=1):
            if isinstance(part, bool) or not isinstance(part, (str, int)):
                self._problem(call, "names and keys after the entity are strings (or integer indexes)", (index,))
                return

    _get_property = _properties_like
    _get_attribute = _properties_like

    def _get_operation_output(self, call: Call, args: Any, context: str) -> None:
        if not isinstance(args, list) or len(args) != 4 or not all(isinstance(a, str) for a in args):
            self._problem(call, "expects [entity, interface, operation, output name]")
            return
        self._entity(call, args[0], context, ("SELF", "SOURCE", "TARGET"))

    def _get_nodes_of_type(self, call: Call, args: Any, context: str) -> None:
        name = args[0] if isinstance(args, list) and len(args) == 1 else args
        if not isinstance(name, str):
            self._problem(call, "expects a node type name")
        elif not self.has_node_type(name):
            self._problem(call, f"{name!r} is not a known node type", rule="PT422")

    def _get_artifact(self, call: Call, args: Any, context: str) -> None:
        if not isinstance(args, list) or not 2 <= len(args) <= 4:
            self._problem(call, "expects [entity, artifact name, optional location, optional remove]")
            return
        self._entity(call, args[0], context, ("SELF", "SOURCE", "TARGET", "HOST"))
        if not isinstance(args[1], str):
            self._problem(call, "the artifact name is a string", (1,))
        if len(args) == 4 and not isinstance(args[3], bool):
            self._problem(call, "remove is true or false", (3,))

    def _concat(self, call: Call, args: Any, context: str) -> None:
        if not isinstance(args, list) or not args:
            self._problem(call, "expects a list of one or more values to join")
            return
        for index, part in enumerate(args):
            if isinstance(part, (list, dict)) and not _is_any_call(part):
                self._problem(call, "each value is a string, a number or a function", (index,))

    def _join(self, call: Call, args: Any, context: str) -> None:
        if not isinstance(args, list) or not 1 <= len(args) <= 2:
            self._problem(call, "expects [list of values, optional delimiter]")
            return
        if not isinstance(args[0], list) and not _is_any_call(args[0]):
            self._problem(call, "the first argument is a list of values", (0,))
        if len(args) == 2 and not isinstance(args[1], str) and not _is_any_call(args[1]):
            self._problem(call, "the delimiter is a string", (1,))

    def _token(self, call: Call, args: Any, context: str) -> None:
        if not isinstance(args, list) or len(args) != 3:
            self._problem(call, "expects [string, separator characters, index]")
            return
        subject, separators, index = args
        if not isinstance(subject, str) and not _is_any_call(subject):
            self._problem(call, "the first argument is a string or a function giving one", (0,))
        if not isinstance(separators, str) or not separators:
            self._problem(call, "the separator is a non-empty string", (1,))
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            if not _is_any_call(index):
                self._problem(call, "the index is a non-negative integer", (2,))


def _is_any_call(value: Any) -> bool:
    return type(value) is dict and len(value) == 1 and next(iter(value)) in FUNCTIONS_1
