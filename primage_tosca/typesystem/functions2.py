"""TOSCA 2.0 function calls: ``{$name: arguments}``, ``$$`` escapes, arities.

A call is a map with one key that starts with ``$`` (``$$`` starts a plain
string key instead). The built-in functions of section 10 have fixed arities;
user-defined functions (the ``functions`` keyname) declare signatures. Calls
are checked, never evaluated here, so a function whose definition calls
itself cannot make the check loop.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Iterator

from ..records import field, record

UNBOUNDED = None
_ANY = (0, UNBOUNDED)


def _arities() -> dict[str, tuple[int, int | None]]:
    table: dict[str, tuple[int, int | None]] = {
        # representation and path functions (10.2.1)
        "get_input": (1, UNBOUNDED), "get_property": (2, UNBOUNDED), "get_attribute": (2, UNBOUNDED),
        "get_artifact": (2, UNBOUNDED), "value": _ANY, "node_index": (0, 0), "relationship_index": (0, 0),
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


@record(frozen=True)
class Call:
    name: str  # without the $ (and with a namespace prefix when written: ns:name)
    arguments: list
    path: tuple  # where the call's map (or its string, for a call without arguments) is written
    as_string: bool = field(default=False)  # written as a string: "$node_index" (10.1)


def call_name(value: Any) -> str | None:
    """The function a value calls (``$concat`` -> ``concat``), or None when it is data."""
    if type(value) is not dict or len(value) != 1:
        return None
    key = next(iter(value))
    if isinstance(key, str) and key.startswith("$") and not key.startswith("$$") and len(key) > 1:
        return key[1:].split("$", 1)[0]  # $keygen$1: a suffix that keeps map keys apart (10.1)
    return None


# A string that calls a function names it: "$(HOME)" or "$ 5" is text, not a call of a nameless function.
_CALLED_NAME = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_.:-]*$")


def string_call(value: Any) -> str | None:
    """The function a string calls without arguments (``"$node_index"``, 10.1), or None;
    ``$$`` starts a plain string."""
    if isinstance(value, str) and _CALLED_NAME.match(value):
        return value[1:]
    return None


def malformed_call_keys(value: Any) -> list:
    """The ``$name`` keys of a map that has other keys too: 10.1 calls such a map a
    malformed function (a ``$$`` key is an escaped plain key)."""
    if type(value) is not dict or len(value) < 2:
        return []
    return [k for k in value if isinstance(k, str) and k.startswith("$") and not k.startswith("$$") and len(k) > 1]


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
        elif string_call(node) is not None:
            yield Call(string_call(node), [], where, as_string=True)
        elif isinstance(node, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(node))


@record(frozen=True)
class Signature:
    arguments: int
    variadic: bool
    optional: int = field(default=0)  # how many optional_arguments follow the arguments (10.4)

    def accepts(self, count: int) -> bool:
        if self.variadic:
            return count >= (self.arguments if self.optional else self.arguments - 1)
        return self.arguments <= count <= self.arguments + self.optional


def signatures_of(definition: Any) -> list[Signature]:
    """The arities a user-defined function's signatures accept (malformed ones are skipped)."""
    found = []
    signatures = definition.get("signatures") if isinstance(definition, dict) else None
    for signature in signatures if isinstance(signatures, list) else []:  # another shape is reported (PT306)
        if isinstance(signature, dict):
            arguments, optional = signature.get("arguments"), signature.get("optional_arguments")
            count = len(arguments) if isinstance(arguments, list) else 0
            found.append(Signature(count, signature.get("variadic") is True,
                                   len(optional) if isinstance(optional, list) else 0))
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


def concat_problem(call: Call) -> str | None:
    """Why a ``$concat`` mixes strings and lists (10.2.3.2 joins one or the other), or None;
    an argument that is a call fits either."""
    kinds = {"list" if isinstance(a, list) else "map" if isinstance(a, dict) else "string"
             for a in call.arguments if call_name(a) is None and string_call(a) is None}
    if "map" in kinds:
        return "$concat joins strings or lists, not maps"
    return "$concat joins strings or lists, not both" if len(kinds) > 1 else None


