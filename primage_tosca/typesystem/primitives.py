"""TOSCA's primitive types: which YAML values each accepts, and the value it
stands for when compared (a size in bytes, a version as numbers, a timestamp
as an aware datetime).

:func:`coerce` is the one entry: it returns the comparable value, or raises
:class:`BadValue` with a message fit for a user. It never raises anything else.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from ..records import record

UNBOUNDED = "UNBOUNDED"

# Unit -> factor to the base unit, per scalar-unit kind (TOSCA 1.3, 3.3.6).
SIZE_UNITS = {"B": 1, "kB": 10**3, "KiB": 2**10, "MB": 10**6, "MiB": 2**20, "GB": 10**9, "GiB": 2**30,
              "TB": 10**12, "TiB": 2**40}
TIME_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
FREQUENCY_UNITS = {"Hz": 1, "kHz": 10**3, "MHz": 10**6, "GHz": 10**9}
BITRATE_UNITS = {"bps": 1, "Kbps": 10**3, "Kibps": 2**10, "Mbps": 10**6, "Mibps": 2**20, "Gbps": 10**9,
                 "Gibps": 2**30, "Tbps": 10**12, "Tibps": 2**40}
SCALAR_UNITS = {
    "scalar-unit.size": SIZE_UNITS,
    "scalar-unit.time": TIME_UNITS,
    "scalar-unit.frequency": FREQUENCY_UNITS,
    "scalar-unit.bitrate": BITRATE_UNITS,
}
EXAMPLE_UNIT = {"scalar-unit.size": "GB", "scalar-unit.time": "s", "scalar-unit.frequency": "GHz",
                "scalar-unit.bitrate": "Mbps"}
# TOSCA 1.x reads units whatever their case ("kb" is "kB").
_FOLDED = {kind: {unit.lower(): unit for unit in units} for kind, units in SCALAR_UNITS.items()}

PRIMITIVES = frozenset({
    "string", "integer", "float", "boolean", "timestamp", "null", "version", "range", "list", "map",
    *SCALAR_UNITS,
})
# Types whose values have an order, so greater_than and in_range apply.
COMPARABLE = frozenset({"integer", "float", "timestamp", "version", *SCALAR_UNITS})
SIZED = frozenset({"string", "list", "map"})

_SCALAR = re.compile(r"^\s*(\+?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]+)\s*$")
_NUMBER_ONLY = re.compile(r"^\s*[-+]?[\d.]+\s*$")
_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.([0-9A-Za-z]+))?(?:-(\d+))?$")
# YAML 1.1's timestamp forms, as PyYAML resolves them, and RFC 3339's lower-case z (5.6).
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?"
    r"(?:[ \t]*([Zz]|[-+]\d{1,2}(?::?\d{2})?))?)?$")


class BadValue(Exception):
    """A value that is not of the type asked for; the message says why."""


@record(frozen=True, order=True)
class Scalar:
    """A scalar-unit value in its kind's base unit (bytes, seconds, Hz, bps)."""

    amount: float
    kind: str


@record(frozen=True, order=True)
class VersionValue:
    # (major, minor, fix, 1 without a qualifier / 0 with one, qualifier, build), missing parts 0/"":
    # a version with a qualifier is older than the one without (1.3 3.3.2.2, 2.0 9.1.2.3)
    parts: tuple

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts[:3])


