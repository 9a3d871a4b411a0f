"""Values of the TOSCA 2.0 built-in types (9.1): no implicit conversion.

Each checker returns why a value is not of its type, or None.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timezone
from typing import Any, Callable

_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$")
_VERSION = re.compile(r"^\d+\.\d+(\.\d+(\.[A-Za-z0-9_]+(-\d+)?)?)?$")


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else "a string"


_OCTAL = re.compile(r"^[-+]?0o[0-7]+$")  # YAML 1.2 octal, which a YAML 1.1 reader leaves as text


def _integer(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        # 9.1.1.2: a 64-bit signed integer
        return None if -2 ** 63 <= value < 2 ** 63 else "a 64-bit integer (-2^63 to 2^63 - 1)"
    return None if isinstance(value, str) and _OCTAL.match(value) else "an integer"


def yaml_1_2_octal(value: Any) -> int | None:
    """The integer a YAML 1.2 octal (``0o755``) stands for; our YAML 1.1 reader leaves it as text."""
    return int(value.replace("0o", "", 1), 8) if isinstance(value, str) and _OCTAL.match(value) else None


# YAML's special floats, which Python spells otherwise (the number of a scalar text such as '.inf m')
_SPECIAL_FLOAT = re.compile(r"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")


def _special_float(text: str) -> float | None:
    return float(text.replace(".", "", 1)) if _SPECIAL_FLOAT.match(text) else None


def _float(value: Any) -> str | None:
    # 9.1.1.3: an integer where a float is expected must not be an error
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "a float"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "a boolean"


def _bytes(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Base64 text (a string; YAML !!binary is not TOSCA bytes)"
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return "Base64 text"
    return None


def _nil(value: Any) -> str | None:
    return None if value is None else "null (type nil)"


def _timestamp(value: Any) -> str | None:
    ok = isinstance(value, str) and _TIMESTAMP.match(value)
    return None if ok else "an RFC 3339 timestamp in a string (2001-12-14T21:59:43.10-05:00)"


def _version(value: Any) -> str | None:
    # 9.1.2.3: a version is text; "6.1" must be quoted, or YAML reads a float (no conversion, 9.1.1)
    ok = isinstance(value, str) and _VERSION.match(value)
    return None if ok else "a version <major>.<minor>[.<fix>[.<qualifier>[-<build>]]] in a string"


def _list(value: Any) -> str | None:
    return None if isinstance(value, list) else "a list"


def _map(value: Any) -> str | None:
    return None if isinstance(value, dict) else "a map"


PRIMITIVES: dict[str, Callable[[Any], str | None]] = {
    "string": _string, "integer": _integer, "float": _float, "boolean": _boolean, "bytes": _bytes,
    "nil": _nil, "timestamp": _timestamp, "version": _version, "list": _list, "map": _map,
}
# Built-in types a value can never have directly: scalar is abstract (9.1.2.2).
ABSTRACT = {"scalar"}
BUILT_IN_TYPES = frozenset(PRIMITIVES) | ABSTRACT


def scalar_number(text: str) -> int | float | None:
    """The number of a '<number> <unit>' text, in any YAML notation (9.1.2.2): decimal,
    hexadecimal, octal, scientific; None when it is not a number."""
    number = text.split()[0] if isinstance(text, str) and text.split() else ""
    try:
        return int(number, 0)
    except ValueError:
        pass
    try:
        return float(number)
    except ValueError:
        return _special_float(number)


def scalar_problem(value: Any, units: set[str], integer: bool) -> str | None:
    """Why a value is not '<number> <unit>' of a scalar type with these units."""
    if not isinstance(value, str):
        return "a scalar '<number> <unit>' in a string"
    parts = value.split()
    if len(parts) != 2:
        return "a scalar '<number> <unit>'"
    number = scalar_number(value)
    if number is None or integer and not isinstance(number, int):
        return f"a scalar whose number is {'an integer' if integer else 'a number'}"
    if units and parts[1] not in units:
        return f"a scalar in one of the units {', '.join(sorted(units))}"
    return None


def to_canonical(value: Any, units: dict[str, float]) -> float | None:
    """'256 MB' -> its number in the canonical unit, with ``units`` giving each
    unit's multiplier; None for anything else."""
    if not isinstance(value, str):
        return None
    parts = value.split()
    number = scalar_number(value)
    if len(parts) != 2 or parts[1] not in units or number is None:
        return None
    return number * units[parts[1]]


def version_key(value: Any) -> tuple | None:
    """A version as something that orders as 9.1.2.3 says: major, minor and fix as numbers,
    then a version without a qualifier after one with it; None for anything else."""
    if not isinstance(value, str) or not _VERSION.match(value):
        return None
    parts = value.split(".", 3)
    numbers = [int(p) for p in parts[:3]] + [0] * (3 - min(len(parts), 3))
    if len(parts) < 4:
        return (*numbers, 1, "", 0)
    qualifier, _, build = parts[3].partition("-")
    return (*numbers, 0, qualifier, int(build) if build else 0)


def timestamp_key(value: Any) -> datetime | None:
    """A timestamp as its universal instant (9.1.2.1: comparisons convert to UTC)."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    text = value.upper().replace("Z", "+00:00")
    try:
        if "T" not in text:
            return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
        stamp = datetime.fromisoformat(re.sub(r"(T\d\d:\d\d:)60", r"\g<1>59", text))  # a leap second
    except ValueError:
        return None
    return stamp.astimezone(timezone.utc)