# -- validation clauses ------------------------------------------------------------------------
_UNKNOWN = object()  # a clause we cannot decide without a deployment (an attribute, an input)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "equal": lambda a, b: a == b, "greater_than": lambda a, b: a > b, "greater_or_equal": lambda a, b: a >= b,
    "less_than": lambda a, b: a < b, "less_or_equal": lambda a, b: a <= b,
}


def holds(clause: Any, value: Any, convert: Callable[[Any], Any] | None = None) -> bool | None:
    """Whether a validation clause holds for ``value`` (``$value`` in the
    clause); None when it cannot be decided here. ``convert`` turns a scalar's
    text into its number in the canonical unit. Bounded: a clause of more than
    a few thousand calls is left undecided."""
    result = _evaluate(clause, value, [2000], convert)
    return result if isinstance(result, bool) else None


def _evaluate(expression: Any, value: Any, budget: list[int], convert: Callable[[Any], Any] | None) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        return _UNKNOWN
    if expression == "$value":
        return value
    name = call_name(expression)
    if name is None:
        if isinstance(expression, (dict, list)):
            return _UNKNOWN if _has_call(expression) else expression
        return expression
    args = arguments_of(next(iter(expression.values())))
    if name == "value":
        return _nested(value, args)
    if name in ("and", "or", "not", "xor"):
        return _logic(name, [_evaluate(a, value, budget, convert) for a in args])
    if name not in _COMPARE and name not in _EVALUATED:
        return _UNKNOWN
    values = [_evaluate(a, value, budget, convert) for a in args]
    if any(v is _UNKNOWN for v in values):
        return _UNKNOWN
    if convert is not None and name in _COMPARE:
        converted = [convert(v) for v in values]
        values = converted if None not in converted else values
    elif convert is not None and name in _MEMBERSHIP:
        values = [_converted_entries(v, convert) for v in values]
    return _apply(name, values)


# Functions that look for equal values in a list (or a map's entries): scalars, versions and
# timestamps are equal by their value in the canonical unit, number or instant, as $equal finds them
_MEMBERSHIP = frozenset({"valid_values", "has_entry", "has_all_entries", "has_any_entry"})


def _converted_entries(value: Any, convert: Callable[[Any], Any]) -> Any:
    """A value, or each entry of a list, as ``convert`` gives it, where it gives one."""
    def one(item: Any) -> Any:
        found = convert(item) if isinstance(item, str) else None
        return item if found is None else found
    if isinstance(value, list):
        return [one(item) for item in value]
    return one(value)


def _nested(value: Any, keys: list) -> Any:
    """``{$value: [high]}``: the entry of the value the names and indexes lead to (10.2.1.5)."""
    for key in keys:
        if isinstance(value, dict) and isinstance(key, str) and key in value:
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool) \
                and 0 <= key < len(value):
            value = value[key]
        else:
            return _UNKNOWN
    return value


def _has_call(node: Any) -> bool:
    return any(True for _ in calls(node))


def _logic(name: str, values: list) -> Any:
    if any(v is _UNKNOWN or not isinstance(v, bool) for v in values):
        return _UNKNOWN
    if name == "and":
        return all(values)
    if name == "or":
        return any(values)
    if name == "xor":
        return values[0] != values[1] if len(values) == 2 else _UNKNOWN
    return not values[0] if len(values) == 1 else _UNKNOWN


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _entries(value: Any) -> list:
    return list(value.values()) if isinstance(value, dict) else value


def _within(whole: Any, part: Any) -> bool:
    """10.2.2.3.3: a substring, or a list's entries in an uninterrupted run."""
    if isinstance(whole, str):
        return part in whole
    return any(whole[i:i + len(part)] == part for i in range(len(whole) - len(part) + 1))


def _round_half_down(number: float) -> int:
    """10.2.5.6: the closest integer, a tie rounded down (3.5 is 3)."""
    low = math.floor(number)
    return low if number - low <= 0.5 else low + 1


# The functions a validation clause is evaluated with, beside comparisons and logic: each takes
# the argument values and says whether they are of kinds it reads (``accepts``).
_STRINGS_OR_LISTS = lambda a, b: isinstance(a, str) and isinstance(b, str) or \
    isinstance(a, list) and isinstance(b, list)  # noqa: E731
