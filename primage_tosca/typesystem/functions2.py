"""TOSCA 2.0 function calls: ``{$name: arguments}``, ``$$`` escapes, arities.

A call is a map with one key that starts with ``$`` (``$$`` starts a plain
string key instead). The built-in functions of section 10 have fixed arities;
user-defined functions (the ``functions`` keyname) declare signatures. Calls
are checked, never evaluated here, so a function whose definition calls
itself cannot make the check loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

UNBOUNDED = None
_ANY = (0, UNBOUNDED)


def _arities() -> dict[str, tuple[int, int | None]]:
    table: dict[str, tuple[int, int | None]] = {
        # representation and path functions (10.2.1)
        "get_input": (1, UNBOUNDED), "get_property": (2, UNBOUNDED), "get_attribute": (2, UNBOUNDED),
        "get_artifact": (2, 4), "value": _ANY, "node_index": (0, 0), "relationship_index": (0, 0),
        "available_allocation": (2, UNBOUNDED),
        # boolean and comparison functions (10.2.2)
        "and": (1, UNBOUNDED), "or": (1, UNBOUNDED), "not": (1, 1), "xor": (2, 2),
        "length": (1, 1), "concat": (1, UNBOUNDED), "join": (1, 2), "token": (3, 3),
        "union": (1, UNBOUNDED), "intersection": (1, UNBOUNDED),
        "sum": (1, UNBOUNDED), "product": (1, UNBOUNDED), "difference": (2, 2), "quotient": (2, 2),
        "remainder": (2, 2), "round": (1, 1), "floor": (1, 1), "ceil": (1, 1),
    }
    for name in ("equal", "greater_than", "greater_or_equal", "less_than", "less_or_equal", "valid_values",
                 "matches", "contains", "has_suffix", "has_prefix", "has_entry", "has_key", "has_all_entries",
                 "has_all_keys", "has_any_entry", "has_any_key"):
        table[name] = (2, 2)
    return table


BUILT_INS: dict[str, tuple[int, int | None]] = _arities()
GONE_IN_2 = {"in_range": "write $and: [{$greater_or_equal: [$value, low]}, {$less_or_equal: [$value, high]}]",
             "get_operation_output": "read the operation's output through an attribute mapping",
             "get_nodes_of_type": "TOSCA 2.0 has no such function"}


@dataclass(frozen=True)
class Call:
    name: str  # without the $ (and with a namespace prefix when written: ns:name)
    arguments: list
    path: tuple  # where the call's map is written


def call_name(value: Any) -> str | None:
    """The function a value calls (``$concat`` -> ``concat``), or None when it is data."""
    if type(value) is not dict or len(value) != 1:
        return None
    key = next(iter(value))
    if isinstance(key, str) and key.startswith("$") and not key.startswith("$$") and len(key) > 1:
        return key[1:]
    return None


def arguments_of(value: Any) -> list:
    """A call's arguments: a list as written, nothing for null, else the one argument."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def calls(value: Any, path: tuple = ()) -> Iterator[Call]:
    """Every call written in ``value``, outermost first (arguments are walked too)."""
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            name = call_name(node)
            if name is not None:
                key = next(iter(node))
                args = node[key]
                yield Call(name, arguments_of(args), where)
                if isinstance(args, list):
                    stack.extend((arg, where + (key, i)) for i, arg in enumerate(args))
                else:
                    stack.append((args, where + (key,)))
                continue
            stack.extend((v, where + (k,)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(node))


@dataclass(frozen=True)
class Signature:
    arguments: int
    variadic: bool

    def accepts(self, count: int) -> bool:
        return count >= self.arguments - 1 if self.variadic else count == self.arguments


def signatures_of(definition: Any) -> list[Signature]:
    """The arities a user-defined function's signatures accept (malformed ones are skipped)."""
    found = []
    for signature in (definition.get("signatures") if isinstance(definition, dict) else None) or []:
        if isinstance(signature, dict):
            arguments = signature.get("arguments")
            count = len(arguments) if isinstance(arguments, list) else 0
            found.append(Signature(count, signature.get("variadic") is True))
    return found


def arity_problem(call: Call, lookup: Callable[[str], Any]) -> str | None:
    """Why a call has the wrong number of arguments, or None. ``lookup``
    finds a user-defined function by its written name (None when there is
    none): a user function shadows a built-in of the same name."""
    count = len(call.arguments)
    definition = lookup(call.name)
    if definition is not None:
        accepted = signatures_of(definition)
        if not accepted or any(s.accepts(count) for s in accepted):
            return None
        expected = " or ".join(sorted({f"{s.arguments}{'+' if s.variadic else ''}" for s in accepted}))
        return f"${call.name} takes {expected} argument(s), not {count}"
    low, high = BUILT_INS[call.name]
    if count < low or (high is not None and count > high):
        wanted = str(low) if low == high else f"{low} or more" if high is None else f"{low} to {high}"
        return f"${call.name} takes {wanted} argument(s), not {count}"
    return None
