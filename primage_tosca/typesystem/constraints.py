"""Constraint clauses (TOSCA 1.3, 3.6.3): reading them against the type they
constrain, and testing a value against them.

A clause's argument is read as a value of the constrained type
(``greater_than: 1 GB`` on a scalar-unit.size is a size), so a malformed
argument is found where the clause is written, once, not at every value.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .model import Constraint
from .primitives import COMPARABLE, SIZED, BadValue, coerce, type_word

OPERATORS = ("equal", "greater_than", "greater_or_equal", "less_than", "less_or_equal", "in_range",
             "valid_values", "length", "min_length", "max_length", "pattern", "schema")
ORDERING = ("greater_than", "greater_or_equal", "less_than", "less_or_equal", "in_range")
LENGTHS = ("length", "min_length", "max_length")
MAX_PATTERN = 2000  # characters in a pattern, against catastrophic expressions written by accident
MAX_MATCHED = 100_000  # characters a pattern is tried on

Report = Callable[..., None]


def read_constraints(clauses: Any, primitive: str | None, document: Any, path: tuple,
                     report: Report | None) -> tuple[Constraint, ...]:
    """Every well-formed clause of a ``constraints`` list, each problem reported."""
    if clauses is None:
        return ()
    if not isinstance(clauses, list):
        if report:
            report("PT507", f"constraints must be a list of clauses, not {type_word(clauses)}", document, path)
        return ()
    found = []
    for index, clause in enumerate(clauses):
        constraint = read_clause(clause, primitive, document, path + (index,), report)
        if constraint is not None:
            found.append(constraint)
    return tuple(found)


def read_clause(clause: Any, primitive: str | None, document: Any, path: tuple,
                report: Report | None) -> Constraint | None:
    if not isinstance(clause, dict) or len(clause) != 1:
        if report:
            report("PT507", "a constraint clause is a map of one operator to its argument, "
                   "e.g. { greater_or_equal: 1 }", document, path)
        return None
    operator, argument = next(iter(clause.items()))
    where = path + (operator,)
    if argument is None and operator in OPERATORS:
        if report:
            report("PT507", f"{operator} needs an argument", document, where)
        return None
    if operator not in OPERATORS:
        if report:
            close = [o for o in OPERATORS if o.startswith(str(operator)[:4])]
            report("PT507", f"unknown constraint operator {operator!r}", document, where, key=True,
                   hint=f"did you mean {close[0]!r}?" if close else "operators: " + ", ".join(OPERATORS))
        return None
    try:
        comparable = _argument(operator, argument, primitive)
    except BadValue as exc:
        if report:
            report("PT507", f"{operator}: {exc}", document, where)
        return None
    return Constraint(operator, argument, comparable, document, where)


def _argument(operator: str, argument: Any, primitive: str | None) -> Any:
    """The argument read as the constrained type; raises BadValue."""
    if primitive == "range" and operator == "in_range":
        # a range within a range: both its bounds must lie inside (TOSCA's PortSpec ranges)
        return _argument(operator, argument, "integer")
    if operator in ORDERING and primitive is not None and primitive not in COMPARABLE:
        raise BadValue(f"values of type {primitive} have no order")
    if operator in LENGTHS:
        if primitive is not None and primitive not in SIZED:
            raise BadValue(f"values of type {primitive} have no length")
        if isinstance(argument, bool) or not isinstance(argument, int) or argument < 0:
            raise BadValue(f"expected a length (a non-negative integer), not {argument!r}")
        return argument
    if operator == "pattern":
        if primitive is not None and primitive != "string":
            raise BadValue(f"a pattern applies to strings, not to {primitive}")
        if not isinstance(argument, str):
            raise BadValue(f"expected a regular expression string, not {type_word(argument)}")
        if len(argument) > MAX_PATTERN:
            raise BadValue(f"the pattern is longer than {MAX_PATTERN} characters")
        try:
            return re.compile(argument)
        except re.error as exc:
            raise BadValue(f"{argument!r} is not a valid regular expression: {exc}") from None
    if operator == "schema":
        return argument
    if operator == "in_range":
        if not isinstance(argument, list) or len(argument) != 2:
            raise BadValue(f"expected [lower, upper], not {type_word(argument)}")
        low, high = (_bound(bound, primitive) for bound in argument)
        if low is not None and high is not None and low > high:
            raise BadValue(f"the lower bound {argument[0]!r} is above the upper bound {argument[1]!r}")
        return (low, high)
    if operator == "valid_values":
        if not isinstance(argument, list):
            raise BadValue(f"expected a list of values, not {type_word(argument)}")
        return [_as(primitive, item) for item in argument]
    return _as(primitive, argument)


def _bound(bound: Any, primitive: str | None) -> Any:
    if bound == "UNBOUNDED":
        return None
    return _as(primitive, bound)


def _as(primitive: str | None, value: Any) -> Any:
    if primitive is None or primitive in ("list", "map", "null"):
        return value
    return coerce(primitive, value)


def violation(constraint: Constraint, comparable: Any, value: Any) -> str | None:
    """Why ``value`` (``comparable`` as its type compares) breaks the clause; None when it holds."""
    operator, argument = constraint.operator, constraint.comparable
    try:
        return _VIOLATIONS[operator](argument, comparable, value, constraint.argument)
    except TypeError:  # values of different kinds: the clause's argument was already reported
        return None


def _shown(value: Any) -> str:
    import json  # a finding's text: a clean run does not pay for loading it

    text = json.dumps(value, default=str) if isinstance(value, (list, dict)) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _equal(argument, comparable, value, written):
    return None if comparable == argument else f"{_shown(value)} is not equal to {_shown(written)}"


def _greater_than(argument, comparable, value, written):
    return None if comparable > argument else f"{_shown(value)} is not greater than {_shown(written)}"


def _greater_or_equal(argument, comparable, value, written):
    return None if comparable >= argument else f"{_shown(value)} is less than {_shown(written)}"


def _less_than(argument, comparable, value, written):
    return None if comparable < argument else f"{_shown(value)} is not less than {_shown(written)}"


def _less_or_equal(argument, comparable, value, written):
    return None if comparable <= argument else f"{_shown(value)} is greater than {_shown(written)}"


def _in_range(argument, comparable, value, written):
    low, high = argument
    if isinstance(comparable, tuple):  # a range: both bounds inside
        inside = (low is None or comparable[0] >= low) and (high is None or comparable[1] <= high)
        return None if inside else f"{_shown(value)} is not within [{written[0]}, {written[1]}]"
    if (low is None or comparable >= low) and (high is None or comparable <= high):
        return None
    return f"{_shown(value)} is outside the range [{written[0]}, {written[1]}]"


def _valid_values(argument, comparable, value, written):
    if comparable in argument:
        return None
    return f"{_shown(value)} is not one of {', '.join(_shown(v) for v in written)}"


def _length(argument, comparable, value, written):
    return None if len(value) == argument else f"the length is {len(value)}, not {argument}"


def _min_length(argument, comparable, value, written):
    return None if len(value) >= argument else f"the length is {len(value)}, under the minimum {argument}"


def _max_length(argument, comparable, value, written):
    return None if len(value) <= argument else f"the length is {len(value)}, over the maximum {argument}"


def _pattern(argument, comparable, value, written):
    if len(value) > MAX_MATCHED:
        return None
    return None if argument.fullmatch(value) else f"{_shown(value)} does not match the pattern {written!r}"


def _schema(argument, comparable, value, written):
    return json_schema_violation(argument, value)


_VIOLATIONS = {
    "equal": _equal, "greater_than": _greater_than, "greater_or_equal": _greater_or_equal,
    "less_than": _less_than, "less_or_equal": _less_or_equal, "in_range": _in_range,
    "valid_values": _valid_values, "length": _length, "min_length": _min_length, "max_length": _max_length,
    "pattern": _pattern, "schema": _schema,
}


def json_schema_violation(schema: Any, value: Any) -> str | None:
    """The ``schema`` clause (TOSCA 1.3): a JSON value, or a string of JSON,
    checked against a JSON Schema given as a map or a string of JSON."""
    import json  # only templates that use the clause pay for loading it, and jsonschema below

    try:
        schema = json.loads(schema) if isinstance(schema, str) else schema
        instance = json.loads(value) if isinstance(value, str) else value
    except (ValueError, RecursionError) as exc:
        return f"not valid JSON: {exc}"
    import jsonschema

    try:
        jsonschema.validate(instance, schema)
    except jsonschema.ValidationError as exc:
        return f"does not match the schema: {exc.message}"
    except (jsonschema.SchemaError, RecursionError) as exc:
        return f"the schema is not a valid JSON Schema: {getattr(exc, 'message', exc)}"
    return None