_FUNCTIONS: dict[str, tuple[Callable[..., bool], Callable[..., Any]]] = {
    "valid_values": (lambda a, b: isinstance(b, list), lambda a, b: a in b),
    "length": (lambda a: isinstance(a, (str, list, dict)), len),
    "has_suffix": (_STRINGS_OR_LISTS, lambda a, b: a[len(a) - len(b):] == b),
    "has_prefix": (_STRINGS_OR_LISTS, lambda a, b: a[:len(b)] == b),
    "contains": (_STRINGS_OR_LISTS, _within),
    "has_entry": (lambda a, b: isinstance(a, (list, dict)), lambda a, b: b in _entries(a)),
    "has_key": (lambda a, b: isinstance(a, dict), lambda a, b: b in a),
    "has_all_entries": (lambda a, b: isinstance(a, (list, dict)) and isinstance(b, list),
                        lambda a, b: all(x in _entries(a) for x in b)),
    "has_any_entry": (lambda a, b: isinstance(a, (list, dict)) and isinstance(b, list),
                      lambda a, b: any(x in _entries(a) for x in b)),
    "has_all_keys": (lambda a, b: isinstance(a, dict) and isinstance(b, list), lambda a, b: all(x in a for x in b)),
    "has_any_key": (lambda a, b: isinstance(a, dict) and isinstance(b, list), lambda a, b: any(x in a for x in b)),
    "sum": (lambda *v: all(_number(x) for x in v), lambda *v: sum(v)),
    "difference": (lambda a, b: _number(a) and _number(b), lambda a, b: a - b),
    "product": (lambda *v: all(_number(x) for x in v), lambda *v: math.prod(v)),
    "quotient": (lambda a, b: _number(a) and _number(b) and b != 0, lambda a, b: a / b),
    "remainder": (lambda a, b: type(a) is int and type(b) is int and b != 0, lambda a, b: a % b),
    "round": (lambda a: _number(a), _round_half_down),
    "floor": (lambda a: _number(a), math.floor),
    "ceil": (lambda a: _number(a), math.ceil),
    "concat": (lambda *v: v and (all(isinstance(x, str) for x in v) or all(isinstance(x, list) for x in v)),
               lambda *v: "".join(v) if isinstance(v[0], str) else [x for part in v for x in part]),
}
_EVALUATED = frozenset(_FUNCTIONS) | {"matches"}


# POSIX character classes, which a pattern may use inside brackets ([[:alpha:]]) and Python's
# regular expressions do not know (10.2.2.2.7 leaves the grammar of patterns open)
_POSIX_CLASSES = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
                  "space": r"\s", "blank": r" \t", "xdigit": "0-9A-Fa-f", "word": r"\w",
                  "punct": r"!-/:-@\[-`{-~", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e",
                  "graph": r"\x21-\x7e"}
_POSIX_CLASS = re.compile(r"\[:([a-z]+):\]")


def python_pattern(pattern: str) -> str | None:
    """A pattern with its POSIX classes ([:alpha:]) in Python's spelling; None when it names a
    class there is no spelling for, or Python cannot read it (\\p{L}, \\z of other dialects)."""
    if any(name not in _POSIX_CLASSES for name in _POSIX_CLASS.findall(pattern)):
        return None
    translated = _POSIX_CLASS.sub(lambda m: _POSIX_CLASSES[m.group(1)], pattern)
    try:
        re.compile(translated)
    except (re.error, RecursionError, OverflowError):
        return None
    return translated


def _apply(name: str, values: list) -> Any:
    try:
        if name in _COMPARE and len(values) == 2:
            a, b = values
            if isinstance(a, str) != isinstance(b, str) or isinstance(a, bool) or isinstance(b, bool):
                return _UNKNOWN  # a scalar with a unit, or mixed kinds: not decided here
            return _COMPARE[name](a, b)
        if name == "matches" and len(values) == 2 and all(isinstance(v, str) for v in values):
            if len(values[0]) > 10_000 or len(values[1]) > 1_000:
                return _UNKNOWN
            # 10.2.2.2.7: a pattern matches anywhere unless it is anchored with ^ and $
            pattern = python_pattern(values[1])
            return _UNKNOWN if pattern is None else re.search(pattern, values[0]) is not None
        accepts, apply = _FUNCTIONS.get(name, (None, None))
        if accepts is not None and accepts(*values):
            return apply(*values)
    except Exception:  # noqa: BLE001 - a bad regular expression, values of odd kinds: not decided
        return _UNKNOWN
    return _UNKNOWN
