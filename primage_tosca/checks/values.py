"""PT500-PT502: scalar units, ports and port ranges are well formed.

A value is checked against the type its definition declares: a node
template's property through its node type (merged along the ancestry), a
capability's property through the capability type, an input's default and
supplied value through the input's own type. Entries of lists and maps and
the properties of complex data types are followed.

A function (``{get_property: ...}``) is left alone, with one exception:
``{get_input: name}`` is resolved to the input's supplied value, else its
default, and that is checked, unless the input's own type already makes us
check it where it is declared.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate
from ..model.types import PRIMITIVE_DATA_TYPES, TypeRegistry
from .base import check, report
from .inputs import has_default

# Units as tosca-parser knows them (toscaparser/elements/scalarunit.py); it
# also accepts any capitalisation of them, with a warning. Bitrate is TOSCA 1.3.
SCALAR_UNITS: dict[str, tuple[str, ...]] = {
    "scalar-unit.size": ("B", "kB", "KiB", "MB", "MiB", "GB", "GiB", "TB", "TiB"),
    "scalar-unit.time": ("d", "h", "m", "s", "ms", "us", "ns"),
    "scalar-unit.frequency": ("Hz", "kHz", "MHz", "GHz"),
    "scalar-unit.bitrate": ("bps", "Kbps", "Kibps", "Mbps", "Mibps", "Gbps", "Gibps", "Tbps", "Tibps"),
}

EXAMPLE_UNIT = {"scalar-unit.size": "GB", "scalar-unit.time": "s", "scalar-unit.frequency": "GHz",
                "scalar-unit.bitrate": "Mbps"}

# tosca-parser's own pattern, anchored at the start only, as it uses it.
SCALAR_PATTERN = re.compile(r"([0-9.]+)\s*(\w+)")
NUMBER_ONLY = re.compile(r"^\s*[-+]?[0-9.]+\s*$")
PORT_RANGE_PATTERN = re.compile(r"^\s*(\d+)\s*[-:]\s*(\d+)\s*$")

NAMED_BASES = {
    "tosca.datatypes.network.PortDef": "PortDef",
    "tosca.datatypes.network.PortSpec": "PortSpec",
}
PORTSPEC_KEYS = frozenset({"protocol", "source", "target", "source_range", "target_range", "remote_cidr"})
PORT_PROTOCOLS = ("tcp", "udp", "icmp")
FUNCTION_NAMES = frozenset({"concat", "token", "join"})
CHECKED_KINDS = frozenset({*SCALAR_UNITS, "PortDef", "PortSpec"})  # what ValueChecker.typed looks into
MAX_TYPE_DEPTH = 64
MAX_VALUE_DEPTH = 64  # nested data types deeper than this are not followed


# --- pure value checks: a message for a bad value, None for a good one ----------

def a_type(value: Any) -> str:
    """'a list', 'an int': the YAML-ish name of a value's type, with its article."""
    name = {"dict": "mapping", "NoneType": "null"}.get(type(value).__name__, type(value).__name__)
    return ("an " if name[0] in "aeiou" else "a ") + name