def type_word(value: Any) -> str:
    """'a list', 'an integer': what a YAML value is, with its article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a timestamp"
    return "a " + type(value).__name__


def scalar(kind: str, value: Any) -> Scalar:
    units = SCALAR_UNITS[kind]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadValue(f"expected a number and a unit such as '1 {EXAMPLE_UNIT[kind]}', not {type_word(value)}")
    if not isinstance(value, str) or _NUMBER_ONLY.match(value):
        raise BadValue(f"{value!r} has no unit; write it as '{value} {EXAMPLE_UNIT[kind]}' "
                       f"or with another of {', '.join(units)}")
    match = _SCALAR.match(value)
    if match is None:
        raise BadValue(f"{value!r} is not a number followed by a unit such as '1 {EXAMPLE_UNIT[kind]}'")
    number, unit = match.groups()
    canonical = _FOLDED[kind].get(unit.lower())
    if canonical is None:
        raise BadValue(f"unit {unit!r} is not one of {', '.join(units)}")
    amount = float(number) * units[canonical]
    if math.isinf(amount):
        raise BadValue(f"{value!r} is too large")
    return Scalar(amount, kind)


def version(value: Any) -> VersionValue:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadValue(f"expected a version such as '1.0' or '2.1.3', not {type_word(value)}")
    match = _VERSION.match(str(value).strip())
    if match is None:
        raise BadValue(f"{value!r} is not a version (major.minor[.fix[.qualifier[-build]]])")
    major, minor, fix, qualifier, build = match.groups()
    return VersionValue((int(major), int(minor or 0), int(fix or 0), 0 if qualifier else 1, qualifier or "",
                         int(build or 0)))


def timestamp(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    if not isinstance(value, str):
        raise BadValue(f"expected a timestamp such as 2024-01-31T12:00:00Z, not {type_word(value)}")
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        raise BadValue(f"{value!r} is not a timestamp (ISO 8601, e.g. 2024-01-31T12:00:00Z)")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        tz = datetime.timezone.utc
        if zone and zone not in ("Z", "z"):
            sign = -1 if zone[0] == "-" else 1
            hours, _, minutes = zone[1:].partition(":")
            if not minutes and len(hours) > 2:
                hours, minutes = hours[:-2], hours[-2:]
            tz = datetime.timezone(sign * datetime.timedelta(hours=int(hours), minutes=int(minutes or 0)))
        leap = int(second or 0) == 60  # a leap second (ISO 8601): the next minute's first second, as POSIX counts
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                   59 if leap else int(second or 0), micro, tzinfo=tz)
        return moment + datetime.timedelta(seconds=1) if leap else moment
    except ValueError as exc:
        raise BadValue(f"{value!r} is not a valid timestamp: {exc}") from None


def range_value(value: Any) -> tuple:
    if not isinstance(value, list) or len(value) != 2:
        raise BadValue(f"a range is a list [lower, upper], not {type_word(value)}"
                       if not isinstance(value, list) else "a range has exactly two bounds [lower, upper]")
    low, high = value
    for bound in (low, high):
        if bound != UNBOUNDED and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise BadValue(f"range bound {bound!r} is not an integer or UNBOUNDED")
    if low == UNBOUNDED and high != UNBOUNDED:
        raise BadValue("a range's lower bound cannot be UNBOUNDED")
    if low != UNBOUNDED and high != UNBOUNDED and low > high:
        raise BadValue(f"the range's lower bound {low} is above its upper bound {high}")
    return (low, math.inf if high == UNBOUNDED else high)


def coerce(primitive: str, value: Any, lenient: bool = True) -> Any:
    """The comparable value of ``value`` as a ``primitive``; raises BadValue.

    ``lenient`` accepts what tosca-parser (and so IM) accepts beyond the
    specification; :func:`strictness` tells the caller when it did."""
    if primitive == "string":
        if isinstance(value, str):
            return value
        raise BadValue(f"expected a string, not {type_word(value)}"
                       + (f" ({value!r}: quote it to make it a string)" if _quotable(value) else ""))
    if primitive == "integer":
        if type(value) is int:
            return value
        if lenient and isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
        if lenient and isinstance(value, bool):  # Python's booleans are integers, and tosca-parser takes them
            return int(value)
        raise BadValue(f"expected an integer, not {type_word(value)}" + _shown(value))
    if primitive == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise BadValue(f"expected a number, not {type_word(value)}" + _shown(value))
    if primitive == "boolean":
        if isinstance(value, bool):
            return value
        if lenient and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise BadValue(f"expected true or false, not {type_word(value)}" + _shown(value))
    if primitive == "null":
        if value is None:
            return None
        raise BadValue(f"expected null, not {type_word(value)}")
    if primitive == "timestamp":
        return timestamp(value)
    if primitive == "version":
        return version(value)
    if primitive == "range":
        return range_value(value)
    if primitive == "list":
        if isinstance(value, list):
            return value
        raise BadValue(f"expected a list, not {type_word(value)}")
    if primitive == "map":
        if isinstance(value, dict):
            return value
        raise BadValue(f"expected a map, not {type_word(value)}")
    if primitive in SCALAR_UNITS:
        return scalar(primitive, value)
    raise BadValue(f"unknown primitive type {primitive!r}")


def strictness(primitive: str, value: Any) -> str | None:
    """Why a value that :func:`coerce` accepted leniently is not what the
    specification asks for; None when it is."""
    if primitive == "integer" and isinstance(value, bool):
        return f"{value!r} is a boolean; TOSCA wants an integer here"
    if primitive == "integer" and isinstance(value, str):
        return f"{value!r} is a string; TOSCA wants an integer here (write it without quotes)"
    if primitive == "boolean" and isinstance(value, str):
        return f"{value!r} is a string; TOSCA wants a boolean here (write true or false without quotes)"
    return None


def _quotable(value: Any) -> bool:
    return isinstance(value, (int, float, bool)) or value is None


def _shown(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = repr(value)
        return f" ({text[:60]}{'...' if len(text) > 60 else ''})"
    return ""