def scalar_unit_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` is not a ``kind`` scalar unit, the way tosca-parser reads it."""
    units = SCALAR_UNITS[kind]
    if isinstance(value, (list, dict, bool)) or value is None:
        return f"expected a number and a unit such as '1 {EXAMPLE_UNIT[kind]}', not {a_type(value)}"
    if isinstance(value, (int, float)) or NUMBER_ONLY.match(str(value)):
        return (f"the number has no unit; write it as '{value} {EXAMPLE_UNIT[kind]}' "
                f"or with another of {', '.join(units)}")
    match = SCALAR_PATTERN.match(str(value))
    if match is None:
        return f"expected a number and a unit such as '1 {EXAMPLE_UNIT[kind]}'"
    number, unit = match.groups()
    try:
        float(number)
    except ValueError:
        return f"{number!r} is not a number"
    if unit.upper() not in {u.upper() for u in units}:
        return f"unit {unit!r} is not one of {', '.join(units)}"
    return None


def port_problem(value: Any) -> str | None:
    """An integer (or a string of digits, as tosca-parser converts) in 1..65535."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return f"a port is an integer from 1 to 65535, not {a_type(value)}"
    if isinstance(value, str):
        if not value.strip().isdigit():
            return "a port is an integer from 1 to 65535"
        value = int(value)
    if not 1 <= value <= 65535:
        return f"port {value} is outside 1..65535"
    return None


def range_problem(value: Any) -> str | None:
    """``[min, max]`` of ports with min <= max."""
    if not (isinstance(value, list) and len(value) == 2):
        return "a port range is a list [min, max]"
    for end in value:
        if port_problem(end) is not None:
            return f"{end!r} is not a port from 1 to 65535"
    low, high = (int(end) for end in value)
    if low > high:
        return f"the range starts at {low}, after its end {high}"
    return None


def port_range_text_problem(value: str) -> str | None:
    """A ``'a-b'`` or ``'a:b'`` string of ports with a <= b."""
    match = PORT_RANGE_PATTERN.match(value)
    if match is None:
        return "expected a port range such as '8000-8080' or '8000:8080'"
    return range_problem([int(match.group(1)), int(match.group(2))])


def cidr_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"remote_cidr is an address block such as '10.0.0.0/8', not {a_type(value)}"
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{value!r} is not an address block such as '10.0.0.0/8'"
    return None


# --- types -----------------------------------------------------------------------

def base_kind(registry: TypeRegistry, type_name: Any) -> str | None:
    """The primitive (or PortDef/PortSpec) a data type comes down to, or None
    for a complex or unknown type."""
    seen: set[str] = set()
    while isinstance(type_name, str) and type_name not in seen and len(seen) < MAX_TYPE_DEPTH:
        seen.add(type_name)
        if type_name in PRIMITIVE_DATA_TYPES:
            return type_name
        typedef = registry.find("data_types", type_name)
        if typedef is None:
            return None
        if typedef.name in NAMED_BASES:
            return NAMED_BASES[typedef.name]
        type_name = typedef.parent_name
    return None


def schema_type(schema: Any) -> tuple[Any, Any]:
    """(type, nested entry_schema) of an entry_schema written either way."""
    if isinstance(schema, dict):
        return schema.get("type"), schema.get("entry_schema")
    return schema, None


def is_function(value: Any) -> bool:
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    name = next(iter(value))
    return isinstance(name, str) and (name.startswith("get_") or name in FUNCTION_NAMES)


# --- walking values ------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """Where a checked value is reported, and how to name it."""

    path: tuple
    label: str
    key: bool = False
    via: str | None = None  # the input a get_input value came from

    def child(self, part: Any) -> "Place":
        return Place(self.path + (part,), f"{self.label}.{part}" if isinstance(part, str) else
                     f"{self.label}[{part}]", self.key, self.via)

    def suffix(self) -> str:
        return f" (the value of input {self.via!r})" if self.via else ""


class ValueChecker:
    """Checks values against declared types for one template."""

    def __init__(self, template: ServiceTemplate):
        self.template = template
        self.registry = template.types
        self.supplied = template.options.inputs
        self._kinds: dict[str, str | None] = {}

    def kind(self, type_name: Any) -> str | None:
        """:func:`base_kind`, once per type name."""
        if not isinstance(type_name, str):
            return None
        if type_name not in self._kinds:
            self._kinds[type_name] = base_kind(self.registry, type_name)
        return self._kinds[type_name]

    def has_checks(self, type_name: Any, schema: Any) -> bool:
        """Whether a value of this type can be wrong in a way the rules here
        see: most values are strings and numbers, which they cannot."""
        kind = self.kind(type_name)
        return kind is None or kind in CHECKED_KINDS or (kind in ("list", "map") and schema is not None)

    def problem(self, rule: str, place: Place, text: str) -> Diagnostic:
        return report(self.template, rule, f"{place.label}: {text}{place.suffix()}", place.path, key=place.key)

    def concrete(self, value: Any, kind: str | None, place: Place,
                 type_name: Any = None) -> Iterator[tuple[Any, Place]]:
        """The value to check: itself; for a get_input the input's value, unless
        the input's own type (``kind``, or ``type_name`` itself) already has it
        checked where the input is declared; nothing for other functions."""
        if not is_function(value):
            yield value, place
            return
        name = value.get("get_input")
        if not isinstance(name, str) or place.via:
            return
        definition = self.template.inputs.get(name)
        if not isinstance(definition, dict):
            return  # undeclared: PT400 says so
        input_type = definition.get("type")
        if (kind is not None and base_kind(self.registry, input_type) == kind) or (
                type_name is not None and input_type == type_name):
            return
        via = Place(place.path, place.label, place.key, name)
        if self.supplied is not None and name in self.supplied:
            yield self.supplied[name], via
        elif has_default(definition):
            yield definition["default"], via

    def value(self, value: Any, type_name: Any, schema: Any, place: Place) -> Iterator[Diagnostic]:
        if len(place.path) > MAX_VALUE_DEPTH:
            return
        kind = self.kind(type_name)
        for concrete, where in self.concrete(value, kind, place, type_name):
            yield from self.typed(concrete, type_name, kind, schema, where)

    def typed(self, value: Any, type_name: Any, kind: str | None, schema: Any,
              place: Place) -> Iterator[Diagnostic]:
        if kind in SCALAR_UNITS:
            text = scalar_unit_problem(kind, value)
            if text:
                yield self.problem("PT500", place, f"{value!r} is not a valid {kind}: {text}")
        elif kind == "PortDef":
            text = port_problem(value)
            if text:
                yield self.problem("PT501", place, f"{value!r} is not a valid port: {text}")
        elif kind == "PortSpec":
            yield from self.port_spec(value, type_name, place)
        elif kind in ("list", "map") and schema is not None:
            yield from self.entries(value, schema, place)
        elif kind is None and isinstance(value, dict):
            yield from self.complex(value, type_name, place)

    def entries(self, value: Any, schema: Any, place: Place) -> Iterator[Diagnostic]:
        entry_type, entry_schema = schema_type(schema)
        pairs = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, entry in pairs:
            yield from self.value(entry, entry_type, entry_schema, place.child(key))

    def complex(self, value: dict, type_name: Any, place: Place) -> Iterator[Diagnostic]:
        if not isinstance(type_name, str) or self.registry.find("data_types", type_name) is None:
            return
        definitions = self.registry.lookup_in_chain("data_types", type_name, "properties")
        yield from self.properties(value, definitions, place)

    def properties(self, values: Any, definitions: dict, place: Place) -> Iterator[Diagnostic]:
        """Each value of ``values`` against its definition in ``definitions``."""
        if not isinstance(values, dict):
            return
        for name, value in values.items():
            definition = definitions.get(name)
            type_name = definition.get("type") if isinstance(definition, dict) else None
            if type_name is not None and self.has_checks(type_name, definition.get("entry_schema")):
                yield from self.value(value, type_name, definition.get("entry_schema"), place.child(name))
            # IM-style ranges are plain strings: checked by name when not typed otherwise.
            if isinstance(name, str) and name.endswith("port_range") and type_name in (None, "string"):
                yield from self.port_range_text(value, place.child(name))

    def port_range_text(self, value: Any, place: Place) -> Iterator[Diagnostic]:
        for concrete, where in self.concrete(value, None, place):
            if isinstance(concrete, str):
                text = port_range_text_problem(concrete)
                if text:
                    yield self.problem("PT502", where, f"{concrete!r} is not a valid port range: {text}")

    # PortSpec: {protocol, source, target, source_range, target_range, remote_cidr}
    def port_spec(self, spec: Any, type_name: Any, place: Place) -> Iterator[Diagnostic]:
        if not isinstance(spec, dict):
            yield self.problem("PT502", place, "a port specification is a mapping of protocol, source, "
                               f"target, source_range, target_range, not {a_type(spec)}")
            return
        allowed = PORTSPEC_KEYS | set(self.registry.lookup_in_chain("data_types", type_name, "properties"))
        for key in spec:
            if key not in allowed:
                yield report(self.template, "PT502", f"{place.label}: unknown port specification field {key!r}",
                             place.path + (key,), key=True, hint="fields: " + ", ".join(sorted(allowed)))
        yield from self.port_spec_fields(spec, place)

    def port_spec_fields(self, spec: dict, place: Place) -> Iterator[Diagnostic]:
        checks = (("source", "PT501", port_problem, "port", "PortDef"),
                  ("target", "PT501", port_problem, "port", "PortDef"),
                  ("source_range", "PT502", range_problem, "port range", None),
                  ("target_range", "PT502", range_problem, "port range", None),
                  ("protocol", "PT502", protocol_problem, None, None),
                  ("remote_cidr", "PT502", cidr_problem, None, None))
        for key, rule, test, noun, kind in checks:
            if key not in spec:
                continue
            for concrete, where in self.concrete(spec[key], kind, place.child(key)):
                text = test(concrete)
                if text:
                    message = f"{concrete!r} is not a valid {noun}: {text}" if noun else text
                    yield self.problem(rule, where, message)
        has_port = any(key in spec for key in ("source", "target", "source_range", "target_range"))
        if not has_port and spec.get("protocol") != "icmp":
            yield self.problem("PT502", Place(place.path, place.label, True, place.via),
                               "a port specification needs source, target, source_range or target_range")


def protocol_problem(value: Any) -> str | None:
    if value in PORT_PROTOCOLS:
        return None
    return f"protocol {value!r} is not one of {', '.join(PORT_PROTOCOLS)}"


# --- where values are written ------------------------------------------------------

def capability_properties(registry: TypeRegistry, node_type: str, capability: str) -> dict:
    """Property definitions of a node type's capability: the capability
    type's, refined by the capability definition's own."""
    definition = registry.lookup_in_chain("node_types", node_type, "capabilities").get(capability)
    capability_type = definition if isinstance(definition, str) else (
        definition.get("type") if isinstance(definition, dict) else None)
    merged = dict(registry.lookup_in_chain("capability_types", capability_type, "properties")) \
        if isinstance(capability_type, str) else {}
    if isinstance(definition, dict) and isinstance(definition.get("properties"), dict):
        merged.update(definition["properties"])
    return merged


def node_template_values(checker: ValueChecker, name: str, node: dict) -> Iterator[Diagnostic]:
    registry = checker.registry
    node_type = node.get("type")
    if not isinstance(node_type, str):
        return
    path = ("topology_template", "node_templates", name)
    definitions = registry.lookup_in_chain("node_types", node_type, "properties")
    yield from checker.properties(node.get("properties"), definitions, Place(path + ("properties",), name))
    capabilities = node.get("capabilities")
    if not isinstance(capabilities, dict):
        return
    for capability, assignment in capabilities.items():
        if not isinstance(assignment, dict):
            continue
        definitions = capability_properties(registry, node_type, capability)
        place = Place(path + ("capabilities", capability, "properties"), f"{name}.{capability}")
        yield from checker.properties(assignment.get("properties"), definitions, place)


def input_values(checker: ValueChecker) -> Iterator[Diagnostic]:
    for name, definition in checker.template.inputs.items():
        if not isinstance(definition, dict):
            continue
        path = ("topology_template", "inputs", name)
        type_name, schema = definition.get("type"), definition.get("entry_schema")
        if "default" in definition and definition["default"] is not None:
            yield from checker.value(definition["default"], type_name, schema,
                                     Place(path + ("default",), f"input {name} default"))
        if checker.supplied is not None and name in checker.supplied:
            yield from checker.value(checker.supplied[name], type_name, schema,
                                     Place(path, f"supplied input {name}", key=True))


@check("PT500", "PT501", "PT502")
def values(template: ServiceTemplate) -> Iterator[Diagnostic]:
    checker = ValueChecker(template)
    for name, node in template.node_templates.items():
        if isinstance(node, dict):
            yield from node_template_values(checker, name, node)
    yield from input_values(checker)
